"""Manifests are read within their limits: JSON measured before it is parsed (50 MB of tiny
objects refused without building them), CSV a row at a time."""

import json
import tracemalloc

import pytest
from django.core.exceptions import ValidationError

from ncbnet.screening import manifests

MB = 1024 * 1024


def test_fifty_megabytes_of_tiny_objects_are_refused_before_any_is_built():
    """`json.loads` builds one dictionary per `{}` here: about 17 million of them, gigabytes (the
    manifest parser before this read 5 MB of them with a traced peak of 259 MB). Measured a chunk
    at a time, the refusal holds what one chunk makes and the brackets counted so far."""
    raw = b"[" + b'{"name":"a"},' * (50 * MB // 13 - 1) + b'{"name":"a"}]'
    assert len(raw) <= manifests.MAX_BYTES
    tracemalloc.start()
    try:
        with pytest.raises(ValidationError) as refused:
            manifests.parse("manifest.json", raw)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "holds more than 5,100,001 values" in refused.value.message_dict["file"][0]
    assert peak < 20 * MB


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (
            b"name,note\nAna," + b"x" * 1001 + b"\n",
            "row 1, column 'note': a cell of more than 1,000 characters",
        ),
        (",".join(f"c{i}" for i in range(51)).encode() + b"\n", "at most 50 columns; this one 51"),
        (
            json.dumps([{"name": "Ana", "seat": {"row": 1}}]).encode(),
            "more than 2 deep",
        ),
        (json.dumps([{"name": "x" * 1001}]).encode(), "row 1, column 'name': a cell of more than 1,000"),
    ],
)
def test_a_manifest_beyond_its_limits_is_refused_with_the_reason(content, says):
    with pytest.raises(ValidationError) as refused:
        manifests.parse("m.json" if content.startswith(b"[") else "m.csv", content)
    assert says in refused.value.message_dict["file"][0]


def test_rows_times_columns_are_bounded_while_the_csv_is_read():
    header = ",".join(["name"] + [f"c{i}" for i in range(49)]).encode()
    rows = b"A" + b"," * 49 + b"\n"
    columns, kept = manifests.parse("m.csv", header + b"\n" + rows * 2 + b"\n")  # 50 columns: fine
    assert len(columns) == 50 and len(kept) == 2 and kept[0]["c48"] == ""
    content = header + b"\n" + rows * (manifests.MAX_CELLS // 50 + 1)
    with pytest.raises(ValidationError) as refused:
        manifests.parse("m.csv", content)
    assert "with 50 columns, at most 50,000 rows" in refused.value.message_dict["file"][0]


@pytest.mark.django_db
def test_the_api_refuses_fifty_megabytes_of_tiny_objects_naming_the_file(client, user_factory):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ncbnet.screening.models import Manifest
    from ncbnet.security import services as security

    _t, token = security.create_token(None, user_factory("system", "system"), "border", scopes=["screening"])
    raw = b"[" + b"{}," * (manifests.MAX_BYTES // 3 - 1) + b"{}]"
    response = client.post(
        "/api/v1/screening/manifests",
        {"file": SimpleUploadedFile("manifest.json", raw, content_type="application/json")},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 422, response.content
    [error] = response.json()["errors"]
    assert error["field"] == "file" and "holds more than 5,100,001 values" in error["message"]
    assert not Manifest.objects.exists()
