"""Envelope handlers: cases."""

from __future__ import annotations
