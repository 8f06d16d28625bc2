"""What the connector wrote in Eaglesoft for one key, and whether it was written more than once.

A posting is the ``transactions_header`` rows one write transaction inserted for a key, each
``description`` starting with the key's compact marker:

* a patient payment: one type ``A`` header; a refund or lost dispute: one type ``D`` header;
* an insurance payment: a type ``I`` header (when money was paid) and a type ``C``
  ``Ins write-off`` header; a claim reversal: a type ``D`` ``Ins refund`` header and a type
  ``D`` ``Ins write-off reversal`` header.

Headers are read in ``tran_num`` order (insertion order). A header that *starts* a posting
(anything but a write-off) or one whose place in a posting is already taken in the current one
(a second ``Ins write-off``) begins another copy: the key was written again (a write whose
answer never came and that committed later, or entries copied by hand). The oldest copy is the
one reported; the others are reported as :attr:`PostedEntry.duplicates` and the engine sends
the item to review (``duplicate_in_pms``). A header staff deleted (status ``D``) is no copy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from adapters.eaglesoft import mapping as m
from adapters.eaglesoft import queries as q
from adapters.pmssql.copies import copies_entry, split_copies
from adapters.pmssql.session import Tx
from connector.domain import PostedEntry
from connector.money import total

Row = Mapping[str, Any]


def posted(tx: Tx, external_ref: str) -> PostedEntry | None:
    """Headers whose description starts with the key's compact marker; later copies of the
    posting in ``duplicates``."""
    rows = [
        r
        for r in tx.rows(q.HEADERS_MARKED, m.marker_pattern(external_ref))
        if m.has_marker(r["description"], external_ref)
    ]
    if not rows:
        return None
    copies = split_copies([r for r in rows if not _deleted(r)], _slot)
    ids: dict[str, Any] = {
        "resp_party_id": int((copies[0] if len(copies) > 1 else rows)[0]["resp_party_id"])
    }
    deleted = [int(r["tran_num"]) for r in rows if _deleted(r)]
    if deleted:
        ids["deleted_tran_nums"] = deleted  # staff deleted it: do not post it again
    return copies_entry(
        external_ref, rows, copies, id_column="tran_num", amount_of=_amount, ids=ids
    )


def _deleted(row: Row) -> bool:
    return str(row["status"]).upper() == "D"


def _slot(row: Row) -> tuple[str, bool]:
    """The header's place in its posting, and whether such a header starts one."""
    kind = str(row["type"] or "").upper()
    label = str(row["description"] or "").partition(" ")[2].lower()
    if "write-off" in label:
        return f"{kind} {label}", False
    return kind, True


def _amount(rows: Sequence[Row]) -> Decimal:
    """Money to the practice: the payments negated, else the adjustments' size."""
    credits = [m.money(r["amount"]) for r in rows if r["type"] not in ("C", "D")]
    return -total(credits) if credits else abs(total(m.money(r["amount"]) for r in rows))
