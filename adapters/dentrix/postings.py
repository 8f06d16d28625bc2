"""What the connector wrote in Dentrix for one key, and whether it was written more than once.

A posting is the ledger rows one write transaction inserted for a key, each with a transaction
note (``admin.fullnotes`` notetype 1) starting with the key's marker:

* a patient payment: one class-1 row per (patient, provider), ``part i of n`` in the note when
  there are several;
* a refund or lost dispute: one class-2 row;
* an insurance payment: one class-3 row (when money was paid) and a class-2 row per
  ``write-off on procedure N``; a claim reversal: one class-2 refund row and a class-2 row per
  ``write-off reversal on procedure N``.

Rows are read in ``procid`` order (insertion order). A row that *starts* a posting (part 1 of a
payment, an insurance payment, a refund) or a row whose place in a posting is already taken in
the current one (``part 2`` twice, a second write-off on the same procedure) begins another
copy: the key was written again (a write whose answer never came and that committed later, or
rows copied by hand). The oldest copy is the one reported; the others are reported as
:attr:`PostedEntry.duplicates` and the engine sends the item to review (``duplicate_in_pms``).
A row staff deleted (its note is left, the ledger row is gone) is no copy.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from adapters.base import marker_for
from adapters.dentrix import mapping as m
from adapters.dentrix import queries as q
from adapters.pmssql.copies import copies_entry, split_copies
from adapters.pmssql.session import Tx
from connector.domain import PostedEntry
from connector.money import total

Row = Mapping[str, Any]

_PART = re.compile(r" part (\d+) of \d+\b")
_WRITEOFF = re.compile(r" (write-off(?: reversal)? on procedure \d+)$")


def posted(tx: Tx, external_ref: str) -> PostedEntry | None:
    """What we wrote for ``external_ref``: rows whose transaction note *starts* with its marker
    (a refund's note also names the original's marker, later in the text); later copies of the
    posting in ``duplicates``."""
    markers = (marker_for(external_ref), marker_for(external_ref, auto=True))
    texts = {
        int(n["noteid"]): str(n["notetext"] or "")
        for n in tx.rows(q.NOTES_OF_TYPE, m.NOTE_TRANSACTION, f"{external_ref}]")
        if str(n["notetext"] or "").startswith(markers)
    }
    if not texts:
        return None
    procids = sorted(texts)
    rows = [row for row in (tx.one(q.LEDGER_ROWS, p) for p in procids) if row is not None]
    copies = split_copies(rows, lambda row: _slot(row, texts[int(row["procid"])]))
    ids: dict[str, Any] = {}
    if rows:
        ids["guarid"] = int(rows[0]["guarid"])
    if len(rows) < len(procids):
        ids["deleted_procids"] = sorted(set(procids) - {int(r["procid"]) for r in rows})
    return copies_entry(external_ref, rows, copies, id_column="procid", amount_of=_amount, ids=ids)


def _slot(row: Row, text: str) -> tuple[str, bool]:
    """The row's place in its posting, and whether such a row starts one."""
    klass = int(row["proclogclass"])
    if klass == m.CLASS_PAYMENT:
        part = _PART.search(text)
        number = int(part.group(1)) if part else 1
        return f"payment part {number}", number == 1
    if klass == m.CLASS_INSURANCE:
        return "insurance payment", True
    writeoff = _WRITEOFF.search(text)
    if writeoff:
        return writeoff.group(1), False
    return "adjustment", True


def _amount(rows: Sequence[Row]) -> Decimal:
    """Money to the practice: the credits (payments) negated, else the adjustments' size."""
    credits = [m.money(r["amt"]) for r in rows if int(r["proclogclass"]) in (1, 3)]
    return -total(credits) if credits else abs(total(m.money(r["amt"]) for r in rows))
