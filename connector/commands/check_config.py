"""``connector check-config [FILE]``: validate, then try to reach each practice's PMS and sources.

Every problem is reported, each failure classified so the admin knows what to do:
credentials refused (fix the key), unreachable (network / service down), not implemented.
"""

from __future__ import annotations

import argparse
import ssl
import threading
from typing import Any

from adapters.registry import create_ledger
from connector.commands.common import load
from connector.config import LoadedConfig, PracticeSettings
from connector.config.loader import iter_secrets
from connector.errors import (
    AuthError,
    ConfigError,
    ConnectorError,
    NotImplementedYet,
    SecretNotFound,
    TransientError,
)
from connector.jobs import PollContext
from connector.logging import get_logger
from connector.posting.checks import type_problems
from connector.posting.deposits import deposit_notice
from connector.posting.era_automation import automation_warnings
from connector.posting.era_office import EraChoices, office_settings
from connector.redaction import Redactor
from connector.sources.registry import build_sources


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``check-config`` command."""
    parser = sub.add_parser("check-config", help="validate the configuration and test connections")
    parser.add_argument("config_file", nargs="?", help="YAML file (default: --config)")
    parser.add_argument("--offline", action="store_true", help="validate only; connect to nothing")
    parser.set_defaults(handler=handle)


def classify(exc: BaseException) -> str:
    """Plain words for what kind of failure this is."""
    if isinstance(exc, AuthError):
        return "credentials refused"
    if isinstance(exc, TransientError):
        return "unreachable"
    if isinstance(exc, NotImplementedYet):
        return "not implemented in this build"
    if isinstance(exc, ConfigError):
        return "configuration problem"
    return "failed"


def handle(args: argparse.Namespace) -> int:
    """Validate (exit 2 on problems), then check connections (exit 1 when any fails).

    ``--offline`` validates the file only: a secret that cannot be read yet is listed as a note,
    not an error (the demo's secrets appear when its sandbox starts); ``connector run`` still
    refuses to start without them.
    """
    loaded = load(args, resolve_secrets=not args.offline)
    print(f"{loaded.path}: configuration is valid ({len(loaded.settings.practices)} practices)")
    for warning in loaded.warnings:
        print(f"warning: {warning}")
    if args.offline:
        for path, ref in iter_secrets(loaded.settings):
            try:
                ref.resolve()
            except SecretNotFound as exc:
                print(f"note: {path}: {exc.message} (needed when the connector starts)")
        return 0
    redactor = Redactor(loaded.secret_values())
    failed = 0
    for practice in loaded.settings.practices:
        for target, outcome in check_practice(practice, loaded, redactor):
            ok = outcome.startswith(("ok", "warning"))  # a warning does not fail the check
            failed += not ok
            print(f"{practice.id:<20} {target:<8} {redactor.scrub_text(outcome)}")
    for target, outcome in check_services(loaded):
        failed += not outcome.startswith("ok")
        print(f"{'(all practices)':<20} {target:<8} {redactor.scrub_text(outcome)}")
    return 1 if failed else 0


def check_services(loaded: LoadedConfig) -> list[tuple[str, str]]:
    """The console's TLS files and the alerts' mail server, when configured."""
    results = []
    tls = loaded.settings.console.tls
    if tls is not None:
        try:
            ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(
                tls.cert_file, tls.key_file
            )
            results.append(("console", f"ok: TLS certificate {tls.cert_file} loads"))
        except (OSError, ssl.SSLError) as exc:
            results.append(("console", f"FAILED: console.tls: {type(exc).__name__}: {exc}"))
    alerts = loaded.settings.alerts
    if alerts is not None and alerts.enabled:
        from connector.alerts.mailer import SmtpMailer  # noqa: PLC0415 - only with alerts

        try:
            results.append(("alerts", f"ok: {SmtpMailer(alerts.smtp).check()}"))
        except ConnectorError as exc:
            results.append(("alerts", _failure(exc, "alerts.smtp")))
    return results


def check_practice(
    practice: PracticeSettings, loaded: LoadedConfig, redactor: Redactor
) -> list[tuple[str, str]]:
    """``(target, outcome)`` for the PMS and each source of one practice."""
    results = []
    try:
        ledger = create_ledger(
            practice.pms, practice_id=practice.id, redactor=redactor, timezone=practice.timezone
        )
        try:
            info = ledger.ping()
            problems = type_problems(practice, ledger)
            books = deposit_notice(ledger, info.version) if practice.payments else None
            era_lines = (
                EraChoices(practice.era.auto_post, office_settings(ledger)).describe()
                if practice.era is not None and practice.era.enabled
                else []
            )
            warnings = automation_warnings(practice, ledger)
        finally:
            ledger.close()
        results.append(("pms", f"ok: {info.vendor} {info.version or ''}".rstrip()))
        for limit in info.detail.get("unavailable") or ():
            # not a failure: the connector posts what it can and sends the rest to review
            results.append(("features", f"ok, limited: {limit}"))
        results.extend(("era-set", f"ok: {line}") for line in era_lines)
        for problem in problems:
            results.append(("types", f"FAILED: configuration problem: {problem}"))
        if books is not None:
            results.append(("deposits", books))
        for warning in warnings:
            results.append(("era", f"warning: {warning}"))
    except ConnectorError as exc:
        results.append(("pms", _failure(exc, f"practices[{practice.id}].pms")))
    ctx = PollContext(
        practice=practice,
        store=_NoStore(),
        redactor=redactor,
        log=get_logger("connector.check"),
        stop=threading.Event(),
    )
    for source in build_sources(practice):
        check = getattr(source, "check", None)
        try:
            if check is None:
                source.poll  # noqa: B018 - placeholder sources raise on poll only
                raise NotImplementedYet(f"the {source.name} source cannot be checked in this build")
            results.append((source.name, f"ok: {check(ctx)}"))
        except ConnectorError as exc:
            results.append((source.name, _failure(exc, f"practices[{practice.id}].{source.name}")))
    return results


def _failure(exc: ConnectorError, where: str) -> str:
    hint = {
        "credentials refused": f"check the keys under {where}",
        "unreachable": "check the address, the network and that the service is running",
    }.get(classify(exc), "")
    text = f"FAILED: {classify(exc)} [{exc.code}]: {exc.message}"
    return f"{text} — {hint}" if hint else text


class _NoStore:
    """check-config never writes state; a source's check() must not need the store."""

    def __getattr__(self, name: str) -> Any:
        raise ConnectorError(f"check() must not use the state store ({name})")
