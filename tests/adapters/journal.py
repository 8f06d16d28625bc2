"""A step journal kept in a dict, for adapter tests (the store provides the durable one)."""

from __future__ import annotations

from typing import Any


class MemoryJournal:
    """Implements :class:`adapters.base.StepJournal` in memory."""

    def __init__(self) -> None:
        self.steps: dict[str, dict[str, Any]] = {}

    def done(self, step: str) -> dict[str, Any] | None:
        """Ids of a finished step."""
        return self.steps.get(step)

    def record(self, step: str, ids: dict[str, Any]) -> None:
        """Mark a step finished."""
        self.steps[step] = ids
