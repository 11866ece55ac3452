"""What an applicant's file is, read from its first bytes (never from its name or the type the
browser sent): PDF, JPEG or PNG, nothing else."""

from __future__ import annotations

SIGNATURES: tuple[tuple[str, bytes], ...] = (
    ("application/pdf", b"%PDF-"),
    ("image/jpeg", b"\xff\xd8\xff"),
    ("image/png", b"\x89PNG\r\n\x1a\n"),
)
HEAD = max(len(s) for _, s in SIGNATURES)
MB = 1024 * 1024
PER_FILE = 10 * MB  # one identity document or power of attorney
FILES = 2 * PER_FILE  # the two together


def sniff(head: bytes) -> str | None:
    """The media type whose signature `head` starts with, or None."""
    for media_type, signature in SIGNATURES:
        if head.startswith(signature):
            return media_type
    return None
