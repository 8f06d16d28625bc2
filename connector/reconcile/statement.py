"""Bank statements read into credit lines: CSV (the ``csv`` module), OFX (``ofxtools``) and
BAI2 (``bai2``).

Only credits matter to reconciliation (money into the practice's account); debits are read and
dropped. Each line keeps where it came from (its line or record number) so a person can find
it in the file, and the ERA trace number when the bank passed the ACH addenda on: the CCD+
addenda of an insurance EFT carries the 835's ``TRN`` segment (``TRN*1*<TRN02>*<payer>\\``,
x12-835.md §1.2), which banks show in the transaction's text or memo.

A statement we cannot read raises :class:`StatementError` naming the file and, where the
format allows, the line; nothing is half-read.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from connector.errors import DataError

TRACE = re.compile(r"TRN\*1\*([^*~\\/\s]+)")
"""The TRN segment of an ACH CCD+ addenda, as banks show it: TRN02 is the EFT's trace number."""

CSV_COLUMNS = {
    "date": ("date", "posting date", "posted", "transaction date"),
    "amount": ("amount", "credit", "credit amount"),
    "description": ("description", "memo", "details", "text"),
    "reference": ("reference", "bank reference", "id", "fitid"),
}
"""Header names accepted for each CSV column (any case); ``reference`` is optional."""


class StatementError(DataError):
    """A bank statement that cannot be read; the message names the file and line."""

    code = "statement_invalid"


@dataclass(frozen=True)
class BankLine:
    """One credit on the bank statement."""

    line: int  # line (CSV, BAI2 record) or transaction number (OFX) in the file, 1-based
    date: dt.date
    amount: Decimal
    description: str
    reference: str | None = None  # the bank's own id (OFX FITID, BAI2 bank reference)
    trace: str | None = None  # TRN02 from the ACH addenda, when the bank passed it on

    @property
    def label(self) -> str:
        """``line 12 2026-11-18 1020.95``: how a report names the line."""
        return f"line {self.line} {self.date.isoformat()} {self.amount}"


