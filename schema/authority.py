"""Who may change what, and what the rules let a change do: one definition, laptop and server.

A district holds units and people to account with what SafeCity stores, so the district server
cannot take a laptop's word for anything. The laptop's write path (`schema.hazards`,
`schema.office.*`) refuses early, in words, what its user may not do; the server refuses the same
again on every pushed op, from this module, because a lost laptop, a modified client or a raw
push built from the protocol document skips the laptop entirely.

Two parts:
- `MATRIX`, the role matrix as data: which roles may make which change of which table (a whole
  table, creating or deleting rows, one field). `schema.tables` derives each table's
  `office_only` and `office_fields` from it; docs/authority.md prints it.
- Rules that need the row (`create_refusal`, `edit_refusal`): a hazard is born `reported`, moves
  only along the lifecycle, its deadline moves only by an order, a failed verification or the
  office (an approved extension), a major hazard is downgraded only by the office; a listing is
  made by an order of a major hazard and lifted by its closure; a look-back item is done only with
  evidence; an inspector changes a task only by inspecting (or declining) it; an extension asks
  for at most `EXTENSION_DAYS` days. `Later` tells these rules what the rest of the same push does
  to a hazard: the laptop writes a listing just before the order that makes it.

Author fields (`AUTHOR_FIELDS`) are never a device's word: the server writes the token's login.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from schema.evidence import attachment_refusal
from schema.rules import allowed_transition

OFFICE = frozenset({"supervisor", "admin"})
EVERYONE = frozenset({"inspector", "supervisor", "admin"})


@dataclass(frozen=True)
class Right:
    """Who may make one kind of change: `what` is "*" (any change of the table), "create",
    "delete", or a field's name."""

    table: str
    what: str
    roles: frozenset[str]
    why: str
    on_create: bool = True
    """A field's right holds for new rows too (False: a new row names it freely, within the
    device's areas; the unit's area is where the inspector found it)."""


MATRIX: tuple[Right, ...] = (
    Right("area", "*", OFFICE, "areas are the district's reference data"),
    Right("checklist", "*", OFFICE, "checklists are published by the office"),
    Right("criterion", "*", OFFICE, "checklist items are published by the office"),
    Right("plan", "*", OFFICE, "plans are the office's"),
    Right("escalation", "*", OFFICE, "escalation is the office's decision"),
    Right("assessment", "*", OFFICE, "the assessment is the office's"),
    Right("holiday", "*", OFFICE, "the holiday calendar is the office's"),
    Right("setting", "*", OFFICE, "the district's settings are the office's"),
    Right("unit", "area", OFFICE, "moving a unit to another area is the office's decision", on_create=False),
    Right(
        "lookback_review",
        "area",
        OFFICE,
        "moving a look-back review to another area is the office's decision",
        on_create=False,
    ),
    Right("extension", "status", OFFICE, "approving or refusing an extension is the office's decision"),
    Right("extension", "decided_by", OFFICE, "approving or refusing an extension is the office's decision"),
    Right("extension", "decided_at", OFFICE, "approving or refusing an extension is the office's decision"),
    Right("extension", "decision_note", OFFICE, "approving or refusing an extension is the office's decision"),
    Right("task", "create", OFFICE, "tasks are assigned by the office"),
    Right("task", "delete", OFFICE, "tasks are withdrawn by the office"),
    Right("task", "due_on", OFFICE, "a task's due date is set by the office"),
    Right("task", "unit_id", OFFICE, "a task's unit is set by the office"),
    Right("task", "plan_id", OFFICE, "a task's plan is set by the office"),
)
"""The role matrix. A change no right names is open to every role, within the device's areas."""

OFFICE_TABLES = frozenset(r.table for r in MATRIX if r.what == "*" and r.roles == OFFICE)
"""Tables only the office writes (`Policy.office_only`)."""


def office_fields(table: str) -> frozenset[str]:
    """Fields of `table` only the office sets (`Policy.office_fields`)."""
    return frozenset(r.what for r in MATRIX if r.table == table and r.roles == OFFICE and r.what not in _KINDS)


_KINDS = frozenset({"*", "create", "delete"})


