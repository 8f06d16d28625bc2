"""Records of the patient search staff use in the console (``Ledger.search_patients``).

These are the only adapter records that carry names and birth dates (PHI). They are built for
display to a signed-in person and nothing else: never stored in the state store, never logged
(their ``repr`` hides the PHI fields), never put in an item's payload or history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from connector.errors import PermanentError

MAX_RESULTS = 50


@dataclass(frozen=True)
class PatientQuery:
    """What staff typed: a last name (start of it, at least 2 letters), optionally a first name
    (start of it) and a birth date; or one PMS patient id (to show an item's patient).

    Matching is case-insensitive on the beginning of each name. Raises ``PermanentError``
    (``patient_query_invalid``) when neither a last name nor an id is given.
    """

    last_name: str = field(default="", repr=False)
    first_name: str = field(default="", repr=False)
    birth_date: dt.date | None = field(default=None, repr=False)
    patient_id: str | None = None
    limit: int = 20

    def __post_init__(self) -> None:
        object.__setattr__(self, "last_name", self.last_name.strip())
        object.__setattr__(self, "first_name", self.first_name.strip())
        if self.patient_id is None and len(self.last_name) < 2:
            raise PermanentError(
                "type at least the first 2 letters of the last name",
                code="patient_query_invalid",
            )
        if not 1 <= self.limit <= MAX_RESULTS:
            raise PermanentError(f"limit must be 1..{MAX_RESULTS}", code="patient_query_invalid")

    def matches(self, last: str, first: str, born: dt.date | None) -> bool:
        """Whether a patient with these names and birth date fits (for in-memory searches)."""
        if not last.lower().startswith(self.last_name.lower()):
            return False
        if self.first_name and not first.lower().startswith(self.first_name.lower()):
            return False
        return self.birth_date is None or born == self.birth_date

    def like_patterns(self) -> tuple[str, str]:
        """``(last%, first%)`` lower-case LIKE patterns; input wildcards escaped with ``!``."""
        return (_like(self.last_name.lower()) + "%", _like(self.first_name.lower()) + "%")


@dataclass(frozen=True)
class PatientMatch:
    """One patient found, for display only. ``birth_date`` is None when the PMS exposes none
    that we know of (see docs/vendors/*.md)."""

    patient_id: str
    guarantor_id: str
    status: str
    first_name: str = field(repr=False)
    last_name: str = field(repr=False)
    birth_date: dt.date | None = field(default=None, repr=False)

    @property
    def display_name(self) -> str:
        """``Last, First`` as billing screens show it."""
        return f"{self.last_name}, {self.first_name}".strip(", ")


def _like(text: str) -> str:
    return text.replace("!", "!!").replace("%", "!%").replace("_", "!_")
