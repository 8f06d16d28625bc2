"""The office's own ERA settings (Open Dental's Era* preferences) as defaults, and check-config
saying where each setting came from."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from connector.cli import main
from tests.support.configs import od_practice, write_config
from tests.support.opendental import CUSTOMER_KEY, DEVELOPER_KEY, OdContext
from workshop.emulated.opendental.seed import Ids

pytestmark = pytest.mark.external_service


@contextmanager
def era_prefs(od: OdContext, **prefs: str) -> Iterator[None]:
    """Add Era* preferences for the duration of a test (the seed has none: an older office)."""
    conn = od.db.admin()
    try:
        for name, value in prefs.items():
            conn.cursor().execute(
                "INSERT INTO preference (PrefName, ValueString, Comments) VALUES (?, ?, '')",
                name,
                value,
            )
        yield
    finally:
        conn.cursor().execute("DELETE FROM preference WHERE PrefName LIKE 'Era%'")
        conn.close()


def test_era_preferences_are_read_with_their_sources(od: OdContext) -> None:
    """ACH from EraAchPaymentType; CHK falls back to the type named "Check" (no pref, no
    default); write-offs "Primary from ERA" → primary only; the CARC list as the office set it."""
    with era_prefs(od, EraAchPaymentType=str(Ids.INSPAY_EFT), EraChkPaymentType="0",
                   EraDefaultPaymentType="0", EraAutoPostWriteOff="0",
                   EraNoAutoProcessCarcCodes="97, 16,b7"):  # fmt: skip
        got = od.ledger().office_era_settings()
    assert got.payment_types == {"ACH": str(Ids.INSPAY_EFT), "CHK": str(Ids.INSPAY_CHECK)}
    assert got.writeoffs == "primary_only" and got.no_auto_carcs == ("97", "16", "B7")
    assert got.sources["payment_types.ACH"] == "Open Dental preference EraAchPaymentType"
    assert "named 'Check'" in got.sources["payment_types.CHK"]
    assert got.sources["writeoffs"] == "Open Dental preference EraAutoPostWriteOff=0"


def test_check_config_prints_where_each_era_setting_came_from(
    od: OdContext,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """YAML sets the CHK type; the rest comes from the office; nothing is flagged as missing
    although the connector's own default type name ("Insurance EFT") does not exist there."""
    monkeypatch.setenv("TEST_OD_DEV", DEVELOPER_KEY)
    monkeypatch.setenv("TEST_OD_CUST", CUSTOMER_KEY)
    monkeypatch.setenv("TEST_OD_ODBC", od.db.users.read_only)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    practice = od_practice(
        "riverside",
        era={"inbox": {"folder": {"path": str(inbox)}},
             "auto_post": {"enabled": True, "payment_types_by_method": {"CHK": "Check"}}},
    )  # fmt: skip
    practice["pms"]["api"]["base_url"] = od.api.base_url  # type: ignore[index]
    path = write_config(tmp_path, [practice])
    with era_prefs(od, EraDefaultPaymentType=str(Ids.INSPAY_EFT), EraAutoPostWriteOff="1",
                   EraNoAutoProcessCarcCodes="97,16"):  # fmt: skip
        assert main(["check-config", str(path)]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if "era-set" in line]
    assert any(
        f"ACH: '{Ids.INSPAY_EFT}' (Open Dental preference EraDefaultPaymentType" in line
        for line in lines
    )
    assert any(
        "CHK: 'Check' (configuration era.auto_post.payment_types_by_method.CHK)" in line
        for line in lines
    )
    assert any(
        "write-offs: always (Open Dental preference EraAutoPostWriteOff=1)" in line
        for line in lines
    )
    assert any("CARC: 97,16 (Open Dental preference EraNoAutoProcessCarcCodes)" in line
               for line in lines)  # fmt: skip
    assert "FAILED" not in out