def read_statement(path: Path) -> list[BankLine]:
    """The credits of a CSV, OFX/QFX or BAI2 statement (chosen by content, then extension).

    Raises:
        StatementError: unreadable file or a malformed line (named).
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StatementError(
            f"bank statement {path.name}: cannot be read ({exc.strerror})"
        ) from exc
    head = raw.lstrip()[:200].upper()
    if head.startswith(b"OFXHEADER") or b"<OFX>" in head or path.suffix.lower() in (".ofx", ".qfx"):
        return read_ofx(raw, path.name)
    if head.startswith(b"01,") or path.suffix.lower() in (".bai", ".bai2"):
        return read_bai2(raw.decode("ascii", errors="replace"), path.name)
    return read_csv(raw.decode("utf-8-sig", errors="replace"), path.name)


def _amount(text: str, name: str, line: int) -> Decimal:
    cleaned = text.strip().replace(",", "").replace("$", "")
    if cleaned.startswith("(") and cleaned.endswith(")"):
        cleaned = "-" + cleaned[1:-1]
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise StatementError(
            f"bank statement {name} line {line}: amount {text!r} is not a number"
        ) from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise StatementError(f"bank statement {name} line {line}: amount {text!r} is not money")
    return value.quantize(Decimal("0.01"))


def _date(text: str, name: str, line: int) -> dt.date:
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).date()  # noqa: DTZ007 - a calendar day
        except ValueError:
            continue
    raise StatementError(f"bank statement {name} line {line}: date {text!r} is not a date")


def _trace(*texts: str | None) -> str | None:
    for text in texts:
        found = TRACE.search(text or "")
        if found:
            return found.group(1)
    return None


def read_csv(text: str, name: str) -> list[BankLine]:
    """A CSV export with a header row: date, amount (credits positive), description, and an
    optional reference (see :data:`CSV_COLUMNS`).

    Raises:
        StatementError: no usable header, or a line with a bad date or amount.
    """
    rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise StatementError(f"bank statement {name}: the file is empty")
    header = [h.strip().casefold() for h in rows[0]]
    where: dict[str, int] = {}
    for column, names in CSV_COLUMNS.items():
        for index, heading in enumerate(header):
            if heading in names and column not in where:
                where[column] = index
    missing = [c for c in ("date", "amount", "description") if c not in where]
    if missing:
        wanted = "; ".join(f"no {c} column ({' / '.join(CSV_COLUMNS[c])})" for c in missing)
        raise StatementError(f"bank statement {name} line 1: {wanted} in the header")
    lines = []
    for number, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(where.values()):
            raise StatementError(f"bank statement {name} line {number}: too few columns")
        amount = _amount(row[where["amount"]], name, number)
        if amount <= 0:
            continue
        description = row[where["description"]].strip()
        reference = row[where["reference"]].strip() if "reference" in where else None
        lines.append(BankLine(number, _date(row[where["date"]], name, number), amount,
                              description, reference or None, _trace(description)))  # fmt: skip
    return lines


def read_ofx(raw: bytes, name: str) -> list[BankLine]:
    """An OFX/QFX download (``ofxtools``): each statement transaction with a positive
    ``TRNAMT``, numbered in file order.

    Raises:
        StatementError: ofxtools cannot read it (its message is given; OFX has no lines).
    """
    from ofxtools.Parser import OFXTree  # noqa: PLC0415 - only when a statement is read

    try:
        tree = OFXTree()
        tree.parse(io.BytesIO(raw))
        statements: Any = tree.convert().statements
        txns = [txn for statement in statements for txn in statement.transactions]
    except Exception as exc:  # the one translation point for ofxtools errors
        raise StatementError(f"bank statement {name}: not a readable OFX file ({exc})") from exc
    lines = []
    for number, txn in enumerate(txns, 1):
        amount = Decimal(txn.trnamt).quantize(Decimal("0.01"))
        if amount <= 0:
            continue
        text = " ".join(p for p in (txn.name, txn.memo) if p)
        lines.append(BankLine(number, txn.dtposted.date(), amount, text, txn.fitid or None,
                              _trace(txn.memo, txn.name)))  # fmt: skip
    return lines


BAI2_RECORDS = {"01", "02", "03", "16", "88", "49", "98", "99"}


def read_bai2(text: str, name: str) -> list[BankLine]:
    """A BAI2 file (``bai2``): each credit detail (``16`` record, type codes 100–399) with its
    ``88`` continuations, dated by its group's as-of date.

    Raises:
        StatementError: an unknown record (line named), or bai2's structural or control-total
            check failed (its message is given).
    """
    from bai2 import bai2  # type: ignore[import-untyped]  # noqa: PLC0415 - only when read

    physical = [ln for ln in text.splitlines()]
    for number, record in enumerate(physical, 1):
        if record.strip() and record.strip()[:2] not in BAI2_RECORDS:
            raise StatementError(
                f"bank statement {name} line {number}: {record.strip()[:2]!r} is not a BAI2 "
                "record code"
            )
    try:
        parsed: Any = bai2.parse_from_lines([ln for ln in physical if ln.strip()])
    except Exception as exc:  # the one translation point for bai2 errors
        raise StatementError(f"bank statement {name}: not a valid BAI2 file ({exc})") from exc
    details = [n for n, r in enumerate(physical, 1) if r.strip().startswith("16,")]
    lines, index = [], 0
    for group in parsed.children:
        day = group.header.as_of_date
        for account in group.children:
            for txn in account.children:
                number = details[index] if index < len(details) else 0
                index += 1
                if txn.type_code.transaction.name != "credit":
                    continue
                amount = (Decimal(int(txn.amount)) / 100).quantize(Decimal("0.01"))
                description = str(txn.text or "")
                lines.append(BankLine(number, day, amount, description,
                                      txn.bank_reference or None, _trace(description)))  # fmt: skip
    return lines
