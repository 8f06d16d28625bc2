"""Dentrix G: the family's patient payments in a date window (to spot ones entered by hand).

A payment is a ledger row (``admin.fullproclog``, ``chartstatus`` 90, ``proclogclass`` 1), its
amount a credit (negative); its type is ``proclogorder`` (``admin.fulldef``, deftype 6) and a
note on it (``admin.fullnotes``, notetype 1) carries our marker when we wrote it. Each row is
listed on its own: a payment staff split among providers shows as several rows [I]. Dentrix
keeps no "entered by" user on the row that we know of [U], so ``entered_by`` is None.
"""

from __future__ import annotations

import datetime as dt

from adapters.base import PmsPayment, has_marker
from adapters.dentrix import mapping as m
from adapters.pmssql.session import Tx

FAMILY_PAYMENTS = """
SELECT l.procid, l.patid, l.procdate, l.amt, d.descript, n.notetext
FROM admin.fullproclog l
LEFT JOIN admin.fulldef d ON d.defid = l.proclogorder AND d.deftype = 6
LEFT JOIN admin.fullnotes n ON n.notetype = 1 AND n.noteid = l.procid
WHERE l.guarid = ? AND l.chartstatus = 90 AND l.proclogclass = 1
  AND l.procdate >= ? AND l.procdate <= ?
ORDER BY l.procdate, l.procid
"""  # [V-code] columns (see schema.sql); the joins are [I]


def family_payments(tx: Tx, guarantor: int, start: dt.date, end: dt.date) -> list[PmsPayment]:
    """Payment rows of the family of ``guarantor`` dated start…end, oldest first."""
    return [
        PmsPayment(
            pms_id=str(int(r["procid"])),
            patient_id=str(int(r["patid"])),
            date=m.as_date(r["procdate"]),
            amount=-m.money(r["amt"]),
            payment_type=str(r["descript"]) if r["descript"] else None,
            entered_by=None,
            ours=has_marker(r["notetext"]),
        )
        for r in tx.rows(FAMILY_PAYMENTS, guarantor, start, end)
    ]
