"""The demo: start the sandbox for ``config/demo.yaml``, run the daemon twice, tell the story.

:func:`run_demo` is what ``python -m workshop demo`` (``make demo``) runs. The sandbox's Stripe and
Open Dental API ports are read from the configuration (so the file stays the single source);
its work folder (``demo-state/``) is emptied first. The first cycle records and posts; the
second must find nothing new and post nothing (exactly once). The result is checked: every
job ran, nothing failed, payouts and remittances add up, and each practice's review queue holds
the reasons the scenario leads to. The daemon's own log goes to ``<work>/connector.log``.
"""

from __future__ import annotations

import shutil
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from connector.clock import SYSTEM, Clock
from connector.config import LoadedConfig, load_config
from connector.daemon import Daemon, JobOutcome
from connector.errors import ConfigError
from connector.logging import configure_logging
from connector.redaction import Redactor
from connector.store import StateStore, open_store
from workshop.sandbox.environment import DEMO_PORTS, Ports, PracticeSpec, SandboxEnvironment
from workshop.sandbox.scenario import EXPECTED_REVIEWS
from workshop.sandbox.story import practice_story

MARKER = ".connector-demo"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@dataclass
class DemoResult:
    """What the demo found: the story lines and any problem (empty = ran as expected)."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def sandbox_for(
    config: LoadedConfig, work_dir: Path, mariadb_port: int, clock: Clock = SYSTEM
) -> SandboxEnvironment:
    """A sandbox whose practices and ports are the ones ``config`` names, its data at ``clock``."""
    specs: list[PracticeSpec] = []
    stripe_port = od_port = 0
    for practice in config.settings.practices:
        payments = practice.payments
        if payments is None:
            raise ConfigError(f"practice {practice.id}: the demo needs a payments section")
        if payments.stripe.api_base is not None:
            stripe_port = urlsplit(str(payments.stripe.api_base)).port or 0
        if practice.pms.vendor == "opendental":
            od_port = urlsplit(str(practice.pms.api.base_url)).port or 0
        specs.append(
            PracticeSpec(
                practice.id,
                practice.pms.vendor,
                practice.name or practice.id,
                connect_account=payments.stripe.account,
                era=practice.era is not None,
            )
        )
    return SandboxEnvironment(
        work_dir, practices=specs, ports=Ports(mariadb_port, od_port, stripe_port), clock=clock
    )


def fresh_folder(work_dir: Path) -> None:
    """Empty the demo's work folder; refuse a folder the demo did not create."""
    if work_dir.exists():
        if not (work_dir / MARKER).exists() and any(work_dir.iterdir()):
            raise ConfigError(
                f"{work_dir} exists and was not made by the demo; remove it or pick another one"
            )
        shutil.rmtree(work_dir)
    work_dir.mkdir(parents=True)
    (work_dir / MARKER).write_text("made by python -m workshop demo; emptied on every run\n")


def config_in(config_path: Path, config: LoadedConfig, env: SandboxEnvironment) -> Path:
    """The configuration the daemon runs with in ``env``'s work folder.

    ``config_path`` itself when its state store lies in that folder (``config/demo.yaml`` and
    ``demo-state/``); otherwise the one the sandbox wrote there (``<work>/connector.yaml``:
    the same practices, ports and settings, with the paths of that folder), so
    ``--work-dir DIR`` works although ``config/demo.yaml`` names ``demo-state/``.
    """
    url = config.settings.state.url
    if url.startswith("sqlite:///"):
        state = Path(url.removeprefix("sqlite:///")).resolve()
        if state.parent == env.work_dir.resolve():
            return config_path
    return env.config_path


def run_demo(
    config_path: Path,
    work_dir: Path,
    *,
    out: TextIO,
    mariadb_port: int = DEMO_PORTS.mariadb,
    keep_running: Callable[[SandboxEnvironment, Path], None] | None = None,
    clock: Clock = SYSTEM,
) -> DemoResult:
    """Start the sandbox, run two daemon cycles, print and check the story.

    Raises:
        ConfigError: the configuration is invalid or the work folder is not the demo's.
    """
    fresh_folder(work_dir)
    unresolved = load_config(config_path, resolve_secrets=False)
    env = sandbox_for(unresolved, work_dir, mariadb_port, clock)
    result = DemoResult()
    with env:
        config_path = config_in(config_path, unresolved, env)
        config = load_config(config_path)
        redactor = Redactor(config.secret_values())
        with (work_dir / "connector.log").open("a", encoding="utf-8") as log:
            configure_logging(redactor=redactor, fmt="json", stream=log)
            store = open_store(config.settings.state.url, clock=clock)
            try:
                daemon = Daemon(config, store, redactor, clock=clock)
                first = daemon.run_once()
                second = daemon.run_once()
                _check_runs(first, second, result)
                for practice in config.settings.practices:
                    story = practice_story(
                        store,
                        practice,
                        pending=_pending(env, practice.id),
                        check_total=_check_total(env)
                        if practice.pms.vendor == "opendental"
                        else None,
                    )
                    result.lines += [*story.lines, ""]
                    result.problems += story.problems
                    _check_reviews(store, practice.id, practice.pms.vendor, result)
            finally:
                store.close()
        _print(result, first, second, out)
        if keep_running is not None:
            keep_running(env, config_path)
    return result


