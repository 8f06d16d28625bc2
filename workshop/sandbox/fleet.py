"""Many Open Dental practices on one MariaDB server: the scale test's and benchmarks' world.

:class:`~workshop.sandbox.environment.SandboxEnvironment` runs one practice per vendor (the
demo). The multi-instance test and the end-to-end benchmark need tens of practices, so
:class:`OpenDentalFleet` builds them from the same parts, on 127.0.0.1 only:

* one :class:`~workshop.sandbox.mariadb.MariaDBServer` with a database per practice, each a
  copy of one template (the Open Dental seed plus generated families, see
  :func:`workshop.emulated.opendental.seed.generated_practice`);
* one :class:`~workshop.sandbox.opendental_api.OpenDentalApiDouble` per database;
* one Stripe sandbox serving every practice's own account: ``payments`` cleared card payments
  per practice over ``payouts`` paid automatic payouts, each naming a generated patient;
* optionally ``history`` earlier payments per database (front-desk checks and cards with
  ordinary notes, no splits): a practice's payment table after a few years, which every
  lookup that scans ``payment.PayNote`` has to read;
* optionally the scenario's Open Dental remittances (:mod:`workshop.sandbox.scenario`) in
  each practice's ERA inbox;
* secrets as files and a configuration written with the environment's
  :func:`~workshop.sandbox.environment.practice_section`.

:meth:`OpenDentalFleet.markers` reads back, per practice, how many PMS rows carry each
connector marker, so callers can check that everything was posted exactly once.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import Any

import pyodbc
import yaml

from connector.clock import SYSTEM, Clock
from workshop.emulated.opendental import seed as od_seed
from workshop.sandbox import scenario
from workshop.sandbox.environment import PracticeSpec, _Paths, practice_section
from workshop.sandbox.mariadb import MariaDBServer
from workshop.sandbox.opendental_api import OpenDentalApiDouble
from workshop.sandbox.opendental_db import TEMPLATE, OpenDentalDb, build_database
from workshop.sandbox.stripe_data import DAY, Builder, KeyGrant, StripeDataset
from workshop.sandbox.stripe_server import StripeSandbox

MARKER = re.compile(r"\[connector (?:auto )?([^\]]+)\]")
FIRST_GENERATED_PATIENT = 10_000
HISTORY_FIRST_PAYNUM = 100_000


@dataclass
class FleetPractice:
    """One practice of the fleet: its database, API double, Stripe key and payment keys."""

    id: str
    db: OpenDentalDb
    api: OpenDentalApiDouble
    stripe_key: str
    payment_keys: tuple[str, ...]  # txn_… of every cleared payment (what must post once)
    era_files: tuple[scenario.EraFile, ...] = ()


class OpenDentalFleet:
    """Start ``practices`` Open Dental practices in ``work_dir`` (see the module docstring).

    Args:
        work_dir: created if missing.
        practices: how many practices (ids ``od00``, ``od01`` …).
        payments: cleared card payments per practice.
        payouts: paid automatic payouts per practice (payments spread evenly over them).
        families: generated families per practice database (1-3 patients each).
        era: put the scenario's Open Dental remittances in each practice's inbox.
        history: earlier (non-connector) payments per practice database.
        now / today: reference time of the Stripe data and the practices' date.
    """

    def __init__(
        self,
        work_dir: Path,
        *,
        practices: int,
        payments: int,
        payouts: int = 5,
        families: int = 200,
        era: bool = False,
        history: int = 0,
        now: dt.datetime | None = None,
        today: dt.date | None = None,
        clock: Clock = SYSTEM,
    ) -> None:
        if practices < 1 or payouts < 1 or payments < payouts:
            raise ValueError("need at least one practice, one payout and a payment per payout")
        self.work_dir = Path(work_dir).resolve()
        self.count = practices
        self.payments_each = payments
        self.payouts_each = payouts
        self.families = families
        self.era = era
        self.history = history
        self.now = now or clock.now()
        self.today = today or self.now.astimezone().date()  # the practices' local date
        self.keys = (f"fleetDev{secrets.token_hex(6)}", f"fleetCust{secrets.token_hex(6)}")
        self.mariadb: MariaDBServer | None = None
        self.stripe: StripeSandbox | None = None
        self.dataset = StripeDataset()
        self.practices: list[FleetPractice] = []

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> OpenDentalFleet:
        """Start MariaDB with every database, the API doubles and Stripe; fill the inboxes."""
        (self.work_dir / "secrets").mkdir(mode=0o700, parents=True, exist_ok=True)
        try:
            self.mariadb = MariaDBServer(self.work_dir / "mariadb")
            self.mariadb.start()
            patients = self._build_databases(self.mariadb)
            self.stripe = StripeSandbox(self.dataset).start()
            for practice in self.practices:
                keys = self._seed_stripe(practice.id, practice.stripe_key, patients)
                practice.payment_keys = tuple(keys)
                if self.era:
                    practice.era_files = tuple(self._fill_inbox(practice.id))
                self._write_secrets(practice)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every server and delete the MariaDB data (other files stay)."""
        for practice in self.practices:
            practice.api.close()
        if self.stripe is not None:
            self.stripe.stop()
            self.stripe = None
        if self.mariadb is not None:
            self.mariadb.stop()
            self.mariadb = None

    def __enter__(self) -> OpenDentalFleet:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- building ---------------------------------------------------------------------------
    def _build_databases(self, server: MariaDBServer) -> list[str]:
        """Database ``od00`` through :func:`build_database` (which also fills the template),
        the others copied from that template; returns the generated patients' ids."""
        generated = od_seed.generated_practice(self.families, first_id=FIRST_GENERATED_PATIENT)
        generated["payment"].extend(_history(self.history, generated["patient"]))

        def add_families(rows: od_seed.Rows) -> None:
            for table, extra in generated.items():
                rows[table].extend(extra)

        for index in range(self.count):
            practice_id = f"od{index:02d}"
            if index == 0:
                db = build_database(server, practice_id, extra_rows=add_families)
            else:
                db = _copy_template(server, practice_id)
            api = OpenDentalApiDouble(
                db.users.read_write, developer_key=self.keys[0], customer_key=self.keys[1]
            ).start()
            key = f"sk_test_fleet{practice_id}{secrets.token_hex(8)}"
            self.practices.append(FleetPractice(practice_id, db, api, key, ()))
        return [str(p["PatNum"]) for p in generated["patient"]]

    def _seed_stripe(self, practice_id: str, api_key: str, patients: list[str]) -> list[str]:
        """The practice's account and key, and its payments over paid automatic payouts."""
        ts = int(self.now.timestamp())
        builder = Builder(self.dataset, ts, tag=f"F{practice_id}")
        account = self.dataset.account(builder.new_id("acct"))
        self.dataset.keys[api_key] = KeyGrant(account.id)
        per_payout = self.payments_each // self.payouts_each
        keys: list[str] = []
        n = 0
        for p in range(self.payouts_each):
            arrival = ts - (self.payouts_each - p) * 3600
            count = per_payout if p < self.payouts_each - 1 else self.payments_each - n
            start = len(account.transactions)
            for _ in range(count):
                patient = patients[n % len(patients)]
                builder.payment(account, 2000 + (n * 37) % 9000, created=arrival - 2 * DAY,
                                charge_metadata={"pms_patient_id": patient})  # fmt: skip
                keys.append(account.transactions[-1]["id"])
                n += 1
            builder.payout(account, account.transactions[start:], arrival=arrival)
        return keys

    def _fill_inbox(self, practice_id: str) -> list[scenario.EraFile]:
        inbox = self.era_inbox(practice_id)
        inbox.mkdir(parents=True, exist_ok=True)
        (self.work_dir / "era" / practice_id / "work").mkdir(parents=True, exist_ok=True)
        files = scenario.opendental_eras(self.today)
        base = self.now.timestamp() - 3600
        for index, era in enumerate(files):
            path = inbox / era.name
            path.write_bytes(era.content)
            os.utime(path, (base + index * 60, base + index * 60))  # arrival order
        return files

    def _write_secrets(self, practice: FleetPractice) -> None:
        values = {
            "od-developer-key": self.keys[0],
            "od-customer-key": self.keys[1],
            "odbc": practice.db.users.read_only,
            "stripe-key": practice.stripe_key,
        }
        for what, value in values.items():
            path = self.work_dir / "secrets" / f"{practice.id}-{what}"
            path.write_text(value + "\n", encoding="utf-8")
            path.chmod(0o600)

    # -- configuration ----------------------------------------------------------------------
    def era_inbox(self, practice_id: str) -> Path:
        """The practice's ERA inbox folder."""
        return self.work_dir / "era" / practice_id / "inbox"

    def config_document(
        self, *, state_url: str, practice: dict[str, Any] | None = None, **top: Any
    ) -> dict[str, Any]:
        """The configuration as data: ``practice`` is merged over every practice's section
        (e.g. shorter ``poll_every``); ``top`` adds or replaces top-level sections."""
        paths = _Paths(self.work_dir, None)
        assert self.stripe is not None
        sections = []
        for fp in self.practices:
            spec = PracticeSpec(fp.id, "opendental", f"Fleet practice {fp.id}", era=self.era)
            urls = {"stripe": self.stripe.url, "opendental_api": fp.api.base_url}
            sections.append(practice_section(spec, paths, urls, practice or {}))
        return {
            "state": {"url": state_url},
            "logging": {"format": "json", "level": "info"},
            **top,
            "practices": sections,
        }

    def write_config(self, path: Path, **kwargs: Any) -> Path:
        """Write :meth:`config_document` (same arguments) to ``path`` (mode 600)."""
        text = yaml.safe_dump(self.config_document(**kwargs), sort_keys=False)
        path.write_text(text, encoding="utf-8")
        path.chmod(0o600)
        return path

    # -- reading back -----------------------------------------------------------------------
    def markers(self, practice: FleetPractice) -> dict[str, Counter[str]]:
        """Per kind (``payment``, ``claimpayment``): how many rows carry each item key."""
        found: dict[str, Counter[str]] = {"payment": Counter(), "claimpayment": Counter()}
        queries = {
            "payment": "SELECT PayNote FROM payment WHERE PayNote LIKE '%[connector %'",
            "claimpayment": "SELECT Note FROM claimpayment WHERE Note LIKE '%[connector %'",
        }
        for kind, sql in queries.items():
            for (note,) in practice.db.rows(sql):
                for key in MARKER.findall(str(note)):
                    found[kind][key] += 1
        return found


