"""Files served back to a browser or a national system: always a download, never a page.

An attachment's bytes and its name come from another bureau (or from whoever uploaded them). A
`text/html` or `text/javascript` attachment served with its own content type would run as a page
of this site, with the officer's session: so every stored file goes out as
`application/octet-stream`, as an attachment (RFC 6266) under a name cleaned of folders and
control characters, with `nosniff` and a sandbox content security policy (scripts, forms and
same-origin access all off even if a browser shows it anyway), and never cached.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from pathlib import PurePosixPath
from typing import Any

from django.http import StreamingHttpResponse
from django.utils.http import content_disposition_header

OCTET_STREAM = "application/octet-stream"
SANDBOX = "sandbox; default-src 'none'"
MAX_NAME = 150
# Control, format (bidi overrides, zero-width), surrogate, private-use and unassigned characters,
# and line and paragraph separators.
UNSAFE = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def safe_filename(name: str, fallback: str = "attachment") -> str:
    """The last part of `name`, without control or formatting characters (no line breaks, no
    right-to-left override to turn `gpj.exe` into `exe.jpg`), without leading dots, at most
    `MAX_NAME` characters with its extension kept; `fallback` when nothing is left."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join("_" if unicodedata.category(c) in UNSAFE else c for c in name)
    name = name.strip(" _").lstrip(".").strip()
    if len(name) > MAX_NAME:
        suffix = PurePosixPath(name).suffix
        suffix = suffix if len(suffix) <= 16 else ""
        name = name[: MAX_NAME - len(suffix)] + suffix
    return name or fallback


def openapi(content_type: str, description: str) -> dict[str, Any]:
    """How the OpenAPI document describes a response of `content_type` bytes."""
    return {
        "description": description,
        "content": {content_type: {"schema": {"type": "string", "format": "binary"}}},
    }


def download(
    content: Iterable[bytes] | Iterable[str],
    filename: str,
    *,
    content_type: str = OCTET_STREAM,
    size: int | None = None,
) -> StreamingHttpResponse:
    """A streamed download of `content` named `filename` (cleaned here)."""
    response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = (
        content_disposition_header(True, safe_filename(filename)) or "attachment"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX
    response["Cache-Control"] = "no-store"
    if size is not None:
        response["Content-Length"] = str(size)
    return response
