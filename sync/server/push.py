"""Applying a device's pushed ops on the district server, in one transaction per batch.

Who calls this: the server's `/v1/push` endpoint. For each op, in device-sequence order:
1. An op at or below the device's `last_seq` was applied before (the response was lost and
   the device retried): its *stored* result is returned and nothing is applied again.
2. Authorization and scope, row by row: an inspector may only touch rows of their areas, and
   a row's area is derived here from its parent, never taken from the device.
3. The values are validated against the schema (unknown fields, enums, dates).
4. `sync.server.merge.decide` says what the op does, and the domain's rules
   (`sync.server.push_rules`, over `schema.authority`) may still refuse it; the row, its field
   stamps, its change-log position and the op itself (the audit trail, with its result) are written.
A refused op is stored too, with its reason, and answered `rejected`: the device keeps it
visible. Results: applied | superseded | conflict | rejected.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import orjson

from schema import clock
from schema.authority import Later, create_refusal, matrix_refusal
from schema.calendar import local_today
from schema.chain import leaf_entry
from schema.errors import DomainError
from schema.ids import uuid7
from schema.tables import POLICIES, Policy, reference_info, validate_fields
from schema.writes import utc_now
from sync.audit.merkle import leaf_hash
from sync.server import batch_reads
from sync.server.accounts import DeviceAuth
from sync.server.backends.base import ServerDb
from sync.server.chain import ChainRefused, check, read_chain, stored_hash
from sync.server.log import LogKeys, append, log_size
from sync.server.merge import Decision, FieldStamp, Op, decide
from sync.server.push_body import parse_ops
from sync.server.push_rules import CREATE_RULES, move_unit, parent_hazard, rules_refusal, sign

CONFLICT_RESOLUTION_FIELDS = frozenset({"status", "kept", "reason", "resolved_by", "resolved_at"})


class Refused(DomainError):
    """One op is refused (answered `rejected` with this reason)."""


@dataclass(frozen=True)
class _CreateRule:
    """What a new row of one table with one set of field names needs, worked out once per
    batch: a push is mostly thousands of new rows alike."""

    policy: Policy
    refusal: str | None
    """Why every such row is refused (who may write the table or its fields), if it is."""
    columns: tuple[str, ...]
    """The row's columns as written: the fields sent, the area last where it is derived."""


@dataclass
class _Batch:
    db: ServerDb
    auth: DeviceAuth
    pos: int
    hlc: int
    now: str
    parent_areas: dict[tuple[str, str], str | None]
    """(table, id) -> area of the rows new rows may name as parents, this batch's own included."""
    checked: set[str]
    """Creates whose fields already passed `valid_rows` (op ids)."""
    taken: set[tuple[str, str]]
    """(table, id) of the rows that exist: on the server, or created earlier in this batch."""
    today: date = field(default_factory=local_today)
    status_before: dict[str, FieldStamp | None] = field(default_factory=dict)
    """Hazard id -> its status stamp as it was before this push changed the hazard."""
    later: Later = field(default_factory=Later)
    """What this push does to each hazard's status (a listing is written just before its order)."""
    rules: dict[tuple[str, tuple[str, ...]], _CreateRule] = field(default_factory=dict)
    areas: set[str] = field(default_factory=set)
    """Area codes known to exist (checked once each)."""
    rows: dict[tuple[str, tuple[str, ...]], list[list[Any]]] = field(default_factory=dict)
    """New rows waiting to be written, per table and column set."""
    metas: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    signed: dict[str, tuple[str, str | None, str]] = field(default_factory=dict)
    """Op id -> (its hash, its device's previous hash, its fields as sent): what the log stores."""
    log_start: int = 0
    """The district log's size before this push."""
    leaves: list[bytes] = field(default_factory=list)
    """The leaf hashes of this push's events, in log order (from `log_start`)."""

    def position(self) -> int:
        self.pos += 1
        return self.pos

    def flush(self) -> None:
        """Write the buffered new rows, their change-log entries and the buffered events with
        one statement per table and column set.

        Called before anything that may read them (an edit, a stored result) and at the end.
        """
        for (table, columns), values in self.rows.items():
            names = ["id", *columns, "row_version"]
            self.db.many(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})", values)
        if self.metas:
            # A field set at creation has no stamp: nobody else can have seen the row before it existed.
            self.db.many(
                "INSERT INTO row_meta (table_name, row_id, pos, area, deleted, stamps, origin)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                self.metas,
            )
        if self.events:
            self.db.many(_EVENT_INSERT, self.events)
        self.rows, self.metas, self.events = {}, [], []


