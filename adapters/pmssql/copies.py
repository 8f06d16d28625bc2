"""Rows one key marks, split into the postings (copies) that wrote them.

Dentrix and Eaglesoft write a posting as several ledger rows, each carrying the key's marker.
When a key was written twice (a write whose answer never came and that committed later, or
rows copied by hand) its rows form more than one posting. Each vendor says, per row, which
place it takes in a posting and whether such a row starts one (a payment's first part, an
insurance payment, a refund); the rows, in insertion order, then split where a row starts a
posting or takes a place already taken in the current one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from connector.domain import PostedEntry

Row = Mapping[str, Any]
# a row's place in its posting ("payment part 2", "write-off on procedure 7" …) and whether a
# row of that kind starts a posting
SlotOf = Callable[[Row], tuple[str, bool]]


def split_copies(rows: Sequence[Row], slot_of: SlotOf) -> list[list[Row]]:
    """The rows (insertion order) split into postings, oldest first."""
    copies: list[tuple[set[str], list[Row]]] = []
    for row in rows:
        slot, starts = slot_of(row)
        if not copies or starts or slot in copies[-1][0]:
            copies.append((set(), []))
        copies[-1][0].add(slot)
        copies[-1][1].append(row)
    return [found for _slots, found in copies]


def copies_entry(
    external_ref: str,
    rows: Sequence[Row],
    copies: list[list[Row]],
    *,
    id_column: str,
    amount_of: Callable[[Sequence[Row]], Decimal],
    ids: dict[str, Any],
) -> PostedEntry:
    """The posting to report for ``rows``: when there are several copies, the oldest (its first
    row named under ``id_column`` as the one to keep) with the others as ``duplicates``;
    ``ids`` are the vendor's other ids of the posting."""
    kept = copies[0] if len(copies) > 1 else rows
    if len(copies) > 1:
        ids[id_column] = int(kept[0][id_column])  # the row to keep, named in the review
    ids[f"{id_column}s"] = [int(r[id_column]) for r in kept]
    return PostedEntry(
        external_ref,
        ids,
        amount_of(kept),
        already_existed=True,
        duplicates=tuple(
            {
                id_column: int(copy[0][id_column]),
                f"{id_column}s": [int(r[id_column]) for r in copy],
                "amount": amount_of(copy),
            }
            for copy in copies[1:]
        ),
    )
