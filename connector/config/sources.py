"""Payments (Stripe) and ERA sections of the YAML, with their write-back rules."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator, model_validator

from connector.config.types import Duration, Money, SecretRef
from connector.domain import AllocationMode


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StripeSettings(_Strict):
    """How to read one practice's Stripe account."""

    api_key: SecretRef = Field(description="secret or restricted (rk_…) read-only key")
    account: str | None = Field(
        default=None, pattern=r"^acct_[A-Za-z0-9]+$", description="Connect account (Stripe-Account)"
    )
    api_base: AnyHttpUrl | None = Field(default=None, description="only for the sandbox and tests")
    patient_id_metadata_key: str = "pms_patient_id"
    metadata_lookup_order: tuple[Literal["charge", "payment_intent", "customer"], ...] = (
        "charge",
        "payment_intent",
        "customer",
    )
    patient_id_pattern: str = Field(
        default=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$",
        description="a metadata value that does not match is malformed (goes to review)",
    )
    start: dt.date | None = Field(
        default=None,
        description="first run only: read paid payouts that arrived on or after this date "
        "(without it the first poll reads the last `lookback` only)",
    )
    lookback: Duration = Field(default="3d", validate_default=True)
    failed_payout_lookback: Duration = Field(
        default="10d",
        validate_default=True,
        description="how far back to look for paid payouts that later failed",
    )
    settle_delay: Duration = Field(default="0d", validate_default=True)
    requests_per_second: float = Field(default=20.0, gt=0, le=100)
    timeout: Duration = Field(default="30s", validate_default=True)
    max_attempts: int = Field(default=5, ge=1, le=20)
    rate_limit_wait: Duration = Field(
        default="2m", validate_default=True,
        description="longest total wait on Stripe rate limits (429) in one poll; then the poll "
        "stops keeping its place and the next one resumes",
    )  # fmt: skip

    @field_validator("patient_id_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from exc
        return value


class WritebackSettings(_Strict):
    """What to write for a cleared patient payment (mirrors payment-platform write-back screens)."""

    enabled: bool = True
    allocation: AllocationMode = AllocationMode.ALLOCATE_OLDEST_FIRST
    patient_preferred: bool = False
    payment_type: str = Field(default="Online Payment", description="PMS payment type, name or id")
    status: str | None = Field(
        default=None, description="write-back status label, where the PMS has one"
    )
    patient_notes: bool = False
    note_template: str = (
        "Online payment of {amount} received {date} {time} (ref {reference}) posted by connector"
    )
    hand_entry_window: Duration = Field(
        default="3d", validate_default=True,
        description="before writing a payment, look this far either side of the day the "
        "patient paid for a payment of the same amount staff entered by hand (0d: never)",
    )  # fmt: skip
    refund_adjustment_type: str | None = Field(
        default=None, description="debit adjustment type for refunds (Dentrix/Eaglesoft)"
    )
    refund_payment_type: str | None = None
    fees: Literal["merchant_fee", "note", "none"] = Field(
        default="none",
        description=(
            "how the processor fee of each payment is booked: merchant_fee (Open Dental's "
            "payment MerchantFee where the version has it, else a note), note (in the payment "
            "note), none; never a patient charge or adjustment"
        ),
    )
    deposits: bool = Field(
        default=True,
        description="a PMS deposit per paid payout once its items are settled (or its slip)",
    )


class PaymentsSettings(_Strict):
    """Patient payments section."""

    enabled: bool = True
    stripe: StripeSettings
    poll_every: Duration = Field(default="5m", validate_default=True)
    writeback: WritebackSettings = WritebackSettings()


class FolderInbox(_Strict):
    """A local folder the clearinghouse client fills with 835 files."""

    path: Path
    stable_for: Duration = Field(default="10s", validate_default=True)
    patterns: tuple[str, ...] = ("*.835", "*.era", "*.txt", "*.edi", "*.x12", "*.rmt")


class SftpInbox(_Strict):
    """An SFTP folder at the clearinghouse (host key verification is required)."""

    host: str
    port: int = Field(default=22, ge=1, le=65535)
    path: str = "/outbound"
    username: SecretRef
    password: SecretRef | None = None
    private_key_file: Path | None = None
    private_key_passphrase: SecretRef | None = None
    known_hosts: Path | None = None
    host_key_fingerprint: str | None = Field(
        default=None, description="SHA256:… as printed by ssh-keygen -lf"
    )
    local_dir: Path = Field(description="where downloaded files wait to be parsed")
    archive_path: str | None = Field(
        default=None, description="move remote files here after download"
    )
    timeout: Duration = Field(default="30s", validate_default=True)
    patterns: tuple[str, ...] = ("*",)

    @model_validator(mode="after")
    def _auth_and_host_key(self) -> SftpInbox:
        if self.password is None and self.private_key_file is None:
            raise ValueError("give password or private_key_file")
        if self.known_hosts is None and self.host_key_fingerprint is None:
            raise ValueError(
                "host key verification is required: give known_hosts or host_key_fingerprint"
            )
        return self


class EraInbox(_Strict):
    """Exactly one of a folder or an SFTP inbox."""

    folder: FolderInbox | None = None
    sftp: SftpInbox | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> EraInbox:
        if (self.folder is None) == (self.sftp is None):
            raise ValueError("give exactly one of folder or sftp")
        return self


class AutoPostRules(_Strict):
    """Dentrix Ascend style auto-posting criteria (per practice, optionally per payer)."""

    enabled: bool = False
    min_paid_percent_of_expected: Decimal = Field(
        default=Decimal("100"), ge=0, le=100, description="a percentage, 0 to 100"
    )
    post_contracted_writeoffs: bool = True
    max_claim_amount: Money | None = None
    primary_with_secondary: bool = Field(
        default=True,
        description="post a claim processed as primary (CLP02 1/19) onto the patient's primary "
        "claim when the patient has another plan, then list the secondary claim to send "
        "(secondary_claim_ready); false: such claims go to review (multiple_plans)",
    )


DEFAULT_PLB_RULES: dict[str, Literal["post", "review"]] = {
    "L6": "post",  # interest
    "WO": "post",  # overpayment recovery
    "72": "post",  # authorized return
    "J1": "post",  # non-reimbursable
    "FB": "post",  # forwarding balance (tracked across remittances)
}
"""PLB reason codes posted by default (docs/posting.md "Provider-level adjustments")."""


class AutoPostSettings(AutoPostRules):
    """Auto-post rules plus how checks and adjustments map to PMS types."""

    payment_type: str = Field(default="Insurance EFT", description="PMS insurance payment type")
    payment_types_by_method: dict[str, str] = Field(
        default_factory=dict, description="BPR04 method (CHK, ACH, …) → PMS insurance payment type"
    )
    adjustment_mappings: dict[str, Literal["writeoff", "patient", "ignore"]] = Field(
        default_factory=dict, description="e.g. {'OA-23': ignore, 'PI-45': writeoff}"
    )
    per_payer: dict[str, AutoPostRules] = Field(
        default_factory=dict, description="payer id (TRN03 / N1*PR id) → rules for that payer"
    )
    plb_rules: dict[str, Literal["post", "review"]] = Field(
        default_factory=dict,
        description=(
            "PLB reason code (PLB03-1) → post (as supplemental insurance money on the claim the "
            "PLB names) or review; overrides the defaults (L6, WO, 72, J1, FB: post); codes "
            "in neither go to review"
        ),
    )
    deposits: bool = Field(
        default=True,
        description="a PMS deposit per insurance EFT (payer + TRN02) once its claims are settled",
    )


class EraSettings(_Strict):
    """Insurance remittances section."""

    enabled: bool = True
    inbox: EraInbox
    poll_every: Duration = Field(default="15m", validate_default=True)
    work_dir: Path | None = Field(
        default=None, description="processed/ and quarantine/ live here (default: next to inbox)"
    )
    auto_post: AutoPostSettings = AutoPostSettings()
