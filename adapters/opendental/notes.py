"""Patient notes as Open Dental commlogs (``POST /commlogs``), written once by marker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adapters.base import marker_for
from adapters.opendental import mapping, queries
from adapters.opendental.api import OpenDentalApi, moment
from adapters.opendental.db import ReadOnlyDb
from adapters.opendental.retry import once_more_if_absent
from connector.domain import PatientNote
from connector.errors import DataError


def add(
    db: ReadOnlyDb, api: OpenDentalApi, note: PatientNote, note_type: Callable[[], int | None]
) -> dict[str, Any]:
    """A commlog (of the type ``note_type()`` names, when it names one) for the note;
    idempotent by marker.

    Raises:
        DataError: unknown patient. PermanentError, TransientError, AuthError.
    """
    pat_num = mapping.key(note.patient_id)
    if pat_num is None:
        raise DataError(f"patient {note.patient_id} not found", code="patient_missing")
    marker = marker_for(note.external_ref) if note.external_ref else None
    text = f"{note.text} {marker}" if marker else note.text
    body: dict[str, Any] = {
        "PatNum": pat_num,
        "Note": text,
        "CommDateTime": moment(note.when),
        "Mode_": "None",
        "SentOrReceived": "Neither",
    }
    comm_type = note_type()
    if comm_type is not None:
        body["CommType"] = comm_type

    def existing() -> dict[str, Any] | None:
        if marker is None:
            return None
        row = db.fetchone("commlog_by_marker", queries.COMMLOG_BY_MARKER, (pat_num, marker))
        return {"CommlogNum": int(row[0])} if row else None

    found = existing()
    if found is not None:
        return {**found, "already_existed": True}
    created = once_more_if_absent(lambda: api.create_commlog(body), existing, step="commlogs_post")
    return {"CommlogNum": int(created["CommlogNum"])}
