"""The compact marker that ties an Eaglesoft row to its source within 50 characters."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from adapters.eaglesoft.mapping import (
    DESCRIPTION_MAX,
    compact_marker,
    description,
    has_marker,
    marker_pattern,
)

keys = st.text(min_size=1, max_size=200)


@given(keys, st.text(max_size=300))
def test_marker_survives_any_label(key, label):
    """Whatever the label, the description fits and still starts with the key's marker."""
    text = description(compact_marker(key), label)
    assert len(text) <= DESCRIPTION_MAX
    assert has_marker(text, key)


@given(keys, keys)
def test_different_keys_do_not_match(key, other):
    """A description made for one key is not taken for another."""
    if key != other:
        assert not has_marker(description(compact_marker(key), "x"), other)


def test_marker_shape_is_short_and_wildcard_free():
    """18 characters: CX/AX, the key's last 8 letters or digits, 6 hash characters."""
    marker = compact_marker("txn_1PqRsTuVwXyZ")
    assert len(marker) == 18 and marker.startswith("CX:TuVwXyZ"[:3])
    assert marker[3:11] == "qRsTuVwXyZ"[-8:]
    assert not set(marker) & set("%_[]")
    assert compact_marker("txn_1PqRsTuVwXyZ", auto=True).startswith("AX:")


def test_pattern_matches_manual_and_auto_markers():
    """The LIKE pattern's single-character wildcard covers both prefixes, nothing else."""
    pattern = marker_pattern("era:abc")
    assert pattern.startswith("_X:") and pattern.endswith("%")
    assert pattern[1:-1] == compact_marker("era:abc")[1:]
