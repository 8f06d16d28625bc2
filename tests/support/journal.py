"""An in-memory :class:`adapters.base.StepJournal` for tests and benchmarks."""

from __future__ import annotations

from typing import Any


class MemoryJournal:
    """Records finished steps in a dict (the real one is the state store's item progress)."""

    def __init__(self) -> None:
        self.steps: dict[str, dict[str, Any]] = {}
        self.order: list[str] = []

    def done(self, step: str) -> dict[str, Any] | None:
        """The ids of ``step`` if it finished."""
        return self.steps.get(step)

    def record(self, step: str, ids: dict[str, Any]) -> None:
        """Mark ``step`` finished."""
        self.steps[step] = dict(ids)
        self.order.append(step)