def push(
    db: ServerDb,
    auth: DeviceAuth,
    body: Any,
    *,
    keys: LogKeys,
    now_ms: int | None = None,
    compact: bool = False,
) -> dict[str, Any]:
    """Apply a push body; returns {results, hlc, skew_ms}. Raises PayloadError for a bad body.

    `compact` (clients of protocol 2 and later): the new rows applied as sent, the bulk of a
    push, are answered as runs of sequence numbers, `applied: [[first, last], ...]`, instead of
    one result each; every other op still gets its own result. The device knows which op has
    which number, and a new row is version 1 on both sides.

    The push must extend the device's signed chain (`sync.server.chain`, else ChainRefused and
    nothing is applied); every event it stores is appended to the district log, whose new
    checkpoint is signed with `keys` before the transaction commits.
    """
    ops = sorted(parse_ops(body), key=lambda pair: pair[0].device_seq)
    chain = read_chain(body, ops, auth)  # the hashing, before any lock is taken
    now_ms = now_ms if now_ms is not None else clock.wall_ms()
    results: list[dict[str, Any]] = []
    applied: list[list[int]] = []
    skew = 0
    with db.transaction():
        # The counter first: it serializes pushes (across server processes too), so the device's
        # last_seq read next cannot be stale and positions are handed out in commit order.
        counter = db.read_counter()
        device = db.one(
            "SELECT last_seq, public_key, chain_seq, chain_head FROM device WHERE id = ?", (auth.device_id,)
        )
        last_seq = device["last_seq"] if device else 0
        check(chain, ops, auth, device, lambda seq: stored_hash(db, auth.device_id, seq))
        batch = _Batch(
            db,
            auth,
            counter,
            batch_reads.server_hlc(db),
            utc_now(),
            batch_reads.parent_areas(db, ops),
            batch_reads.checked_creates(ops),
            batch_reads.existing_rows(db, ops),
            later=batch_reads.later(ops),
            log_start=log_size(db),
        )
        if chain is not None:
            batch.signed = chain.signed(ops)
        used = batch_reads.used_op_ids(db, [op for op, _old in ops if op.device_seq > last_seq])
        for op, old in ops:
            if op.device_seq <= last_seq:
                batch.flush()
                results.append(_stored_result(db, auth, op))
                continue
            if op.op_id in used:
                raise ChainRefused(f"op id {op.op_id} is already used; every change needs an id of its own")
            used.add(op.op_id)
            stamp, ahead = clock.clamp(op.hlc, now_ms)
            skew = max(skew, ahead)
            batch.hlc = clock.next_stamp(max(batch.hlc, stamp), now_ms)
            if op.action != "create" or op.table not in POLICIES:
                results.append(_apply(batch, op, old, stamp))
            elif (refused := _create(batch, op, old, stamp)) is not None:
                results.append(refused)
            elif not compact:
                results.append({"op_id": op.op_id, "device_seq": op.device_seq, "status": "applied", "version": 1})
            elif applied and applied[-1][1] == op.device_seq - 1:
                applied[-1][1] = op.device_seq
            else:
                applied.append([op.device_seq, op.device_seq])
            last_seq = op.device_seq
        batch.flush()
        log_from = append(batch.db, keys, batch.log_start, batch.leaves, batch.now)
        if chain is not None and ops and chain.seq > (device["chain_seq"] if device else 0):
            db.execute(
                "UPDATE device SET chain_seq = ?, chain_head = ? WHERE id = ?", (chain.seq, chain.head, auth.device_id)
            )
            db.execute(
                "INSERT INTO device_head (device_id, seq, head, note, received_at) VALUES (?, ?, ?, ?, ?)",
                (auth.device_id, chain.seq, chain.head, chain.note, batch.now),
            )
        db.execute("UPDATE device SET last_seq = ?, last_seen = ? WHERE id = ?", (last_seq, batch.now, auth.device_id))
        db.execute("UPDATE meta SET value = ? WHERE key = 'pos'", (str(batch.pos),))
        db.execute(
            "INSERT INTO meta (key, value) VALUES ('hlc', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (str(batch.hlc),),
        )
    answer = {"results": results, "hlc": batch.hlc, "skew_ms": skew}
    if batch.leaves:
        answer["log"] = {"received_at": batch.now, "first": log_from, "count": len(batch.leaves)}
    if compact:
        answer["applied"] = applied
    return answer


