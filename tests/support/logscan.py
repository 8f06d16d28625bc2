"""Scan log text for personal data and secrets (security: zero hits required).

:func:`seeded_needles` collects what must never appear in a log from the PMS seeds themselves:
every seeded patient's first and last name, birth date (ISO, X12 ``CCYYMMDD`` and US
``MM/DD/YYYY``), and insurance member id, for Open Dental, Dentrix and Eaglesoft. Tests add the
secrets of their environment (API keys, passwords, ODBC strings) and any names their own input
files carry. :func:`scan` then reports every hit, plus every digit run shaped like a payment
card number (13 to 19 digits, Luhn-valid, starting 2 to 6).

Names are matched case-insensitively as whole words (``Eve`` must not match ``event``); ids,
dates and secrets as plain substrings.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from workshop.emulated.dentrix import seed as dentrix_seed
from workshop.emulated.eaglesoft import seed as eaglesoft_seed
from workshop.emulated.opendental import seed as od_seed

_CARD = re.compile(r"(?<![\w.])[2-6](?:[ -]?\d){12,18}(?![\w.])")
MIN_SECRET = 6  # shorter values (e.g. "1") would match everywhere and protect nothing


@dataclass
class Needles:
    """What to look for: whole-word names, and substrings (ids, dates, secrets)."""

    names: set[str] = field(default_factory=set)
    values: set[str] = field(default_factory=set)

    def add_names(self, *names: str | None) -> None:
        """Add person names (first or last)."""
        self.names.update(n.strip() for n in names if n and n.strip())

    def add_values(self, *values: str | None) -> None:
        """Add exact values (member ids, dates, secrets); very short ones are skipped."""
        self.values.update(v.strip() for v in values if v and len(v.strip()) >= MIN_SECRET - 2)

    def add_secrets(self, *secrets: str | None) -> None:
        """Add secrets, and the password inside any ODBC connection string among them."""
        for secret in secrets:
            if not secret or len(secret.strip()) < MIN_SECRET:
                continue
            self.values.add(secret.strip())
            for match in re.finditer(r"PWD=([^;]+)", secret, flags=re.IGNORECASE):
                self.values.add(match.group(1))

    def add_birth_date(self, born: dt.date) -> None:
        """A birth date in the forms logs or files would show it."""
        self.add_values(born.isoformat(), born.strftime("%Y%m%d"), born.strftime("%m/%d/%Y"))


@dataclass(frozen=True)
class Hit:
    """One forbidden value found in one log file, with a little context."""

    file: str
    line: int
    what: str
    context: str


def seeded_needles() -> Needles:
    """Names, birth dates and member ids of every patient in the three PMS seeds."""
    needles = Needles()
    rows = od_seed.practice_rows()
    for patient in rows["patient"]:
        needles.add_names(patient["FName"], patient["LName"])
        needles.add_birth_date(patient["Birthdate"])
    needles.add_values(*(str(sub["SubscriberID"]) for sub in rows["inssub"]))
    for _pid, _guar, first, last, *_rest in dentrix_seed.PATIENTS:
        needles.add_names(first, last)
    needles.add_values(*(str(insured[3]) for insured in dentrix_seed.INSURED))
    for _pid, _resp, first, last, *_rest in eaglesoft_seed.PATIENTS:
        needles.add_names(first, last)
    return needles


def luhn_ok(digits: str) -> bool:
    """True when ``digits`` passes the Luhn check used by payment card numbers."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def scan_text(text: str, needles: Needles, source: str = "<text>") -> list[Hit]:
    """Every hit of ``needles`` and every card-shaped number in ``text``."""
    hits: list[Hit] = []
    name_pattern = (
        re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(needles.names)) + r")\b", re.I)
        if needles.names
        else None
    )
    for number, line in enumerate(text.splitlines(), start=1):
        found: list[str] = []
        if name_pattern is not None:
            found += [f"name {m.group(1)!r}" for m in name_pattern.finditer(line)]
        found += [f"value {v[:4]}…" for v in needles.values if v in line]
        for match in _CARD.finditer(line):
            digits = re.sub(r"\D", "", match.group(0))
            if 13 <= len(digits) <= 19 and luhn_ok(digits):
                found.append(f"card-shaped number {digits[:4]}…")
        hits.extend(Hit(source, number, what, line[:160]) for what in found)
    return hits


def scan_files(paths: Iterable[Path], needles: Needles) -> list[Hit]:
    """:func:`scan_text` over each file (read as UTF-8, undecodable bytes replaced)."""
    hits: list[Hit] = []
    for path in paths:
        hits += scan_text(path.read_text(encoding="utf-8", errors="replace"), needles, path.name)
    return hits


def describe(hits: list[Hit], limit: int = 20) -> str:
    """A short report of the first hits for an assertion message."""
    shown = [f"{h.file}:{h.line}: {h.what} in {h.context!r}" for h in hits[:limit]]
    more = f"\n… and {len(hits) - limit} more" if len(hits) > limit else ""
    return "\n".join(shown) + more
