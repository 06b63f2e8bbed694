"""Taking back the last local action while it is still only on this laptop (`z` in the app).

Why it is safe: an action is undone only while every event it wrote is still pending and has
never been sent (`SENT_THROUGH`: a push whose answer was lost may have been applied by the
server, so anything sent once is past undoing), and only while the rows still hold what the
action wrote (a pull or a later edit since then means the world moved on). Undoing puts the
rows back as they were and removes the events, in one transaction, so the server never hears
of either; the device's sequence goes back too, leaving no gap for the server to wonder about.

What is never undone: a conflict's resolution (it answers the server, and its conflict record
is closed with it) and anything already sent. Those are changed by a new action instead.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from schema.errors import DomainError
from schema.store.transactions import get_meta, set_meta, transaction
from schema.writes import CHAIN_HEAD, LAST_ACTION

SENT_THROUGH = "sent_through"
"""Meta key: the highest device sequence number ever put on the wire by a push."""


@dataclass(frozen=True)
class Action:
    """What the last action wrote: its events, oldest first, and what to call it."""

    event_ids: tuple[str, ...]
    table: str
    row_id: str
    action: str


class CannotUndo(DomainError):
    """There is nothing to undo, or the last action can no longer be taken back."""


def undo_last(conn: sqlite3.Connection) -> Action:
    """Undo the last action; returns what was undone, or raises `CannotUndo` saying why not."""
    with transaction(conn):
        action = _undoable(conn)
        rows = _events(conn, action.event_ids)
        for event in reversed(rows):
            _revert(conn, event)
        marks = ",".join("?" * len(rows))
        conn.execute(f"DELETE FROM event WHERE id IN ({marks})", action.event_ids)
        # The chain goes back to the event before the undone ones (they were never sent).
        if rows[0]["prev"] is None:
            conn.execute("DELETE FROM meta WHERE key = ?", (CHAIN_HEAD,))
        else:
            set_meta(conn, CHAIN_HEAD, rows[0]["prev"])
        first_seq = min(r["device_seq"] for r in rows)
        if int(get_meta(conn, "device_seq", "0") or 0) == max(r["device_seq"] for r in rows):
            set_meta(conn, "device_seq", str(first_seq - 1))
        conn.execute("DELETE FROM meta WHERE key = ?", (LAST_ACTION,))
    return action


def _undoable(conn: sqlite3.Connection) -> Action:
    stored = get_meta(conn, LAST_ACTION)
    if not stored:
        raise CannotUndo("there is nothing to undo")
    event_ids = tuple(json.loads(stored))
    rows = _events(conn, event_ids)
    if len(rows) != len(event_ids) or any(r["status"] != "pending" for r in rows):
        raise CannotUndo("the last action has already been sent to the district server; change it instead")
    sent_through = int(get_meta(conn, SENT_THROUGH, "0") or 0)
    if any(r["device_seq"] <= sent_through for r in rows):
        raise CannotUndo("the last action has already been sent to the district server; change it instead")
    if any(r["action"] == "resolve" for r in rows):
        raise CannotUndo("a conflict's resolution is not undone; resolve it again if it was wrong")
    for event in rows:
        if not _still_as_written(conn, event):
            raise CannotUndo("the record has changed since (a sync or another edit); change it instead")
    main = rows[0]
    return Action(event_ids, main["table_name"], main["row_id"], main["action"])


def _events(conn: sqlite3.Connection, event_ids: tuple[str, ...]) -> list[sqlite3.Row]:
    if not event_ids:
        return []
    marks = ",".join("?" * len(event_ids))
    rows: list[sqlite3.Row] = conn.execute(
        "SELECT id, device_seq, table_name, row_id, action, fields, old, status, prev FROM event"
        f" WHERE id IN ({marks}) ORDER BY device_seq",
        event_ids,
    ).fetchall()
    return rows


def _still_as_written(conn: sqlite3.Connection, event: sqlite3.Row) -> bool:
    row = conn.execute(f"SELECT * FROM {event['table_name']} WHERE id = ?", (event["row_id"],)).fetchone()
    if event["action"] == "delete":
        return row is None
    if row is None:
        return False
    fields = json.loads(event["fields"])
    return all(row[k] == v for k, v in fields.items() if k in row.keys())


def _revert(conn: sqlite3.Connection, event: sqlite3.Row) -> None:
    table, row_id = event["table_name"], event["row_id"]
    old = json.loads(event["old"])
    if event["action"] == "delete":
        columns = ", ".join(old)
        conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({','.join('?' * len(old))})", list(old.values()))
    elif not old:  # a create writes no old values; an update always names what it changed from
        conn.execute(f"DELETE FROM {table} WHERE id = ?", (row_id,))
    else:
        assignments = ", ".join(f"{k} = ?" for k in old)
        conn.execute(f"UPDATE {table} SET {assignments} WHERE id = ?", [*old.values(), row_id])