def _stored_result(db: ServerDb, auth: DeviceAuth, op: Op) -> dict[str, Any]:
    event = db.one(
        "SELECT id, status, reason, area, row_version FROM event WHERE device_id = ? AND device_seq = ?",
        (auth.device_id, op.device_seq),
    )
    if event is None or event["id"] != op.op_id:
        return {
            "op_id": op.op_id,
            "device_seq": op.device_seq,
            "status": "rejected",
            "reason": "this sequence number was already used by another op of this device",
        }
    result = {"op_id": op.op_id, "device_seq": op.device_seq, "status": event["status"], "reason": event["reason"]}
    conflicts = [r["id"] for r in db.all("SELECT id FROM conflict WHERE op_id = ?", (op.op_id,))]
    if conflicts:
        result["conflicts"] = conflicts
    if event["status"] == "rejected":
        return result  # as first answered: a refused op gets no row (it may be outside the device's areas)
    meta = db.one("SELECT area FROM row_meta WHERE table_name = ? AND row_id = ?", (op.table, op.pk))
    if meta is not None and auth.may_see(meta["area"]):
        _describe_row(db, result, op, event["row_version"])
    return result


def _row(db: ServerDb, table: str, pk: str) -> dict[str, Any] | None:
    return db.one(f"SELECT * FROM {table} WHERE id = ?", (pk,)) if table in POLICIES else None


def _create(b: _Batch, op: Op, old: dict[str, Any], stamp: int) -> dict[str, Any] | None:
    """A new row: the same rules as an edit's (`_authorize`, `validate_fields`), with what
    depends only on the table and the field names decided once per batch, and the row written
    with the batch's other new rows (`_Batch.flush`). None when applied as sent (version 1),
    else the refusal to answer."""
    key = (op.table, tuple(op.fields))
    rule = b.rules.get(key) or _create_rule(b, key)
    policy, fields = rule.policy, op.fields
    try:
        if rule.refusal:
            raise Refused(rule.refusal)
        if op.table == "rectification_order":
            _check_order_number(b, op)
        area: str | None
        if policy.area_from:  # the parent's area, whatever the device sent
            fields.pop("area", None)
            fields["area"] = area = _derived_area(b, policy, op)
        else:
            area = fields.get("area")
            if policy.scoped and area not in b.areas:
                if not b.db.one("SELECT 1 AS x FROM area WHERE code = ?", (area,)):
                    raise Refused(f"no area with code {area!r}")
                b.areas.add(str(area))
        if policy.scoped and not b.auth.may_see(area):
            raise _outside(b.auth, op, area)
        if op.op_id not in b.checked:
            validate_fields(
                reference_info(op.table),
                op.table,
                fields,
                creating=True,
                derived=frozenset({"area"}) if policy.area_from else frozenset(),
            )
        if (op.table, op.pk) in b.taken:
            raise Refused(f"{op.table} {op.pk} already exists")
        sign(b, op)
        if op.table in CREATE_RULES:
            parent = parent_hazard(b, op.fields.get("hazard_id")) if "hazard_id" in op.fields else None
            refusal = create_refusal(b.auth.role, op.table, fields, parent, b.later, b.today)
            if refusal:
                raise Refused(refusal)
    except DomainError as refusal:
        b.events.append(_event_row(b, op, old, None, "rejected", str(refusal), 0))
        return {"op_id": op.op_id, "device_seq": op.device_seq, "status": "rejected", "reason": str(refusal)}
    b.taken.add((op.table, op.pk))
    b.parent_areas[(op.table, op.pk)] = area  # a child later in this batch may name it
    b.rows.setdefault((op.table, rule.columns), []).append([op.pk, *fields.values(), 1])
    b.metas.append((op.table, op.pk, b.position(), area, 0, "{}", b.auth.device_id))
    b.events.append(_event_row(b, op, old, area, "applied", None, 1))
    return None