def matrix_refusal(role: str, table: str, action: str, fields: Iterable[str]) -> str | None:
    """Why `role` may not make this change (`action`: create, update or delete) of `fields` of
    `table`, in a user's words; None if it may."""
    names = set(fields)
    for right in MATRIX:
        if right.table != table or role in right.roles:
            continue
        field_right = right.what not in _KINDS and right.what in names and (right.on_create or action != "create")
        if right.what == "*" or right.what == action or field_right:
            return f"only the district office may do this: {right.why}"
    return None


AUTHOR_FIELDS: dict[str, tuple[str, ...]] = {
    "hazard": ("found_by",),
    "progress": ("author",),
    "verification": ("author",),
    "extension": ("requested_by", "decided_by"),
    "lookback_review": ("reviewer",),
    "escalation": ("decided_by",),
    "rectification_order": ("issued_by",),
    "conflict": ("resolved_by",),
    "attachment": ("captured_by",),
}
"""Who did it: set by the server to the token's login wherever a device sends them."""

TEXT_LIMIT = 4000
"""The longest text a field takes (a description, a note, an opinion), in characters."""
LONG_TEXT_LIMIT = 64_000
"""The longest a JSON column or a summary takes."""
LONG_TEXT = frozenset(
    {"responsibility_snapshot", "five_implementations", "photos", "inspectors", "summary", "evidence", "checklist"}
)
FIRST_YEAR, LAST_YEAR = 2000, 2100
"""Dates outside these years are typing mistakes or forgeries (a deadline of 9999-12-31)."""
INTEGER_LIMIT = 2**53
"""Integers a device sends fit in a JSON number every client reads exactly."""

JSON_SHAPES: dict[str, type] = {
    "responsibility_snapshot": list,  # hazard
    "five_implementations": dict,  # hazard
    "inspectors": list,  # inspection
    "photos": list,  # inspection_result
}
"""JSON held in text columns, and the shape it must parse to: a stored `"{"` once made every
laptop's escalation list end in a traceback."""

EXTENSION_DAYS = 60
"""An extension gives at most this many days from the later of today and the current deadline."""


def value_refusal(table: str, name: str, value: object) -> str | None:
    """Why one field's value cannot be stored, whoever sends it; None if it can."""
    if isinstance(value, bool):
        return f"{table}.{name} must be text or a number, not a true/false value"
    if isinstance(value, int) and not -INTEGER_LIMIT <= value <= INTEGER_LIMIT:
        return f"{table}.{name} is too large a number"
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return f"{table}.{name} must be a number"
    if isinstance(value, float) and not -INTEGER_LIMIT <= value <= INTEGER_LIMIT:
        return f"{table}.{name} is too large a number"
    if not isinstance(value, str):
        return None
    if "\x00" in value:
        return f"{table}.{name} holds a NUL character"
    limit = LONG_TEXT_LIMIT if name in LONG_TEXT else TEXT_LIMIT
    if len(value) > limit:
        return f"{table}.{name} is {len(value):,} characters; at most {limit:,} are kept"
    shape = JSON_SHAPES.get(name)
    if shape is not None and value != "":
        try:
            parsed = json.loads(value)
        except ValueError:
            return f"{table}.{name} is not valid JSON"
        if not isinstance(parsed, shape) or not _plain(parsed):
            kind = "a list" if shape is list else "an object"
            return f"{table}.{name} must be {kind} of plain values"
    return None


def _plain(value: object, depth: int = 0) -> bool:
    """JSON of texts, numbers and small nests only (a snapshot is a list of objects of texts)."""
    if depth > 4:
        return False
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v, depth + 1) for v in value)
    return value is None or isinstance(value, (str, int, float))


def date_refusal(table: str, name: str, day: date) -> str | None:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        return f"{table}.{name} {day.isoformat()} is not a plausible date"
    return None


@dataclass
class Later:
    """What the rest of one push does to hazards: the statuses each is given, in order."""

    statuses: dict[str, list[str]] = field(default_factory=dict)

    def becomes(self, hazard_id: str, status: str) -> bool:
        return status in self.statuses.get(hazard_id, ())


