"""Recording hazards and moving them through their lifecycle.

Who calls this: the CLI's `hazard add/edit/act`, the TUI's forms, and the office's screens.
Each function checks the rules (`schema.rules`) before it writes, writes through the one
write path (`schema.writes.Writer`), and does everything an action implies in one
transaction: ordering a major hazard also lists it for supervision, passing its verification
closes and delists it, a failed verification records the opinion and the new deadline.
"""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import date, timedelta

from schema.calendar import Calendar
from schema.errors import DomainError
from schema.evidence import closure_refusal
from schema.rules import EDITABLE_FIELDS, LocalRules, check_action, check_editable
from schema.store.transactions import get_meta
from schema.tables import parse_date
from schema.writes import Writer, utc_now


def local_rules(conn: sqlite3.Connection) -> LocalRules:
    """The local rules configured in this database (defaults where none are set)."""
    return LocalRules.from_json(get_meta(conn, "rules"))


def responsibility_snapshot(conn: sqlite3.Connection, unit_id: str, today: date) -> list[dict[str, str]]:
    """The unit's responsibility persons valid today, to freeze on a new hazard.

    Frozen because accountability is judged on who was responsible when the hazard was found,
    not on whoever holds the post when it is finally escalated.
    """
    day = today.isoformat()
    rows = conn.execute(
        "SELECT kind, person, org, phone FROM responsibility WHERE unit_id = ?"
        " AND (valid_from IS NULL OR valid_from <= ?) AND (valid_to IS NULL OR valid_to >= ?)"
        " ORDER BY kind, person",
        (unit_id, day, day),
    ).fetchall()
    return [dict(r) for r in rows]


def add_hazard(
    w: Writer,
    *,
    unit_id: str,
    description: str,
    today: date,
    grade: str = "general",
    deadline: str | None = None,
    rectifier: str | None = None,
    location: str | None = None,
    source: str = "inspection",
    inspection_id: str | None = None,
    criterion_id: str | None = None,
    linked_hazard_id: str | None = None,
    link_kind: str | None = None,
) -> str:
    """Report a new hazard at a unit; returns its id (a recurrence links the closed one)."""
    if not description or not description.strip():
        raise DomainError("a hazard needs a description")
    if deadline is not None:
        _not_before(deadline, today, "deadline")
    with w.transaction():
        w.get("unit", unit_id)
        return w.create(
            "hazard",
            {
                "unit_id": unit_id,
                "description": description.strip(),
                "grade": grade,
                "deadline": deadline,
                "rectifier": rectifier,
                "location": location,
                "source": source,
                "inspection_id": inspection_id,
                "criterion_id": criterion_id,
                "linked_hazard_id": linked_hazard_id,
                "link_kind": link_kind,
                "found_at": utc_now(),
                "found_by": w.actor.login,
                "status": "reported",
                "responsibility_snapshot": json.dumps(
                    responsibility_snapshot(w.conn, unit_id, today), ensure_ascii=False
                ),
            },
        )


_DAYS = re.compile(r"^\s*(\d{1,3})\s*(days?|天|日)\s*$", re.IGNORECASE)


def _agreed_deadline(params: dict[str, object], deadline: object, today: date) -> object:
    """A major hazard's deadline and its five implementations' time limit (时限) must say the same:
    the time limit fills an empty deadline (a date, or "30 days" / "30天" from today); a deadline
    that contradicts it is refused, never silently replaced by the local rule's 90 days."""
    five = params.get("five_implementations")
    limit = str(five.get("time_limit") or "").strip() if isinstance(five, dict) else ""
    if not limit:
        return deadline
    days = _DAYS.match(limit)
    try:
        meant = (
            (today + timedelta(days=int(days.group(1)))).isoformat() if days else date.fromisoformat(limit).isoformat()
        )
    except ValueError:
        return deadline  # words such as "before the holiday": the deadline field decides
    if deadline and str(deadline) != meant:
        raise DomainError(
            f"the deadline {deadline} and the five implementations' time limit ({limit}, that is {meant}) disagree;"
            " make them the same"
        )
    return meant