def _create_rule(b: _Batch, key: tuple[str, tuple[str, ...]]) -> _CreateRule:
    table, names = key
    policy = POLICIES[table]
    refusal = matrix_refusal(b.auth.role, table, "create", names)
    if refusal is None and table == "conflict":
        refusal = "conflicts are recorded by the server, not created by devices"
    columns = (*(n for n in names if n != "area"), "area") if policy.area_from else names
    b.rules[key] = rule = _CreateRule(policy, refusal, columns)
    return rule


def _outside(auth: DeviceAuth, op: Op, area: str | None) -> Refused:
    return Refused(f"{op.table} {op.pk} is in area {area}, outside your areas ({', '.join(auth.areas or ())})")


def _apply(b: _Batch, op: Op, old: dict[str, Any], stamp: int) -> dict[str, Any]:
    """An edit, a delete or a resolution (and the refusal of a row of an unknown table)."""
    policy = POLICIES.get(op.table)
    try:
        if policy is None:
            raise Refused(f"unknown table {op.table!r}")
        b.flush()
        meta = b.db.one(
            "SELECT area, deleted, stamps FROM row_meta WHERE table_name = ? AND row_id = ?", (op.table, op.pk)
        )
        area = _authorize(b, policy, op, meta)
        if op.action != "delete":
            validate_fields(
                reference_info(op.table),
                op.table,
                op.fields,
                creating=False,
                derived=frozenset({"area"}) if policy.area_from else frozenset(),
            )
    except DomainError as refusal:
        _record_event(b, op, old, stamp, None, "rejected", str(refusal))
        return {"op_id": op.op_id, "device_seq": op.device_seq, "status": "rejected", "reason": str(refusal)}

    sign(b, op)
    current = _row(b.db, op.table, op.pk)
    stamps = {k: FieldStamp(*v) for k, v in json.loads(meta["stamps"]).items()} if meta else {}
    decision = decide(op, b.auth.device_id, policy, current, stamps, bool(meta and meta["deleted"]), hlc=stamp)
    if decision.status != "rejected" and current is not None:
        broken = rules_refusal(b, op, current, decision, stamps)
        if broken:
            decision = Decision.rejected(broken)
    if decision.status != "rejected":
        _write(b, op, current, stamps, decision, area, stamp)
        if op.table == "unit" and "area" in decision.apply and current and decision.apply["area"] != current["area"]:
            move_unit(b, op.pk, str(current["area"]), str(decision.apply["area"]))
    conflict_ids = [_record_conflict(b, op, old, area, stamps, *c) for c in decision.conflicts]
    version = (current or {}).get("row_version", 0) + bool(decision.apply)
    _record_event(b, op, old, stamp, area, decision.status, decision.reason, version)
    result: dict[str, Any] = {"op_id": op.op_id, "device_seq": op.device_seq, "status": decision.status}
    if decision.reason:
        result["reason"] = decision.reason
    if conflict_ids:
        result["conflicts"] = conflict_ids
    _describe_row(b.db, result, op, version)
    return result


def _describe_row(db: ServerDb, result: dict[str, Any], op: Op, version: int) -> None:
    """Tell the device the row's state after its op: the version when its copy is now exactly
    the server's (the op applied straight on top of what it had), else the whole row."""
    if result["status"] == "applied" and (op.action == "delete" or version == op.base_version + 1):
        result["version"] = version
    else:
        result["row"] = _row(db, op.table, op.pk)


