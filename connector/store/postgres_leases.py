"""Practice leases on PostgreSQL: ``FOR UPDATE SKIP LOCKED`` claims, expiry by the server clock.

Every time comparison uses the database server's ``now()`` (the transaction's start), never an
instance's clock, so instances on hosts with skewed clocks still agree on who holds what. Each
function runs inside the caller's transaction (see
:class:`~connector.store.postgres.PostgresStore`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Any

from psycopg import Cursor

from connector.store.base import fair_share

Cur = Cursor[dict[str, Any]]


def _heartbeat(cur: Cur, owner: str, ttl: dt.timedelta) -> None:
    cur.execute(
        "INSERT INTO lease_instances (owner, started_at, seen_at, expires_at)"
        " VALUES (%s, now(), now(), now() + %s) ON CONFLICT (owner) DO UPDATE"
        " SET seen_at = excluded.seen_at, expires_at = excluded.expires_at",
        (owner, ttl),
    )


def claim(
    cur: Cur, owner: str, practice_ids: Sequence[str], ttl: dt.timedelta, limit: int | None
) -> list[str]:
    """See :meth:`connector.store.base.StateStore.claim_practices`."""
    ids = sorted(set(practice_ids))
    _heartbeat(cur, owner, ttl)
    # Missing rows are created free; sorted so concurrent claimers lock them in one order.
    cur.execute(
        "INSERT INTO practice_leases (practice_id)"
        " SELECT p FROM unnest(%s::text[]) AS p"
        " WHERE NOT EXISTS (SELECT 1 FROM practice_leases l WHERE l.practice_id = p)"
        " ORDER BY p ON CONFLICT DO NOTHING",
        (ids,),
    )
    cur.execute("SELECT count(*) AS n FROM lease_instances WHERE expires_at > now()")
    live = int(_one(cur)["n"])
    cur.execute(
        "SELECT practice_id FROM practice_leases WHERE owner = %s AND expires_at > now()",
        (owner,),
    )
    held = [row["practice_id"] for row in cur.fetchall()]
    want = fair_share(len(ids), live, limit) - len(held)
    claimed: list[str] = []
    if want > 0:
        cur.execute(
            "WITH free AS ("
            "  SELECT practice_id FROM practice_leases"
            "  WHERE practice_id = ANY(%s) AND (owner IS NULL OR expires_at <= now())"
            "  ORDER BY practice_id LIMIT %s FOR UPDATE SKIP LOCKED"
            ") UPDATE practice_leases l SET owner = %s, acquired_at = now(), renewed_at = now(),"
            " expires_at = now() + %s FROM free WHERE l.practice_id = free.practice_id"
            " RETURNING l.practice_id",
            (ids, want, owner, ttl),
        )
        claimed = [row["practice_id"] for row in cur.fetchall()]
    # Forget instances that have been gone for a day, so the table does not grow forever.
    cur.execute("DELETE FROM lease_instances WHERE expires_at < now() - interval '1 day'")
    return sorted(held + claimed)


def renew(cur: Cur, owner: str, ttl: dt.timedelta) -> list[str]:
    """See :meth:`connector.store.base.StateStore.renew_leases`."""
    _heartbeat(cur, owner, ttl)
    cur.execute(
        "UPDATE practice_leases SET expires_at = now() + %s, renewed_at = now()"
        " WHERE owner = %s AND expires_at > now() RETURNING practice_id",
        (ttl, owner),
    )
    return sorted(row["practice_id"] for row in cur.fetchall())


def release(cur: Cur, owner: str, practice_ids: Collection[str] | None) -> list[str]:
    """See :meth:`connector.store.base.StateStore.release_leases`."""
    if practice_ids is None:
        cur.execute(
            "UPDATE practice_leases SET owner = NULL, expires_at = NULL WHERE owner = %s"
            " RETURNING practice_id",
            (owner,),
        )
        released = [row["practice_id"] for row in cur.fetchall()]
        cur.execute("DELETE FROM lease_instances WHERE owner = %s", (owner,))
    else:
        cur.execute(
            "UPDATE practice_leases SET owner = NULL, expires_at = NULL WHERE owner = %s"
            " AND practice_id = ANY(%s) RETURNING practice_id",
            (owner, sorted(practice_ids)),
        )
        released = [row["practice_id"] for row in cur.fetchall()]
    return sorted(released)


def holders(cur: Cur) -> dict[str, list[str]]:
    """See :meth:`connector.store.base.StateStore.lease_holders`."""
    cur.execute("SELECT owner FROM lease_instances WHERE expires_at > now() ORDER BY owner")
    result: dict[str, list[str]] = {row["owner"]: [] for row in cur.fetchall()}
    cur.execute(
        "SELECT owner, practice_id FROM practice_leases WHERE owner IS NOT NULL"
        " AND expires_at > now() ORDER BY owner, practice_id"
    )
    for row in cur.fetchall():
        result.setdefault(row["owner"], []).append(row["practice_id"])
    return result


def _one(cur: Cur) -> dict[str, Any]:
    row = cur.fetchone()
    assert row is not None
    return row
