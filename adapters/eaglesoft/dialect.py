"""What differs between SAP SQL Anywhere (real Eaglesoft) and SQLite (the emulation).

The queries in :mod:`adapters.eaglesoft.queries` are written once; this object holds the rest:

* **write authentication** — SQL Anywhere: ``SET TEMPORARY OPTION connection_authentication=
  '…'`` right after connecting [V-doc SAP]; an unauthenticated connection is read-only and
  writes fail with "Authentication violation" [V-doc SAP; V-code]. The statement takes a
  literal, not a parameter, so the text is quoted here (single quotes doubled).
* **the emulation of that check** — SQLite has no OEM authentication. On every connection the
  emulation dialect creates a TEMP table ``connection_authentication`` and TEMP triggers on
  the ledger tables that ``RAISE(ABORT, 'Authentication violation')`` unless that table holds
  the text stored in ``main.oem_authentication``; "authenticating" inserts the text. The
  adapter's code path is the same (connect → set-up → authenticate → write → the engine
  refuses or accepts). Difference from SQL Anywhere: the check lives in per-connection
  triggers that our dialect installs, so a client that skips our set-up (the seeder) can write;
  and there is no 30-second grace period.
* **key conflicts and locks** — SQL Anywhere reports duplicate primary keys as 23W01 [I] and
  row locks as 42W18 [I]; SQLite's driver reports everything as HY000 with a message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from adapters.pmssql.sqlstate import Kind

# Tables whose writes the emulated OEM check guards (everything the adapter writes).
GUARDED_TABLES = (
    "transactions_header",
    "transactions_detail",
    "operatory_notes",
    "bulk_payments",
    "patient",
    "insurance_claim",
    "paytype",
    "adjustment_type",
)
_DATABASE = re.compile(r"(?i)(?:^|;)\s*database\s*=\s*([^;]+)")


def authentication_text(company: str, application: str, signature: str) -> str:
    """The ``connection_authentication`` value [V-doc SAP]: ``Company=…;Application=…;…``."""
    return f"Company={company};Application={application};Signature={signature}"


@dataclass(frozen=True)
class EaglesoftDialect:
    """Engine differences; ``name`` is ``sqlanywhere`` or ``sqlite``."""

    name: str

    def session_setup(self) -> list[str]:
        """Statements run on every new connection before anything else."""
        if self.name != "sqlite":
            return []
        statements = [
            "CREATE TEMP TABLE IF NOT EXISTS connection_authentication (value VARCHAR(400))"
        ]
        check = (
            "NOT EXISTS (SELECT 1 FROM temp.connection_authentication a "
            "JOIN main.oem_authentication o ON a.value = o.expected)"
        )
        for table in GUARDED_TABLES:
            for op in ("INSERT", "UPDATE", "DELETE"):
                statements.append(
                    f"CREATE TEMP TRIGGER IF NOT EXISTS oem_{table}_{op.lower()} "
                    f"BEFORE {op} ON main.{table} WHEN {check} "
                    "BEGIN SELECT RAISE(ABORT, 'Authentication violation'); END"
                )
        return statements

    def authenticate(self, text: str) -> tuple[str, tuple[str, ...]]:
        """The statement (and parameters) that authenticates this connection for writes."""
        if self.name == "sqlite":
            return ("INSERT INTO temp.connection_authentication (value) VALUES (?)", (text,))
        quoted = text.replace("'", "''")
        # SET OPTION takes a literal only; the value is the practice's own configured text.
        return (f"SET TEMPORARY OPTION connection_authentication = '{quoted}'", ())

    def refine(self, sqlstate: str, message: str) -> str:
        """A standard SQLSTATE for engine-specific ones."""
        lowered = message.lower()
        if self.name != "sqlite":
            if sqlstate == "23W01" or "is not unique" in lowered:  # [I] SQL Anywhere -193/-196
                return "23505"
            if sqlstate == "42W18":  # [I] "User … has the row … locked"
                return "40001"
            return sqlstate
        if sqlstate != "HY000":
            return sqlstate
        if "unique constraint failed" in lowered:
            return "23505"
        if "constraint failed" in lowered:
            return "23000"
        if "database is locked" in lowered or "database table is locked" in lowered:
            return "40001"
        if "no such table" in lowered or "no such column" in lowered or "syntax error" in lowered:
            return "42000"
        return sqlstate

    def kind_hint(self, message: str) -> Kind | None:
        """Messages that decide the kind whatever the SQLSTATE says."""
        if "authentication violation" in message.lower():  # [V-doc SAP; V-code]
            return Kind.AUTH
        return None


def for_connection_string(conn_str: str) -> EaglesoftDialect:
    """SQLite for the emulation (its driver name says so), else SQL Anywhere."""
    return EaglesoftDialect("sqlite" if "sqlite" in conn_str.lower() else "sqlanywhere")
