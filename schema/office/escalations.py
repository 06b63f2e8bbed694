"""Escalation of overdue rectification, and the view of listed major hazards.

Who calls this: `safecity escalation ...`, `safecity listing list` and the TUI's office screens.

Proposals are *computed*, never stored: from the local rules' ladder (days overdue ->
reminder -> supervision letter -> summons -> public criticism -> appraisal deduction) and the
hazards on this laptop, so they are right offline. For each overdue hazard SafeCity proposes
the highest step it has reached that nobody has decided yet. A supervisor then issues or
dismisses it, with a reason; that decision is a stored, synced `escalation` row and the
accountability record: it names the unit and the responsible persons frozen on the hazard when
it was found (not whoever holds the post today). A dismissed step is not proposed again; the
next step is, once the hazard reaches it.

With working-day deadlines (`LocalRules.working_days`) days overdue are counted in working
days, so a long holiday does not push a unit up the ladder.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta
from typing import Any

from schema.calendar import Calendar
from schema.errors import DomainError
from schema.hazards import local_rules
from schema.office.roles import require_office
from schema.rules import ESCALATION_STEPS, LocalRules, escalation_level
from schema.writes import Writer, utc_now


def overdue_days(deadline: str, today: date, rules: LocalRules, calendar: Calendar | None) -> int:
    """Days from the deadline to today, in working days when the rules say so."""
    end = date.fromisoformat(deadline)
    if today <= end:
        return 0
    if not rules.working_days or calendar is None:
        return (today - end).days
    return sum(1 for n in range(1, (today - end).days + 1) if calendar.is_working_day(end + timedelta(days=n)))


def propose_escalations(
    conn: sqlite3.Connection, *, today: date, area: str | None = None, hazard_id: str | None = None
) -> list[dict[str, Any]]:
    """The escalations the ladder calls for today and no one has decided, most overdue first."""
    rules = local_rules(conn)
    calendar = Calendar.from_db(conn) if rules.working_days else None
    rows = conn.execute(
        "SELECT h.id, h.unit_id, u.name AS unit_name, h.area, h.grade, h.deadline, h.description,"
        " h.responsibility_snapshot FROM hazard h JOIN unit u ON u.id = h.unit_id"
        " WHERE h.status = 'rectifying' AND h.deadline < ? AND (? IS NULL OR h.area = ?)"
        " AND (? IS NULL OR h.id = ?)",
        (today.isoformat(), area, area, hazard_id, hazard_id),
    ).fetchall()
    decided: dict[str, set[str]] = {}
    for hid, level in conn.execute(
        "SELECT e.hazard_id, e.level FROM escalation e JOIN hazard h ON h.id = e.hazard_id"
        " WHERE h.status = 'rectifying' AND e.status IN ('issued', 'dismissed') AND (? IS NULL OR e.hazard_id = ?)",
        (hazard_id, hazard_id),
    ):
        decided.setdefault(hid, set()).add(level)
    proposals = []
    for row in rows:
        days = overdue_days(row["deadline"], today, rules, calendar)
        level = escalation_level(days, rules)
        if level is None or level in decided.get(row["id"], ()):
            continue
        proposals.append(
            {
                "hazard_id": row["id"],
                "unit_id": row["unit_id"],
                "unit_name": row["unit_name"],
                "area": row["area"],
                "grade": row["grade"],
                "deadline": row["deadline"],
                "description": row["description"],
                "days_overdue": days,
                "level": level,
                "decided": sorted(decided.get(row["id"], ()), key=ESCALATION_STEPS.index),
                "persons": json.loads(row["responsibility_snapshot"] or "[]"),
            }
        )
    proposals.sort(key=lambda p: (-p["days_overdue"], p["grade"] != "major", p["hazard_id"]))
    return proposals


def decide_escalation(
    w: Writer, hazard_id: str, *, issue: bool, reason: str, today: date, level: str | None = None
) -> str:
    """Issue or dismiss the escalation proposed for a hazard; returns the escalation's id."""
    require_office(w.conn, "issue or dismiss an escalation")
    if not reason or not reason.strip():
        raise DomainError(f"{'issuing' if issue else 'dismissing'} an escalation needs a reason", fields=("reason",))
    with w.transaction():
        w.get("hazard", hazard_id)
        proposed = propose_escalations(w.conn, today=today, hazard_id=hazard_id)
        if not proposed:
            raise DomainError(
                f"no escalation is proposed for hazard {hazard_id} today "
                "(it is not overdue, or its step was already decided)"
            )
        proposal = proposed[0]
        if level is not None and level != proposal["level"]:
            raise DomainError(f"the step proposed for this hazard is {proposal['level']}, not {level}")
        return w.create(
            "escalation",
            {
                "hazard_id": hazard_id,
                "level": proposal["level"],
                "status": "issued" if issue else "dismissed",
                "reason": reason.strip(),
                "decided_by": w.actor.login,
                "decided_at": utc_now(),
                "unit_id": proposal["unit_id"],
                "days_overdue": proposal["days_overdue"],
                "persons": json.dumps(proposal["persons"], ensure_ascii=False),
            },
        )


