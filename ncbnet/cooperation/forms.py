"""The forms of the cooperation pages."""

from __future__ import annotations

from django import forms  # noqa: F401
