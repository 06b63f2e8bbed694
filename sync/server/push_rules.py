"""The domain's rules on a push, where they need the server's own state.

Who calls this: `sync.server.push`, for each op, inside the push transaction. The rules themselves
are `schema.authority` (shared with the laptop); this module feeds them what only the server
knows: the hazard a listing or extension names, a task's finished inspection, the open conflicts
a resolution must match, when the server received a hazard's status change (a closure cannot be
dated before it), and what follows a unit the office moves to another area.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, Protocol

from schema import clock
from schema.authority import AUTHOR_FIELDS, Later, edit_refusal
from schema.evidence import STEP_ACTIONS, closure_refusal
from sync.protocol import ROW
from sync.server.accounts import DeviceAuth
from sync.server.backends.base import ServerDb
from sync.server.merge import Decision, FieldStamp, Op


class _Batch(Protocol):
    """What these rules read of the push in progress (`sync.server.push._Batch`)."""

    db: ServerDb
    auth: DeviceAuth
    later: Later
    status_before: dict[str, FieldStamp | None]

    def flush(self) -> None: ...

    def position(self) -> int: ...


CREATE_RULES = frozenset({"hazard", "listing", "extension", "lookback", "task", "attachment"})
"""Tables whose new rows `schema.authority.create_refusal` checks beyond the matrix."""
EDIT_RULES = frozenset({"hazard", "listing", "lookback", "task"})


def sign(b: _Batch, op: Op) -> None:
    """Who did it is the token's login, whatever the device wrote in the author fields."""
    for name in AUTHOR_FIELDS.get(op.table, ()):
        if op.fields.get(name) is not None:
            op.fields[name] = b.auth.login


def parent_hazard(b: _Batch, hazard_id: Any) -> dict[str, Any] | None:
    b.flush()
    return b.db.one("SELECT * FROM hazard WHERE id = ?", (str(hazard_id),))


def rules_refusal(
    b: _Batch, op: Op, current: dict[str, Any], decision: Decision, stamps: dict[str, FieldStamp]
) -> str | None:
    """The rules of `schema.authority` for an edit, on the values the merge would write; a
    resolution instead must keep a value of an open conflict the device is party to."""
    if op.action == "resolve":
        return _resolution_refusal(b, op)
    if op.table not in EDIT_RULES or not decision.apply:
        return None
    parent = parent_hazard(b, current.get("hazard_id")) if op.table == "listing" else None
    inspected = False
    if op.table == "task" and decision.apply.get("status") == "done":
        b.flush()
        inspected = bool(b.db.one("SELECT 1 AS x FROM inspection WHERE task_id = ? AND status = 'finished'", (op.pk,)))
    refusal = edit_refusal(b.auth.role, op.table, current, decision.apply, parent, b.later, inspected=inspected)
    if refusal is None and op.table == "hazard" and "status" in decision.apply:
        action = STEP_ACTIONS.get((str(current.get("status")), str(decision.apply["status"])))
        if action:
            b.flush()  # the photo may be a new row of this same push
            refusal = closure_refusal(lambda sql, params: b.db.one(sql, params), action, op.pk)
    if refusal is None and op.table == "hazard" and decision.apply.get("closed_at"):
        earlier = b.status_before.get(op.pk, stamps.get("status"))  # as the server had it before this push
        refusal = _closure_time_refusal(str(decision.apply["closed_at"]), earlier, b.auth.device_id)
    return refusal


CLOSURE_SKEW_MS = 10 * 60 * 1000
"""How far ahead of the server's clock a closure's time may be (a laptop clock a little fast)."""


OWN_WORK_DAYS = 7
"""How long before the server received a device's own earlier step that device's closure may
be dated: the steps of one offline day can reach the server in several batches."""


