"""What is signed and hashed is RFC 8785 (JCS) bytes: `canonical` writes plain values with the
standard library's encoder and everything else with the `rfc8785` package; for any JSON value,
and for values JSON cannot hold, it writes exactly what `rfc8785` writes, or refuses what
`rfc8785` refuses."""

import enum

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from ncbnet.base.crypto import canonical

# Any character, lone surrogates, controls and characters beyond the Basic Multilingual Plane
# included: these are where sorting and escaping could differ.
ANY_TEXT = st.text(alphabet=st.characters(), max_size=12)
EDGE = '"\\\b\f\n\r\t\x00\x1f\x7f\u2028\ud800\ue000\uffff𝄞😀aé'
EDGE_TEXT = st.text(alphabet=st.sampled_from(EDGE), max_size=6)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**60), 2**60)  # beyond ±(2^53 - 1) both refuse
    | st.floats()  # NaN and infinities: both refuse
    | ANY_TEXT
    | EDGE_TEXT
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.tuples(inner, inner)
        | st.dictionaries(ANY_TEXT | EDGE_TEXT, inner, max_size=6)
    ),
    max_leaves=40,
)


def _reference(value):
    try:
        return rfc8785.dumps(value)
    except Exception as exc:  # which error the reference raises is compared below
        return type(exc)


def _ours(value):
    try:
        return canonical(value)
    except Exception as exc:
        return type(exc)


@settings(max_examples=3000, deadline=None)
@given(values)
def test_canonical_is_rfc8785(value):
    assert _ours(value) == _reference(value)


def test_keys_sort_by_utf16_code_units_not_code_points():
    # U+E000 sorts after the surrogate pair of U+1F600 in UTF-16, before it by code point.
    value = {"\ue000": 1, "😀": 2}
    assert canonical(value) == rfc8785.dumps(value) == '{"😀":2,"\ue000":1}'.encode()


class Colour(enum.StrEnum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


def test_subclasses_and_other_types_are_written_as_the_reference_writes_them():
    for value in ({"c": Colour.RED, "n": Level.HIGH}, [1.5, 1e21, -0.0], {"big": 2**53 - 1}):
        assert canonical(value) == rfc8785.dumps(value)
    with pytest.raises(rfc8785.CanonicalizationError):
        canonical({1: "an integer key"})
    with pytest.raises(rfc8785.IntegerDomainError):
        canonical([2**53])
