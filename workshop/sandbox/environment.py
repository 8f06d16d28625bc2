"""A whole practice world on loopback: PMS databases, the Open Dental API, Stripe, ERA inboxes.

:class:`SandboxEnvironment` starts, from one work folder and on 127.0.0.1 only:

* a real MariaDB server with the Open Dental schema and seed, and the Open Dental API double
  writing to it (:mod:`workshop.sandbox.opendental_db`, :mod:`workshop.sandbox.opendental_api`);
* emulated Dentrix G and Eaglesoft databases (SQLite through the ODBC driver);
* the Stripe sandbox server with the demo data set, each practice's payments naming patients
  of its own PMS seed (one practice is a Connect account);
* ERA inbox folders holding the remittances of :mod:`workshop.sandbox.scenario`.

It writes every secret (keys, ODBC strings) as a file under ``<work>/secrets/`` and a connector
configuration for its practices (:meth:`write_config`). Tests, the demo (``make demo``)
and the fault tests use it; :meth:`stop_component` / :meth:`start_component` take one service
down and bring it back. Everything stops when the ``with`` block ends.

Layout of the work folder::

    state.db  connector.yaml  secrets/<practice>-<what>  mariadb/  dentrix/  eaglesoft/
    era/<practice>/inbox/  era/<practice>/work/
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

from adapters.base import Ledger
from connector.clock import SYSTEM, Clock
from connector.config import LoadedConfig, load_config
from connector.redaction import Redactor
from workshop.emulated.dentrix import seed as dentrix_seed
from workshop.emulated.eaglesoft import seed as eaglesoft_seed
from workshop.sandbox import scenario
from workshop.sandbox.mariadb import MariaDBServer
from workshop.sandbox.opendental_api import OpenDentalApiDouble
from workshop.sandbox.opendental_db import OpenDentalDb, build_database
from workshop.sandbox.stripe_data import DemoPractice, StripeDataset, demo_dataset
from workshop.sandbox.stripe_server import StripeSandbox

VENDORS = ("opendental", "dentrix", "eaglesoft")
COMPONENTS = ("mariadb", "opendental_api", "stripe")


@dataclass(frozen=True)
class Ports:
    """Loopback ports of the servers; 0 picks a free one."""

    mariadb: int = 0
    opendental_api: int = 0
    stripe: int = 0


DEMO_PORTS = Ports(mariadb=12113, opendental_api=12112, stripe=12111)
"""The fixed ports ``config/demo.yaml`` names."""


@dataclass(frozen=True)
class PracticeSpec:
    """One practice of the sandbox: its id, PMS, and how it reaches Stripe and ERAs.

    ``writeback`` and ``auto_post`` are merged over the defaults of :func:`practice_section`
    (e.g. ``{"patient_preferred": True}``).
    """

    id: str
    vendor: str
    name: str
    connect_account: str | None = None  # acct_… when the practice is on Stripe Connect
    era: bool = True
    writeback: dict[str, Any] = field(default_factory=dict)
    auto_post: dict[str, Any] = field(default_factory=dict)


DEMO_PRACTICES = (
    PracticeSpec("riverside", "opendental", "Riverside Family Dental"),
    PracticeSpec(
        "lakeside",
        "dentrix",
        "Lakeside Dental Care",
        connect_account="acct_1SandboxLakeside",
        writeback={"patient_preferred": True},
    ),
    PracticeSpec("hilltop", "eaglesoft", "Hilltop Smiles", era=False),
)
"""The demo's three practices (``config/demo.yaml``)."""

OD_DEVELOPER_KEY_BYTES = 8

StripeDataBuilder = Callable[[Sequence[DemoPractice], dt.datetime], StripeDataset]
"""Builds the Stripe data set from the practices (keys, accounts, patient ids) and "now"."""


def _demo_data(practices: Sequence[DemoPractice], now: dt.datetime) -> StripeDataset:
    return demo_dataset(practices, now=now)


