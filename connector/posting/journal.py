"""A :class:`adapters.base.StepJournal` kept in the item's ``progress`` in the state store.

Each finished step of a multi-step write (an insurance payment's procedures, claim, check; a
patient payment and then its note) is saved durably before the next starts, so a retry after a
crash resumes after the last finished step instead of repeating it.
"""

from __future__ import annotations

from typing import Any

from connector.domain import Item
from connector.store import StateStore


class StoreJournal:
    """Finished steps of one item, stored as ``progress = {"steps": {step: ids}}``."""

    def __init__(self, store: StateStore, item: Item) -> None:
        self._store = store
        self._item_id = item.id
        self._progress: dict[str, Any] = dict(item.progress)
        self._steps: dict[str, Any] = dict(self._progress.get("steps") or {})

    def done(self, step: str) -> dict[str, Any] | None:
        """The ids recorded for ``step`` if it already finished, else None."""
        ids = self._steps.get(step)
        return dict(ids) if isinstance(ids, dict) else None

    def record(self, step: str, ids: dict[str, Any]) -> None:
        """Durably mark ``step`` finished with the ids it wrote."""
        self._steps[step] = dict(ids)
        self._progress["steps"] = dict(self._steps)
        self._store.save_progress(self._item_id, self._progress)

    @property
    def steps(self) -> tuple[str, ...]:
        """Names of the finished steps, in the order they finished."""
        return tuple(self._steps)


class MemoryJournal:
    """A journal that keeps steps in memory only (dry runs and tests of adapters)."""

    def __init__(self) -> None:
        self.recorded: dict[str, dict[str, Any]] = {}

    def done(self, step: str) -> dict[str, Any] | None:
        """The ids recorded for ``step``, else None."""
        return self.recorded.get(step)

    def record(self, step: str, ids: dict[str, Any]) -> None:
        """Remember ``step`` (not durable)."""
        self.recorded[step] = dict(ids)
