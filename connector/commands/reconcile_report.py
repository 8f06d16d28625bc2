"""The table/CSV rows of ``connector report reconcile [--bank FILE]`` (see
:mod:`connector.reconcile.report`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from connector.money import fmt
from connector.reconcile.report import reconcile_report
from connector.reconcile.slips import deposit_slips
from connector.reconcile.statement import read_statement
from connector.store import StateStore

HEADER = [
    "practice", "source", "reference", "from", "date", "bank amount", "deposit",
    "deposit amount", "posted", "waiting", "difference", "state", "bank", "waiting items",
]  # fmt: skip


def reconcile_rows(
    store: StateStore,
    practices: list[str],
    since: dt.datetime | None,
    until: dt.datetime | None,
    bank: Path | None,
) -> tuple[list[str], list[list[str]]]:
    """Header and rows: one per payout/EFT, then one per bank credit left unexplained.

    Raises:
        StatementError: the bank statement cannot be read (the message names the line).
    """
    lines = read_statement(bank) if bank is not None else None
    report = reconcile_report(store, practices, since, until, lines)
    rows = [
        [r.practice_id, r.source, r.ref, r.counterparty, r.date.isoformat() if r.date else "",
         fmt(r.bank_amount), r.deposit_id or "",
         fmt(r.deposit_amount) if r.deposit_amount is not None else "", fmt(r.posted),
         fmt(r.waiting), fmt(r.difference), "closed" if r.closed else "open", r.bank,
         "; ".join(r.waiting_items)]
        for r in report.rows
    ]  # fmt: skip
    rows += [
        ["", "bank", b.line.reference or f"line {b.line.line}", b.line.description,
         b.line.date.isoformat(), fmt(b.line.amount), "", "", "", "", "", "unmatched",
         f"{b.line.label}: {b.why}", ""]
        for b in report.unmatched_bank
    ]  # fmt: skip
    return HEADER, rows


def deposit_rows(
    store: StateStore,
    practices: list[str],
    since: dt.datetime | None,
    until: dt.datetime | None,
) -> tuple[list[str], list[list[str]]]:
    """``report deposits``: per payout a total row (state, PMS deposit ids), then the slip's
    lines (each posting, items entered by hand) and the fees, so lines − fees = total."""
    header = ["practice", "payout", "date", "line", "amount", "state", "pms ids"]
    rows: list[list[str]] = []
    for slip in deposit_slips(store, practices, since, until):
        state = {"written": "written to the PMS", "slip": "enter by hand (deposit slip)"}.get(
            slip.state, slip.state
        )
        rows.append([slip.practice_id, slip.payout, slip.date, "total (bank amount)",
                     fmt(slip.amount), state, slip.deposit_ids])  # fmt: skip
        rows += [
            [slip.practice_id, slip.payout, slip.date, f"{ln.key} {ln.kind}", fmt(ln.amount),
             "", ln.pms_ids]
            for ln in slip.lines
        ]  # fmt: skip
        rows.append([slip.practice_id, slip.payout, slip.date, "processor fees",
                     fmt(-slip.fees), "", ""])  # fmt: skip
    return header, rows
