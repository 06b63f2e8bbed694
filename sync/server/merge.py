"""What an incoming op does to the server's row: the concurrency rule of shared/SYNC.md.

Who calls this: the district server's store, once per op, inside the push transaction. This
module is pure (no I/O) so the rule can be read in one place and tested on its own.

The rule, per field the op sets:
- The op is *not concurrent* for a field if the field has not changed on the server since
  the op's base version, or if its last writer is the same device (its own earlier op of the
  same offline session). Then the value is applied.
- Otherwise the edit is concurrent:
  - same value as the server's: nothing to decide, applied;
  - a *designated* field (status, grade, deadline, rectifier, ...): the server keeps its
    value and a conflict is recorded for a person;
  - an ordinary field: last writer wins by hybrid logical clock (tie: device id); the loser
    stays in the op log.
A delete racing an edit (either way round) is a conflict; append-only tables never conflict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schema.tables import Policy
from sync.protocol import ROW


@dataclass
class FieldStamp:
    """Who last wrote a field on the server: at which row version, with which clock, from where,
    and when the server received it."""

    version: int = 0
    hlc: int = 0
    device: str = ""
    at: str = ""
    """When the server received the write (UTC): a time no device chooses (older stamps: "")."""

    def as_list(self) -> list[Any]:
        return [self.version, self.hlc, self.device, self.at]


@dataclass
class Op:
    """One field-level change as a device sent it."""

    op_id: str
    device_seq: int
    hlc: int
    table: str
    pk: str
    action: str
    fields: dict[str, Any]
    base_version: int
    actor: str = ""
    at: str = ""


@dataclass
class Decision:
    status: str
    """applied | superseded | conflict | rejected"""
    apply: dict[str, Any] = field(default_factory=dict)
    """The fields to write to the row (may be empty)."""
    conflicts: list[tuple[str, Any, Any]] = field(default_factory=list)
    """(field, server value, incoming value) for each designated field kept for a person."""
    superseded: list[str] = field(default_factory=list)
    reason: str | None = None
    delete: bool = False

    @classmethod
    def rejected(cls, reason: str) -> Decision:
        return cls("rejected", reason=reason)


def decide(
    op: Op,
    device: str,
    policy: Policy,
    current: dict[str, Any] | None,
    stamps: dict[str, FieldStamp],
    deleted: bool,
    *,
    hlc: int,
) -> Decision:
    """Decide what `op` (from `device`, clock clamped to `hlc`) does to the row `current`.

    `current` is None when the row does not exist; `deleted` says it existed and was deleted.
    `stamps` are the row's field stamps. Authorization and value validation happen before; the
    domain's rules (`schema.authority`) are checked after, on what this decides to write.
    """
    if op.action == "create":
        if current is not None or deleted:
            return Decision.rejected(f"{op.table} {op.pk} already exists")
        return Decision("applied", apply=dict(op.fields))
    if policy.append_only:
        return Decision.rejected(f"{op.table} records are never edited; add a new one instead")
    if current is None:
        if deleted:  # an edit of a row deleted meanwhile: keep the deletion, ask a person
            return Decision("conflict", conflicts=[(ROW, "deleted", "edited")])
        return Decision.rejected(f"no {op.table} with id {op.pk} on the server")

    def changed_since_base(name: str) -> bool:
        stamp = stamps.get(name, FieldStamp())
        return stamp.version > op.base_version and stamp.device != device

    if op.action == "delete":
        if not policy.deletable:
            return Decision.rejected(f"{op.table} records are not deleted")
        if any(changed_since_base(name) for name in stamps):
            return Decision("conflict", conflicts=[(ROW, "edited", "deleted")])
        return Decision("applied", delete=True)

    decision = Decision("applied")
    for name, value in op.fields.items():
        if not changed_since_base(name) or current.get(name) == value:
            decision.apply[name] = value
        elif name in policy.designated:
            decision.conflicts.append((name, current.get(name), value))
        elif (hlc, device) > (stamps[name].hlc, stamps[name].device):
            decision.apply[name] = value
        else:
            decision.superseded.append(name)

    if decision.conflicts:
        decision.status = "conflict"
    elif decision.superseded and not decision.apply:
        decision.status = "superseded"
    return decision