def _closure_time_refusal(closed_at: str, status: FieldStamp | None, device: str) -> str | None:
    """A closure happened after the server received the status change it closes (the hazard
    awaiting verification: its status stamp's time) and not in the future: the on-time figures
    rest on this time, so a device cannot backdate it. Work done offline keeps its own time: a
    submission and its verification in one push are both newer than anything the server had."""
    try:
        moment = datetime.fromisoformat(closed_at.replace("Z", "+00:00"))
    except ValueError:
        return "a closure's time must be written like 2026-12-03T10:00:00Z"
    if moment.tzinfo is None or moment.timestamp() * 1000 > clock.wall_ms() + CLOSURE_SKEW_MS:
        return f"the closure time {closed_at} is in the future"
    if status is None or not status.at:
        return None
    earliest = status.at
    if status.device == device:
        received = datetime.fromisoformat(status.at.replace("Z", "+00:00"))
        earliest = (received - timedelta(days=OWN_WORK_DAYS)).isoformat().replace("+00:00", "Z")
    if closed_at < earliest:
        return f"the closure time {closed_at} is before the hazard's last change the server received ({status.at})"
    return None


def _resolution_refusal(b: _Batch, op: Op) -> str | None:
    """A `resolve` edit sets, for each field, a value an open conflict of this row holds, and
    only a device that is party to the conflict (or the office) resolves it."""
    if op.table == "conflict":
        row = b.db.one("SELECT * FROM conflict WHERE id = ?", (op.pk,))
        if row is None or row["status"] != "open":
            return "this conflict is not open"
        if not b.auth.is_office and b.auth.device_id not in (row["server_device"], row["incoming_device"]):
            return "only a device party to this conflict, or the office, resolves it"
        return None
    for name, value in op.fields.items():
        found = b.db.all(
            "SELECT server_value, incoming_value, server_device, incoming_device FROM conflict"
            " WHERE table_name = ? AND row_id = ? AND field IN (?, ?) AND status = 'open'",
            (op.table, op.pk, name, ROW),
        )
        fitting = [
            c
            for c in found
            if value in (json.loads(c["server_value"] or "null"), json.loads(c["incoming_value"] or "null"))
        ]
        if not fitting:
            return f"no open conflict of this {op.table} holds {name} = {value!r}; a resolution keeps one side of one"
        if not b.auth.is_office and not any(
            b.auth.device_id in (c["server_device"], c["incoming_device"]) for c in fitting
        ):
            return "only a device party to this conflict, or the office, resolves it"
    return None


MOVED_WITH_UNIT: tuple[tuple[str, str, str], ...] = (
    ("responsibility", "unit_id", "unit"),
    ("task", "unit_id", "unit"),
    ("inspection", "unit_id", "unit"),
    ("hazard", "unit_id", "unit"),
    ("rectification_order", "unit_id", "unit"),
    ("inspection_result", "inspection_id", "inspection"),
    ("progress", "hazard_id", "hazard"),
    ("verification", "hazard_id", "hazard"),
    ("extension", "hazard_id", "hazard"),
    ("listing", "hazard_id", "hazard"),
    ("escalation", "hazard_id", "hazard"),
)
"""(table, parent column, parent table): what follows a unit to its new area, parents first."""


def move_unit(b: _Batch, unit_id: str, old_area: str, area: str) -> None:
    """The office moved a unit: its rows and theirs take the new area and new change-log
    positions, so the new area's laptops pull them; the old area's laptops are told to drop
    them (`row_exit`), keeping any with changes of their own still pending."""
    b.flush()
    moved: dict[str, list[str]] = {"unit": [unit_id]}  # the unit's own row is written by the edit
    for table, column, parent in MOVED_WITH_UNIT:
        moved[table] = [
            str(r["id"])
            for chunk in _chunks(moved.get(parent, []))
            for r in b.db.all(f"SELECT id FROM {table} WHERE {column} IN ({', '.join('?' * len(chunk))})", tuple(chunk))
        ]
        for chunk in _chunks(moved[table]):
            b.db.execute(f"UPDATE {table} SET area = ? WHERE id IN ({', '.join('?' * len(chunk))})", (area, *chunk))
    children = [(table, row_id) for table, ids in moved.items() if table != "unit" for row_id in ids]
    b.db.many(
        "UPDATE row_meta SET area = ?, pos = ? WHERE table_name = ? AND row_id = ?",
        [(area, b.position(), table, row_id) for table, row_id in children],
    )
    b.db.many(
        "INSERT INTO row_exit (table_name, row_id, area, pos) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (table_name, row_id, area) DO UPDATE SET pos = excluded.pos",
        [(table, row_id, old_area, b.position()) for table, ids in moved.items() for row_id in ids],
    )


def _chunks(ids: list[str], size: int = 500) -> list[list[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]
