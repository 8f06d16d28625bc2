"""Build small, balanced dental 835 files for inbox tests (synthetic data, no real people)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Claim:
    """One claim with a single CDT line: charge = paid + patient share + contractual CO-45."""

    control: str
    charge: str
    paid: str
    patient: str = "0.00"
    status: str = "1"
    payer_control: str = "PCN1"
    patient_last: str = "Testperson"
    patient_first: str = "Alicia"
    member_id: str = "MBR778899"


def make_835(
    claims: list[Claim],
    *,
    trace: str = "TRACE0001",
    payer_id: str = "1999999999",
    usage: str = "P",
    interchange: str = "000000101",
    date: str = "20261118",
) -> bytes:
    """A complete ISA…IEA interchange with one balanced ST…SE per call."""
    total = sum((Decimal(c.paid) for c in claims), Decimal("0.00"))
    body = [
        f"BPR*I*{total:.2f}*C*ACH*CCP*01*999999992*DA*123456*1999999999**01*999988880*DA*98765*{date}",
        f"TRN*1*{trace}*{payer_id}",
        f"DTM*405*{date}",
        "N1*PR*EXAMPLE DENTAL PLAN",
        "N3*1 PLAN WAY",
        "N4*COLUMBUS*OH*43215",
        "PER*BL*EDI SUPPORT*TE*8005550100",
        "N1*PE*SMILE DENTAL*XX*1234567893",
        "REF*TJ*123456789",
        "LX*1",
    ]
    for claim in claims:
        charge, paid, patient = Decimal(claim.charge), Decimal(claim.paid), Decimal(claim.patient)
        contractual = charge - paid - patient
        body += [
            f"CLP*{claim.control}*{claim.status}*{charge:.2f}*{paid:.2f}*{patient:.2f}*12*"
            f"{claim.payer_control}*11*1",
            f"NM1*QC*1*{claim.patient_last}*{claim.patient_first}****MI*{claim.member_id}",
            f"DTM*232*{date}",
            f"SVC*AD:D1110*{charge:.2f}*{paid:.2f}**1",
            f"DTM*472*{date}",
        ]
        if contractual:
            body.append(f"CAS*CO*45*{contractual:.2f}")
        if patient:
            body.append(f"CAS*PR*3*{patient:.2f}")
        body.append("REF*6R*1")
    segments = [
        f"ISA*00*          *00*          *ZZ*CLEARINGHOUSE  *ZZ*SMILEDENTAL    *261118*1200*^*"
        f"00501*{interchange}*0*{usage}*:",
        f"GS*HP*CLEARINGHOUSE*SMILEDENTAL*{date}*1200*1*X*005010X221A1",
        "ST*835*0001",
        *body,
        f"SE*{len(body) + 2}*0001",
        "GE*1*1",
        f"IEA*1*{interchange}",
    ]
    return ("~\n".join(segments) + "~\n").encode("ascii")


def good_claims(prefix: str = "C") -> list[Claim]:
    """Two ordinary paid claims."""
    return [
        Claim(f"{prefix}100", "120.00", "90.00", patient="10.00", payer_control=f"{prefix}P1"),
        Claim(f"{prefix}200", "250.00", "180.00", patient="20.00", payer_control=f"{prefix}P2",
              patient_last="Examplename", patient_first="Bertram", member_id="MBR112233"),
    ]  # fmt: skip
