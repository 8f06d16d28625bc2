"""Named kill points for crash-injection tests (issue: exactly once under crashes).

Production code calls :func:`kill_point` at the places where a crash is most dangerous (after
the PMS write and before the store update; after recording items and before the cursor;
between the steps of an insurance posting; during an SFTP download):

* ``posting.before_pms_write`` — planned, nothing written yet;
* ``posting.after_pms_write`` — the adapter returned: the PMS has the entry, the step journal
  and the store do not (healed by ``find_posting`` / the adapter's marker check on restart);
* ``posting.before_store_update`` — journal and patient note done, item not yet marked posted;
* ``insurance.step_written`` — one step of an insurance posting reached the PMS, its journal
  entry not yet written; ``insurance.between_steps`` — right after the journal recorded it;
* ``stripe.after_fetch_before_record``, ``era.after_parse_before_record`` — items built, not
  yet recorded with the cursor; ``sftp.mid_download`` — after each chunk written to ``.part``.

It does nothing unless the environment variable ``CONNECTOR_KILL_AT`` names that point, as
``name`` or ``name:N`` (die on the N-th time the point is reached, default 1). Then the process
kills itself with SIGKILL: no cleanup, no ``finally`` blocks, exactly like a power cut.
"""

from __future__ import annotations

import os
import signal
import threading

ENV = "CONNECTOR_KILL_AT"
_hits: dict[str, int] = {}
_lock = threading.Lock()

KILL_POINTS = (
    "stripe.after_fetch_before_record",
    "posting.before_pms_write",
    "posting.after_pms_write",
    "posting.before_store_update",
    "insurance.step_written",
    "insurance.between_steps",
    "era.after_parse_before_record",
    "sftp.mid_download",
)


def kill_point(name: str) -> None:
    """SIGKILL this process if ``CONNECTOR_KILL_AT`` targets ``name`` (and its hit count)."""
    target = os.environ.get(ENV)
    if not target:
        return
    point, _, nth = target.partition(":")
    if point != name:
        return
    with _lock:
        _hits[name] = _hits.get(name, 0) + 1
        hit = _hits[name]
    if hit >= int(nth or "1"):
        os.kill(os.getpid(), signal.SIGKILL)
