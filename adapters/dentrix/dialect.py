"""What differs between the real Dentrix G engine (c-treeACE SQL) and the test engine (SQLite).

Everything else — the SQL in :mod:`adapters.dentrix.queries` — is written once in the subset
both accept: ``?`` parameters, ``admin.``-qualified names, ``COALESCE``, ``instr``, ``MAX``.
The emulation ATTACHes a second SQLite file as ``admin`` so schema-qualified names resolve.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from adapters.pmssql.sqlstate import Kind

_DATABASE = re.compile(r"(?i)(?:^|;)\s*database\s*=\s*([^;]+)")


@dataclass(frozen=True)
class DentrixDialect:
    """Engine differences, each one small.

    Attributes:
        name: ``ctree`` (FairCom c-treeACE, the real Dentrix G engine) or ``sqlite``.
        admin_path: the emulation's ``admin`` database file (SQLite only).
        identity_sql: how to read the id the engine just gave an inserted row, or None to
            re-read the row by the values we inserted (c-treeACE: no documented function
            was found [U], so we re-read inside the same transaction).
    """

    name: str
    admin_path: Path | None = None
    identity_sql: str | None = None

    def session_setup(self) -> list[tuple[str, tuple[str, ...]]]:
        """Statements to run on every new connection (with their parameters)."""
        if self.admin_path is None:
            return []
        return [("ATTACH DATABASE ? AS admin", (str(self.admin_path),))]

    def refine(self, sqlstate: str, message: str) -> str:
        """Turn an engine's generic SQLSTATE into a standard one where the message is clear."""
        if self.name != "sqlite" or sqlstate != "HY000":
            return sqlstate
        return _sqlite_refine(message) or sqlstate

    def kind_hint(self, message: str) -> Kind | None:
        """An engine message that means more than its SQLSTATE says (None: use the state)."""
        lowered = message.lower()
        if "nested transaction" in lowered:  # c-treeACE [V-code]: a bug on our side
            return Kind.SCHEMA
        if "exclusive mode" in lowered:  # Dentrix RU_DATABASE_EX [V-code]
            return Kind.BUSY
        return None


def _sqlite_refine(message: str) -> str | None:
    """SQLite's ODBC driver reports everything as HY000 with the native code in the text."""
    lowered = message.lower()
    if "unique constraint failed" in lowered or "is not unique" in lowered:
        return "23505"
    if "constraint failed" in lowered:
        return "23000"
    if "database is locked" in lowered or "database table is locked" in lowered:
        return "40001"
    if "no such table" in lowered or "no such column" in lowered or "syntax error" in lowered:
        return "42000"
    if "unable to open database" in lowered:
        return "08001"
    return None


def ctree() -> DentrixDialect:
    """The real Dentrix G engine (c-treeACE SQL through its ODBC driver)."""
    return DentrixDialect(name="ctree")


def sqlite(admin_path: Path, *, reread_identity: bool = False) -> DentrixDialect:
    """The emulation: SQLite through libsqliteodbc with ``admin`` attached.

    ``reread_identity`` makes the emulation take the c-treeACE path for new ids, so that path
    is exercised by the tests too.
    """
    return DentrixDialect(
        name="sqlite",
        admin_path=admin_path,
        identity_sql=None if reread_identity else "SELECT last_insert_rowid()",
    )


def for_connection_string(conn_str: str) -> DentrixDialect:
    """Choose the dialect from the ODBC connection string's driver.

    The emulation keeps its ``admin`` file beside the main database as ``admin.db``.
    """
    if "sqlite" not in conn_str.lower():
        return ctree()
    match = _DATABASE.search(conn_str)
    main = Path(match.group(1).strip()) if match else Path("dentrix.db")
    return sqlite(main.with_name("admin.db"))
