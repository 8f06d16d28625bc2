"""Read one automatic payout's balance transactions, page by page, into items.

Each page (100 transactions, newest first, sources expanded) is validated, its patient ids
looked up and classified at once. When the payout has more pages, ``save(progress)`` is called
after each page but the last, so a poll cut short (rate limit, outage, stop) leaves its place in
the cursor and the next poll resumes at ``starting_after`` (see :mod:`.progress`). The items
come back only when the last page is read, oldest first, for one ``store.record``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from connector.domain import NewItem
from connector.sources.stripe.classify import classify, needs_patient
from connector.sources.stripe.client import StripeApi
from connector.sources.stripe.patients import PatientResolver
from connector.sources.stripe.progress import PayoutProgress
from connector.sources.stripe.validate import invalid_item, problems

_REVERSAL_LOOKUP = False  # reversals link to their charge; no customer call just for them


@dataclass
class PayoutReader:
    """Reads payouts for one practice during one poll.

    Attributes:
        api: the practice's Stripe client.
        resolver: the poll's patient-id resolver (customers cached for the poll).
        account: the practice's Connect account, if any.
        patient_key: the metadata key of the patient id (for review messages).
    """

    api: StripeApi
    resolver: PatientResolver
    account: str | None
    patient_key: str

    def read(
        self,
        payout: dict[str, Any],
        *,
        progress: PayoutProgress | None = None,
        save: Callable[[PayoutProgress], None] | None = None,
        stop: threading.Event | None = None,
    ) -> list[NewItem] | None:
        """The payout's items, or None when ``stop`` was set between pages (progress saved).

        Args:
            progress: where an earlier poll stopped inside this payout (ignored if another).
            save: called with the progress after each page that is not the last.
            stop: checked after each saved page.

        Raises:
            RateLimited, TransientError, AuthError, PermanentError: from the Stripe calls;
            what was read before is in the last saved progress.
        """
        if progress is None or progress.payout != payout["id"]:
            progress = PayoutProgress(str(payout["id"]))
        while True:
            txns, has_more = self.api.transaction_page(str(payout["id"]), progress.after)
            last = txns[-1].get("id") if txns and isinstance(txns[-1], dict) else None
            progress.add_page([self._entry(txn, payout) for txn in txns],
                              last if isinstance(last, str) else None)  # fmt: skip
            if not has_more or progress.after is None:
                return progress.items()
            if save is not None:
                save(progress)
            if stop is not None and stop.is_set():
                return None

    def _entry(self, txn: Any, payout: dict[str, Any]) -> tuple[int | None, NewItem]:
        wrong = problems(txn)
        if wrong:  # recorded for a person; the payout's other transactions go on
            return None, invalid_item(txn, payout, wrong, account=self.account)
        source = txn.get("source")
        patient = None
        if isinstance(source, dict):
            allow = needs_patient(txn, self.account) or _REVERSAL_LOOKUP
            patient = self.resolver.resolve(source, allow_fetch=allow)
        item = classify(txn, payout, account=self.account, patient=patient,
                        patient_key=self.patient_key)  # fmt: skip
        return int(txn.get("created") or 0), item
