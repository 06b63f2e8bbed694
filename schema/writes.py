"""The one write path: every change to domain data passes through `Writer`.

Why one path: "nothing is lost" rests on it. A change and the event that records it (who,
when, which device, which fields, old and new values, the server version it was based on)
are written in the same SQLite transaction. On a laptop those events *are* the sync outbox
(`event.status = 'pending'`), so an edit can never exist without the op that will carry it to
the district server, and a crash leaves either both or neither.

Who calls this: `schema.hazards` (the lifecycle), the CLI and the TUI for other records, and
the sync client when a person resolves a conflict. The district server does not: it applies
ops it received through `sync.server.merge`, which keeps the author's event.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from schema import clock
from schema.authority import Later, edit_refusal, matrix_refusal
from schema.chain import CanonicalError, event_hash
from schema.errors import DomainError, NotFound
from schema.ids import uuid7
from schema.office.roles import role
from schema.store.transactions import get_meta, set_meta, transaction
from schema.tables import Policy, policy, reference_info, validate_fields

CHAIN_HEAD = "chain_head"
"""Meta key: the hash of this device's latest event, which its next event names as `prev`."""

LAST_ACTION = "last_action"
"""Meta key: the event ids (JSON list) the last outermost write of this file made."""


@dataclass(frozen=True)
class Actor:
    """Who is making changes, and on which device (both go into every event)."""

    login: str
    device_id: str


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def local_actor(conn: sqlite3.Connection, login: str | None = None) -> Actor:
    """The actor for this database: its enrolled user, or `login`, on this file's device id.

    A file that has never been enrolled gets a device id of its own on first use, so its
    events are already well-formed ops if it is enrolled later.
    """
    device_id = get_meta(conn, "device_id")
    if device_id is None:
        device_id = uuid7()
        with transaction(conn):
            set_meta(conn, "device_id", device_id)
    return Actor(login=get_meta(conn, "login") or login or "local", device_id=device_id)