def list_escalations(
    conn: sqlite3.Connection, *, area: str | None = None, status: str | None = None, hazard_id: str | None = None
) -> list[dict[str, Any]]:
    """Decided escalations: the accountability record, newest first."""
    rows = [
        dict(r)
        for r in conn.execute(
            "SELECT e.id, e.hazard_id, e.level, e.status, e.reason, e.decided_by, e.decided_at, e.days_overdue,"
            " e.unit_id, u.name AS unit_name, e.area, e.persons FROM escalation e LEFT JOIN unit u ON u.id = e.unit_id"
            " WHERE (? IS NULL OR e.area = ?) AND (? IS NULL OR e.status = ?) AND (? IS NULL OR e.hazard_id = ?)"
            " ORDER BY e.decided_at DESC, e.id",
            (area, area, status, status, hazard_id, hazard_id),
        )
    ]
    for row in rows:
        row["persons"] = json.loads(row["persons"] or "[]")
    return rows


def list_listings(
    conn: sqlite3.Connection, *, today: date, area: str | None = None, include_delisted: bool = False
) -> list[dict[str, Any]]:
    """Major hazards listed for supervision (挂牌督办), with how their rectification is going."""
    rows = [
        dict(r)
        for r in conn.execute(
            "SELECT l.id AS listing_id, l.level, l.authority, l.published_on, l.delisted_on, h.id AS hazard_id,"
            " h.description, h.status, h.deadline, h.area, u.name AS unit_name,"
            " (SELECT count(*) FROM progress p WHERE p.hazard_id = h.id) AS progress_reports,"
            " (SELECT p.note FROM progress p WHERE p.hazard_id = h.id ORDER BY p.at DESC LIMIT 1) AS last_progress,"
            " (SELECT v.result FROM verification v WHERE v.hazard_id = h.id ORDER BY v.at DESC LIMIT 1) AS last_verification,"
            " (SELECT count(*) FROM extension e WHERE e.hazard_id = h.id AND e.status = 'requested') AS extensions_waiting,"
            " (SELECT group_concat(e.level, ',') FROM escalation e WHERE e.hazard_id = h.id AND e.status = 'issued')"
            " AS escalations"
            " FROM listing l JOIN hazard h ON h.id = l.hazard_id JOIN unit u ON u.id = h.unit_id"
            " WHERE (? IS NULL OR h.area = ?) AND (? OR l.delisted_on IS NULL)"
            " ORDER BY l.delisted_on IS NOT NULL, h.deadline",
            (area, area, include_delisted),
        )
    ]
    for row in rows:
        days = (today - date.fromisoformat(row["deadline"])).days if row["deadline"] else 0
        row["days_overdue"] = days if row["status"] == "rectifying" and days > 0 else 0
        row["escalations"] = row["escalations"].split(",") if row["escalations"] else []
    return rows
