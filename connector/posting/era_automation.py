"""Would the PMS and the connector both auto-post the same payer's ERAs? (``check-config``)

Open Dental can post ERAs itself: the office's ERA automation (``EraAutomationBehavior``) and a
per-carrier override (``carrier.EraAutomationOverride``). Only "fully automatic" posts without a
person; with it on for a payer the connector also auto-posts (``era.auto_post`` enabled for
that payer), two posters race for the same claims. The connector recognises a claim the PMS
already posted exactly (recorded as posted by the PMS, see ``era_pms_posted``), but a race can
still leave a difference for a person, so ``check-config`` warns. Carriers are matched to
payers by their electronic payer id (``ElectID``), which is what an 835 names the payer by
(TRN03 / N1*PR) in most cases [I].
"""

from __future__ import annotations

from adapters.base import EraAutomation, EraAutomationReader, Ledger
from connector.config import PracticeSettings
from connector.posting.era_rules import rules_for

FULLY = "fully_automatic"


def automation_warnings(practice: PracticeSettings, ledger: Ledger) -> list[str]:
    """One plain line per payer both would auto-post (empty when the PMS cannot say).

    Raises:
        TransientError: from the ledger read.
    """
    if practice.era is None or not isinstance(ledger, EraAutomationReader):
        return []
    return conflicts(practice, ledger.era_automation())


def conflicts(practice: PracticeSettings, info: EraAutomation) -> list[str]:
    """The warnings for a known PMS setting (pure)."""
    if practice.era is None:
        return []
    auto = practice.era.auto_post
    path = f"practices[{practice.id}].era.auto_post"

    def connector_posts(payer_id: str | None) -> bool:
        return rules_for(auto, payer_id)[0].enabled

    found = []
    overriding = {c.payer_id for c in info.carriers if c.payer_id}
    if info.office_mode == FULLY:
        others = [p for p, rules in sorted(auto.per_payer.items())
                  if rules.enabled and p not in overriding]  # fmt: skip
        if auto.enabled or others:
            whom = "every payer" if auto.enabled else "payers " + ", ".join(others)
            found.append(
                f"{path}: Open Dental posts ERAs itself for the office (ERA automation "
                f"'Fully automatic') and the connector auto-posts {whom} too; turn one off "
                "(or set those carriers to 'Review all' in Open Dental)"
            )
    for carrier in info.carriers:
        if carrier.mode == FULLY and connector_posts(carrier.payer_id):
            found.append(
                f"{path}: Open Dental carrier '{carrier.name}' (payer id "
                f"{carrier.payer_id or 'not set'}) is set to 'Fully automatic' and the connector "
                "auto-posts that payer too; turn one off"
            )
    return found
