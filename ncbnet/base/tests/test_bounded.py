"""Bounded parsing: whatever the bytes, the answer is the value JSON gives or a plain refusal,
never another exception and never a value beyond the limits."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ncbnet.base import bounded

LIMITS = bounded.Limits(max_bytes=4096, max_depth=6, max_string=64, max_items=200)

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=80),
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(st.text(max_size=8), inner, max_size=6),
    max_leaves=60,
)


@given(st.binary(max_size=600) | values.map(lambda v: json.dumps(v, allow_nan=True).encode()))
def test_anything_parses_within_the_limits_or_is_refused_plainly(raw):
    try:
        value = bounded.loads(raw, LIMITS)
    except bounded.Unbounded as exc:
        assert str(exc)
        return
    assert value == json.loads(raw)
    bounded.check(value, LIMITS)


# No string can be longer than the document: the walk after parsing is skipped unless an escape
# could have made a NUL or a lone surrogate; what is accepted so must pass the walk all the same.
WHOLE = bounded.Limits(max_bytes=4096, max_depth=6, max_string=4096, max_items=200)


@given(
    values.map(lambda v: json.dumps(v, allow_nan=True, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    | values.map(lambda v: json.dumps(v, allow_nan=True).encode())
)
def test_what_is_accepted_without_the_walk_passes_the_walk(raw):
    try:
        value = bounded.loads(raw, WHOLE)
    except bounded.Unbounded as exc:
        assert str(exc)
        return
    assert value == json.loads(raw)
    bounded.check(value, WHOLE)


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"[NaN]", "NaN"),
        (b"[-Infinity]", "Infinity"),
        (b"[1e400]", "not finite"),
        (b"[9007199254740992]", "beyond"),
        (b"-" + b"9" * 400, "beyond"),
        (b'{"a": 1, "a": 2}', "twice"),
        (b"[" * 10 + b"]" * 10, "more than 6 deep"),
        (b"[" * 2000 + b"]" * 2000, "more than 200 values"),  # counted before nesting
        (b'"' + b"x" * 65 + b'"', "longer"),
        (b"[" + b"0," * 300 + b"0]", "more than"),
        (b'"a\\u0000b"', "NUL"),
        (b'"\\ud800"', "Unicode"),
        (b"x" * 5000, "at most 4,096 are read"),
        (b"\xff", "not UTF-8"),
    ],
)
def test_what_json_allows_and_we_do_not_is_refused_with_the_reason(raw, why):
    with pytest.raises(bounded.Unbounded, match=why):
        bounded.loads(raw, LIMITS)
