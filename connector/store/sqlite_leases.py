"""Practice leases on SQLite: the same contract as PostgreSQL, serialised by ``BEGIN IMMEDIATE``.

One SQLite file normally serves one instance, so leases are off by default there; these
functions still keep the contract (one live owner per practice, expiry by the store's clock,
fair share over live instances) so the contract tests run on both engines, and two processes
sharing one file are coordinated correctly. Each function runs inside the caller's write
transaction; ``now`` is the store's clock for that transaction.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Collection, Sequence

from connector import jsonutil
from connector.store.base import fair_share


def _ts(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat()


def _heartbeat(tx: sqlite3.Connection, owner: str, ttl: dt.timedelta, now: dt.datetime) -> None:
    tx.execute(
        "INSERT INTO lease_instances (owner, started_at, seen_at, expires_at) VALUES (?,?,?,?)"
        " ON CONFLICT (owner) DO UPDATE SET seen_at = excluded.seen_at,"
        " expires_at = excluded.expires_at",
        (owner, _ts(now), _ts(now), _ts(now + ttl)),
    )


def _held(tx: sqlite3.Connection, owner: str, now: dt.datetime) -> list[str]:
    rows = tx.execute(
        "SELECT practice_id FROM practice_leases WHERE owner = ? AND expires_at > ?"
        " ORDER BY practice_id",
        (owner, _ts(now)),
    ).fetchall()
    return [row[0] for row in rows]


def claim(
    tx: sqlite3.Connection,
    owner: str,
    practice_ids: Sequence[str],
    ttl: dt.timedelta,
    limit: int | None,
    now: dt.datetime,
) -> list[str]:
    """See :meth:`connector.store.base.StateStore.claim_practices`."""
    ids = sorted(set(practice_ids))
    _heartbeat(tx, owner, ttl, now)
    tx.executemany(
        "INSERT INTO practice_leases (practice_id) VALUES (?) ON CONFLICT DO NOTHING",
        [(pid,) for pid in ids],
    )
    live = tx.execute(
        "SELECT COUNT(*) FROM lease_instances WHERE expires_at > ?", (_ts(now),)
    ).fetchone()[0]
    held = _held(tx, owner, now)
    want = fair_share(len(ids), int(live), limit) - len(held)
    claimed: list[str] = []
    if want > 0:
        claimed = [
            row[0]
            for row in tx.execute(
                "UPDATE practice_leases SET owner = ?, acquired_at = ?, renewed_at = ?,"
                " expires_at = ? WHERE practice_id IN ("
                "  SELECT practice_id FROM practice_leases"
                "  WHERE practice_id IN (SELECT value FROM json_each(?))"
                "  AND (owner IS NULL OR expires_at <= ?) ORDER BY practice_id LIMIT ?"
                ") RETURNING practice_id",
                (owner, _ts(now), _ts(now), _ts(now + ttl), jsonutil.dumps(ids), _ts(now), want),
            ).fetchall()
        ]
    return sorted(held + claimed)


def renew(tx: sqlite3.Connection, owner: str, ttl: dt.timedelta, now: dt.datetime) -> list[str]:
    """See :meth:`connector.store.base.StateStore.renew_leases`."""
    _heartbeat(tx, owner, ttl, now)
    rows = tx.execute(
        "UPDATE practice_leases SET expires_at = ?, renewed_at = ?"
        " WHERE owner = ? AND expires_at > ? RETURNING practice_id",
        (_ts(now + ttl), _ts(now), owner, _ts(now)),
    ).fetchall()
    return sorted(row[0] for row in rows)


def release(tx: sqlite3.Connection, owner: str, practice_ids: Collection[str] | None) -> list[str]:
    """See :meth:`connector.store.base.StateStore.release_leases`."""
    if practice_ids is None:
        rows = tx.execute(
            "UPDATE practice_leases SET owner = NULL, expires_at = NULL WHERE owner = ?"
            " RETURNING practice_id",
            (owner,),
        ).fetchall()
        tx.execute("DELETE FROM lease_instances WHERE owner = ?", (owner,))
    else:
        rows = tx.execute(
            "UPDATE practice_leases SET owner = NULL, expires_at = NULL WHERE owner = ?"
            " AND practice_id IN (SELECT value FROM json_each(?)) RETURNING practice_id",
            (owner, jsonutil.dumps(sorted(practice_ids))),
        ).fetchall()
    return sorted(row[0] for row in rows)


def holders(conn: sqlite3.Connection, now: dt.datetime) -> dict[str, list[str]]:
    """See :meth:`connector.store.base.StateStore.lease_holders`."""
    result: dict[str, list[str]] = {
        row[0]: []
        for row in conn.execute(
            "SELECT owner FROM lease_instances WHERE expires_at > ? ORDER BY owner", (_ts(now),)
        )
    }
    for owner, practice_id in conn.execute(
        "SELECT owner, practice_id FROM practice_leases WHERE owner IS NOT NULL"
        " AND expires_at > ? ORDER BY owner, practice_id",
        (_ts(now),),
    ):
        result.setdefault(owner, []).append(practice_id)
    return result
