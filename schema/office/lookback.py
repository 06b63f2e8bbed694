"""Looking back (回头看): reviews of pilot units and areas, and what they found.

Who calls this: `safecity lookback ...`. A review (`lookback_review`) is held for an area and
optionally one unit; each item it finds (`lookback`) records the gap, its cause, the measure,
who owns it and by when, its status and the evidence that it was done, linked to the hazard
and criterion it concerns. A gap that is a closed hazard come back is a *recurrence*: the
closed hazard is never reopened (closed hazards are not edited); a new hazard is reported,
linked to it, and the item points at both.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

from schema.errors import DomainError, NotFound
from schema.hazards import add_hazard
from schema.tables import parse_date
from schema.writes import Writer

ITEM_STATUSES = ("open", "in_progress", "done")


def add_review(
    w: Writer, *, area: str, title: str, reviewed_on: str, unit_id: str | None = None, summary: str | None = None
) -> str:
    if not title or not title.strip():
        raise DomainError("a look-back review needs a title")
    parse_date(reviewed_on, what="the review date")
    with w.transaction():
        if w.conn.execute("SELECT 1 FROM area WHERE code = ?", (area,)).fetchone() is None:
            raise NotFound(f"no area with code {area!r}")
        if unit_id:
            unit = w.get("unit", unit_id)
            if unit["area"] != area:
                raise DomainError(f"unit {unit_id} is in {unit['area']}, not in {area}")
        return w.create(
            "lookback_review",
            {
                "area": area,
                "unit_id": unit_id,
                "title": title.strip(),
                "reviewed_on": reviewed_on,
                "reviewer": w.actor.login,
                "summary": summary,
            },
        )


def add_item(
    w: Writer,
    review_id: str,
    *,
    gap: str,
    today: date,
    cause: str | None = None,
    measure: str | None = None,
    owner: str | None = None,
    deadline: str | None = None,
    hazard_id: str | None = None,
    criterion_id: str | None = None,
    recurrence: bool = False,
) -> dict[str, str]:
    """Record a finding of a review; with `recurrence`, report the new hazard it is.

    Returns {"item": id} and, for a recurrence, {"hazard": the new hazard's id}.
    """
    if not gap or not gap.strip():
        raise DomainError("a look-back item needs the gap it found (--gap)")
    if deadline:
        parse_date(deadline, what="the deadline")
    with w.transaction():
        review = w.get("lookback_review", review_id)
        if criterion_id:
            w.get("criterion", criterion_id)
        new_hazard = None
        if hazard_id:
            hazard = w.get("hazard", hazard_id)
            if recurrence:
                if hazard["status"] != "closed":
                    raise DomainError(
                        f"hazard {hazard_id} is {hazard['status']}, not closed; follow it up "
                        "instead of reporting a recurrence"
                    )
                new_hazard = add_hazard(
                    w,
                    unit_id=hazard["unit_id"],
                    description=f"复发 / recurrence: {gap.strip()}",
                    today=today,
                    grade=hazard["grade"],
                    location=hazard["location"],
                    source="inspection",
                    criterion_id=criterion_id or hazard["criterion_id"],
                    linked_hazard_id=hazard_id,
                    link_kind="recurrence",
                )
        elif recurrence:
            raise DomainError("a recurrence names the closed hazard that came back (--hazard ID)")
        item = w.create(
            "lookback",
            {
                "review_id": review["id"],
                "gap": gap.strip(),
                "cause": cause,
                "measure": measure,
                "owner": owner,
                "deadline": deadline,
                "hazard_id": hazard_id,
                "criterion_id": criterion_id,
                "recurrence_id": new_hazard,
                "unit_id": review["unit_id"],
            },
        )
        return {"item": item, **({"hazard": new_hazard} if new_hazard else {})}


def update_item(
    w: Writer, item_id: str, *, status: str | None = None, evidence: str | None = None, measure: str | None = None
) -> dict[str, object]:
    if status is not None and status not in ITEM_STATUSES:
        raise DomainError(f"status must be one of {', '.join(ITEM_STATUSES)}; got {status!r}")
    changes: dict[str, object] = {
        k: v for k, v in {"status": status, "evidence": evidence, "measure": measure}.items() if v
    }
    if not changes:
        raise DomainError(
            "nothing to change: give a status, evidence or a measure", fields=("status", "evidence", "measure")
        )
    with w.transaction():
        item = w.get("lookback", item_id)
        if changes.get("status") == "done" and not (evidence or item["evidence"]):
            raise DomainError(
                "an item is done only with evidence that the measure was carried out", fields=("evidence",)
            )
        return w.update("lookback", item_id, changes)


def list_reviews(conn: sqlite3.Connection, *, area: str | None = None) -> list[dict[str, Any]]:
    return [
        dict(r)
        for r in conn.execute(
            "SELECT r.*, u.name AS unit_name, (SELECT count(*) FROM lookback i WHERE i.review_id = r.id) AS items,"
            " (SELECT count(*) FROM lookback i WHERE i.review_id = r.id AND i.status != 'done') AS open_items"
            " FROM lookback_review r LEFT JOIN unit u ON u.id = r.unit_id WHERE (? IS NULL OR r.area = ?)"
            " ORDER BY r.reviewed_on DESC, r.id",
            (area, area),
        )
    ]


def show_review(conn: sqlite3.Connection, review_id: str) -> dict[str, Any]:
    review = conn.execute("SELECT * FROM lookback_review WHERE id = ?", (review_id,)).fetchone()
    if review is None:
        raise NotFound(f"no look-back review with id {review_id}")
    items = [dict(r) for r in conn.execute("SELECT * FROM lookback WHERE review_id = ? ORDER BY rowid", (review_id,))]
    return {**dict(review), "items": items}
