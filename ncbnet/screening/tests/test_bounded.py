"""Uploaded JSON is measured before it is parsed: a document beyond its limits is refused without
building its objects, and one within them parses exactly as `json.loads` would."""

import json
import tracemalloc

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from ncbnet.screening import bounded, manifests

MB = 1024 * 1024
LIMITS = {"max_bytes": 10 * MB, "max_depth": 64, "max_items": 10**6}

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5)
)


def depth(v):
    if isinstance(v, list):
        return 1 + max(map(depth, v), default=0)
    if isinstance(v, dict):
        return 1 + max(map(depth, v.values()), default=0)
    return 0


def containers(v):
    if isinstance(v, list):
        return 1 + sum(map(containers, v))
    if isinstance(v, dict):
        return 1 + sum(map(containers, v.values()))
    return 0


def items(v):
    if isinstance(v, list):
        return 1 + sum(map(items, v))
    if isinstance(v, dict):
        return 1 + len(v) + sum(map(items, v.values()))
    return 1


@given(values, st.booleans())
def test_within_the_limits_it_parses_like_json_loads(value, pretty):
    raw = json.dumps(value, ensure_ascii=False, indent=2 if pretty else None).encode()
    assert bounded.loads(raw, **LIMITS) == json.loads(raw)


@given(values)
@settings(max_examples=300)
def test_the_measure_bounds_the_items_and_finds_the_depth(value):
    raw = json.dumps(value).encode()
    counted, brackets = bounded.measure(raw)
    assert items(value) <= counted <= items(value) + containers(value)  # an empty one counts 1 more
    for limit in range(6):
        assert bounded.deeper_than(brackets, limit) == (depth(value) > limit)
        refused = depth(value) > limit or counted > 50
        try:
            bounded.loads(raw, max_bytes=MB, max_depth=limit, max_items=50)
        except bounded.Invalid:
            assert refused
        else:
            assert not refused


@given(values, st.integers(1, 12), st.booleans())
def test_the_measure_is_the_same_whatever_the_chunks(value, chunk, ascii_only):
    """Chunk boundaries fall inside strings, inside escapes (\\\\, \\", \\u00e9) and between them."""
    raw = json.dumps(value, ensure_ascii=ascii_only).encode()
    assert bounded.measure(raw, chunk=chunk) == bounded.measure(raw)


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"[NaN]", "NaN is not a number JSON allows"),
        (b'{"a": -Infinity}', "-Infinity is not a number JSON allows"),
        (b"[9007199254740993]", "beyond \u00b12^53"),
        (b"[-" + b"9" * 5000 + b"]", "beyond \u00b12^53"),
        (b"[1e999]", "too large"),
        (b"[" * 3 + b"]" * 3, "more than 2 deep"),
        (b"[" * 50, "not valid JSON"),
        (b'["\xff"]', "not UTF-8"),
        (b'[{"a": 1}', "not valid JSON: Expecting ',' delimiter (line 1, column 10)"),
        (b"[" + b"1," * 200 + b"1]", "more than 100 values"),
        (b" " * (MB + 1), "at most 1,048,576 are read"),
    ],
)
def test_what_it_refuses_and_why(raw, says):
    with pytest.raises(bounded.Invalid) as refused:
        bounded.loads(raw, max_bytes=MB, max_depth=2, max_items=100)
    assert says in str(refused.value)


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
