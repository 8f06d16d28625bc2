"""Eaglesoft: the family's patient payments in a date window (to spot ones entered by hand).

A patient account payment is a ``transactions_header`` row of type ``A`` (the letter we write
too [V-code: Adit]) on the responsible party's account, its amount a credit (negative), its
type ``paytype_id`` and its ``user_id`` the Eaglesoft user who entered it. Our rows' 50-letter
``description`` starts with the compact marker (``CX:``/``AX:``). Deleted rows (status ``D``)
are not listed. The patient is the first detail line's.
"""

from __future__ import annotations

import datetime as dt
import re

from adapters.base import PmsPayment
from adapters.eaglesoft import mapping as m
from adapters.pmssql.session import Tx

FAMILY_PAYMENTS = """
SELECT h.tran_num, h.tran_date, h.amount, h.user_id, h.description, p.description AS type_name,
       (SELECT MIN(d.patient_id) FROM transactions_detail d WHERE d.tran_num = h.tran_num)
         AS patient_id
FROM transactions_header h LEFT JOIN paytype p ON p.paytype_id = h.paytype_id
WHERE h.resp_party_id = ? AND h.type = ? AND COALESCE(h.status, 'A') <> 'D'
  AND h.tran_date >= ? AND h.tran_date <= ?
ORDER BY h.tran_date, h.tran_num
"""  # [V-code] columns (see schema.sql); the correlated detail lookup is [I]

_OURS = re.compile(r"^[CA]X:")


def family_payments(tx: Tx, resp_party: int, start: dt.date, end: dt.date) -> list[PmsPayment]:
    """Account payments of ``resp_party`` dated start…end, oldest first."""
    rows = tx.rows(FAMILY_PAYMENTS, resp_party, m.TYPE_ACCOUNT_PAYMENT, start, end)
    return [
        PmsPayment(
            pms_id=str(int(r["tran_num"])),
            patient_id=str(int(r["patient_id"] if r["patient_id"] is not None else resp_party)),
            date=m.as_date(r["tran_date"]),
            amount=-m.money(r["amount"]),
            payment_type=str(r["type_name"]) if r["type_name"] else None,
            entered_by=f"Eaglesoft user {r['user_id']}" if r["user_id"] else None,
            ours=bool(_OURS.match(str(r["description"] or ""))),
        )
        for r in rows
    ]
