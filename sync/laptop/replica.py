"""The laptop's side of sync: its outbox, push results, and pulled pages applied locally.

Who calls this: `sync.laptop.client.SyncClient`, between HTTP calls. Every function here is one
local transaction, which is what makes sync resumable anywhere:
- `pending_ops`: the outbox is the device's own events still `pending` (written by
  `schema.writes` together with each edit), oldest first.
- `record_results`: the server's answer for each op. An op stays pending until its result
  is recorded, so a lost response only means the same ops are sent again (the server answers
  them from its stored results). Rejected ops are kept, with the reason, never dropped.
- `apply_page`: rows from the server, written over the local copy except the fields that a
  pending local op is still carrying; the cursor moves in the same transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

import orjson

from schema import clock
from schema.store import bulk, search
from schema.store.transactions import get_meta, set_meta, transaction
from schema.tables import POLICIES
from schema.undo import SENT_THROUGH
from sync.protocol import run_length

BULK_ROWS = 1000
"""A page this large is written without per-row search indexing (and, while the snapshot is
being taken, without its tables' secondary indexes); `finish_pull` builds them once."""


def device_id(conn: sqlite3.Connection) -> str:
    value = get_meta(conn, "device_id")
    if value is None:
        raise RuntimeError("this database is not enrolled")
    return value


def mark_sent(conn: sqlite3.Connection, through_seq: int) -> None:
    """Note, before a batch goes on the wire, that its ops may reach the server from now on: an
    answer can be lost after the server applied them, so they are past undoing (`schema.undo`)."""
    with transaction(conn):
        set_meta(conn, SENT_THROUGH, str(through_seq))


def pending_ops(conn: sqlite3.Connection, limit: int, *, after_seq: int = 0) -> list[dict[str, Any]]:
    """The oldest `limit` ops of this device not yet acknowledged, after `after_seq` (a batch that
    is on its way but not yet answered)."""
    rows = conn.execute(
        "SELECT id, device_seq, hlc, table_name, row_id, action, fields, old, base_version, actor, at, hash, prev"
        " FROM event"
        " WHERE status = 'pending' AND device_id = ? AND device_seq > ? ORDER BY device_seq LIMIT ?",
        (device_id(conn), after_seq, limit),
    ).fetchall()
    return [
        {
            "op_id": r[0],
            "device_seq": r[1],
            "hlc": r[2],
            "table": r[3],
            "pk": r[4],
            "action": r[5],
            "fields": orjson.loads(r[6]),
            "old": orjson.loads(r[7]),
            "base_version": r[8],
            "actor": r[9],
            "at": r[10],
            "hash": r[11],
            "prev": r[12],
        }
        for r in rows
    ]


def pending_count(conn: sqlite3.Connection) -> int:
    return conn.execute(
        "SELECT count(*) FROM event WHERE status = 'pending' AND device_id = ?", (get_meta(conn, "device_id", ""),)
    ).fetchone()[0]


def record_results(
    conn: sqlite3.Connection,
    ops: list[dict[str, Any]],
    results: list[dict[str, Any]],
    server_hlc: int,
    *,
    applied: Sequence[Sequence[int]] = (),
    log: dict[str, Any] | None = None,
) -> dict[str, int]:
    """Store the server's result for each op sent (`ops`, as `pending_ops` gave them) and take
    the server's row where it did not apply. `applied`: runs [first, last] of sequence numbers
    of new rows the server applied as sent (version 1, as written here)."""
    sent = {op["op_id"]: op for op in ops}
    counts = {"applied": run_length(applied), "superseded": 0, "conflict": 0, "rejected": 0}
    rows_to_apply: dict[str, list[dict[str, Any]]] = {}
    versions: list[tuple[dict[str, Any], int]] = []
    for result in results:
        op = sent[result["op_id"]]
        counts[result["status"]] = counts.get(result["status"], 0) + 1
        if result.get("row"):
            rows_to_apply.setdefault(op["table"], []).append(result["row"])
        elif (
            "version" in result
            and op["action"] != "delete"
            and not (op["action"] == "create" and result["version"] == 1)
        ):
            # A new row is version 1 on the server, as its local copy was written (`schema.writes`).
            versions.append((op, result["version"]))
    places = _log_places(ops, log) if log else []
    with _server_copy(conn):  # rows the server sent are written as pulled rows are
        placed = _mark_results(conn, results, applied, places)
        _record_log_places(conn, _uncovered(places, placed))
        pending = _pending_fields(
            conn, [r["id"] for rows in rows_to_apply.values() for r in rows] + [op["pk"] for op, _version in versions]
        )
        for table, rows in rows_to_apply.items():
            columns = list(rows[0])
            _upsert(conn, table, columns, [tuple(r.get(c) for c in columns) for r in rows], pending)
        _record_versions(conn, versions, pending)
        clock.observe(conn, server_hlc)
    return counts


LogPlace = tuple[int, int, int, str]
"""A run of this device's events the server logged together: (first seq, last seq, log index
minus seq, received at)."""


def _log_places(ops: list[dict[str, Any]], log: dict[str, Any]) -> list[LogPlace]:
    """Where the server put this push's new events in the district log, and when it received
    them (what a printed order's leaf hash is made of). The new events are the last `count` ops
    sent, in order (a retried op, which it held already, has a lower number than any new one);
    each run of consecutive numbers is one place."""
    try:
        first, count, received = int(log["first"]), int(log["count"]), str(log["received_at"])
    except (KeyError, TypeError, ValueError):
        return []  # a server that does not say: the places stay unknown, nothing else depends on them
    fresh = ops[len(ops) - count :] if 0 < count <= len(ops) else []
    places: list[LogPlace] = []
    start = 0
    for i in range(1, len(fresh) + 1):
        if i == len(fresh) or fresh[i]["device_seq"] != fresh[i - 1]["device_seq"] + 1:
            base = first + start - fresh[start]["device_seq"]
            places.append((fresh[start]["device_seq"], fresh[i - 1]["device_seq"], base, received))
            start = i
    return places


def _uncovered(places: list[LogPlace], placed: list[tuple[int, int]]) -> list[LogPlace]:
    """The parts of `places` outside the ranges already `placed` (both sorted, disjoint)."""
    left: list[LogPlace] = []
    for first, last, base, received in places:
        start = first
        for low, high in placed:
            if high < start or low > last:
                continue
            if low > start:
                left.append((start, low - 1, base, received))
            start = high + 1
        if start <= last:
            left.append((start, last, base, received))
    return left


def _record_log_places(conn: sqlite3.Connection, places: list[LogPlace]) -> None:
    """The places of the events `_mark_results` did not already place (the ops not marked
    `applied` in a run: superseded, conflicts, refusals, mostly none)."""
    me = device_id(conn)
    for first, last, base, received in places:
        conn.execute(
            "UPDATE event SET log_index = ? + device_seq, received_at = ? WHERE device_id = ?"
            " AND device_seq BETWEEN ? AND ?",
            (base, received, me, first, last),
        )


def _mark_results(
    conn: sqlite3.Connection,
    results: list[dict[str, Any]],
    applied: Sequence[Sequence[int]],
    places: Sequence[LogPlace] = (),
) -> list[tuple[int, int]]:
    """Each op's status (and reason). A push is mostly plain `applied` ops with consecutive
    sequence numbers: each such run is one range update instead of one statement per op, and
    it sets the run's places in the log in the same statement (a second pass over 100,000
    rows cost a laptop half a second). Returns the sequence ranges whose places it set."""
    placed: list[tuple[int, int]] = []
    me = device_id(conn)
    others = []
    run: list[int] = []

    def close_run() -> None:
        if run:
            mark_applied(run[0], run[-1])
            run.clear()

    def mark_applied(first: int, last: int) -> None:
        for low, high, base, received in places:
            if low <= last and first <= high:
                if first < low:
                    mark_applied(first, low - 1)
                conn.execute(
                    "UPDATE event SET status = 'applied', log_index = ? + device_seq, received_at = ?"
                    " WHERE device_id = ? AND device_seq BETWEEN ? AND ? AND status = 'pending'",
                    (base, received, me, max(first, low), min(last, high)),
                )
                placed.append((max(first, low), min(last, high)))
                if last > high:
                    mark_applied(high + 1, last)
                return
        conn.execute(
            "UPDATE event SET status = 'applied' WHERE device_id = ? AND device_seq BETWEEN ? AND ?"
            " AND status = 'pending'",
            (me, first, last),
        )

    for first, last in applied:
        mark_applied(first, last)

    for r in results:
        plain = r["status"] == "applied" and not r.get("reason")
        if run and not (plain and r["device_seq"] == run[-1] + 1):
            close_run()
        if plain:
            run.append(r["device_seq"])
        else:
            others.append((r["status"], r.get("reason"), r["op_id"]))
    close_run()
    conn.executemany("UPDATE event SET status = ?, reason = ? WHERE id = ? AND status = 'pending'", others)
    placed.sort()
    return placed


def _record_versions(
    conn: sqlite3.Connection, versions: list[tuple[dict[str, Any], int]], pending: dict[str, set[str]]
) -> None:
    """The server says our copy of these rows is now exactly its version: remember it, so the
    next edit is based on it (rows with further pending ops keep the base those ops used)."""
    by_table: dict[str, list[tuple[int, str, int]]] = {}
    for op, version in versions:
        if op["pk"] not in pending:
            by_table.setdefault(op["table"], []).append((version, op["pk"], version))
    for table, values in by_table.items():
        # Never backwards: a later op of the same batch may already have brought a newer row.
        conn.executemany(f"UPDATE {table} SET row_version = ? WHERE id = ? AND row_version < ?", values)


def _pending_fields(conn: sqlite3.Connection, row_ids: Iterable[str]) -> dict[str, set[str]]:
    """Of `row_ids`, those with ops of this device still pending -> the fields they carry."""
    me = get_meta(conn, "device_id", "")
    ids = list(row_ids)
    pending: dict[str, set[str]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for row_id, fields, action in conn.execute(
            # `+` keeps the planner on the row index: by device it would scan the whole outbox per chunk.
            "SELECT row_id, fields, action FROM event WHERE +status = 'pending' AND +device_id = ?"
            f" AND row_id IN ({', '.join('?' * len(chunk))})",
            [me, *chunk],
        ):
            names = pending.setdefault(row_id, set())
            names.update(orjson.loads(fields))
            if action == "delete":
                names.add("*")
    return pending


def apply_page(conn: sqlite3.Connection, page: dict[str, Any]) -> int:
    """Apply one pulled page and advance the cursor, atomically; returns rows applied."""
    applied = 0
    with _server_copy(conn):
        if page.get("count", 0) >= BULK_ROWS:
            search.defer_indexing(conn)
            if get_meta(conn, "snapshot_complete") != "1":  # filling the tables: index them once at the end
                bulk.defer_indexes(conn, [t for t in page.get("tables", {}) if t in POLICIES])
        pending = _pending_fields(
            conn,
            [
                row[data["columns"].index("id")]
                for table, data in page.get("tables", {}).items()
                if table != "event"
                for row in data["rows"]
            ]
            + [row_id for _table, row_id in page.get("deleted", [])],
        )
        local_tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for table, data in page.get("tables", {}).items():
            if table not in local_tables:
                continue  # a newer server's table this version does not know yet
            if table == "event":
                applied += _insert_events(conn, data)
                continue
            applied += _upsert(conn, table, data["columns"], data["rows"], pending)
        for table, row_id in page.get("deleted", []):
            if table in local_tables and row_id not in pending:
                conn.execute(f"DELETE FROM {table} WHERE id = ?", (row_id,))
                applied += 1
        set_meta(conn, "cursor", str(page["cursor"]))
        clock.observe(conn, int(page.get("hlc") or 0))
    return applied


def finish_pull(conn: sqlite3.Connection) -> None:
    """After the last page: the snapshot is complete; rebuild the search index if deferred."""
    if get_meta(conn, "snapshot_complete") != "1":
        with transaction(conn):
            set_meta(conn, "snapshot_complete", "1")
    if bulk.catch_up(conn):  # a bulk pull: indexed once; refresh the planner's statistics
        conn.execute("PRAGMA optimize")


@contextmanager
def _server_copy(conn: sqlite3.Connection) -> Iterator[None]:
    """A transaction that writes the server's rows as they are.

    The server enforces the foreign keys; a page may hold a child whose parent comes in the
    next page, and a purge deletes parents and children in any order, so they are not checked
    row by row here. (The pragma only takes effect outside a transaction.)
    """
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        with transaction(conn):
            yield
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


def _upsert(
    conn: sqlite3.Connection, table: str, columns: list[str], rows: list[Any], pending: dict[str, set[str]]
) -> int:
    local = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
    keep = [i for i, c in enumerate(columns) if c in local]
    names = [columns[i] for i in keep]
    id_index = names.index("id")

    def statement(skip: set[str]) -> str:
        updates = ", ".join(f"{c} = excluded.{c}" for c in names if c != "id" and c not in skip)
        conflict = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
        return (
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
            f" ON CONFLICT (id) {conflict}"
        )

    if len(keep) < len(columns):  # a newer server's columns this version does not know yet
        pick = itemgetter(*keep)
        rows = [pick(row) for row in rows]
    plain, held = rows, []
    if pending:
        plain = [values for values in rows if values[id_index] not in pending]
        held = [values for values in rows if values[id_index] in pending]
    if plain:
        conn.executemany(statement(set()), plain)
    for values in held:
        skip = pending[values[id_index]]
        if "*" in skip:
            continue
        # The row keeps its old base version: its pending op was based on it, and a later
        # edit must not claim to have seen a server value this laptop is still hiding.
        conn.execute(statement(skip | {"row_version"}), values)
    return len(plain) + len(held)


def _insert_events(conn: sqlite3.Connection, data: dict[str, Any]) -> int:
    local = [r[1] for r in conn.execute("PRAGMA table_info(event)")]
    keep = [i for i, c in enumerate(data["columns"]) if c in local]
    names = [data["columns"][i] for i in keep]
    conn.executemany(
        f"INSERT INTO event ({', '.join(names)}) VALUES ({', '.join('?' * len(names))}) ON CONFLICT DO NOTHING",
        [tuple(row[i] for i in keep) for row in data["rows"]],
    )
    return len(data["rows"])


def reset_scope(conn: sqlite3.Connection, scope: dict[str, Any]) -> int:
    """The user's areas changed: forget rows outside the new scope, re-snapshot from 0.

    A row is kept while anything about it is pending or rejected on this laptop, so moving an
    inspector to another town never loses what they entered. Returns rows purged.
    """
    areas = scope.get("areas")
    purged = 0
    with _server_copy(conn):
        if areas is not None:
            keep = {
                r[0]
                for r in conn.execute(
                    "SELECT row_id FROM event WHERE device_id = ? AND status IN ('pending', 'rejected')",
                    (get_meta(conn, "device_id", ""),),
                )
            }
            marks = ", ".join("?" * len(areas))
            for (table,) in conn.execute(
                "SELECT m.name FROM sqlite_master m WHERE m.type = 'table' AND m.name NOT IN ('meta', 'event')"
                " AND EXISTS (SELECT 1 FROM pragma_table_info(m.name) WHERE name = 'area')"
            ).fetchall():
                ids = [
                    r[0]
                    for r in conn.execute(
                        f"SELECT id FROM {table} WHERE area IS NOT NULL AND area NOT IN ({marks})", areas
                    )
                ]
                gone = [i for i in ids if i not in keep]
                conn.executemany(f"DELETE FROM {table} WHERE id = ?", [(i,) for i in gone])
                purged += len(gone)
        set_meta(conn, "cursor", "0")
        set_meta(conn, "snapshot_complete", "0")
        set_meta(conn, "scope_key", scope["key"])
        set_meta(conn, "areas", json.dumps(areas))
    return purged
