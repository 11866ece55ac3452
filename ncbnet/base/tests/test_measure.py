"""JSON is measured before it is parsed: a document beyond its limits is refused without building
its objects, and one within them parses exactly as `json.loads` would."""

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ncbnet.base import bounded

MB = 1024 * 1024
LIMITS = bounded.Limits(max_bytes=10 * MB, max_depth=64, max_items=10**6, max_string=10 * MB)

# Text a database keeps: no lone surrogate, no NUL (refused on purpose, tested in test_bounded).
TEXT = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**53 - 1), 2**53 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=TEXT)
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(
            st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")),
            inner,
            max_size=5,
        )
    ),
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
    assert bounded.loads(raw, LIMITS) == json.loads(raw)


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
            bounded.loads(raw, bounded.Limits(max_bytes=MB, max_depth=limit, max_items=50))
        except bounded.Unbounded:
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
        (b"[1e999]", "not finite"),
        (b"[" * 3 + b"]" * 3, "more than 2 deep"),
        (b"[" * 50, "not valid JSON"),
        (b'["\xff"]', "not UTF-8"),
        (b'[{"a": 1}', "not valid JSON: Expecting ',' delimiter (line 1, column 10)"),
        (b"[" + b"1," * 200 + b"1]", "more than 100 values"),
        (b" " * (MB + 1), "at most 1,048,576 are read"),
    ],
)
def test_what_it_refuses_and_says_why(raw, says):
    with pytest.raises(bounded.Unbounded) as refused:
        bounded.loads(raw, bounded.Limits(max_bytes=MB, max_depth=2, max_items=100))
    assert says in str(refused.value)


def _measure_by_the_pattern(raw: bytes) -> tuple[int, bytes]:
    """The measure written the slow, obvious way, for any bytes (JSON or not): escapes out, every
    string out by the pattern, an unterminated last string out, then the structure counted."""
    text = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    if text.count(b'"') % 2:
        text = text[: text.rfind(b'"')]
    skeleton = re.sub(rb'"[^"]*"', b"", text)
    counted = 1 + sum(skeleton.count(c) for c in (b",", b":", b"[", b"{"))
    return counted, bytes(b for b in skeleton if b in b"[]{}")


ANY_BYTES = st.binary(max_size=200) | st.text(alphabet='"\\,:[]{} a1', max_size=200).map(str.encode)


@given(ANY_BYTES, st.integers(1, 16))
@settings(max_examples=1000)
def test_the_measure_of_any_bytes_is_the_patterns(raw, chunk):
    """Hostile input too: the fast cut (quotes and structure kept, adjacent quotes dropped) hides
    no structure the pattern would count, whatever the bytes and the chunks."""
    assert bounded.measure(raw, chunk=chunk) == _measure_by_the_pattern(raw)
