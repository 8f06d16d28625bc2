"""Build each practice's sources from its configuration, importing them lazily."""

from __future__ import annotations

import importlib

from connector.config import PracticeSettings
from connector.errors import NotImplementedYet
from connector.jobs import PollContext, PollSource

_SOURCES = {
    "stripe": "connector.sources.stripe:StripeSource",
    "era": "connector.sources.era:EraSource",
}


class UnavailableSource:
    """Stands in for a source this build does not provide; every poll says so plainly."""

    def __init__(self, name: str, why: str) -> None:
        self.name = name
        self.why = why

    def poll(self, ctx: PollContext) -> dict[str, int]:
        """Raise :class:`NotImplementedYet` with the reason."""
        raise NotImplementedYet(self.why)


def build_sources(practice: PracticeSettings) -> list[PollSource]:
    """The enabled sources of one practice, in polling order (payments, then ERA)."""
    wanted = []
    if practice.payments is not None and practice.payments.enabled:
        wanted.append("stripe")
    if practice.era is not None and practice.era.enabled:
        wanted.append("era")
    return [_load(name, practice) for name in wanted]


def _load(name: str, practice: PracticeSettings) -> PollSource:
    module_name, _, class_name = _SOURCES[name].partition(":")
    try:
        module = importlib.import_module(module_name)
        factory = getattr(module, class_name)
    except (ModuleNotFoundError, AttributeError):
        return UnavailableSource(name, f"the {name} source is not implemented in this build")
    source: PollSource = factory.from_settings(practice)
    return source
