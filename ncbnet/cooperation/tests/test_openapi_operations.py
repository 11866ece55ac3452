"""The OpenAPI document lists the cooperation API's operations, as national case systems read it."""

import pytest

from ncbnet.api import api

pytestmark = pytest.mark.django_db

PREFIX = "/api/v1/cooperation"
EXPECTED = [
    ("post", "/requests"),
    ("get", "/requests"),
    ("get", "/requests/{request_id}"),
    *[("post", f"/requests/{{request_id}}/{step}") for step in ("acknowledge", "clarify", "pause", "answer")],
    *[("post", f"/requests/{{request_id}}/{step}") for step in ("refuse", "close")],
    ("post", "/tasks"),
    ("get", "/tasks"),
    *[("post", f"/tasks/{{task_id}}/{step}") for step in ("acknowledge", "report", "answer", "decline")],
    ("post", "/cases"),
    ("get", "/cases"),
    *[("post", f"/cases/{{case_id}}/{part}") for part in ("share", "entries", "tasks", "close")],
    ("get", "/groups"),
    ("post", "/operations"),
    ("get", "/operations"),
    ("post", "/operations/{operation_id}/results"),
    ("get", "/operations/{operation_id}/results"),
    ("get", "/statistics"),
]


def test_the_document_lists_every_cooperation_operation():
    paths = api.get_openapi_schema()["paths"]
    missing = [(m, p) for m, p in EXPECTED if m not in paths.get(PREFIX + p, {})]
    assert not missing
