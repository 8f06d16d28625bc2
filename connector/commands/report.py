"""``connector report payouts|remittances|denials|unclaimed|forward-balances|reconcile|deposits``:
reconciliation, denial and end-of-day reports (``reconcile [--bank FILE]``: three-way, see
:mod:`connector.reconcile.report`).

``unclaimed`` reads the PMS itself (completed procedures of insured patients on no claim); its
dates are procedure dates in the practice's time zone and default to today. The others read the
state store, by recording date.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from adapters.registry import create_ledger
from connector.clock import SYSTEM, Clock, local_today
from connector.commands.common import runtime
from connector.commands.reconcile_report import deposit_rows, reconcile_rows
from connector.config import PracticeSettings
from connector.errors import ConnectorError
from connector.money import fmt
from connector.plb_balances import forward_balances
from connector.reconcile.statement import StatementError
from connector.redaction import Redactor
from connector.reports import denial_report, payout_report, remittance_report, unclaimed_report

KINDS = [
    "payouts", "remittances", "denials", "unclaimed", "forward-balances", "reconcile", "deposits",
]  # fmt: skip


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``report`` command."""
    parser = sub.add_parser(
        "report", help="reconciliation, denial and unclaimed-procedure reports (table or CSV)"
    )
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--practice", help="one practice id (default: all)")
    parser.add_argument("--since", type=_date, help="first day (YYYY-MM-DD), by recording date")
    parser.add_argument("--until", type=_date, help="day after the last (YYYY-MM-DD)")
    parser.add_argument("--csv", action="store_true", help="CSV on stdout instead of a table")
    parser.add_argument(
        "--bank", type=Path, help="reconcile: a bank statement (CSV, OFX/QFX or BAI2) to match"
    )
    parser.set_defaults(handler=handle)


def _date(text: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), tzinfo=dt.UTC)


def handle(args: argparse.Namespace) -> int:
    """Print the chosen report."""
    rt = runtime(args)
    failed = False
    try:
        practices = (
            [args.practice] if args.practice else [p.id for p in rt.config.settings.practices]
        )
        if args.kind == "unclaimed":
            chosen = [p for p in rt.config.settings.practices if p.id in practices]
            header, rows, failed = unclaimed_rows(
                chosen, rt.redactor, args.since, args.until, clock=rt.clock
            )
        elif args.kind == "reconcile":
            try:
                header, rows = reconcile_rows(
                    rt.store, practices, args.since, args.until, args.bank
                )
            except StatementError as exc:
                print(f"error [{exc.code}]: {exc.message}", file=sys.stderr)
                return 2
        else:
            header, rows = _build(args.kind, rt.store, practices, args.since, args.until)
    finally:
        rt.store.close()
    _print(header, rows, as_csv=args.csv)
    return 1 if failed else 0


def unclaimed_rows(
    practices: Sequence[PracticeSettings],
    redactor: Redactor,
    since: dt.datetime | None,
    until: dt.datetime | None,
    *,
    clock: Clock = SYSTEM,
) -> tuple[list[str], list[list[str]], bool]:
    """Rows of the unclaimed-procedures report; a practice whose PMS cannot answer is named
    on stderr (with its error code) and makes the third value True. Without ``--since`` /
    ``--until`` the window is the practice's "today" by ``clock``."""
    header = ["practice", "date", "patient", "procedure", "code", "fee", "provider"]
    rows: list[list[str]] = []
    failed = False
    for practice in practices:
        today = local_today(clock, practice.timezone)
        start = since.date() if since else today
        end = (until.date() - dt.timedelta(days=1)) if until else today
        try:
            ledger = create_ledger(
                practice.pms,
                practice_id=practice.id,
                redactor=redactor,
                clock=clock,
                timezone=practice.timezone,
            )
            try:
                found = unclaimed_report(practice.id, ledger, start, end)
            finally:
                ledger.close()
        except ConnectorError as exc:
            failed = True
            print(f"{practice.id}: error [{exc.code}]: {exc.message}", file=sys.stderr)
            continue
        rows.extend(
            [r.practice_id, r.procedure.date.isoformat(), r.procedure.patient_id,
             r.procedure.proc_ref, r.procedure.code, fmt(r.procedure.fee),
             r.procedure.provider_id or ""]
            for r in found
        )  # fmt: skip
    return header, rows, failed


def _print(header: list[str], rows: list[list[str]], *, as_csv: bool) -> None:
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(header)
        writer.writerows(rows)
    else:
        _table(header, rows)


def _build(
    kind: str, store: Any, practices: list[str], since: Any, until: Any
) -> tuple[list[str], list[list[str]]]:
    if kind == "payouts":
        header = [
            "practice",
            "payout",
            "arrival",
            "items",
            "gross",
            "fees",
            "net",
            "paid out",
            "posted",
            "difference",
            "not posted",
            "payout status",
            "payments",
            "refunds",
            "disputes",
            "other",
            "unexplained",
        ]
        return header, [
            [
                r.practice_id,
                r.payout,
                r.arrival_date or "",
                str(r.items),
                fmt(r.gross),
                fmt(r.fees),
                fmt(r.net),
                fmt(r.paid_out),
                fmt(r.posted),
                fmt(r.difference),
                "; ".join(r.unposted),
                r.status_words,
                fmt(r.payments),
                fmt(r.refunds),
                fmt(r.disputes),
                fmt(r.other),
                fmt(r.unexplained),
            ]
            for r in payout_report(store, practices, since, until)
        ]
    if kind == "remittances":
        header = [
            "practice",
            "trace",
            "payer",
            "claims",
            "amount",
            "posted",
            "in review",
            "other",
            "plb",
            "difference",
        ]
        return header, [
            [
                r.practice_id,
                r.trace,
                r.payer,
                str(r.claims),
                fmt(r.amount),
                fmt(r.posted),
                fmt(r.in_review),
                fmt(r.other),
                fmt(r.plb),
                fmt(r.difference),
            ]
            for r in remittance_report(store, practices, since, until)
        ]
    if kind == "forward-balances":
        return forward_balance_rows(store, practices, since, until)
    if kind == "deposits":
        return deposit_rows(store, practices, since, until)
    header = ["practice", "payer", "carc", "claims", "charges"]
    return header, [
        [r.practice_id, r.payer, r.carc, str(r.claims), fmt(r.charges)]
        for r in denial_report(store, practices, since, until)
    ]


def forward_balance_rows(
    store: Any, practices: list[str], since: Any, until: Any
) -> tuple[list[str], list[list[str]]]:
    """Rows of ``report forward-balances``: FB adjustments by payer and reference."""
    header = ["practice", "payer", "reference", "balance", "state", "remittances", "items"]
    return header, [
        [r.practice_id, r.payer, r.reference, fmt(r.balance), "closed" if r.closed else "open",
         " ".join(r.remittances), " ".join(r.statuses)]
        for r in forward_balances(store, practices, since, until)
    ]  # fmt: skip


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    if not rows:
        print("(no rows)")