def _check_runs(first: list[JobOutcome], second: list[JobOutcome], result: DemoResult) -> None:
    for outcome in [*first, *second]:
        if not outcome.ok:
            result.problems.append(f"{outcome.practice_id} {outcome.job} failed ({outcome.code})")
    for outcome in second:
        summary = outcome.summary or {}
        again = {
            k: v
            for k, v in summary.items()
            if k in ("items_new", "posted", "claims", "files", "review") and v
        }
        if again:
            result.problems.append(
                f"{outcome.practice_id} {outcome.job}: the second cycle did new work {again}"
            )


def _check_reviews(store: StateStore, practice_id: str, vendor: str, result: DemoResult) -> None:
    reasons = {r.reason for r in store.list_reviews(practice_id)}
    missing = EXPECTED_REVIEWS.get(vendor, set()) - reasons
    if missing:
        result.problems.append(f"{practice_id}: expected review reasons missing: {sorted(missing)}")


def _pending(env: SandboxEnvironment, practice_id: str) -> list[tuple[str, Decimal]]:
    account = env.stripe_dataset.accounts[env.stripe_account_id(practice_id)]
    return [
        (p["id"], Decimal(p["amount"]) / 100)
        for p in account.payouts
        if p["status"] == "in_transit"
    ]


def _check_total(env: SandboxEnvironment) -> Callable[[str], Decimal | None]:
    def total(trace: str) -> Decimal | None:
        if env.od_db is None:
            return None
        # the insurance money on the checks numbered ``trace``: one check per remittance holds
        # the remittance total (BPR02) as CheckAmt, so compare what is attached to it
        rows = env.od_db.rows(
            "SELECT SUM(p.InsPayAmt) FROM claimpayment c "
            "JOIN claimproc p ON p.ClaimPaymentNum = c.ClaimPaymentNum WHERE c.CheckNum = ?",
            trace,
        )
        value = rows[0][0] if rows else None
        return Decimal(str(value)).quantize(Decimal("0.01")) if value is not None else None

    return total


def _print(
    result: DemoResult, first: list[JobOutcome], second: list[JobOutcome], out: TextIO
) -> None:
    def line(text: str = "") -> None:
        out.write(text + "\n")

    line("The connector ran against the local sandbox: Stripe, an ERA inbox per practice, and")
    line("three practice systems (Open Dental on MariaDB through its API double, Dentrix G and")
    line("Eaglesoft emulated). Every name and number is invented.")
    line()
    line("First cycle:")
    for o in first:
        counts = ", ".join(f"{k} {v}" for k, v in (o.summary or {}).items() if v)
        line(f"  {o.practice_id:<10} {o.job:<8} {'ok' if o.ok else 'FAILED'}  {counts}")
    line()
    for text in result.lines:
        line(text)
    posted = sum((o.summary or {}).get("posted", 0) for o in second)
    new = sum((o.summary or {}).get("items_new", 0) for o in second)
    line(f"Second cycle: {new} new items from Stripe or ERA files, {posted} postings - the")
    line("connector remembers what it has written, so running again duplicates nothing.")
    line()
    if result.problems:
        line("The demo did NOT end as expected:")
        for problem in result.problems:
            line(f"  - {problem}")
    else:
        line("Everything ended where the rules say. To explore: docs/demo.md.")
    line()
    line("To see it in the staff console: .venv/bin/python -m workshop demo --console")
    line("(runs the demo again, then prints the console's address and a one-time password).")


def wait_for_interrupt(
    env: SandboxEnvironment, out: TextIO, config: Path = Path("config/demo.yaml")
) -> None:
    """Keep the sandbox up until Ctrl-C, printing how to explore it with ``config``."""
    out.write(
        "\nThe sandbox keeps running (Ctrl-C stops it). From another terminal, in this folder:\n"
        f"  .venv/bin/connector run --once --config {config}\n"
        f"  .venv/bin/connector status --config {config}\n"
        f"  .venv/bin/connector review --config {config}\n"
        f"  .venv/bin/connector review show ID --config {config}\n"
        f"Stripe sandbox: {env.urls()['stripe']}\n"
        f"Open Dental API: {env.urls()['opendental_api']}\n"
    )
    out.flush()
    stop = threading.Event()
    # Ctrl-C, and also SIGTERM (`kill`), stop the sandbox cleanly: no server is left behind.
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in STOP_SIGNALS}
    try:
        while not stop.wait(3600):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    out.write("stopping the sandbox\n")
