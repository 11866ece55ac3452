"""The pages of cooperation: operations."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
