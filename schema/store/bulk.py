"""Loading many rows at once: a table's secondary indexes stand down and are built once after.

Who calls this: `sync.laptop.replica` while a laptop takes its initial snapshot (or a re-snapshot after
its areas changed): 100,000 hazards inserted one by one into five indexes cost more than the
rows themselves, while CREATE INDEX over the finished table sorts once. The dropped indexes'
DDL is kept in `meta` in the same transaction that drops them, so a pull stopped half-way (a
crash, a lost connection) leaves a file that `schema.store.connection.connect` repairs on the next open
(`catch_up`, which also rebuilds a deferred search index).
Unique indexes stay: they are rules, not speed.
"""

from __future__ import annotations

import json
import sqlite3

from schema.store import search
from schema.store.transactions import transaction

DEFERRED = "deferred_indexes"
"""`meta` key: {index name: its CREATE statement} for the indexes standing down."""


def defer_indexes(conn: sqlite3.Connection, tables: list[str]) -> None:
    """Drop the non-unique secondary indexes of `tables` (inside the caller's transaction)."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (DEFERRED,)).fetchone()
    deferred = json.loads(row[0]) if row else {}
    marks = ", ".join("?" * len(tables))
    for name, sql in conn.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})"
        " AND sql NOT LIKE 'CREATE UNIQUE%'",
        tables,
    ).fetchall():
        deferred[name] = sql
        conn.execute(f"DROP INDEX {name}")
    if deferred:
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (DEFERRED, json.dumps(deferred)),
        )


def restore_indexes(conn: sqlite3.Connection) -> None:
    """Build every index that stands down, in one transaction (nothing if none does)."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (DEFERRED,)).fetchone()
    if row is None:
        return
    with transaction(conn):
        for sql in json.loads(row[0]).values():
            conn.execute(sql)
        conn.execute("DELETE FROM meta WHERE key = ?", (DEFERRED,))


def catch_up(conn: sqlite3.Connection) -> bool:
    """Build what a large pull left standing down: the tables' indexes, then the search index.
    Returns whether the search index was rebuilt (a large pull's end)."""
    restore_indexes(conn)
    if not search.is_deferred(conn):
        return False
    search.rebuild_index(conn)
    return True