class Writer:
    """Validated writes of domain rows, each recorded as an event in the same transaction."""

    def __init__(self, conn: sqlite3.Connection, actor: Actor):
        self.conn = conn
        self.actor = actor
        self._depth = 0
        self._written: list[str] = []
        self._role: str | None = None

    def _may(self, table: str, kind: str, fields: dict[str, object]) -> None:
        """The role matrix, before anything is written: what the server would refuse from this
        laptop's user is refused here at once, in the same words, and never queued."""
        if self._role is None:
            self._role = role(self.conn)
        refusal = matrix_refusal(self._role, table, kind, fields)
        if refusal:
            raise DomainError(refusal)

    @contextmanager
    def transaction(self) -> Iterator[Writer]:
        """Group several writes (a lifecycle action touches more than one row) atomically.

        The events of the outermost group are remembered as this file's last action, so that
        `schema.undo` can take back exactly what one press of a key did, and nothing more."""
        outer = self._depth == 0
        if outer:
            self._written = []
        self._depth += 1
        try:
            with transaction(self.conn):
                yield self
                if outer and self._written:
                    set_meta(self.conn, LAST_ACTION, json.dumps(self._written))
        finally:
            self._depth -= 1

    def get(self, table: str, row_id: str) -> sqlite3.Row:
        policy(table)
        row = self.conn.execute(f"SELECT * FROM {table} WHERE id = ?", (row_id,)).fetchone()
        if row is None:
            raise NotFound(f"no {table} with id {row_id}")
        return row

    def create(self, table: str, fields: dict[str, object], *, action: str = "create") -> str:
        """Insert a new row (id made here unless given); returns its id."""
        pol = policy(table)
        fields = {k: v for k, v in fields.items() if v is not None}
        row_id = str(fields.pop("id", None) or uuid7())
        self._may(table, "create", fields)
        with self.transaction():
            self._derive_area(pol, fields)
            validate_fields(
                reference_info(table),
                table,
                fields,
                creating=True,
                derived=frozenset({"area"}) if pol.area_from else frozenset(),
            )
            columns = ", ".join(["id", *fields, "row_version"])
            marks = ", ".join("?" * (len(fields) + 1))
            try:
                # Version 1: what the server makes of every new row, so its acknowledgement
                # changes nothing here (`sync.laptop.replica.record_results`).
                self.conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks}, 1)", [row_id, *fields.values()])
            except sqlite3.IntegrityError as err:
                raise DomainError(f"cannot add {table}: {_integrity_message(err)}") from None
            self._record(table, row_id, fields.get("area"), action, fields, {}, 0)
        return row_id

    def update(
        self, table: str, row_id: str, changes: dict[str, object], *, action: str = "update"
    ) -> dict[str, object]:
        """Change fields of a row; returns the fields that really changed (old values)."""
        pol = policy(table)
        if pol.append_only:
            raise DomainError(f"{table} records are never edited; add a new one instead")
        with self.transaction():
            row = self.get(table, row_id)
            changes = {k: v for k, v in changes.items() if k not in row.keys() or row[k] != v}
            if not changes:
                return {}
            self._may(table, "update", changes)
            if table == "hazard":  # the row's own rules too, as the server applies them on push
                refusal = edit_refusal(self._role or role(self.conn), table, dict(row), changes, None, Later())
                if refusal:
                    raise DomainError(refusal)
            if pol.area_from and pol.area_from[1] in changes:
                self._derive_area(pol, changes)
            validate_fields(reference_info(table), table, changes, creating=False)
            assignments = ", ".join(f"{k} = ?" for k in changes)
            try:
                self.conn.execute(f"UPDATE {table} SET {assignments} WHERE id = ?", [*changes.values(), row_id])
            except sqlite3.IntegrityError as err:
                raise DomainError(f"cannot change {table}: {_integrity_message(err)}") from None
            old = {k: row[k] for k in changes}
            area = changes.get("area", row["area"] if "area" in row.keys() else None)
            self._record(table, row_id, area, action, changes, old, row["row_version"])
        return old

    def delete(self, table: str, row_id: str) -> None:
        pol = policy(table)
        if not pol.deletable:
            raise DomainError(f"{table} records are not deleted")
        self._may(table, "delete", {})
        with self.transaction():
            row = self.get(table, row_id)
            self.conn.execute(f"DELETE FROM {table} WHERE id = ?", (row_id,))
            area = row["area"] if "area" in row.keys() else None
            self._record(table, row_id, area, "delete", {}, dict(row), row["row_version"])

    def _derive_area(self, pol: Policy, fields: dict[str, object]) -> None:
        """Set `area` from the parent row, so a row can never claim another area."""
        if not pol.area_from:
            return
        parent_table, parent_id = pol.parent_of(fields)
        if parent_id is None:
            return
        parent = self.conn.execute(f"SELECT area FROM {parent_table} WHERE id = ?", (parent_id,)).fetchone()
        if parent is None:
            raise NotFound(f"no {parent_table} with id {parent_id}")
        fields["area"] = parent[0]

    def _record(
        self,
        table: str,
        row_id: str,
        area: object,
        action: str,
        fields: dict[str, object],
        old: dict[str, object],
        base_version: int,
    ) -> None:
        seq = int(get_meta(self.conn, "device_seq", "0") or 0) + 1
        set_meta(self.conn, "device_seq", str(seq))
        event_id = uuid7()
        self._written.append(event_id)
        hlc, at, prev = clock.tick(self.conn), utc_now(), get_meta(self.conn, CHAIN_HEAD)
        try:
            # The values as they will be read back (JSON round trip), so the hash is the stored row's.
            digest = event_hash(
                op_id=event_id,
                device_id=self.actor.device_id,
                device_seq=seq,
                hlc=hlc,
                actor=self.actor.login,
                at=at,
                table=table,
                row_id=row_id,
                action=action,
                fields=json.loads(_json(fields)),
                old=json.loads(_json(old)),
                base_version=base_version,
                prev=prev,
            )
        except CanonicalError as err:
            raise DomainError(str(err)) from None
        set_meta(self.conn, CHAIN_HEAD, digest)
        self.conn.execute(
            "INSERT INTO event (id, device_id, device_seq, hlc, actor, at, table_name, row_id, area,"
            " action, fields, old, base_version, status, hash, prev)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?, 'pending', ?, ?)",
            (
                event_id,
                self.actor.device_id,
                seq,
                hlc,
                self.actor.login,
                at,
                table,
                row_id,
                area,
                action,
                _json(fields),
                _json(old),
                base_version,
                digest,
                prev,
            ),
        )


def _json(values: dict[str, object]) -> str:
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def _integrity_message(err: sqlite3.IntegrityError) -> str:
    text = str(err)
    if "FOREIGN KEY" in text:
        return "it refers to a record that does not exist"
    if "UNIQUE" in text:
        return "a record with the same key already exists"
    if "CHECK" in text:
        return "a value is not one of those allowed"
    return text
