"""The world the reliability tests break: the sandbox environment plus the real daemon.

:class:`World` wraps a :class:`~workshop.sandbox.environment.SandboxEnvironment` with two
practices — ``riverside`` on Open Dental (MariaDB + the API double; ERAs from a folder or from
the real sshd) and ``hilltop`` on the emulated Eaglesoft database — and runs ``connector`` as a
subprocess, one log file per run (kept for the PHI/secret scan). :meth:`World.reset` puts the
PMS data, the state store and the ERA inboxes back to the start; :meth:`World.snapshot` reads
what every ledger and the store hold, in a form two runs can be compared by.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyodbc
import yaml

from adapters.eaglesoft.mapping import has_marker
from connector.posting.planner import NEVER_WRITTEN
from tests.reliability import eras
from tests.support.logscan import Needles, seeded_needles
from tests.support.paths import REPO
from tests.support.sshd import SshdServer
from workshop.sandbox.environment import PracticeSpec, SandboxEnvironment

OD, ES = "riverside", "hilltop"
PRACTICES = (
    PracticeSpec(OD, "opendental", "Riverside Family Dental"),
    PracticeSpec(ES, "eaglesoft", "Hilltop Smiles", auto_post={"payment_type": "Insurance EFT"}),
)
_NEVER_WRITTEN = frozenset(kind.value for kind in NEVER_WRITTEN)
_MARKER = re.compile(r"\[connector (?:auto )?([^\]\s]+)\]")
FAST_POSTING = {"poll_every": "1s", "retry_backoff": "1s", "retry_backoff_max": "2s",
                "max_attempts": 50}  # fmt: skip


@dataclass(frozen=True)
class Run:
    """One daemon process that ended: its exit status and where its output went."""

    returncode: int
    stdout: str
    log: Path

    @property
    def killed(self) -> bool:
        """True when the process died by SIGKILL (a kill point fired)."""
        return self.returncode == -signal.SIGKILL


class World:
    """The sandbox environment, a config for it, and helpers to run and inspect the daemon.

    Args:
        env: a started environment with :data:`PRACTICES`.
        root: a folder for this world's config, logs and snapshots.
        es_seed: a copy of the Eaglesoft database as seeded (taken before any run).
        sftp: when given, riverside's ERAs come from this sshd instead of a folder.
    """

    def __init__(self, env: SandboxEnvironment, root: Path, es_seed: Path,
                 sftp: SshdServer | None = None) -> None:  # fmt: skip
        self.env = env
        self.root = root
        self.logs = root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.sftp = sftp
        self.remote = sftp.folder(f"reliability-{root.name}") if sftp else None
        self.es_db = eaglesoft_file(env)
        self.es_snapshot = es_seed
        self.config_path = root / "connector.yaml"
        self.extra_od_files: list[tuple[str, bytes]] = []  # dropped with the standard ERAs
        self.runs = 0
        self.write_config()

    # -- configuration ------------------------------------------------------------------------
    def write_config(
        self,
        *,
        sftp_port: int | None = None,
        posting: dict[str, Any] | None = None,
        stripe: dict[str, Any] | None = None,
        es_busy_ms: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> Path:
        """The sandbox's configuration with JSON debug logs, quick retries and our inboxes
        (``es_busy_ms``: how long the Eaglesoft ODBC driver waits on a locked database)."""
        doc = self.env.config_document(overrides={ES: {"era": {"enabled": True}}})
        doc["logging"] = {"format": "json", "level": "debug"}
        doc["posting"] = {**FAST_POSTING, **(posting or {})}
        for practice in doc["practices"]:
            practice["payments"]["poll_every"] = "2s"
            practice["payments"]["stripe"].update(stripe or {})
            era = practice.get("era")
            if era is None:
                practice["era"] = era = _era_section(self.env, practice["id"])
            era["poll_every"] = "2s"
            if practice["id"] == OD and self.sftp is not None:
                era["inbox"] = {"sftp": self._sftp_section(sftp_port or self.sftp.port)}
            if practice["id"] == ES and es_busy_ms is not None:
                secret = self.env.secrets_dir / f"{ES}-odbc-busy"
                text = re.sub(r"Timeout=\d+", f"Timeout={es_busy_ms}",
                              self.env.connection_strings["eaglesoft"])  # fmt: skip
                secret.write_text(text + "\n", encoding="utf-8")
                secret.chmod(0o600)
                practice["pms"]["odbc"]["connection_string"] = {"file": str(secret)}
        doc.update(extra or {})
        self.config_path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        self.config_path.chmod(0o600)
        return self.config_path

    def _sftp_section(self, port: int) -> dict[str, Any]:
        assert self.sftp is not None and self.remote is not None
        user = self.env.secrets_dir / f"{OD}-sftp-user"
        user.write_text(self.sftp.username + "\n", encoding="utf-8")
        user.chmod(0o600)
        return {
            "host": "127.0.0.1", "port": port, "path": str(self.remote),
            "username": {"file": str(user)}, "private_key_file": str(self.sftp.client_key),
            "host_key_fingerprint": self.sftp.fingerprint(), "timeout": "5s",
            "local_dir": str(self.env.era_inbox(OD)),
        }  # fmt: skip

    # -- running ------------------------------------------------------------------------------
    def _env(self, kill_at: str | None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k != "CONNECTOR_KILL_AT"}
        if kill_at:
            env["CONNECTOR_KILL_AT"] = kill_at
        return env

    def run(self, *args: str, kill_at: str | None = None, timeout: float = 120) -> Run:
        """``connector --config … <args>`` (default ``run --once``) until it exits."""
        self.runs += 1
        log = self.logs / f"run-{self.runs:03d}.log"
        command = [sys.executable, "-m", "connector.cli", "--config", str(self.config_path),
                   *(args or ("run", "--once"))]  # fmt: skip
        with log.open("w", encoding="utf-8") as err:
            done = subprocess.run(command, cwd=REPO, env=self._env(kill_at), stdout=subprocess.PIPE,
                                  stderr=err, text=True, timeout=timeout, check=False)  # fmt: skip
        return Run(done.returncode, done.stdout, log)

    def start(self, *args: str) -> tuple[subprocess.Popen[str], Path]:
        """Start ``connector run`` (forever) in the background; the caller stops it."""
        self.runs += 1
        log = self.logs / f"run-{self.runs:03d}.log"
        command = [sys.executable, "-m", "connector.cli", "--config", str(self.config_path),
                   *(args or ("run",))]  # fmt: skip
        with log.open("w", encoding="utf-8") as err:
            proc = subprocess.Popen(command, cwd=REPO, env=self._env(None),
                                    stdout=subprocess.DEVNULL, stderr=err, text=True)  # fmt: skip
        return proc, log

    def settle(self, *, runs: int = 6) -> list[Run]:
        """Clean ``run --once`` cycles until one has nothing left to do (at most ``runs``)."""
        done: list[Run] = []
        for _ in range(runs):
            result = self.run()
            done.append(result)
            if result.returncode == 0 and not self.open_items():
                break
            time.sleep(1)  # failed items wait out their (short) retry backoff
        return done

    # -- resetting ----------------------------------------------------------------------------
    def reset(self) -> None:
        """Seeded PMS data, no state store, the test ERAs waiting in each inbox."""
        assert self.env.od_db is not None
        self.env.od_db.reset()
        shutil.copy2(self.es_snapshot, self.es_db)
        work = Path(self.env.work_dir)
        for name in ("state.db", "state.db-wal", "state.db-shm"):
            (work / name).unlink(missing_ok=True)
        for practice, files in self.era_files().items():
            folder = work / "era" / practice
            shutil.rmtree(folder, ignore_errors=True)
            (folder / "work").mkdir(parents=True)
            self.env.era_inbox(practice).mkdir(parents=True)
            target = self.remote if practice == OD and self.remote is not None else (
                self.env.era_inbox(practice))  # fmt: skip
            if target == self.remote:
                shutil.rmtree(target)
                target.mkdir()
            for name, content in files:
                (target / name).write_bytes(content)

    def era_files(self) -> dict[str, list[tuple[str, bytes]]]:
        """The files each practice's inbox starts with."""
        return {OD: [*self.extra_od_files, *eras.opendental_files(self.env.today)],
                ES: eras.eaglesoft_files(self.env.today)}  # fmt: skip

    # -- reading ------------------------------------------------------------------------------
    def items(self) -> dict[tuple[str, str], str]:
        """``{(practice, key): status}`` from the state store."""
        rows = self.store_rows("SELECT practice_id, key, status FROM items")
        return {(p, k): s for p, k, s in rows}

    def store_rows(self, sql: str) -> list[Any]:
        """Rows from the state store, read-only; none while the daemon has not created it yet
        (the file or its tables may not exist at the very start of a run)."""
        path = Path(self.env.work_dir) / "state.db"
        if not path.exists():
            return []
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            return conn.execute(sql).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []
            raise
        finally:
            conn.close()

    def cursors(self) -> dict[tuple[str, str], str]:
        """``{(practice, source): cursor JSON}`` from the state store."""
        rows = self.store_rows("SELECT practice_id, source, value FROM cursors")
        return {(p, s): v for p, s, v in rows}

    def open_items(self) -> list[tuple[str, str]]:
        """Items still waiting to be posted (received or failed)."""
        return [k for k, s in self.items().items() if s in ("received", "failed")]

    def od_rows(self, sql: str, *params: Any) -> list[Any]:
        """Rows from the Open Dental database, read as root."""
        assert self.env.od_db is not None
        return self.env.od_db.rows(sql, *params)

    def od_execute(self, sql: str) -> None:
        """Run one statement as root on the Open Dental server (e.g. ``SET GLOBAL …``)."""
        assert self.env.od_db is not None
        conn = self.env.od_db.admin()
        try:
            conn.cursor().execute(sql)
        finally:
            conn.close()

    def es_rows(self, sql: str, *params: Any) -> list[Any]:
        """Rows from the emulated Eaglesoft database (its own SQLite file, read-only)."""
        conn = sqlite3.connect(f"file:{self.es_db}?mode=ro", uri=True)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def snapshot(self) -> dict[str, Any]:
        """What the store and both ledgers hold, comparable between worlds (no row ids)."""
        money = _money
        return {
            "items": self.items(),
            "od_payments": Counter((money(a), n) for a, n in self.od_rows(
                "SELECT PayAmt, PayNote FROM payment WHERE PayNote LIKE '%[connector%'")),
            "od_checks": Counter((money(a), n) for a, n in self.od_rows(
                "SELECT CheckAmt, Note FROM claimpayment WHERE Note LIKE '%[connector%'")),
            "od_notes": Counter(n for (n,) in self.od_rows(
                "SELECT Note FROM commlog WHERE Note LIKE '%[connector%'")),
            "od_claimprocs": Counter(
                (c, p, s, money(i), money(w), money(d), pay > 0) for c, p, s, i, w, d, pay in
                self.od_rows("SELECT ClaimNum, ProcNum, Status, InsPayAmt, WriteOff, DedApplied,"
                             " ClaimPaymentNum FROM claimproc")),
            "od_claims": Counter((c, s, str(r)) for c, s, r in self.od_rows(
                "SELECT ClaimNum, ClaimStatus, DateReceived FROM claim")),
            "es_headers": Counter((t, money(a), d, c, s) for t, a, d, c, s in self.es_rows(
                "SELECT type, amount, description, claim_id, status FROM transactions_header"
                " WHERE description LIKE '_X:%'")),
            "es_bulk": Counter((money(a), d) for a, d in self.es_rows(
                "SELECT amount, description FROM bulk_payments")),
            "es_balances": sorted(tuple(money(v) if i else v for i, v in enumerate(row))
                                  for row in self.es_rows(
                "SELECT patient_id, current_bal, prim_total_paid, sec_total_paid,"
                " prim_remaining_deductible, sec_remaining_deductible FROM patient")),
            "es_services": sorted((t, money(p), money(s)) for t, p, s in self.es_rows(
                "SELECT tran_num, paid_primary, paid_secondary FROM transactions_header"
                " WHERE type = 'S'")),
        }  # fmt: skip

    def half_written(self) -> list[str]:
        """Every violation of "no half-written entry" in both ledgers (empty when whole)."""
        problems = []
        for pay_num, amount, splits in self.od_rows(
            "SELECT p.PayNum, p.PayAmt, COALESCE(SUM(s.SplitAmt), 0) FROM payment p"
            " LEFT JOIN paysplit s ON s.PayNum = p.PayNum GROUP BY p.PayNum, p.PayAmt"
        ):
            if _money(amount) != _money(splits):
                problems.append(f"OD payment {pay_num}: PayAmt {amount} but splits sum {splits}")
        for num, amount, attached, partial in self.od_rows(
            "SELECT c.ClaimPaymentNum, c.CheckAmt, COALESCE(SUM(p.InsPayAmt), 0),"
            " c.IsPartial AND LOCATE('[connector check ', c.Note) > 0"
            " FROM claimpayment c LEFT JOIN claimproc p ON p.ClaimPaymentNum = c.ClaimPaymentNum"
            " GROUP BY c.ClaimPaymentNum, c.CheckAmt"
        ):
            # a remittance's one check holds the remittance total (BPR02) and is marked partial
            # while claims of it are in review or PLB money is withheld: not half written
            if _money(amount) != _money(attached) and not partial:
                problems.append(f"OD claim payment {num}: CheckAmt {amount}, claimprocs {attached}")
        for (num,) in self.od_rows(
            "SELECT ClaimProcNum FROM claimproc WHERE Status IN (1, 4) AND ClaimPaymentNum = 0"
        ):
            problems.append(f"OD claimproc {num} received without its claim payment")
        for tran, amount, details in self.es_rows(
            "SELECT h.tran_num, h.amount, COALESCE(SUM(d.amount), 0) FROM transactions_header h"
            " LEFT JOIN transactions_detail d ON d.tran_num = h.tran_num"
            " WHERE h.description LIKE '_X:%' GROUP BY h.tran_num, h.amount"
        ):
            if _money(amount) != _money(details):
                problems.append(f"ES transaction {tran}: amount {amount}, details {details}")
        return problems

    def duplicates(self) -> list[str]:
        """Every external key written more than once to one kind of PMS row."""
        found = []
        for table, rows in (
            ("payment", self.od_rows("SELECT PayNote FROM payment")),
            ("claimpayment", self.od_rows("SELECT Note FROM claimpayment")),
            ("commlog", self.od_rows("SELECT Note FROM commlog")),
        ):
            keys = Counter(m.group(1) for (note,) in rows for m in _MARKER.finditer(note or ""))
            found += [f"OD {table}: {key} x{n}" for key, n in keys.items() if n > 1]
        headers = Counter(
            self.es_rows(
                "SELECT type, description FROM transactions_header WHERE description LIKE '_X:%'"
            )
        )
        found += [f"ES {t} {d!r} x{n}" for (t, d), n in headers.items() if n > 1]
        bulk = Counter(d for (d,) in self.es_rows("SELECT description FROM bulk_payments"))
        found += [f"ES bulk {d!r} x{n}" for d, n in bulk.items() if n > 1]
        return found

    def unbalanced_with_store(self) -> list[str]:
        """Keys whose PMS entries disagree with the store: posted in the store but absent from
        the ledger (lost), or in the ledger but not posted in the store (written behind its
        back). Kinds that are never written (remittances, fees, notices) are left out."""
        store = self._store_rows()
        od_rows = (
            self.od_rows("SELECT PayNote FROM payment")
            + self.od_rows("SELECT Note FROM claimpayment")
            + self.od_rows(  # claims on a remittance's check:
                "SELECT Remarks FROM claimproc WHERE ClaimPaymentNum > 0"
            )
        )  # marker in Remarks
        in_od = {m.group(1) for (note,) in od_rows for m in _MARKER.finditer(note or "")}
        es_descriptions = [
            d
            for (d,) in self.es_rows(
                "SELECT description FROM transactions_header WHERE description LIKE '_X:%'"
            )
        ]
        problems = []
        for (practice, key), (kind, status) in store.items():
            if kind in _NEVER_WRITTEN:
                continue
            if practice == OD:
                written = key in in_od
            else:
                written = any(has_marker(d, key) for d in es_descriptions)
            if written != (status == "posted"):
                problems.append(f"{practice} {key} ({kind}): {status} in the store, "
                                f"{'in' if written else 'not in'} the PMS")  # fmt: skip
        return problems

    def differences(self, reference: dict[str, Any]) -> list[str]:
        """Items whose final status differs from a clean run, except those the netting rule
        explains (a payment whose reversal came while it was waiting: both go to one review)."""
        reviews = self._review_reasons()
        netted_away = self._netted_away()
        store = self._store_rows()
        netted_keys = netted_away | {k for k, why in reviews.items() if why == "reversal_netted"}
        # a payout holding a netted item is not settled, so it gets no deposit (docs/posting.md)
        unsettled_payouts = {
            (p, g) for (p, k), g in self._groups().items() if (p, k) in netted_keys
        }
        problems = []
        for key, expected in reference["items"].items():
            _kind, status = store.get(key, ("?", "missing"))
            if status == expected:
                continue
            netted = (status == "ignored" and key in netted_away) or (
                status == "review" and reviews.get(key) == "reversal_netted"
            )
            no_deposit = status == "missing" and key[1].startswith("deposit:") and (
                (key[0], key[1].removeprefix("deposit:")) in unsettled_payouts)  # fmt: skip
            if not netted and not no_deposit:
                problems.append(f"{key}: {status} (clean run: {expected})")
        return problems

    def _groups(self) -> dict[tuple[str, str], str]:
        rows = self.store_rows("SELECT practice_id, key, group_key FROM items")
        return {(p, k): g for p, k, g in rows if g}

    def _store_rows(self) -> dict[tuple[str, str], tuple[str, str]]:
        rows = self.store_rows("SELECT practice_id, key, kind, status FROM items")
        return {(p, k): (kind, s) for p, k, kind, s in rows}

    def _netted_away(self) -> set[tuple[str, str]]:
        """Items the netting rule closed into another item's review."""
        rows = self.store_rows(
            "SELECT i.practice_id, i.key FROM history h JOIN items i ON i.id = h.item_id"
            " WHERE h.event = 'item.ignored' AND h.detail LIKE '%netted into review%'"
        )
        return {(p, k) for p, k in rows}

    def _review_reasons(self) -> dict[tuple[str, str], str]:
        rows = self.store_rows(
            "SELECT i.practice_id, i.key, r.reason FROM reviews r JOIN items i"
            " ON i.id = r.item_id")  # fmt: skip
        return {(p, k): reason for p, k, reason in rows}

    def needles(self) -> Needles:
        """Everything the logs must not contain: seeded PHI, the ERAs' ids, every secret."""
        needles = seeded_needles()
        needles.add_values(*eras.MEMBER_IDS)
        needles.add_names(*eras.BULK_NAMES)
        for secret in self.env.secrets_dir.iterdir():
            needles.add_secrets(secret.read_text(encoding="utf-8"))
        mariadb = self.env.mariadb
        assert mariadb is not None
        needles.add_secrets(mariadb.root_password, *self.env.connection_strings.values())
        if self.sftp is not None and self.sftp.password:
            needles.add_secrets(self.sftp.password)
        return needles

    def log_events(self) -> list[dict[str, Any]]:
        """Every JSON log line the daemon wrote in this world, parsed (other lines skipped)."""
        events = []
        for path in self.log_files():
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.startswith("{"):
                    with contextlib.suppress(ValueError):
                        events.append(json.loads(line))
        return events

    def log_files(self) -> list[Path]:
        """Every log file the daemon wrote in this world."""
        return sorted(self.logs.glob("*.log"))


