"""Did the PMS already post this ERA claim itself? Compare, procedure by procedure.

Open Dental can receive and post ERAs on its own (ERA automation "Fully automatic", per-carrier
overrides), and Dentrix and Eaglesoft staff post ERAs by hand. When the matched claim is already
received with insurance money on it, the connector compares what the PMS shows with what the
ERA pays, per procedure:

* **exactly the same** (paid and write-off on every procedure the ERA pays, deductible where the
  adapter reports one, and no other procedure of the claim carrying insurance money): the claim
  is recorded as **posted by the PMS** — history says so, nothing is written, no review;
* **any difference**: review ``claim_already_received`` listing each difference, so a person
  posts only what is missing.

Several ERA lines paying one procedure (split or unbundled lines) are summed first, as Open
Dental itself does.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from adapters.base import ClaimRecord
from connector.domain import ProcedurePayment
from connector.money import ZERO


def differences(record: ClaimRecord, payments: tuple[ProcedurePayment, ...]) -> list[str]:
    """What differs between the PMS claim and the ERA's payments (empty: the same)."""
    sums: dict[str, dict[str, Decimal]] = defaultdict(
        lambda: {"paid": ZERO, "writeoff": ZERO, "deductible": ZERO}
    )
    for p in payments:
        sums[p.proc_ref]["paid"] += p.paid
        sums[p.proc_ref]["writeoff"] += p.writeoff
        sums[p.proc_ref]["deductible"] += p.deductible
    found: list[str] = []
    for line in record.lines:
        era = sums.get(line.proc_ref)
        name = f"{line.code} on {line.date.isoformat()}"
        if era is None:
            if line.paid != ZERO or line.writeoff != ZERO:
                found.append(f"{name}: the PMS has paid {line.paid}, write-off {line.writeoff}; "
                             "the ERA pays nothing on it")  # fmt: skip
            continue
        if not line.received:
            found.append(f"{name}: not received in the PMS; the ERA pays {era['paid']}")
            continue
        if line.paid != era["paid"]:
            found.append(f"{name}: paid {line.paid} in the PMS, {era['paid']} in the ERA")
        if line.writeoff != era["writeoff"]:
            found.append(
                f"{name}: write-off {line.writeoff} in the PMS, {era['writeoff']} in the ERA"
            )
        deductible = getattr(line, "deductible", None)  # where the adapter reports it
        if isinstance(deductible, Decimal) and deductible != era["deductible"]:
            found.append(
                f"{name}: deductible {deductible} in the PMS, {era['deductible']} in the ERA"
            )
    return found
