"""Envelope handlers: operations."""

from __future__ import annotations
