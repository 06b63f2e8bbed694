"""Extensions (延期): a request to move a rectification deadline, and the office's decision.

Who calls this: `safecity extension ...` and the TUI's hazard and office screens. The rule of
shared/DOMAIN.md is that a deadline moves only by an order, a failed verification or an
*approved* extension, so a request changes nothing on the hazard; the approval moves the
deadline in the same transaction as the decision. Both are synced ops: a supervisor may decide
offline, and the decision (status, a designated field) reaches the inspector on their next
sync; two supervisors deciding differently at once get a conflict, not a silent winner.

Local rules: the proposed deadline is after the current one and at most
`extension_max_days` past the later of today and the current deadline (an overdue hazard can
still be given time); with working-day deadlines it must be a working day (a
Saturday that is a working day by swap, 调休, is one).
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from typing import Any

from schema.calendar import Calendar
from schema.errors import DomainError
from schema.hazards import local_rules
from schema.office.roles import require_office
from schema.tables import parse_date
from schema.writes import Writer, utc_now


def request_extension(w: Writer, hazard_id: str, *, reason: str, proposed_deadline: str, today: date) -> str:
    """Ask for a later deadline; returns the request's id. The deadline does not move yet."""
    if not reason or not reason.strip():
        raise DomainError("an extension request needs a reason", fields=("reason",))
    proposed = parse_date(proposed_deadline, what="the proposed deadline")
    rules = local_rules(w.conn)
    with w.transaction():
        hazard = w.get("hazard", hazard_id)
        if hazard["status"] != "rectifying":
            raise DomainError(f"only a hazard under rectification can be extended; this one is {hazard['status']}")
        pending = w.conn.execute(
            "SELECT id FROM extension WHERE hazard_id = ? AND status = 'requested'", (hazard_id,)
        ).fetchone()
        if pending:
            raise DomainError(f"extension {pending['id']} of this hazard is still waiting for a decision")
        current = date.fromisoformat(hazard["deadline"])
        if proposed <= current:
            raise DomainError(f"the proposed deadline {proposed_deadline} must be after the current one, {current}")
        if proposed < today:
            raise DomainError(f"the proposed deadline {proposed_deadline} is in the past")
        limit = max(current, today) + timedelta(days=rules.extension_max_days)
        if proposed > limit:
            raise DomainError(
                f"an extension may give at most {rules.extension_max_days} days from the later of "
                f"today and the current deadline: {limit} at the latest"
            )
        if rules.working_days:
            calendar = Calendar.from_db(w.conn)
            if not calendar.is_working_day(proposed):
                nxt = calendar.add_working_days(proposed, 1)
                raise DomainError(f"{proposed_deadline} is not a working day; the next working day is {nxt}")
        return w.create(
            "extension",
            {
                "hazard_id": hazard_id,
                "reason": reason.strip(),
                "proposed_deadline": proposed_deadline,
                "old_deadline": hazard["deadline"],
                "requested_by": w.actor.login,
                "requested_at": utc_now(),
            },
        )


def decide_extension(w: Writer, extension_id: str, *, approve: bool, note: str | None = None) -> str:
    """Approve (the hazard's deadline moves) or refuse an extension request; returns its status."""
    require_office(w.conn, "decide an extension")
    if not approve and not (note and note.strip()):
        raise DomainError("a refusal needs a note saying why", fields=("note",))
    with w.transaction():
        ext = w.get("extension", extension_id)
        if ext["status"] != "requested":
            raise DomainError(f"extension {extension_id} was already {ext['status']}")
        status = "approved" if approve else "refused"
        if approve:
            hazard = w.get("hazard", ext["hazard_id"])
            if hazard["status"] != "rectifying":
                raise DomainError(f"the hazard is {hazard['status']} now; there is no deadline to extend")
            w.update("hazard", hazard["id"], {"deadline": ext["proposed_deadline"]}, action="extend")
        w.update(
            "extension",
            extension_id,
            {"status": status, "decided_by": w.actor.login, "decided_at": utc_now(), "decision_note": note},
            action="decide",
        )
        return status


def list_extensions(
    conn: sqlite3.Connection, *, status: str | None = "requested", hazard_id: str | None = None
) -> list[dict[str, Any]]:
    return [
        dict(r)
        for r in conn.execute(
            "SELECT e.*, h.description, h.deadline AS hazard_deadline, h.status AS hazard_status, u.name AS unit_name"
            " FROM extension e JOIN hazard h ON h.id = e.hazard_id JOIN unit u ON u.id = h.unit_id"
            " WHERE (? IS NULL OR e.status = ?) AND (? IS NULL OR e.hazard_id = ?)"
            " ORDER BY e.requested_at, e.id",
            (status, status, hazard_id, hazard_id),
        )
    ]
