"""Where each ERA posting setting comes from: the configuration, else the office's own choices.

The YAML (``era.auto_post``) always wins for what it sets. What it leaves out is taken from the
PMS when the adapter offers the office's ERA settings (:class:`adapters.base.OfficeEraDefaults`;
Open Dental: its ``Era*`` preferences), else from the connector's defaults:

* insurance payment type per BPR04 method: ``payment_types_by_method[method]`` →
  ``payment_type`` (when set in the YAML) → the office's type for the method → the default name;
* contractual write-offs: ``post_contracted_writeoffs`` (when set, in the payer's rules or the
  practice's) → the office's policy ("always", or only on claims the ERA marks primary) → on;
* CARCs that keep a claim from posting automatically: the office's list (no YAML setting).

Every choice names its source; ``connector check-config`` prints them.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.base import Ledger, OfficeEraDefaults, OfficeEraSettings
from connector.config.sources import AutoPostRules, AutoPostSettings

PRIMARY_STATUSES = ("1", "19")  # CLP02: processed as primary (19: and forwarded)
CONFIG = "configuration era.auto_post"


def office_settings(ledger: Ledger) -> OfficeEraSettings | None:
    """The office's ERA settings when the adapter can read them, else None.

    Raises:
        TransientError, AuthError: the PMS could not be read.
    """
    if isinstance(ledger, OfficeEraDefaults):
        return ledger.office_era_settings()
    return None


@dataclass(frozen=True)
class EraChoices:
    """The effective ERA settings for one practice: YAML first, then the office's own."""

    settings: AutoPostSettings
    office: OfficeEraSettings | None

    def payment_type(self, method: str | None) -> tuple[str, str]:
        """``(type name or id, where it came from)`` for a BPR04 ``method``."""
        cfg = self.settings
        if method and method in cfg.payment_types_by_method:
            return cfg.payment_types_by_method[method], f"{CONFIG}.payment_types_by_method.{method}"
        if "payment_type" in cfg.model_fields_set:
            return cfg.payment_type, f"{CONFIG}.payment_type"
        office = self.office.payment_types if self.office is not None else {}
        key = method if method in office else ""
        if key in office and self.office is not None:
            return office[key], self.office.sources.get(f"payment_types.{key}", "the office")
        return cfg.payment_type, "connector default (era.auto_post.payment_type)"

    def rules(self, rules: AutoPostRules, status: str) -> tuple[AutoPostRules, str]:
        """``rules`` with the office's write-off policy where the YAML does not set one, and
        where ``post_contracted_writeoffs`` came from (claim status = CLP02)."""
        if "post_contracted_writeoffs" in rules.model_fields_set:
            return rules, f"{CONFIG} post_contracted_writeoffs"
        if self.office is None or self.office.writeoffs is None:
            return rules, "connector default (post_contracted_writeoffs: true)"
        post = self.office.writeoffs == "always" or status in PRIMARY_STATUSES
        source = self.office.sources.get("writeoffs", "the office")
        return rules.model_copy(update={"post_contracted_writeoffs": post}), source

    def excluded_carcs(self) -> tuple[tuple[str, ...], str]:
        """CARCs that send a claim to review, and where the list came from."""
        if self.office is None or self.office.no_auto_carcs is None:
            return (), "none"
        return self.office.no_auto_carcs, self.office.sources.get("no_auto_carcs", "the office")

    def describe(self) -> list[str]:
        """One line per setting with its source (``check-config``)."""
        lines = []
        methods = sorted({"ACH", "CHK", "FWT", *self.settings.payment_types_by_method})
        for method in methods:
            wanted, source = self.payment_type(method)
            lines.append(f"insurance payment type for {method}: {wanted!r} ({source})")
        wanted, source = self.payment_type(None)
        lines.append(f"insurance payment type otherwise: {wanted!r} ({source})")
        rules, source = self.rules(self.settings, PRIMARY_STATUSES[0])
        policy = "yes" if rules.post_contracted_writeoffs else "no"
        if self.office is not None and source == self.office.sources.get("writeoffs"):
            policy = "always" if self.office.writeoffs == "always" else "on primary claims only"
        lines.append(f"post contractual write-offs: {policy} ({source})")
        carcs, source = self.excluded_carcs()
        lines.append(f"never auto-post claims with CARC: {','.join(carcs) or 'none'} ({source})")
        return lines
