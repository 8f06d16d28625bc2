"""``Ledger.search_patients`` on every adapter: staff find a patient by the start of the last
and first name (and birth date where the PMS exposes one), or by id; sorted; wildcards typed by
staff are plain letters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from adapters.base import Ledger
from adapters.patient_search import PatientQuery
from connector.errors import PermanentError
from tests.contract.harness import Harness

pytestmark = pytest.mark.external_service


@dataclass(frozen=True)
class Seeded:
    """The Smith family of each adapter's seed, in (first name) order, and one birth date."""

    smiths: tuple[str, ...]
    second_first_name: str
    birth_date: dt.date | None  # the second Smith's; None: the PMS exposes no birth dates


SEEDS = {
    "memory": Seeded(("1", "2", "3"), "Mary", dt.date(1984, 5, 6)),
    "opendental": Seeded(("1", "2", "3"), "Ben", dt.date(2012, 9, 15)),
    "dentrix": Seeded(("1001", "1002", "1003"), "Mary", None),
    "eaglesoft": Seeded(("101", "102", "103"), "Mary", None),
}


def test_search_by_last_name_start_is_sorted_and_case_blind(
    harness: Harness, ledger: Ledger
) -> None:
    """``smi`` finds the Smith family, by first name; the names come back as stored."""
    seed = SEEDS[harness.name]
    found = ledger.search_patients(PatientQuery(last_name="sMi"))
    assert [m.patient_id for m in found] == list(seed.smiths)
    assert {m.last_name for m in found} == {"Smith"}
    assert found[1].first_name == seed.second_first_name
    assert found[1].guarantor_id == found[0].guarantor_id
    assert [m.patient_id for m in ledger.search_patients(PatientQuery(last_name="smi", limit=2))
            ] == list(seed.smiths[:2])  # fmt: skip


def test_search_by_first_name_and_by_id(harness: Harness, ledger: Ledger) -> None:
    """A first-name start narrows to one; an id finds that patient (names included)."""
    seed = SEEDS[harness.name]
    query = PatientQuery(last_name="SMITH", first_name=seed.second_first_name[:2].lower())
    assert [m.patient_id for m in ledger.search_patients(query)] == [seed.smiths[1]]
    by_id = ledger.search_patients(PatientQuery(patient_id=seed.smiths[1]))
    assert [(m.patient_id, m.first_name) for m in by_id] == [
        (seed.smiths[1], seed.second_first_name)
    ]
    assert ledger.search_patients(PatientQuery(patient_id="999999999")) == []
    assert ledger.search_patients(PatientQuery(patient_id="not-an-id")) == []


def test_search_finds_nothing_for_unknown_names_and_typed_wildcards(
    harness: Harness, ledger: Ledger
) -> None:
    """No such name: nothing. ``%`` and ``_`` typed by staff match only themselves."""
    assert ledger.search_patients(PatientQuery(last_name="Zzyzx")) == []
    assert ledger.search_patients(PatientQuery(last_name="S%")) == []
    assert ledger.search_patients(PatientQuery(last_name="S_ith")) == []


def test_search_by_birth_date_where_the_pms_has_one(harness: Harness, ledger: Ledger) -> None:
    """With a birth date the search narrows to the patient born that day; a PMS without birth
    dates returns none (and the console says so)."""
    seed = SEEDS[harness.name]
    if seed.birth_date is None:
        found = ledger.search_patients(PatientQuery(last_name="smith"))
        assert found and all(m.birth_date is None for m in found)
        return
    born = ledger.search_patients(PatientQuery(last_name="smith", birth_date=seed.birth_date))
    assert [(m.patient_id, m.birth_date) for m in born] == [(seed.smiths[1], seed.birth_date)]
    other = seed.birth_date + dt.timedelta(days=1)
    assert ledger.search_patients(PatientQuery(last_name="smith", birth_date=other)) == []


def test_a_query_needs_two_letters_or_an_id() -> None:
    """One letter is refused before any PMS read (a name search must be specific)."""
    with pytest.raises(PermanentError):
        PatientQuery(last_name="s")
    assert PatientQuery(patient_id="5").patient_id == "5"
    assert "Smith" not in repr(PatientQuery(last_name="Smith", first_name="Mary"))
