"""The posting job: take due items of one practice and post, review or retry each."""

from __future__ import annotations

from connector.config import PracticeSettings
from connector.errors import NotImplementedYet
from connector.redaction import Redactor
from connector.sources.base import PollContext


class PostingJob:
    """Posts a practice's due items through its ledger adapter.

    This build has no posting engine yet: the job reports how many items wait and raises
    :class:`NotImplementedYet` so the gap is visible in logs and ``connector status``.
    """

    name = "posting"

    def __init__(self, practice: PracticeSettings, *, redactor: Redactor, dry_run: bool) -> None:
        self.practice = practice
        self.redactor = redactor
        self.dry_run = dry_run

    @classmethod
    def for_practice(
        cls, practice: PracticeSettings, *, redactor: Redactor, dry_run: bool = False
    ) -> PostingJob:
        """The posting job of one practice."""
        return cls(practice, redactor=redactor, dry_run=dry_run)

    def poll(self, ctx: PollContext) -> dict[str, int]:
        """Post due items (not implemented in this build)."""
        due = ctx.store.due_items(ctx.practice.id, ctx.now(), 1_000_000)
        if due:
            raise NotImplementedYet(
                f"the posting engine is not implemented in this build; {len(due)} items wait"
            )
        return {"due": 0}
