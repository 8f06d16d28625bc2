"""SQLSTATE classification shared by the ODBC adapters."""

from __future__ import annotations

import pytest

from adapters.pmssql.sqlstate import Kind, classify, driver_manager_state


@pytest.mark.parametrize(
    ("state", "kind"),
    [("08S01", Kind.UNREACHABLE), ("28000", Kind.AUTH), ("42501", Kind.AUTH),
     ("40001", Kind.BUSY), ("HYT00", Kind.TIMEOUT), ("23505", Kind.KEY_CONFLICT),
     ("23000", Kind.INTEGRITY), ("42S22", Kind.SCHEMA), ("22003", Kind.DATA),
     ("IM002", Kind.DRIVER), ("HY000", Kind.OTHER), ("", Kind.OTHER), (None, Kind.OTHER),
     (" 08001 ", Kind.UNREACHABLE)],
)  # fmt: skip
def test_classify(state, kind):
    """Exact states win over their class; unknown or missing states are OTHER."""
    assert classify(state) is kind


def test_unixodbc_missing_driver_is_a_driver_problem():
    """unixODBC's 01000 "Can't open lib" is reported as a driver that cannot be loaded."""
    assert driver_manager_state("01000", "[unixODBC][Driver Manager]Can't open lib 'x'") == "IM003"
    assert driver_manager_state("01000", "some warning") == "01000"
