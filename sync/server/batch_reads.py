"""What a push reads once for its whole batch, before it applies any op.

Who calls this: `sync.server.push`, inside the push transaction (after the counter is held, so
nothing read here can change before the batch commits). A push is mostly thousands of new rows
alike: their parents' areas, which of them exist already, which pass the table's rules and
which op ids the log holds are each one query or one column check for the batch, not one per op.
"""

from __future__ import annotations

from typing import Any

from schema.authority import Later
from schema.errors import DomainError
from schema.tables import POLICIES, reference_info, valid_rows
from sync.server.backends.base import ServerDb
from sync.server.merge import Op


def later(ops: list[tuple[Op, dict[str, Any]]]) -> Later:
    later = Later()
    for op, _old in ops:
        if op.table == "hazard" and op.action != "create" and "status" in op.fields:
            later.statuses.setdefault(op.pk, []).append(str(op.fields["status"]))
    return later


def used_op_ids(db: ServerDb, ops: list[Op]) -> set[str]:
    """Of these ops' ids, those the district's log already holds: an op id is used once,
    district-wide (a laptop receives other devices' events, ids included, in every pull)."""
    return {row[0] for row in db.rows_by_id("event", ["id"], [op.op_id for op in ops])}


def parent_areas(db: ServerDb, ops: list[tuple[Op, dict[str, Any]]]) -> dict[tuple[str, str], str | None]:
    """The areas of the parents new rows name, read once for the whole batch."""
    wanted: dict[str, set[str]] = {}
    for op, _old in ops:
        policy = POLICIES.get(op.table)
        if op.action == "create" and policy and policy.area_from:
            try:
                parent_table, parent_id = policy.parent_of(op.fields)
            except DomainError:
                continue  # refused with its reason when the op's turn comes
            wanted.setdefault(parent_table, set()).add(str(parent_id))
    found: dict[tuple[str, str], str | None] = {}
    for table, ids in wanted.items():
        for row_id, area in db.rows_by_id(table, ["id", "area"], sorted(ids)):
            found[(table, row_id)] = area
    return found


def existing_rows(db: ServerDb, ops: list[tuple[Op, dict[str, Any]]]) -> set[tuple[str, str]]:
    """Of the rows this batch creates, those that already exist, read once for the batch."""
    wanted: dict[str, list[str]] = {}
    for op, _old in ops:
        if op.action == "create" and op.table in POLICIES:
            wanted.setdefault(op.table, []).append(op.pk)
    return {(table, row[0]) for table, pks in wanted.items() for row in db.rows_by_id(table, ["id"], pks)}


def checked_creates(ops: list[tuple[Op, dict[str, Any]]]) -> set[str]:
    """The creates of this batch whose fields pass the table's rules, checked a column at a
    time per table and field set (the area of a child row is derived later, not checked here)."""
    groups: dict[tuple[str, frozenset[str]], list[Op]] = {}
    for op, _old in ops:
        policy = POLICIES.get(op.table)
        if op.action == "create" and policy is not None:
            names = frozenset(op.fields) - {"area"} if policy.area_from else frozenset(op.fields)
            groups.setdefault((op.table, frozenset(names)), []).append(op)
    checked: set[str] = set()
    for (table, names), group in groups.items():
        derived = frozenset({"area"}) if POLICIES[table].area_from else frozenset()
        if valid_rows(reference_info(table), names, [op.fields for op in group], derived=derived):
            checked.update(op.op_id for op in group)
    return checked


def server_hlc(db: ServerDb) -> int:
    row = db.one("SELECT value FROM meta WHERE key = 'hlc'")
    return int(row["value"]) if row else 0