def _authorize(b: _Batch, policy: Policy, op: Op, meta: dict[str, Any] | None) -> str | None:
    """The area of the row an edit or delete changes, as the server derives it; Refused if this
    device may not make the change."""
    auth = b.auth
    refusal = matrix_refusal(auth.role, op.table, "delete" if op.action == "delete" else "update", op.fields)
    if refusal:
        raise Refused(refusal)
    if op.table == "conflict" and set(op.fields) - CONFLICT_RESOLUTION_FIELDS:
        raise Refused("a conflict can only be resolved (status, kept, reason)")
    if policy.area_from:  # the area is derived from the parent below, whatever the device sent
        op.fields.pop("area", None)
    if meta is None or not auth.may_see(meta["area"]):
        raise Refused(f"no {op.table} with id {op.pk} on the server")
    area = meta["area"]
    if policy.area_from and policy.area_from[1] in op.fields:
        new_area = _derived_area(b, policy, op)
        if not auth.may_see(new_area):
            raise Refused(f"{op.table} {op.pk} cannot move to area {new_area}, outside your areas")
        op.fields["area"] = area = new_area
    if policy.scoped and not auth.may_see(area):
        raise _outside(auth, op, area)
    if policy.scoped and not policy.area_from and "area" in op.fields and op.fields["area"] != area:
        new_area = op.fields["area"]  # a move (the matrix lets only the office move a unit)
        if not b.db.one("SELECT 1 AS x FROM area WHERE code = ?", (new_area,)):
            raise Refused(f"no area with code {new_area!r}")
        if not auth.may_see(new_area):
            raise Refused(f"{op.table} {op.pk} cannot move to area {new_area}, outside your areas")
        area = str(new_area)
    return area


def _check_order_number(b: _Batch, op: Op) -> None:
    """An order's number must come from a block reserved for this device (`sync.server.numbers`)."""
    year, seq = op.fields.get("doc_year"), op.fields.get("doc_seq")
    if not isinstance(year, int) or not isinstance(seq, int):
        raise Refused("a rectification order needs its number (doc_year, doc_seq)")
    if not b.db.one(
        "SELECT 1 AS x FROM number_block WHERE device_id = ? AND year = ? AND first <= ? AND last >= ?",
        (b.auth.device_id, year, seq, seq),
    ):
        raise Refused(f"order number {seq} of {year} was not reserved for this device")
    b.flush()
    if b.db.one("SELECT 1 AS x FROM rectification_order WHERE doc_year = ? AND doc_seq = ?", (year, seq)):
        raise Refused(f"order number {seq} of {year} is already used")


def _derived_area(b: _Batch, policy: Policy, op: Op) -> str:
    parent_table, parent_id = policy.parent_of(op.fields)
    key = (parent_table, str(parent_id))
    if key not in b.parent_areas:
        b.flush()  # the parent may be a new row of this same batch
        row = b.db.one(f"SELECT area FROM {parent_table} WHERE id = ?", (parent_id,))
        b.parent_areas[key] = row["area"] if row else None
    area = b.parent_areas[key]
    if area is None or not b.auth.may_see(area):
        raise Refused(f"no {parent_table} with id {parent_id} on the server")
    return area


def _write(
    b: _Batch,
    op: Op,
    current: dict[str, Any] | None,
    stamps: dict[str, FieldStamp],
    decision: Decision,
    area: str | None,
    stamp: int,
) -> None:
    if decision.delete:
        b.db.execute(f"DELETE FROM {op.table} WHERE id = ?", (op.pk,))
        b.taken.discard((op.table, op.pk))
        b.db.execute(
            "UPDATE row_meta SET pos = ?, deleted = 1, origin = ? WHERE table_name = ? AND row_id = ?",
            (b.position(), b.auth.device_id, op.table, op.pk),
        )
        return
    if not decision.apply or current is None:
        return
    version = current["row_version"] + 1
    assignments = ", ".join(f"{name} = ?" for name in decision.apply)
    b.db.execute(
        f"UPDATE {op.table} SET {assignments}, row_version = ? WHERE id = ?", [*decision.apply.values(), version, op.pk]
    )
    if op.table == "hazard":
        b.status_before.setdefault(op.pk, stamps.get("status"))
    for name in decision.apply:
        stamps[name] = FieldStamp(version, stamp, b.auth.device_id, b.now)
    b.db.execute(
        "UPDATE row_meta SET pos = ?, area = ?, stamps = ?, origin = ? WHERE table_name = ? AND row_id = ?",
        (
            b.position(),
            area,
            json.dumps({k: s.as_list() for k, s in stamps.items()}),
            b.auth.device_id,
            op.table,
            op.pk,
        ),
    )


