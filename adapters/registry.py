"""Pick an adapter by the ``vendor:`` name in the configuration; import it only when used."""

from __future__ import annotations

import importlib
from typing import Any

from adapters.base import Ledger
from connector.clock import SYSTEM, Clock
from connector.errors import ConfigError, NotImplementedYet
from connector.redaction import Redactor

_ADAPTERS = {
    "opendental": "adapters.opendental:OpenDentalLedger",
    "dentrix": "adapters.dentrix:DentrixLedger",
    "eaglesoft": "adapters.eaglesoft:EaglesoftLedger",
    "memory": "adapters.memory:MemoryLedger",
}


def vendors() -> list[str]:
    """Vendor names the registry knows."""
    return sorted(_ADAPTERS)


def create_ledger(
    settings: Any,
    *,
    practice_id: str,
    redactor: Redactor,
    clock: Clock = SYSTEM,
    timezone: str = "UTC",
) -> Ledger:
    """Build the adapter for a practice's ``pms`` settings.

    ``clock`` is the one source of "now" (the daemon's, a test's fixed one) and ``timezone``
    the practice's configured ``timezone:``: an adapter that stamps rows itself (Dentrix
    ``createdate``, Eaglesoft ``date_entered``) writes ``local_now(clock, timezone)``, never
    the machine's or the database server's wall clock.

    Raises:
        ConfigError: unknown vendor, or the vendor's driver package is not installed.
        NotImplementedYet: this build has no adapter for the vendor yet.
    """
    vendor = getattr(settings, "vendor", None)
    target = _ADAPTERS.get(str(vendor))
    if target is None:
        raise ConfigError(f"unknown PMS vendor {vendor!r}; expected one of {', '.join(vendors())}")
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and not exc.name.startswith("adapters"):
            raise ConfigError(
                f"the {vendor} adapter needs the Python package {exc.name!r}: "
                f"pip install {exc.name}"
            ) from exc
        raise NotImplementedYet(f"the {vendor} adapter is not implemented in this build") from exc
    factory = getattr(module, class_name, None)
    if factory is None:
        raise NotImplementedYet(f"the {vendor} adapter is not implemented in this build")
    ledger: Ledger = factory.from_settings(
        settings, practice_id=practice_id, redactor=redactor, clock=clock, timezone=timezone
    )
    return ledger
