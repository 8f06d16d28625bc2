"""The Open Dental API double: ``POST /adjustments`` (Open Dental 22.2.22+, API Adjustments page).

Fields as the page lists them: ``PatNum``, ``AdjType`` (a definition of category 1), ``AdjAmt``
required; ``AdjDate`` (default today), ``ProvNum``, ``ProcNum``, ``ClinicNum``, ``AdjNote``
optional. The amount's sign must match the type's ``+``/``-`` (ItemValue) [3P, as the
reference notes]; a procedure must be the patient's. There is no DELETE.
"""

from __future__ import annotations

from typing import Any

from workshop.emulated.opendental.crud_rows import insert_row
from workshop.sandbox.opendental_common import (
    ApiFault,
    bad,
    date_field,
    definition,
    int_field,
    local_today,
    money_field,
    text,
)


def create_adjustment(cur: Any, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """``POST /adjustments``: one adjustment row, optionally attached to a procedure."""
    pat_num = int_field(body, "PatNum", required=True)
    adj_type = int_field(body, "AdjType", required=True)
    amount = money_field(body, "AdjAmt", required=True)
    assert pat_num is not None and adj_type is not None and amount is not None
    cur.execute("SELECT PatNum, ClinicNum FROM patient WHERE PatNum = ?", pat_num)
    patient = cur.fetchone()
    if patient is None:
        raise ApiFault(404, "Patient not found.")
    kind = definition(cur, adj_type, 1)
    if kind is None:
        raise bad("AdjType is invalid.")
    sign = str(kind["ItemValue"] or "")
    if amount == 0 or (sign == "+" and amount < 0) or (sign == "-" and amount > 0):
        raise bad("AdjAmt must match the sign of the AdjType.")
    proc_num = int_field(body, "ProcNum") or 0
    proc_date = None
    if proc_num:
        cur.execute("SELECT PatNum, ProcDate FROM procedurelog WHERE ProcNum = ?", proc_num)
        proc = cur.fetchone()
        if proc is None or int(proc[0]) != pat_num:
            raise bad("ProcNum is invalid.")
        proc_date = proc[1]
    when = date_field(body, "AdjDate") or local_today()
    prov_num = int_field(body, "ProvNum") or 0
    clinic = int_field(body, "ClinicNum")
    clinic_num = int(patient[1]) if clinic is None else clinic
    note = str(body.get("AdjNote") or "")
    num = insert_row(cur, "adjustment", {  # AdjustmentCrud.Insert: every column written
        "AdjDate": when, "AdjAmt": amount, "PatNum": pat_num, "AdjType": adj_type,
        "ProvNum": prov_num, "AdjNote": note, "ProcDate": proc_date or when,
        "ProcNum": proc_num, "DateEntry": local_today(), "ClinicNum": clinic_num,
    })  # fmt: skip
    return 201, {
        "AdjNum": num, "AdjDate": text(when), "AdjAmt": text(amount), "PatNum": pat_num,
        "AdjType": adj_type, "ProvNum": prov_num, "AdjNote": note, "ProcNum": proc_num,
        "ClinicNum": clinic_num,
    }  # fmt: skip
