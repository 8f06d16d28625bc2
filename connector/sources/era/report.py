"""Human-readable and JSON views of parsed remittances (``connector era inspect``).

Written for support staff: amounts with two decimals, codes with their meanings, the
balancing verdict in words. Patient names and member ids are never shown; a claim is named by
its patient control number (CLP01), which is the practice's own claim id.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from connector import x12codes as codes
from connector.money import fmt
from connector.sources.era.model import Adjustment, ClaimPayment, Remittance, ServiceLine


def to_document(file: str, remittances: Iterable[Remittance]) -> dict[str, Any]:
    """The JSON document: each remittance payload with its claim payloads (no names)."""
    # only --json builds the stored records, so the text report never imports dataclasses
    from connector.sources.era import records  # noqa: PLC0415 - --json only

    items = []
    for rem in remittances:
        payload = records.remittance_record(rem).to_json()
        payload["key"] = rem.item_key
        payload["claims"] = [
            {"key": claim.item_key(rem), **records.claim_record(claim, rem).to_json()}
            for claim in rem.claims
        ]
        items.append(payload)
    return {"file": file, "remittances": items}


def _adj_lines(adjustments: Iterable[Adjustment], indent: str) -> list[str]:
    out = []
    for adj in adjustments:
        qty = f" (qty {adj.quantity})" if adj.quantity is not None else ""
        out.append(
            f"{indent}{adj.group}-{adj.reason:<5} {fmt(adj.amount):>12}  {codes.carc(adj.reason)}"
            f" [{adj.group}: {codes.group(adj.group).split(' (')[0]}]{qty}"
        )
    return out


def _line(line: ServiceLine) -> list[str]:
    code = line.code or "(no code)"
    mods = f" mod {','.join(line.modifiers)}" if line.modifiers else ""
    when = line.date or line.date_from
    billed = f"  billed as {line.original_code}" if line.original_code else ""
    allowed = line.allowed
    out = [
        f"      {line.qualifier}:{code}{mods}  date {when or '-'}  charge {fmt(line.charge)}"
        f"  paid {fmt(line.paid)}"
        + (f"  allowed {fmt(allowed)}" if allowed is not None else "")
        + f"  line ref {line.line_ref or '-'}{billed}"
    ]
    out.extend(_adj_lines(line.adjustments, "          "))
    for remark in line.remarks:
        out.append(f"          remark {remark}: {codes.rarc(remark)}")
    return out


def _claim(claim: ClaimPayment) -> list[str]:
    patient = fmt(claim.patient_responsibility) if claim.patient_responsibility is not None else "-"
    span = claim.service_from
    if claim.service_to and claim.service_to != claim.service_from:
        span = f"{claim.service_from} to {claim.service_to}"  # type: ignore[assignment]
    status = codes.claim_status(claim.status)
    out = [
        f"  Claim {claim.patient_control}  status {claim.status} ({status})"
        f"  payer claim no. {claim.payer_claim_control or '-'}",
        f"    charge {fmt(claim.charge)}  paid {fmt(claim.paid)}  patient owes {patient}"
        f"  plan {claim.filing_indicator or '-'} ({codes.filing_indicator(claim.filing_indicator)})"
        f"  service {span or '-'}",
    ]
    if claim.status == "22":
        out.append("    REVERSAL: undoes an earlier payment of this claim (amounts are negated)")
    if claim.status == "25":
        out.append("    PREDETERMINATION: an estimate only; no money is paid or posted")
    if claim.adjustments:
        out.append("    claim adjustments:")
        out.extend(_adj_lines(claim.adjustments, "      "))
    for remark in claim.remarks:
        out.append(f"    remark {remark}: {codes.rarc(remark)}")
    if claim.lines:
        out.append(f"    lines ({len(claim.lines)}):")
        for line in claim.lines:
            out.extend(_line(line))
    out.append(f"    balanced: {'yes' if claim.balanced else 'NO'}")
    return out


def render_text(file: str, remittances: list[Remittance]) -> str:
    """The ``era inspect`` text for a parsed file."""
    out = [f"File {file}: {len(remittances)} remittance(s)"]
    if remittances and remittances[0].file_sha256:
        out[0] += f"  sha256 {remittances[0].file_sha256}"
    for number, rem in enumerate(remittances, 1):
        out.extend(_remittance(number, len(remittances), rem))
    return "\n".join(out) + "\n"


def _remittance(number: int, count: int, rem: Remittance) -> list[str]:
    env = rem.envelope
    usage = "TEST DATA (never posted)" if rem.test else "production"
    payer_ids = ", ".join(f"{r.qualifier} {r.value}" for r in rem.payer.refs)
    direction = "credit to the practice" if rem.credit_debit == "C" else "DEBIT from the practice"
    charged = sum((c.charge for c in rem.claims), Decimal("0.00"))
    paid = sum((c.paid for c in rem.claims), Decimal("0.00"))
    out = [
        "",
        f"Remittance {number} of {count}  (segment {rem.segment_no}, ST {env.transaction_control},"
        f" group {env.group_control}, interchange {env.interchange_control}, {usage})",
        f"  Key:        {rem.item_key}",
        f"  Payment:    {fmt(rem.amount)} {direction}, {codes.payment_method(rem.method)}"
        f" ({rem.method}), dated {rem.payment_date or rem.payment_date_raw or '-'}",
        f"  Handling:   {rem.handling} ({codes.handling(rem.handling)})",
        f"  Trace:      {rem.trace} (check or EFT number), payer id {rem.payer_id}",
        f"  Payer:      {rem.payer.name} {rem.payer.id_qualifier} {rem.payer.id}".rstrip()
        + (f"  [{payer_ids}]" if payer_ids else ""),
    ]
    for contact in rem.payer.contacts:
        numbers = ", ".join(f"{q} {v}" for q, v in contact.numbers)
        out.append(f"              contact {contact.function}: {contact.name} {numbers}".rstrip())
    out.append(
        f"  Payee:      {rem.payee.name}  NPI {rem.payee_npi or '-'}  TIN {rem.payee_tin or '-'}"
    )
    out.append(
        f"  Claims:     {len(rem.claims)}  charged {fmt(charged)}  paid {fmt(paid)}"
        f"  provider adjustments {fmt(rem.plb_total)}"
    )
    if rem.balanced:
        out.append("  Balancing:  OK - every line, claim and the payment total add up")
    else:
        out.append(f"  Balancing:  NOT BALANCED ({len(rem.balance_errors)} problem(s));"
                   " nothing in this remittance will post automatically")  # fmt: skip
        out.extend(f"    - {err.message}" for err in rem.balance_errors)
    for warning in rem.warnings:
        out.append(f"  Warning:    {warning}")
    for claim in rem.claims:
        out.append("")
        out.extend(_claim(claim))
    if rem.plb:
        out.append("")
        out.append("  Provider-level adjustments (PLB; positive = withheld from this payment):")
        for adj in rem.plb:
            effect = "reduces" if adj.amount > 0 else "adds to"
            out.append(
                f"    {adj.reason:<3} {fmt(adj.amount):>12}  {codes.plb_reason(adj.reason)}"
                f"; {effect} the payment; reference {adj.reference or '-'}"
                f"; provider {adj.provider}"
            )
    return out