def _record_conflict(
    b: _Batch,
    op: Op,
    old: dict[str, Any],
    area: str | None,
    stamps: dict[str, FieldStamp],
    name: str,
    server_value: Any,
    incoming_value: Any,
) -> str:
    stamp = stamps.get(name)
    server_device = stamp.device if stamp else None
    author = b.db.one("SELECT login FROM device WHERE id = ?", (server_device,)) if server_device else None
    conflict_id = uuid7()
    b.db.execute(
        "INSERT INTO conflict (id, table_name, row_id, area, field, base_value, server_value, server_by,"
        " server_device, incoming_value, incoming_by, incoming_device, op_id, created_at, status, row_version)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', 1)",
        (
            conflict_id,
            op.table,
            op.pk,
            area,
            name,
            json.dumps(old.get(name), ensure_ascii=False),
            json.dumps(server_value, ensure_ascii=False),
            author["login"] if author else "the district office",
            server_device,
            json.dumps(incoming_value, ensure_ascii=False),
            b.auth.login,
            b.auth.device_id,
            op.op_id,
            b.now,
        ),
    )
    b.db.execute(
        "INSERT INTO row_meta (table_name, row_id, pos, area, deleted, stamps, origin) VALUES (?, ?, ?, ?, 0, '{}', NULL)",
        ("conflict", conflict_id, b.position(), area),
    )
    return conflict_id


_EVENT_INSERT = (
    "INSERT INTO event (id, device_id, device_seq, hlc, actor, at, table_name, row_id, area, action, fields,"
    " old, base_version, status, reason, row_version, received_at, hash, prev, log_index)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _event_row(
    b: _Batch, op: Op, old: dict[str, Any], area: str | None, status: str, reason: str | None, version: int
) -> tuple[Any, ...]:
    """The event as stored: the device's words as it signed them (its clock, its fields before
    the server derived an area), the server's verdict, and its place in the district log."""
    digest, prev, fields = b.signed[op.op_id]
    index = b.log_start + len(b.leaves)
    b.leaves.append(leaf_hash(leaf_entry(digest, status, reason, b.now)))
    return (
        op.op_id,
        b.auth.device_id,
        op.device_seq,
        op.hlc,
        b.auth.login,
        op.at,
        op.table,
        op.pk,
        area,
        op.action,
        fields,
        orjson.dumps(old).decode(),
        op.base_version,
        status,
        reason,
        version,
        b.now,
        digest,
        prev,
        index,
    )


def _record_event(
    b: _Batch,
    op: Op,
    old: dict[str, Any],
    stamp: int,
    area: str | None,
    status: str,
    reason: str | None,
    version: int = 0,
) -> None:
    """Store the op with its result: the audit trail, and what a retry is answered from.

    `row_version` of a server event is the row's version after the op, so the log alone shows
    which version each edit was based on and which it produced.
    """
    b.db.execute(_EVENT_INSERT, _event_row(b, op, old, area, status, reason, version))
    if status != "rejected" and op.action != "create":  # others see edits in the row's history
        b.db.execute(
            "INSERT INTO row_meta (table_name, row_id, pos, area, deleted, stamps, origin)"
            " VALUES ('event', ?, ?, ?, 0, '{}', ?) ON CONFLICT DO NOTHING",
            (op.op_id, b.position(), area, b.auth.device_id),
        )
