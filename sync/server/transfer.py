"""Copying a whole district from one server store to another, verified row for row.

Who calls this: `safecity admin --data DIR migrate-to --database-url URL` (moving a district
from the embedded SQLite server to PostgreSQL), and seeding a PostgreSQL server (the demo is
built in a temporary SQLite store, then copied). The copy runs in one target transaction; then
every table's row count and a content checksum (SHA-256 over its rows in key order) are
computed on both sides and must be equal, or the command fails and says which table differs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from schema.errors import DomainError
from schema.tables import POLICIES
from sync.server.backends.base import ServerDb

KEYS: dict[str, tuple[str, ...]] = {
    "row_meta": ("table_name", "row_id"),
    "account": ("login",),
    "meta": ("key",),
    "number_block": ("year", "first"),
}
"""Primary keys where they are not `id`."""

TABLES = (*POLICIES, "event", "row_meta", "account", "device", "number_block", "meta")
"""Parents before children (the foreign keys are checked as rows arrive)."""

CHUNK = 5000


def _key(table: str) -> tuple[str, ...]:
    return KEYS.get(table, ("id",))


def _rows(db: Any, table: str, columns: list[str]) -> Iterator[tuple[Any, ...]]:
    """Every row of `table` in key order, read a chunk at a time (keyset, not OFFSET)."""
    key = _key(table)
    names = ", ".join(columns)
    order = ", ".join(key)
    last: tuple[Any, ...] | None = None
    while True:
        if last is None:
            chunk = db.rows(f"SELECT {names} FROM {table} ORDER BY {order} LIMIT {CHUNK}")
        else:
            chunk = db.rows(
                f"SELECT {names} FROM {table} WHERE ({order}) > ({', '.join('?' * len(key))})"
                f" ORDER BY {order} LIMIT {CHUNK}",
                last,
            )
        if not chunk:
            return
        yield from chunk
        positions = [columns.index(k) for k in key]
        last = tuple(chunk[-1][i] for i in positions)


def checksum(db: Any, table: str) -> tuple[int, str]:
    """(row count, SHA-256 of the rows in key order) of one table."""
    columns = sorted(db.columns(table))
    digest = hashlib.sha256()
    count = 0
    for row in _rows(db, table, columns):
        digest.update(repr(tuple(_normal(v) for v in row)).encode())
        count += 1
    return count, digest.hexdigest()


def _normal(value: Any) -> Any:
    return float(value) if isinstance(value, float) else value


def holds_a_district(db: ServerDb) -> bool:
    """Whether `db` already has areas or accounts (a migration copies only into an empty one)."""
    return bool(db.one("SELECT 1 AS x FROM area LIMIT 1") or db.one("SELECT 1 AS x FROM account LIMIT 1"))


def copy_store(source: Any, target: Any, *, tables: tuple[str, ...] = TABLES) -> dict[str, int]:
    """Copy `tables` from `source` into `target` (one transaction); returns rows copied per table."""
    counts: dict[str, int] = {}
    with target.transaction():
        for table in tables:
            columns = source.columns(table)
            missing = set(columns) - set(target.columns(table))
            if missing:
                raise DomainError(
                    f"the target has no column {', '.join(sorted(missing))} in {table}; "
                    "both must run the same SafeCity version"
                )
            insert = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})" + (
                f" ON CONFLICT ({', '.join(_key(table))}) DO UPDATE SET value = excluded.value"
                if table == "meta"
                else ""
            )
            batch: list[tuple[Any, ...]] = []
            counts[table] = 0
            for row in _rows(source, table, columns):
                batch.append(tuple(row))
                if len(batch) == CHUNK:
                    target.many(insert, batch)
                    counts[table] += len(batch)
                    batch = []
            target.many(insert, batch)
            counts[table] += len(batch)
    return counts


def verify(source: Any, target: Any, *, tables: tuple[str, ...] = TABLES) -> dict[str, dict[str, Any]]:
    """Row counts and checksums of both sides; DomainError naming the first table that differs."""
    report = {}
    for table in tables:
        if table == "meta":
            continue  # each side keeps its own schema facts there
        mine, theirs = checksum(source, table), checksum(target, table)
        if mine != theirs:
            raise DomainError(f"{table} differs after the copy: {mine[0]} rows here, {theirs[0]} there")
        report[table] = {"rows": mine[0], "sha256": mine[1]}
    return report