def eaglesoft_file(env: SandboxEnvironment) -> Path:
    """The emulated Eaglesoft database file of the environment."""
    return Path(env.work_dir) / "eaglesoft" / "eaglesoft.db"


def _era_section(env: SandboxEnvironment, practice_id: str) -> dict[str, Any]:
    folder = Path(env.work_dir) / "era" / practice_id
    return {
        "enabled": True,
        "inbox": {"folder": {"path": str(folder / "inbox"), "stable_for": "0s"}},
        "work_dir": str(folder / "work"),
        "auto_post": {"enabled": True, "min_paid_percent_of_expected": 75,
                      "post_contracted_writeoffs": True, "payment_type": "Insurance EFT"},
    }  # fmt: skip


def _money(value: Any) -> str:
    return f"{Decimal(str(value)).quantize(Decimal('0.01'))}"


def open_dental_connection_ids(world: World) -> list[int]:
    """MariaDB connection ids of the connector's and the API double's users."""
    assert world.env.od_db is not None
    users = world.env.od_db.users
    rows = world.od_rows(
        "SELECT ID FROM information_schema.PROCESSLIST WHERE USER IN (?, ?)",
        users.read_only_user,
        users.read_write_user,
    )
    return [int(r[0]) for r in rows]


def kill_connections(world: World) -> int:
    """``KILL`` every connection of the connector's and the double's users; how many."""
    assert world.env.od_db is not None
    killed = 0
    conn = world.env.od_db.admin()
    try:
        for conn_id in open_dental_connection_ids(world):
            try:
                conn.cursor().execute(f"KILL {int(conn_id)}")
                killed += 1
            except pyodbc.Error:
                continue  # it ended by itself meanwhile
    finally:
        conn.close()
    return killed
