"""Every public sample 835 parses, with its balancing verdict and key facts asserted."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from connector.sources.era.parser import parse_file
from connector.sources.era.validate import remittance_errors
from tests.sources.era.helpers import samples_dir

SAMPLES = samples_dir()
pytestmark = pytest.mark.skipif(SAMPLES is None, reason="shared/samples/era not present")

# file -> (claims, balanced, BPR02, item key, rules that fail)
EXPECTED = {
    "badX12__X221-era-sample.edi": (
        1, True, "132.00", "era:1512345678:12345:132.00", set()),
    "zentist-TigerShark__5010-835-example-1.txt": (
        3, True, "1790.00", "era:1123456789:123456789:1790.00", set()),
    "LinuxForHealth-x12__managed-care.835": (
        2, True, "945.00", "era:1935665544:7170066655:945.00", set()),
    "LinuxForHealth-x12__medicare-part-a.835": (
        2, True, "150000.00", "era:1512345678:12345:150000.00", set()),
    "LinuxForHealth-x12__secondary-payment.835": (
        2, True, "1222.00", "era:1559123456:0012524965:1222.00", set()),
    "LinuxForHealth-x12__tertiary-payment.835": (
        1, False, "187.50", "era:1559123456:0012524879:187.50",
        {"line_balance", "claim_line_payments"}),
    "LinuxForHealth-x12__cob-contractural-adjustment.835": (
        1, True, "34.00", "era:1566339911:0063158ABC:34.00", set()),
    "pyx12__835_mult_loops.txt": (
        1, True, "0.00", "era:1386000134:000000000:0.00", set()),
}  # fmt: skip


def _sample(name: str) -> Path:
    assert SAMPLES is not None
    path = SAMPLES / name
    if not path.exists():
        pytest.skip(f"{name} not in the samples folder")
    return path


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_parses_with_expected_verdict(name: str) -> None:
    """Each sample yields one remittance with the expected claims, key and balancing verdict."""
    claims, balanced, amount, key, failing = EXPECTED[name]
    [remittance] = parse_file(_sample(name))
    assert len(remittance.claims) == claims
    assert remittance.amount == Decimal(amount)
    assert remittance.item_key == key
    assert remittance.balanced is balanced
    assert {err.rule for err in remittance.balance_errors} == failing
    # the verdict computed while streaming equals a recomputation from the finished model
    assert [e.rule for e in remittance_errors(remittance)] == [
        e.rule for e in remittance.balance_errors
    ]


def test_every_sample_file_is_covered() -> None:
    """No sample in the shared folder is left without an asserted verdict."""
    assert SAMPLES is not None
    present = {p.name for p in SAMPLES.iterdir() if p.name != "SOURCES.md"}
    assert present <= set(EXPECTED)


def test_component_separator_quirk_is_read_and_flagged() -> None:
    """SVC written with '>' while ISA16 says ':' is split after its qualifier, with a warning."""
    [rem] = parse_file(_sample("LinuxForHealth-x12__secondary-payment.835"))
    line = rem.claims[1].lines[0]
    assert (line.qualifier, line.code, line.modifiers) == ("HC", "12345", ("26",))
    assert any("component separator '>'" in w for w in rem.warnings)


def test_pipe_component_separator_and_crlf_dental_sample() -> None:
    """The zentist file ('|' components, CRLF) yields CDT codes, REF*6R, LQ and CLP02 25."""
    [rem] = parse_file(_sample("zentist-TigerShark__5010-835-example-1.txt"))
    predetermination = rem.claims[0]
    assert predetermination.status == "25"
    assert [line.code for line in predetermination.lines][:3] == ["D1110", "D2150", "D6751"]
    assert predetermination.lines[0].line_ref == "00010"
    assert predetermination.lines[2].remarks == ("N30",)
    assert rem.test is True
    assert [c.function for c in rem.payer.contacts] == ["CX", "BL", "IC"]


def test_plb_composite_reason_adds_to_payment() -> None:
    """Medicare part A: PLB CV:CP -1.27 is read as reason CV, reference CP, and balances BPR02."""
    [rem] = parse_file(_sample("LinuxForHealth-x12__medicare-part-a.835"))
    [plb] = rem.plb
    assert (plb.reason, plb.reference, plb.amount) == ("CV", "CP", Decimal("-1.27"))
    assert rem.balanced


def test_invalid_date_is_a_warning_not_an_error() -> None:
    """BPR16 20002316 (not a real date) leaves payment_date empty and warns."""
    [rem] = parse_file(_sample("LinuxForHealth-x12__managed-care.835"))
    assert rem.payment_date is None
    assert rem.payment_date_raw == "20002316"
    assert any("BPR16" in w for w in rem.warnings)
