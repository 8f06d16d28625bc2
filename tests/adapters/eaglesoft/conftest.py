"""Fixtures: a fresh emulated Eaglesoft database per test (SQLite through the real ODBC driver)."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyodbc
import pytest

from adapters.base import marker_for
from adapters.eaglesoft.adapter import EaglesoftLedger
from adapters.eaglesoft.connection import EaglesoftConnector, StaticConnectionProvider
from adapters.eaglesoft.dialect import authentication_text
from connector.domain import AllocationMode, PatientPaymentPlan, Split
from connector.money import to_money
from workshop.emulated.eaglesoft.seed import DEMO_AUTH, connection_string, create_emulated_database

TODAY = dt.date(2026, 11, 20)
AUTH = authentication_text(*DEMO_AUTH)


@pytest.fixture(scope="session")
def eaglesoft_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One seeded emulated database per session, copied for each test."""
    folder = tmp_path_factory.mktemp("eaglesoft-template")
    create_emulated_database(folder, today=TODAY)
    return folder


@pytest.fixture
def eaglesoft_db(eaglesoft_template: Path, tmp_path: Path) -> str:
    """Connection string of a fresh copy of the seeded emulated Eaglesoft database."""
    folder = tmp_path / "eaglesoft"
    shutil.copytree(eaglesoft_template, folder)
    return connection_string(folder)


@pytest.fixture
def make_ledger(eaglesoft_db: str) -> Iterator[Callable[..., EaglesoftLedger]]:
    """Build adapters on the test database (authenticated unless told otherwise)."""
    made: list[EaglesoftLedger] = []

    def make(auth: str | None = AUTH, **kwargs: Any) -> EaglesoftLedger:
        connect = kwargs.pop("connect", None)
        connector = EaglesoftConnector(
            StaticConnectionProvider(eaglesoft_db), authentication=auth, connect=connect
        )
        ledger = EaglesoftLedger(connector, **kwargs)
        made.append(ledger)
        return ledger

    yield make
    for ledger in made:
        ledger.close()


@pytest.fixture
def ledger(make_ledger: Callable[..., EaglesoftLedger]) -> EaglesoftLedger:
    """An adapter authenticated with the emulation's signature."""
    return make_ledger()


class Db:
    """Direct SQL on the emulated database (no authentication triggers on this connection)."""

    def __init__(self, conn_str: str) -> None:
        self.conn_str = conn_str

    def rows(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        """Rows as dicts (autocommit)."""
        conn = pyodbc.connect(self.conn_str, autocommit=True)
        try:
            cur = conn.cursor()
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

    def money(self, sql: str, *params: Any) -> Any:
        """The first column of the first row as Decimal money."""
        return to_money(str(next(iter(self.rows(sql, *params)[0].values()))))


@pytest.fixture
def db(eaglesoft_db: str) -> Db:
    """Direct SQL access for assertions."""
    return Db(eaglesoft_db)


def payment(
    ref: str,
    patient: str,
    amount: str,
    splits: list[tuple[str, str, str | None]] | None = None,
    *,
    type_id: str = "4",
    source_ref: str | None = None,
) -> PatientPaymentPlan:
    """A payment plan; splits are (amount, patient, charge_ref); none given = post-only."""
    parts = splits or [(amount, patient, None)]
    return PatientPaymentPlan(
        external_ref=ref,
        marker=marker_for(ref),
        patient_id=patient,
        amount=to_money(amount),
        date=TODAY,
        payment_type_id=type_id,
        mode=AllocationMode.ALLOCATE_OLDEST_FIRST if splits else AllocationMode.POST_ONLY,
        splits=tuple(
            Split(to_money(a), p, None, c, "procedure" if c else None) for a, p, c in parts
        ),
        source_ref=source_ref or "ch_3PxTest" + ref[-6:],
    )