class SandboxEnvironment:
    """Start the sandbox world in ``work_dir`` (see the module docstring).

    Args:
        work_dir: created if missing; must not hold an earlier environment's databases.
        practices: at most one practice per vendor.
        ports: fixed ports, or 0 for free ones (tests).
        today: the practice's "today" (the Dentrix/Eaglesoft seeds and ERA dates follow it).
        now: the Stripe data set's reference time (payouts arrived a day or two before it).
        stripe_data: builds the Stripe data set (default: ``stripe_data.demo_dataset``).
    """

    def __init__(
        self,
        work_dir: Path,
        *,
        practices: Sequence[PracticeSpec] = DEMO_PRACTICES,
        ports: Ports = Ports(),
        today: dt.date | None = None,
        now: dt.datetime | None = None,
        stripe_data: StripeDataBuilder | None = None,
        clock: Clock = SYSTEM,
    ) -> None:
        vendors = [p.vendor for p in practices]
        unknown = set(vendors) - set(VENDORS)
        if unknown or len(set(vendors)) != len(vendors):
            raise ValueError("practices: one per vendor, vendors from " + ", ".join(VENDORS))
        self.work_dir = Path(work_dir).resolve()
        self.practices = tuple(practices)
        self.ports = ports
        self.clock = clock
        self.now = now or clock.now()
        self.today = today or self.now.astimezone().date()  # the practices' local date
        self.secrets_dir = self.work_dir / "secrets"
        self.config_path = self.work_dir / "connector.yaml"
        self.state_url = f"sqlite:///{self.work_dir / 'state.db'}"
        self.mariadb: MariaDBServer | None = None
        self.od_db: OpenDentalDb | None = None
        self.od_api: OpenDentalApiDouble | None = None
        self.stripe: StripeSandbox | None = None
        self.stripe_dataset = StripeDataset()
        self.connection_strings: dict[str, str] = {}  # vendor → the connector's ODBC string
        self.stripe_keys: dict[str, str] = {}  # practice id → API key
        self.od_keys = (
            f"sbxDev{secrets.token_hex(OD_DEVELOPER_KEY_BYTES)}",
            f"sbxCust{secrets.token_hex(OD_DEVELOPER_KEY_BYTES)}",
        )
        self._stripe_builder = stripe_data or _demo_data
        self._started = False

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> SandboxEnvironment:
        """Start every component and write the secrets, inboxes and configuration."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.secrets_dir.mkdir(mode=0o700, exist_ok=True)
        self._started = True
        try:
            for spec in self.practices:
                getattr(self, f"_start_{spec.vendor}")(spec)
            self._start_stripe()
            self._fill_inboxes()
            self.write_config(self.config_path)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every server (the files stay in the work folder)."""
        if self.stripe is not None:
            self.stripe.stop()
            self.stripe = None
        if self.od_api is not None:
            self.od_api.close()
            self.od_api = None
        if self.mariadb is not None:
            self.mariadb.stop()
            self.mariadb = None
        self._started = False

    def __enter__(self) -> SandboxEnvironment:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- fault control ------------------------------------------------------------------------
    def stop_component(self, name: str) -> None:
        """Take one service down: ``mariadb`` (data kept), ``opendental_api`` or ``stripe``."""
        if name == "mariadb" and self.mariadb is not None:
            self.mariadb.stop(keep_data=True)
        elif name == "opendental_api" and self.od_api is not None:
            self.od_api.stop()
        elif name == "stripe" and self.stripe is not None:
            self.stripe.stop()
        elif name not in COMPONENTS:
            raise ValueError(f"unknown component {name!r}; expected one of {COMPONENTS}")

    def start_component(self, name: str) -> None:
        """Bring a stopped service back on the same port with the same data."""
        if name == "mariadb" and self.mariadb is not None:
            if not self.mariadb.running:
                self.mariadb.start()
        elif name == "opendental_api" and self.od_api is not None:
            if self.od_api._server is None:
                self.od_api.start()
        elif name == "stripe" and self.stripe is not None:
            port = int(self.stripe.url.rsplit(":", 1)[1])
            self.stripe = StripeSandbox(self.stripe_dataset, port=port).start()
        elif name not in COMPONENTS:
            raise ValueError(f"unknown component {name!r}; expected one of {COMPONENTS}")

    # -- the PMSs ---------------------------------------------------------------------------
    def _start_opendental(self, spec: PracticeSpec) -> None:
        server = MariaDBServer(self.work_dir / "mariadb", port=self.ports.mariadb)
        self.mariadb = server
        server.start()
        self.od_db = build_database(server)
        developer, customer = self.od_keys
        self.od_api = OpenDentalApiDouble(
            self.od_db.users.read_write,
            developer_key=developer,
            customer_key=customer,
            port=self.ports.opendental_api,
        ).start()
        self.connection_strings["opendental"] = self.od_db.users.read_only
        self._secret(spec, "od-developer-key", developer)
        self._secret(spec, "od-customer-key", customer)
        self._secret(spec, "odbc", self.od_db.users.read_only)

    def _start_dentrix(self, spec: PracticeSpec) -> None:
        conn = dentrix_seed.create_emulated_database(self.work_dir / "dentrix", today=self.today)
        self.connection_strings["dentrix"] = conn
        self._secret(spec, "odbc", conn)

    def _start_eaglesoft(self, spec: PracticeSpec) -> None:
        conn = eaglesoft_seed.create_emulated_database(
            self.work_dir / "eaglesoft", today=self.today
        )
        self.connection_strings["eaglesoft"] = conn
        self._secret(spec, "odbc", conn)
        self._secret(spec, "eaglesoft-signature", eaglesoft_seed.DEMO_AUTH[2])

    # -- Stripe and ERA -----------------------------------------------------------------------
    def _start_stripe(self) -> None:
        demo = []
        for spec in self.practices:
            key = f"sk_test_sbx{spec.id.replace('-', '')}{secrets.token_hex(8)}"
            self.stripe_keys[spec.id] = key
            self._secret(spec, "stripe-key", key)
            patients = scenario.STRIPE_PATIENTS[spec.vendor]
            demo.append(DemoPractice(spec.id, key, patients, account=spec.connect_account))
        self.stripe_dataset = self._stripe_builder(demo, self.now)
        self.stripe = StripeSandbox(self.stripe_dataset, port=self.ports.stripe).start()

    def _fill_inboxes(self) -> None:
        for spec in self.practices:
            if not spec.era:
                continue
            inbox = self.era_inbox(spec.id)
            inbox.mkdir(parents=True, exist_ok=True)
            (self.work_dir / "era" / spec.id / "work").mkdir(parents=True, exist_ok=True)
            builder = scenario.ERA_FILES.get(spec.vendor)
            files = builder(self.today) if builder else []
            base = self.now.timestamp() - 3600
            for index, era in enumerate(files):
                path = inbox / era.name
                path.write_bytes(era.content)
                stamp = base + index * 60  # arrival order = the order the inbox takes them in
                os.utime(path, (stamp, stamp))

    def era_inbox(self, practice_id: str) -> Path:
        """The practice's ERA inbox folder."""
        return self.work_dir / "era" / practice_id / "inbox"

    def era_files(self, practice_id: str) -> list[scenario.EraFile]:
        """The files the sandbox put in the practice's inbox (with their remittances)."""
        spec = self.practice(practice_id)
        builder = scenario.ERA_FILES.get(spec.vendor)
        return builder(self.today) if builder and spec.era else []

    def drop_era(self, practice_id: str, name: str, content: bytes) -> Path:
        """Put one more file in a practice's ERA inbox (tests)."""
        path = self.era_inbox(practice_id) / name
        path.write_bytes(content)
        return path

    # -- what tests read ----------------------------------------------------------------------
    def practice(self, practice_id: str) -> PracticeSpec:
        """The spec of one practice (KeyError when unknown)."""
        for spec in self.practices:
            if spec.id == practice_id:
                return spec
        raise KeyError(practice_id)

    def stripe_account_id(self, practice_id: str) -> str:
        """The Stripe account whose balance the practice's payouts come from."""
        spec = self.practice(practice_id)
        if spec.connect_account:
            return spec.connect_account
        return self.stripe_dataset.keys[self.stripe_keys[practice_id]].account

    def cleared_transactions(self, practice_id: str) -> list[dict[str, Any]]:
        """Balance transactions of the practice's paid automatic payouts (what the Stripe
        source must record, each exactly once), without the payouts' own debits."""
        account = self.stripe_dataset.accounts[self.stripe_account_id(practice_id)]
        paid = {p["id"] for p in account.payouts if p["status"] == "paid" and p["automatic"]}
        return [
            txn
            for txn in account.transactions
            if account.payout_of.get(txn["id"]) in paid and txn["type"] != "payout"
        ]

    def load_config(self, path: Path | None = None) -> LoadedConfig:
        """The generated (or another) configuration, loaded with its secrets."""
        return load_config(path or self.config_path)

    def ledger(self, practice_id: str) -> Ledger:
        """A fresh adapter of the practice's PMS, built from the configuration (close it)."""
        from adapters.registry import create_ledger  # noqa: PLC0415 - keeps imports light

        practice = self.load_config().settings.practice(practice_id)
        return create_ledger(
            practice.pms,
            practice_id=practice_id,
            redactor=Redactor(),
            clock=self.clock,
            timezone=practice.timezone,
        )

    # -- configuration ------------------------------------------------------------------------
    def _secret(self, spec: PracticeSpec, what: str, value: str) -> Path:
        path = self.secret_path(spec.id, what)
        path.write_text(value + "\n", encoding="utf-8")
        path.chmod(0o600)
        return path

    def secret_path(self, practice_id: str, what: str) -> Path:
        """Where one secret of one practice is written."""
        return self.secrets_dir / f"{practice_id}-{what}"

    def config_document(
        self,
        *,
        relative_to: Path | None = None,
        overrides: dict[str, dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """The configuration as data. ``relative_to``: write paths relative to that folder
        (``config/demo.yaml`` is this with the repository as base). ``overrides``: per practice
        id, sections merged over the generated ones (e.g. ``{"era": {"enabled": False}}``)."""
        paths = _Paths(self.work_dir, relative_to)
        urls = self.urls()
        practices = [
            practice_section(spec, paths, urls, (overrides or {}).get(spec.id, {}))
            for spec in self.practices
        ]
        return {
            "state": {"url": f"sqlite:///{paths.of(self.work_dir / 'state.db')}"},
            "logging": {"format": "auto", "level": "info"},
            "posting": {"poll_every": "1m", "batch_size": 200, "max_attempts": 8},
            "practices": practices,
        }

    def urls(self) -> dict[str, str]:
        """Base URLs of the running servers (or of the fixed ports before they start)."""
        stripe = self.stripe.url if self.stripe else f"http://127.0.0.1:{self.ports.stripe}"
        od = (
            self.od_api.base_url
            if self.od_api
            else (f"http://127.0.0.1:{self.ports.opendental_api}/api/v1")
        )
        return {"stripe": stripe, "opendental_api": od}

    def write_config(
        self,
        path: Path,
        *,
        overrides: dict[str, dict[str, Any]] | None = None,
        state_url: str | None = None,
    ) -> Path:
        """Write a configuration file for the sandbox (mode 600) and return its path."""
        doc = self.config_document(overrides=overrides)
        if state_url:
            doc["state"]["url"] = state_url
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        path.chmod(0o600)
        return path

    def reset_work(self) -> None:
        """Remove the state store and put the original ERA files back (PMS data untouched)."""
        for name in ("state.db", "state.db-wal", "state.db-shm"):
            (self.work_dir / name).unlink(missing_ok=True)
        for spec in self.practices:
            if spec.era:
                shutil.rmtree(self.work_dir / "era" / spec.id, ignore_errors=True)
        self._fill_inboxes()


@dataclass(frozen=True)
class _Paths:
    work: Path
    base: Path | None

    def of(self, path: Path) -> str:
        if self.base is None:
            return str(path)
        return os.path.relpath(path, self.base.resolve())

    def secret(self, practice_id: str, what: str) -> dict[str, str]:
        return {"file": self.of(self.work / "secrets" / f"{practice_id}-{what}")}


def practice_section(
    spec: PracticeSpec, paths: _Paths, urls: dict[str, str], override: dict[str, Any]
) -> dict[str, Any]:
    """One practice's YAML section with the sandbox's realistic settings."""
    section: dict[str, Any] = {
        "id": spec.id,
        "name": spec.name,
        "timezone": "America/Chicago",
        "pms": _pms_section(spec, paths, urls),
        "payments": _payments_section(spec, paths, urls),
    }
    if spec.era:
        section["era"] = _era_section(spec, paths)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(section.get(key), dict):
            section[key] = _merge(section[key], value)
        else:
            section[key] = value
    return section


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _pms_section(spec: PracticeSpec, paths: _Paths, urls: dict[str, str]) -> dict[str, Any]:
    odbc = {"connection_string": paths.secret(spec.id, "odbc"), "timeout": "15s"}
    if spec.vendor == "opendental":
        return {
            "vendor": "opendental",
            "api": {
                "base_url": urls["opendental_api"],
                "developer_key": paths.secret(spec.id, "od-developer-key"),
                "customer_key": paths.secret(spec.id, "od-customer-key"),
                "timeout": "20s",
            },
            "odbc": odbc,
        }
    if spec.vendor == "dentrix":
        return {"vendor": "dentrix", "odbc": odbc}
    company, application, _ = eaglesoft_seed.DEMO_AUTH
    return {
        "vendor": "eaglesoft",
        "odbc": odbc,
        "authentication": {
            "company": company,
            "application": application,
            "signature": paths.secret(spec.id, "eaglesoft-signature"),
        },
    }


_REFUND_TYPES = {"dentrix": "Refund", "eaglesoft": "Refund"}


def _payments_section(spec: PracticeSpec, paths: _Paths, urls: dict[str, str]) -> dict[str, Any]:
    stripe: dict[str, Any] = {"api_key": paths.secret(spec.id, "stripe-key")}
    if spec.connect_account:
        stripe["account"] = spec.connect_account
    stripe.update(
        {
            "api_base": urls["stripe"],
            "patient_id_metadata_key": "pms_patient_id",
            "lookback": "3d",
            "settle_delay": "0d",
            "requests_per_second": 20,
        }
    )
    writeback: dict[str, Any] = {
        "enabled": True,
        "allocation": "allocate_oldest_first",
        "patient_preferred": False,
        "payment_type": "Online Payment",
        "patient_notes": spec.vendor == "opendental",
    }
    if spec.vendor in _REFUND_TYPES:
        writeback["refund_adjustment_type"] = _REFUND_TYPES[spec.vendor]
    writeback.update(spec.writeback)
    return {"enabled": True, "poll_every": "5m", "stripe": stripe, "writeback": writeback}


def _era_section(spec: PracticeSpec, paths: _Paths) -> dict[str, Any]:
    folder = paths.work / "era" / spec.id
    auto_post: dict[str, Any] = {
        "enabled": True,
        "min_paid_percent_of_expected": 90,
        "post_contracted_writeoffs": True,
    }
    if spec.vendor == "opendental":
        auto_post.update(payment_type="EFT", payment_types_by_method={"ACH": "EFT", "CHK": "Check"})
    else:
        # Dentrix G publishes no insurance estimate: the adapter reports the fee as expected,
        # so the threshold is a share of the fee here.
        auto_post.update(min_paid_percent_of_expected=75, payment_type="Check")
    auto_post.update(spec.auto_post)
    return {
        "enabled": True,
        "poll_every": "15m",
        "inbox": {"folder": {"path": paths.of(folder / "inbox"), "stable_for": "0s"}},
        "work_dir": paths.of(folder / "work"),
        "auto_post": auto_post,
    }
