"""Conflicts as a person sees them on this laptop, and their resolution.

Who calls this: `safecity conflicts` and the TUI's conflict inbox. The server records a
conflict when two people changed a designated field concurrently; it syncs to every device
of that area. "Mine" and "theirs" are relative to this laptop: on the laptop whose edit
arrived second, mine is that edit; on every other device, mine is the value the server kept.

Resolving writes, through the one write path, the kept value to the record (if it differs)
and the resolution to the conflict: both are ops that sync and stay in the history.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from schema.errors import DomainError, NotFound
from schema.store.transactions import get_meta
from schema.writes import Writer, utc_now
from sync.protocol import ROW


def _side(conflict: sqlite3.Row, me: str | None) -> tuple[str, str]:
    """(mine, theirs) as column prefixes: 'incoming' or 'server'."""
    return ("incoming", "server") if conflict["incoming_device"] == me else ("server", "incoming")


def describe(conn: sqlite3.Connection, conflict: sqlite3.Row) -> dict[str, Any]:
    mine, theirs = _side(conflict, get_meta(conn, "device_id"))
    return {
        "id": conflict["id"],
        "table": conflict["table_name"],
        "record": conflict["row_id"],
        "field": conflict["field"],
        "base": json.loads(conflict["base_value"]) if conflict["base_value"] else None,
        "mine": json.loads(conflict[f"{mine}_value"]),
        "mine_by": conflict[f"{mine}_by"],
        "theirs": json.loads(conflict[f"{theirs}_value"]),
        "theirs_by": conflict[f"{theirs}_by"],
        "status": conflict["status"],
        "kept": conflict["kept"],
        "reason": conflict["reason"],
        "created_at": conflict["created_at"],
    }


def list_conflicts(conn: sqlite3.Connection, *, include_resolved: bool = False) -> list[dict[str, Any]]:
    where = "" if include_resolved else " WHERE status = 'open'"
    return [describe(conn, c) for c in conn.execute(f"SELECT * FROM conflict{where} ORDER BY created_at, id")]


def resolve(writer: Writer, conflict_id: str, keep: str, reason: str | None) -> dict[str, Any]:
    """Keep `mine` or `theirs`; returns the conflict as it now reads."""
    if keep not in ("mine", "theirs"):
        raise DomainError("--keep must be mine or theirs")
    conn = writer.conn
    with writer.transaction():
        conflict = conn.execute("SELECT * FROM conflict WHERE id = ?", (conflict_id,)).fetchone()
        if conflict is None:
            raise NotFound(f"no conflict with id {conflict_id}")
        if conflict["status"] != "open":
            raise DomainError(f"conflict {conflict_id} is already resolved (kept {conflict['kept']})")
        value = describe(conn, conflict)[keep]
        table, row_id, field = conflict["table_name"], conflict["row_id"], conflict["field"]
        if field == ROW:
            exists = conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (row_id,)).fetchone()
            if value == "deleted" and exists:
                writer.delete(table, row_id)
            elif value != "deleted" and not exists:
                raise DomainError(f"the {table} was deleted on the server; record it again instead")
        else:
            current = writer.get(table, row_id)[field]
            if current != value:
                writer.update(table, row_id, {field: value}, action="resolve")
        writer.update(
            "conflict",
            conflict_id,
            {
                "status": "resolved",
                "kept": keep,
                "reason": reason,
                "resolved_by": writer.actor.login,
                "resolved_at": utc_now(),
            },
            action="resolve",
        )
        return describe(conn, conn.execute("SELECT * FROM conflict WHERE id = ?", (conflict_id,)).fetchone())
