"""The review reasons: stable codes, each with a plain-words message template and what to do.

A reason code never changes once released (support scripts, filters and the docs rely on it).
Messages carry ids and amounts only, never a patient's name. Every code here is documented in
``docs/review-reasons.md``; a test keeps the two in step.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from connector import jsonutil
from connector.domain import ReviewDecision

_CRITERIA = "Matched but did not meet auto posting criteria: "


@dataclass(frozen=True)
class Reason:
    """One review reason.

    Attributes:
        code: the stable code stored with the review.
        title: a few words for lists.
        template: the message, with ``{field}`` placeholders filled from the review's details.
        action: what staff do about it.
        retry_helps: whether ``connector retry`` can ever make the item post automatically
            (after the cause is fixed); False means "enter it by hand, then resolve".
    """

    code: str
    title: str
    template: str
    action: str
    retry_helps: bool = True


_ALL = (
    # -- patient payments -------------------------------------------------------------------
    Reason(
        "patient_not_found",
        "patient not in the PMS",
        "Payment of {amount} ({reference}) names patient {patient_ref}, who is not in the PMS.",
        "Find who paid, then `connector retry ID --patient PMS_ID`, or post it by hand.",
    ),
    Reason(
        "currency_mismatch",
        "not in the practice's currency",
        "{what} of {shown} ({reference}) is not in the practice's currency ({practice_currency}); "
        "the connector posts only {practice_currency} amounts.",
        "Enter it by hand at the amount that reached the bank (see the Stripe payout), then "
        "resolve; or, if the practice's `currency` setting is wrong, correct it and retry.",
    ),
    Reason(
        "amount_above_limit",
        "amount above the practice's limit",
        "{what} of {amount} ({reference}) is more than the practice's limit for one payment "
        "({limit}); it is not posted automatically.",
        "Check it is real (not a test or a typo); post it by hand, then resolve — or raise "
        "`max_payment` for this practice and retry.",
    ),
    Reason(
        "possible_hand_entry",
        "maybe entered by hand already",
        "Payment of {amount} ({reference}) for patient {patient_ref} on {date}: the PMS already "
        "has a payment of {amount} for this family on {pms_date} ({pms_type}, PMS id {pms_id}, "
        "entered by {entered_by}) that the connector did not write.",
        "Same payment: `connector review link ID` (recorded as posted, pointing at that PMS "
        "row; nothing written). A different payment: `connector retry ID --post-anyway`.",
    ),
    Reason(
        "patient_inactive",
        "patient inactive",
        "Payment of {amount} ({reference}) is for patient {patient_ref}, who is {status} in "
        "the PMS.",
        "Reactivate the patient and retry, or post it by hand to the right account.",
    ),
    Reason(
        "writeback_disabled",
        "to enter",
        "To enter: {what} of {amount} for patient {patient_ref} on {date} ({reference}). "
        "Write-back is off for this practice.",
        "Key it into the PMS, then resolve (or turn write-back on and retry).",
    ),
    Reason(
        "payment_type_unknown",
        "payment type not in the PMS",
        "The PMS has no {category} type {wanted!r} (set in the configuration).",
        "Fix the type name in the configuration (connector check-config), then retry.",
    ),
    Reason(
        "amount_invalid",
        "amount cannot be posted",
        "The amount {amount} of {reference} cannot be posted as a payment.",
        "Look at the payment in Stripe and enter it by hand if needed.",
        retry_helps=False,
    ),
    Reason(
        "payload_invalid",
        "item data unusable",
        "The recorded data of this item is incomplete or invalid ({problem}).",
        "Report it to support with the item id.",
        retry_helps=False,
    ),
    Reason(
        "pms_rejected",
        "the PMS refused the write",
        "The PMS refused the write: {error} [{error_code}].",
        "Fix the data in the PMS (claim, procedure or patient changed), then retry.",
    ),
    Reason(
        "duplicate_in_pms",
        "written twice in the PMS",
        "{key} ({amount}) is in the PMS {copies} times: {rows}. It was written more than once "
        "(a write whose answer never came, or entries made outside the connector). Keep "
        "{keep}.",
        "Delete the extra entries in the PMS, keeping the one the message names, then retry: "
        "the item is then recorded as posted.",
    ),
    Reason(
        "allocation_not_expressible",
        "the PMS cannot split it this way",
        "{message}",
        "Post the payment by hand with the splits shown, then resolve; or switch the practice "
        "to post_only or turn patient_preferred off.",
        retry_helps=False,
    ),
    Reason(
        "carc_excluded",
        "office excludes this reason code from auto-posting",
        "The remittance gives reason code(s) {codes}, which the office does not post "
        "automatically ({source}).",
        "Post the claim by hand from the ERA, then resolve.",
        retry_helps=False,
    ),
    Reason(
        "feature_unavailable",
        "PMS version lacks what this needs",
        "{message}",
        "Enter it by hand in the PMS, then resolve; or update the PMS to version {needs} or "
        "later and retry (connector check-config lists what the office's version lacks).",
    ),
    Reason(
        "allocation_unfinished",
        "payment posted, its split is not",
        "{message}",
        "Open payment {PayNum} in the PMS and split it as listed (do not enter the payment "
        "again), then resolve.",
        retry_helps=False,
    ),
    Reason(
        "writeoff_reversal_unsupported",
        "write-off reversal must be entered by hand",
        "{message}",
        "Create a '+' adjustment type named like 'Write-off Reversal' in the PMS and retry; or "
        "reverse the claim payment and its write-off by hand in the PMS, then resolve.",
    ),
    # -- reversals and payouts --------------------------------------------------------------
    Reason(
        "reversal_unmatched",
        "reversal without its payment",
        "{kind} of {amount} ({reference}) refers to charge {charge}, whose payment the "
        "connector never recorded.",
        "Find the original payment in the PMS and reverse it by hand.",
        retry_helps=False,
    ),
    Reason(
        "reversal_of_hand_entry",
        "reversal of a payment entered by hand",
        "{kind} of {amount} ({reference}) reverses payment {original_reference}, which staff "
        "entered by hand.",
        "Enter the reversal by hand the same way, then resolve.",
        retry_helps=False,
    ),
    Reason(
        "reversal_netted",
        "payment and reversal netted",
        "Payment of {original_amount} ({original_reference}) was never posted "
        "({original_state}) and was followed by {reversals}; net to enter: {net}.",
        "Enter the net amount by hand if it is not zero, then resolve.",
        retry_helps=False,
    ),
    Reason(
        "payout_failed",
        "payout failed at the bank",
        "Payout {payout} of {amount} failed at the bank; Stripe put the money back in the "
        "balance. Payments already posted from it stay posted.",
        "Check the bank account in Stripe; no ledger change is needed unless the practice "
        "reverses payments.",
        retry_helps=False,
    ),
    Reason(
        "refund_failed",
        "refund failed",
        "A refund of {charge} failed and {amount} came back in payout {payout}.",
        "Undo the refund on the ledger by hand (the patient's payment stands), then resolve.",
        retry_helps=False,
    ),
    Reason(
        "stripe_object_invalid",
        "unreadable Stripe transaction",
        "Stripe transaction {txn} in payout {payout} could not be read ({problem}).",
        "Look it up in the Stripe dashboard; post it by hand if it is a patient's money, then "
        "resolve.",
        retry_helps=False,
    ),
    Reason(
        "stripe_transaction_unrecognised",
        "unrecognised Stripe transaction",
        "Stripe transaction {txn} ({type}, {amount}) in payout {payout} is not a kind the "
        "connector knows.",
        "Look it up in the Stripe dashboard; post it by hand if it is a patient's money, then "
        "resolve.",
        retry_helps=False,
    ),
    Reason(
        "stripe_currency_unsupported",
        "no currency stated",
        "Stripe transaction {txn} in payout {payout} names no currency, so its amount cannot be "
        "read.",
        "Check it in the Stripe dashboard, post it by hand as the bank received it, then resolve.",
        retry_helps=False,
    ),
    Reason(
        "stripe_amount_unexpected",
        "amount with the wrong sign",
        "Stripe transaction {txn} ({type}, {amount}) in payout {payout} has the wrong sign for "
        "its kind.",
        "Check it in the Stripe dashboard and post it by hand, then resolve.",
        retry_helps=False,
    ),
    Reason(
        "connect_platform_reversal",
        "Connect refund or dispute on the platform",
        "A refund or dispute of destination charge {charge} was taken from the platform "
        "account in payout {payout}; the payment belongs to connected account {owner_account}.",
        "If the patient was refunded, reverse the payment by hand on the connected practice's "
        "ledger (its Stripe account did not give the money back), then resolve.",
        retry_helps=False,
    ),
    Reason(
        "manual_payout_account",
        "manual payouts",
        "Payout {payout} of {amount} is a manual payout; Stripe cannot list the payments in it.",
        "Switch the Stripe account to automatic payouts, or post its payments by hand.",
        retry_helps=False,
    ),
    # -- ERA: matching ----------------------------------------------------------------------
    Reason(
        "claim_not_found",
        "claim not found",
        "No PMS claim matches claim {patient_control} (payer claim {payer_claim_control}, "
        "service {service_from}, charge {charge}){candidate}.",
        "Find the claim in the PMS and post the payment by hand (or fix and retry).",
    ),
    Reason(
        "claim_ambiguous",
        "more than one claim fits",
        "Claim {patient_control} (payer claim {payer_claim_control}, service {service_from}, "
        "charge {charge}) fits {claim_count} PMS claims by {matched_by}: {candidates}. "
        "The connector does not guess which one was paid.",
        "Find the claim the payer paid among those listed and post the payment by hand "
        "(or give the claims distinct ids and retry).",
    ),
    Reason(
        "line_not_matched",
        "procedure not matched",
        "Claim {patient_control}: {unmatched} of the remittance's service lines match no "
        "procedure on the PMS claim ({lines}).",
        "Post the claim by hand, or fix the procedures on the claim and retry.",
    ),
    Reason(
        "claim_already_received",
        "claim already received",
        "Claim {patient_control} is already received in the PMS with {already_paid} paid, not "
        "exactly what the ERA pays ({paid}): {differences}.",
        "Check the claim; post only the differences by hand (a claim the PMS shows exactly as "
        "the ERA pays is recorded as posted by the PMS, without a review).",
    ),
    Reason(
        "adjustment_unmapped",
        "adjustment needs a person",
        "Claim {patient_control} has adjustments that need a person: {adjustments}.",
        "Post the claim by hand, or map the codes in era.auto_post.adjustment_mappings and retry.",
    ),
    # -- ERA: auto-post criteria -----------------------------------------------------------
    Reason(
        "multiple_plans",
        "more than one plan",
        _CRITERIA + "the patient has {plan_count} insurance plans.",
        "Post the payment by hand (coordination of benefits).",
    ),
    Reason(
        "auto_post_disabled",
        "auto-posting off",
        _CRITERIA + "auto-posting is off{scope}.",
        "Post the payment by hand, or turn on era.auto_post and retry.",
    ),
    Reason(
        "paid_below_threshold",
        "paid below expected",
        _CRITERIA + "paid {paid} of {expected} expected ({percent}%), below the "
        "{minimum}% minimum.",
        "Check the payment against the fee schedule and post it by hand.",
    ),
    Reason(
        "writeoffs_disabled",
        "write-offs off",
        _CRITERIA + "contracted write-offs of {writeoff} go with this payment, and posting "
        "write-offs automatically is off.",
        "Post payment and write-off by hand, or turn on post_contracted_writeoffs and retry.",
    ),
    Reason(
        "max_claim_amount",
        "above the auto-post limit",
        _CRITERIA + "paid {paid} is above the {maximum} auto-post limit.",
        "Check the claim and post it by hand.",
    ),
    # -- ERA: special claims ----------------------------------------------------------------
    Reason(
        "denied",
        "denied",
        "Claim {patient_control} was denied by {payer_name}: {reasons}. Nothing was posted.",
        "Work the denial (correct and resubmit, or appeal).",
        retry_helps=False,
    ),
    Reason(
        "reversal_of_manual_post",
        "reversal of a payment the connector did not post",
        "The payer reversed claim {patient_control} (payer claim {payer_claim_control}, "
        "{paid}); the connector did not post the original ({why}).",
        "Reverse the original payment by hand; the corrected claim that follows posts normally.",
        retry_helps=False,
    ),
    Reason(
        "reversal_already_posted",
        "original already reversed",
        "The payer reversed claim {patient_control} (payer claim {payer_claim_control}, "
        "{paid}), but the connector already posted a reversal of that payment ({reversed_by}); "
        "posting this one would take the money back twice.",
        "Compare the two remittances (often the same file sent again with another date); if "
        "the payer really reversed the claim twice, enter it by hand, then resolve.",
        retry_helps=False,
    ),
    Reason(
        "secondary_claim_needed",
        "send the secondary claim",
        "Claim {patient_control} was paid {paid} and {balance} remains; the patient has "
        "another plan to bill.",
        "Post this payment and send the secondary claim.",
        retry_helps=False,
    ),
    Reason(
        "secondary_claim_ready",
        "secondary claim ready to send",
        "Claim {patient_control} was posted to PMS claim {claim_id} as paid by the primary "
        "payer {payer_name} on {payment_date}: paid {paid}, written off {writeoff}, left to "
        "the patient {patient_portion} (deductible {deductible}) of {charge} charged. The "
        "patient has another plan: send the secondary claim.",
        "Create and send the secondary claim in the PMS with the primary's payment, write-off "
        "and patient amounts per procedure (listed in the details), then resolve.",
        retry_helps=False,
    ),
    Reason(
        "claim_forwarded",
        "claim forwarded to another payer",
        "Claim {patient_control}: {payer_name} says it is not their claim and forwarded it "
        "to another payer. Nothing was paid.",
        "Watch for the other payer's remittance.",
        retry_helps=False,
    ),
    Reason(
        "predetermination",
        "predetermination",
        "Claim {patient_control} is a predetermination: an estimate of {paid}, not a payment.",
        "Record the estimate on the treatment plan if you wish; no money to post.",
        retry_helps=False,
    ),
    Reason(
        "provider_level_adjustment",
        "provider-level adjustment",
        "Remittance {trace} from {payer_name} has a provider-level adjustment {words}: "
        "{amount}{reference_text}.",
        "Post it to the practice's insurance clearing account by hand, then resolve.",
        retry_helps=False,
    ),
    Reason(
        "plb_claim_not_found",
        "provider-level adjustment: no claim to post it on",
        "Remittance {trace} from {payer_name} has a provider-level adjustment {words}: "
        "{amount}, naming claim {reference}; it was not posted because {why}.",
        "Post it on the right claim by hand (or fix the claim and retry), then resolve.",
    ),
    Reason(
        "unbalanced_era",
        "remittance does not add up",
        "Remittance {trace} from {payer_name} does not add up ({problems}); nothing from it "
        "is posted automatically.",
        "Post its claims by hand from the payer's EOB, or ask the clearinghouse to resend.",
        retry_helps=False,
    ),
    Reason(
        "test_file",
        "test file",
        "Remittance {trace} came from a test file (ISA15 = T); it never posts money.",
        "Tell the clearinghouse that a test file reached production, then resolve.",
        retry_helps=False,
    ),
)

REASONS: dict[str, Reason] = {reason.code: reason for reason in _ALL}


class _Fields(dict[str, Any]):
    """A format mapping that shows ``?`` for a missing field instead of failing."""

    def __missing__(self, key: str) -> str:
        return "?"


def render(template: str, fields: dict[str, Any]) -> str:
    """Fill ``template`` from ``fields``; missing fields read ``?``, ``None`` reads ``none``."""
    shown = _Fields({k: ("none" if v is None else v) for k, v in fields.items()})
    return string.Formatter().vformat(template, (), shown)


def review(code: str, /, **fields: Any) -> ReviewDecision:
    """A :class:`ReviewDecision` for ``code`` with its message filled from ``fields``.

    ``fields`` become the review's details (JSON-safe: Decimals and dates as text).

    Raises:
        KeyError: ``code`` is not a known reason (a programming error, caught by tests).
    """
    reason = REASONS[code]
    details: dict[str, Any] = jsonutil.loads(jsonutil.dumps(fields))
    return ReviewDecision(reason=code, message=render(reason.template, fields), details=details)


def describe(code: str) -> Reason:
    """The reason for ``code``, or a generic one for codes this build does not know."""
    return REASONS.get(code) or Reason(
        code, code.replace("_", " "), "{message}", "See the message."
    )