def edit_hazard(w: Writer, hazard_id: str, changes: dict[str, object]) -> dict[str, object]:
    """Change the descriptive fields of an open hazard; returns the old values changed."""
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS))
    if "deadline" in unknown:
        raise DomainError("the deadline moves only by an order, a failed verification or an approved extension")
    if unknown:
        raise DomainError(f"cannot edit {', '.join(unknown)} of a hazard")
    changes = {k: v for k, v in changes.items() if v is not None}
    if not changes:
        raise DomainError("nothing to change: name at least one field to edit")
    if "description" in changes and not str(changes["description"]).strip():
        raise DomainError("a hazard needs a description")
    with w.transaction():
        hazard = w.get("hazard", hazard_id)
        check_editable(hazard["status"])
        return w.update("hazard", hazard_id, changes)


def act(
    w: Writer,
    hazard_id: str,
    action: str,
    params: dict[str, object],
    *,
    today: date,
    rules: LocalRules | None = None,
    calendar: Calendar | None = None,
) -> str:
    """Apply a lifecycle action to a hazard; returns its new status.

    `params` may hold: deadline, rectifier, note, opinion, reason, five_implementations (a
    dict), duplicate_of, level, authority. What each action needs is in `schema.rules.ACTIONS`.
    """
    rules = rules or local_rules(w.conn)
    with w.transaction():
        hazard = w.get("hazard", hazard_id)
        spec = check_action(hazard["status"], hazard["grade"], action, params)
        refusal = closure_refusal(lambda sql, args: w.conn.execute(sql, args).fetchone(), action, hazard_id)
        if refusal:
            raise DomainError(refusal)
        changes: dict[str, object] = {"status": spec.target}
        now = utc_now()

        if action == "order":
            deadline = params.get("deadline") or hazard["deadline"]
            if hazard["grade"] == "major":
                deadline = _agreed_deadline(params, deadline, today)
            if not deadline:
                calendar = calendar or Calendar.from_db(w.conn)
                deadline = calendar.deadline(
                    today, rules.default_days(hazard["grade"]), working_days=rules.working_days
                ).isoformat()
            _not_before(str(deadline), today, "deadline")
            changes["deadline"] = deadline
            if params.get("rectifier"):
                changes["rectifier"] = params["rectifier"]
            if hazard["grade"] == "major":
                changes["five_implementations"] = json.dumps(params["five_implementations"], ensure_ascii=False)
                w.create(
                    "listing",
                    {
                        "hazard_id": hazard_id,
                        "level": str(params.get("level") or "district"),
                        "authority": str(params.get("authority") or rules.listing_authority),
                        "published_on": today.isoformat(),
                    },
                )
        elif action in ("fix_on_spot", "submit"):
            w.create("progress", {"hazard_id": hazard_id, "note": params["note"], "at": now, "author": w.actor.login})
        elif action in ("pass", "fail"):
            w.create(
                "verification",
                {
                    "hazard_id": hazard_id,
                    "result": action,
                    "opinion": params["opinion"],
                    "at": now,
                    "author": w.actor.login,
                },
            )
            if action == "pass":
                changes["closed_at"] = now
                for listing in w.conn.execute(
                    "SELECT id FROM listing WHERE hazard_id = ? AND delisted_on IS NULL", (hazard_id,)
                ).fetchall():
                    w.update("listing", listing["id"], {"delisted_on": today.isoformat()}, action="delist")
            else:
                _not_before(str(params["deadline"]), today, "deadline")
                changes["deadline"] = params["deadline"]
        elif action == "void":
            changes["void_reason"] = params["reason"]
            if params.get("duplicate_of"):
                w.get("hazard", str(params["duplicate_of"]))
                changes["linked_hazard_id"] = params["duplicate_of"]
                changes["link_kind"] = "duplicate"

        w.update("hazard", hazard_id, changes, action=action)
        return spec.target


def _not_before(text: str, today: date, what: str) -> None:
    if parse_date(text, what=what) < today:
        raise DomainError(f"{what} {text} is in the past; give a date from {today.isoformat()} on")
