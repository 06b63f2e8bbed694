"""Who may take the district office's decisions on this database.

Who calls this: the office modules (`schema.office.extensions`, `schema.office.escalations`,
`schema.office.assessment`, `schema.office.importer`) before they write a decision. The district server
checks the same thing again on every pushed op (`Policy.office_only`, `Policy.office_fields`),
so this local check is about telling a person at once, not about trust.

A laptop enrolled with the district server knows its user's role (`meta.role`, from
`/v1/me`). A standalone database (the demo, an office's own file) answers to nobody else: its
user is the office.
"""

from __future__ import annotations

import sqlite3

from schema.errors import DomainError
from schema.store.transactions import get_meta

OFFICE_ROLES = ("supervisor", "admin")


def role(conn: sqlite3.Connection) -> str:
    """This database's user's role: the enrolled role, or 'admin' for a standalone file."""
    return get_meta(conn, "role") or ("inspector" if get_meta(conn, "server_url") else "admin")


def is_office(conn: sqlite3.Connection) -> bool:
    return role(conn) in OFFICE_ROLES


def require_office(conn: sqlite3.Connection, what: str) -> None:
    """Refuse, in words, a decision this laptop's user may not take."""
    if not is_office(conn):
        raise DomainError(f"only a supervisor or admin can {what}; this laptop is enrolled as {role(conn)}")