def create_refusal(
    role: str,
    table: str,
    fields: Mapping[str, Any],
    parent: Mapping[str, Any] | None,
    later: Later,
    today: date,
) -> str | None:
    """Why a new row breaks the rules; `parent` is the hazard a listing or extension names."""
    if table == "hazard":
        if fields.get("status", "reported") != "reported":
            return "a hazard is reported first; it moves on only by the lifecycle's actions"
        if fields.get("closed_at") or fields.get("void_reason"):
            return "a new hazard is neither closed nor void"
    if table == "listing" and role not in OFFICE:
        if parent is None or parent.get("grade") != "major":
            return "only a major hazard is listed for supervision"
        if parent.get("status") != "rectifying" and not later.becomes(str(parent["id"]), "rectifying"):
            return "a major hazard is listed when it is ordered to be rectified"
        if fields.get("delisted_on"):
            return "a listing is lifted when its hazard is closed"
    if table == "extension":
        return _extension_refusal(fields, parent, today)
    if table == "lookback" and fields.get("status") == "done" and not str(fields.get("evidence") or "").strip():
        return "an item is done only with evidence that the measure was carried out"
    if table == "task" and role not in OFFICE:
        return "tasks are assigned by the office"
    if table == "attachment":
        return attachment_refusal(fields)
    return None


def edit_refusal(
    role: str,
    table: str,
    current: Mapping[str, Any],
    apply: Mapping[str, Any],
    parent: Mapping[str, Any] | None,
    later: Later,
    *,
    inspected: bool = False,
) -> str | None:
    """Why this change of an existing row breaks the rules; None if it may be applied.

    `parent`: the hazard of a listing. `inspected`: a finished inspection of the task exists.
    """
    if table == "hazard":
        return _hazard_refusal(role, current, apply)
    if table == "listing" and role not in OFFICE and "delisted_on" in apply:
        hazard = str(current.get("hazard_id"))
        if apply["delisted_on"] is None or not (
            (parent is not None and parent.get("status") == "closed") or later.becomes(hazard, "closed")
        ):
            return "a listing is lifted when its hazard is closed"
    if table == "lookback":
        after = {**current, **apply}
        if after.get("status") == "done" and not str(after.get("evidence") or "").strip():
            return "an item is done only with evidence that the measure was carried out"
    if table == "task" and role not in OFFICE and "status" in apply:
        status = apply["status"]
        if status == "done" and not inspected:
            return "a task is done when its inspection is recorded"
        if status not in ("in_progress", "done", "wont_do"):
            return f"an inspector does not set a task to {status}; the office does"
    return None


def _hazard_refusal(role: str, current: Mapping[str, Any], apply: Mapping[str, Any]) -> str | None:
    status = str(current.get("status"))
    new_status = str(apply.get("status", status))
    if status in ("closed", "void"):
        return f"the hazard is {status}; closed and void hazards are not edited"
    if not allowed_transition(status, new_status):
        return f"a hazard cannot go from {status} to {new_status}"
    if "deadline" in apply and apply["deadline"] != current.get("deadline") and role not in OFFICE:
        ordered = status == "reported" and new_status == "rectifying"
        failed = status == "awaiting_verification" and new_status == "rectifying"
        if not (ordered or failed):
            return "the deadline moves only by an order, a failed verification or an approved extension"
    if current.get("grade") == "major" and apply.get("grade", "major") != "major" and role not in OFFICE:
        return "only the district office may downgrade a major hazard"
    if apply.get("closed_at") and new_status != "closed":
        return "a hazard is closed only by a passed verification"
    return None


def _extension_refusal(fields: Mapping[str, Any], hazard: Mapping[str, Any] | None, today: date) -> str | None:
    if hazard is None or hazard.get("status") != "rectifying":
        return "only a hazard under rectification can be extended"
    proposed = fields.get("proposed_deadline")
    if not isinstance(proposed, str):
        return None  # validate_fields names the missing field
    try:
        wanted = date.fromisoformat(proposed)
        current = date.fromisoformat(str(hazard.get("deadline")))
    except ValueError:
        return None
    latest = max(today, current) + timedelta(days=EXTENSION_DAYS)
    if wanted <= current:
        return f"the proposed deadline {proposed} must be after the current one, {current.isoformat()}"
    if wanted > latest:
        return (
            f"an extension may give at most {EXTENSION_DAYS} days from the later of today and the current deadline:"
            f" {latest.isoformat()} at the latest"
        )
    return None