def _history(count: int, patients: list[od_seed.Row]) -> list[od_seed.Row]:
    """``count`` earlier payments over the generated patients, with front-desk notes."""
    rows = []
    day = dt.date(2019, 1, 2)
    for n in range(count):
        rows.append({
            "PayNum": HISTORY_FIRST_PAYNUM + n, "PayType": od_seed.Ids.PAY_CHECK,
            "PayDate": day + dt.timedelta(days=n % 2000), "PayAmt": Decimal(25 + n % 300),
            "CheckNum": str(4000 + n), "PatNum": patients[n % len(patients)]["PatNum"],
            "DateEntry": day + dt.timedelta(days=n % 2000),
            "PayNote": f"Paid at front desk, receipt {n:06d}",
        })  # fmt: skip
    return rows


def _copy_template(server: MariaDBServer, name: str) -> OpenDentalDb:
    """A new practice database (with its users) holding a copy of the template's rows."""
    users = server.create_database(name)
    conn = pyodbc.connect(server.admin_connection_string(), autocommit=True)
    try:
        cur = conn.cursor()
        cur.execute(f"USE `{name}`")
        for statement in od_seed.schema_statements():
            cur.execute(statement)
        for table in od_seed.TABLES:
            copy = f"INSERT INTO {table} SELECT * FROM {TEMPLATE}.{table}"  # noqa: S608 - table names are our constants
            cur.execute(copy)
    finally:
        conn.close()
    return OpenDentalDb(server, users)
