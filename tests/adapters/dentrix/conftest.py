"""Fixtures: a fresh emulated Dentrix database per test (SQLite through the real ODBC driver)."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyodbc
import pytest

from adapters.base import marker_for
from adapters.dentrix.adapter import DentrixLedger
from adapters.dentrix.connection import DentrixConnector, StaticConnectionProvider
from connector.domain import AllocationMode, PatientPaymentPlan, Split
from connector.money import to_money
from workshop.emulated.dentrix.seed import connection_string, create_emulated_database

TODAY = dt.date(2026, 11, 20)


@pytest.fixture(scope="session")
def dentrix_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One seeded emulated database per session, copied for each test."""
    folder = tmp_path_factory.mktemp("dentrix-template")
    create_emulated_database(folder, today=TODAY)
    return folder


@pytest.fixture
def dentrix_db(dentrix_template: Path, tmp_path: Path) -> str:
    """Connection string of a fresh copy of the seeded emulated Dentrix database."""
    folder = tmp_path / "dentrix"
    shutil.copytree(dentrix_template, folder)
    return connection_string(folder)


@pytest.fixture
def ledger(dentrix_db: str) -> Iterator[DentrixLedger]:
    """The adapter on the emulated database."""
    adapter = DentrixLedger(DentrixConnector(StaticConnectionProvider(dentrix_db)))
    yield adapter
    adapter.close()


class Db:
    """Direct SQL on the emulated database, for checking what the adapter wrote."""

    def __init__(self, conn_str: str) -> None:
        self.conn_str = conn_str
        self.admin = (
            conn_str.split("Database=")[1]
            .split(";", maxsplit=1)[0]
            .replace("dentrix.db", "admin.db")
        )

    def rows(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        """Rows as dicts (autocommit, so no lock is held afterwards)."""
        conn = pyodbc.connect(self.conn_str, autocommit=True)
        try:
            cur = conn.cursor()
            cur.execute("ATTACH DATABASE ? AS admin", self.admin)
            cur.execute(sql, *params)
            if cur.description is None:
                return []
            names = [c[0].lower() for c in cur.description]
            return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
        finally:
            conn.close()

    def count(self, sql: str, *params: Any) -> int:
        """The first column of the first row as an int."""
        return int(next(iter(self.rows(sql, *params)[0].values())))

    def aging(self, guarid: int) -> dict[str, Any]:
        """The guarantor's aging row with amounts as Decimal."""
        row = self.rows("SELECT * FROM admin.aging WHERE guarid = ?", guarid)[0]
        for key in ("aging0to30", "aging31to60", "aging61to90", "aging91plus", "lastpayamt"):
            row[key] = to_money(str(row[key])) if row[key] is not None else None
        return row


@pytest.fixture
def db(dentrix_db: str) -> Db:
    """Direct SQL access for assertions."""
    return Db(dentrix_db)


def payment(
    ref: str,
    patient: str,
    amount: str,
    splits: list[tuple[str, str, str | None]] | None = None,
    *,
    mode: AllocationMode = AllocationMode.ALLOCATE_OLDEST_FIRST,
    type_id: str = "4",
    date: dt.date = TODAY,
) -> PatientPaymentPlan:
    """A payment plan; splits are (amount, patient, charge_ref) — default one unapplied split."""
    parts = splits or [(amount, patient, None)]
    return PatientPaymentPlan(
        external_ref=ref,
        marker=marker_for(ref),
        patient_id=patient,
        amount=to_money(amount),
        date=date,
        payment_type_id=type_id,
        mode=mode if splits else AllocationMode.POST_ONLY,
        splits=tuple(
            Split(to_money(a), p, None, c, "procedure" if c else None) for a, p, c in parts
        ),
        source_ref="ch_3PxTest" + ref[-6:],
    )
