"""A supervision inspection (监督检查): start or resume it, record each checklist item, raise a
hazard from a failed item, finish it.

Who calls this: the TUI's inspection screens and `safecity inspection ...`; both get the same
rules and the same refusals. Why here and not in a screen: what an inspection record says
("item 3 passed") is what a unit is held to, so its rules belong to the domain, not to the keys
that happen to write it.

An item's result is an append-only `inspection_result` row, committed the moment it is given:
an inspection interrupted by a closed lid or a crash resumes exactly where it stopped (the
newest result of each item counts; earlier ones stay in the record). An inspection is pinned to
the newest edition of its unit's industry checklist when it starts, so a checklist published
later does not change what was inspected.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from typing import Any

from schema.errors import DomainError, NotFound
from schema.hazards import add_hazard
from schema.queries import where_equal
from schema.writes import Writer, utc_now

RESULTS = ("pass", "fail", "na")
"""An item's result: passed, failed (a hazard is raised from it), not applicable."""
OPEN_TASK = ("planned", "in_progress", "missed")
"""Task states an inspection may still be started from (a missed task can still be carried out late)."""


def start_inspection(w: Writer, *, unit_id: str | None = None, task_id: str | None = None) -> str:
    """The inspection to work on: the one in progress for `task_id` (or for `unit_id` without a
    task, by this inspector), else a new one; returns its id.

    Starting from a task links the inspection to it and puts the task in progress; a unit that
    no plan lists can be inspected too (the inspection then has no task).
    """
    if task_id is None and unit_id is None:
        raise DomainError("name the unit (or the task) to inspect")
    with w.transaction():
        if task_id is not None:
            task = w.get("task", task_id)
            if unit_id is not None and unit_id != task["unit_id"]:
                raise DomainError("that task is for another unit")
            unit_id = str(task["unit_id"])
            found = w.conn.execute(
                "SELECT id FROM inspection WHERE task_id = ? AND status = 'in_progress'", (task_id,)
            ).fetchone()
            if found:
                return str(found["id"])
            if task["status"] not in OPEN_TASK:
                raise DomainError(f"this task is {task['status']}; it cannot be inspected again")
        else:
            for row in w.conn.execute(
                "SELECT id, inspectors FROM inspection WHERE unit_id = ? AND task_id IS NULL"
                " AND status = 'in_progress' ORDER BY started_at DESC",
                (unit_id,),
            ):
                if w.actor.login in json.loads(row["inspectors"] or "[]"):
                    return str(row["id"])
        assert unit_id is not None
        unit = w.get("unit", unit_id)
        checklist = w.conn.execute(
            "SELECT id FROM checklist WHERE industry = ? ORDER BY edition DESC LIMIT 1", (unit["industry"],)
        ).fetchone()
        if checklist is None:
            raise DomainError(
                f"there is no checklist for the {unit['industry']} industry yet;"
                " the office imports one ('safecity import criteria')"
            )
        inspection_id = w.create(
            "inspection",
            {
                "task_id": task_id,
                "unit_id": unit_id,
                "inspectors": json.dumps([w.actor.login]),
                "checklist_id": checklist["id"],
                "started_at": utc_now(),
                "status": "in_progress",
            },
        )
        if task_id is not None:
            w.update("task", task_id, {"status": "in_progress"})
        return inspection_id


def checklist_items(conn: sqlite3.Connection, inspection_id: str) -> list[dict[str, Any]]:
    """The inspection's checklist, in code order, each item with its newest result and note."""
    rows = conn.execute(
        "SELECT c.id, c.code, c.text_zh, c.text_en, c.major_if_failed, c.default_days,"
        " r.result, r.note, r.id AS result_id FROM criterion c"
        " LEFT JOIN inspection_result r ON r.rowid = ("
        "  SELECT r2.rowid FROM inspection_result r2 WHERE r2.inspection_id = :i AND r2.criterion_id = c.id"
        "  ORDER BY r2.recorded_at DESC, r2.rowid DESC LIMIT 1)"
        " WHERE c.checklist_id = (SELECT checklist_id FROM inspection WHERE id = :i) ORDER BY c.code",
        {"i": inspection_id},
    ).fetchall()
    return [dict(r) for r in rows]


def _item(conn: sqlite3.Connection, inspection_id: str, item: str) -> dict[str, Any]:
    """An item of the inspection's checklist by criterion id or by its code (`WARE-03`, any case)."""
    items = checklist_items(conn, inspection_id)
    for row in items:
        if item == row["id"] or item.casefold() == row["code"].casefold():
            return row
    codes = f"{items[0]['code']} to {items[-1]['code']}" if items else "none"
    raise DomainError(f"item {item} is not on this inspection's checklist (its items: {codes})")


def _in_progress(w: Writer, inspection_id: str) -> sqlite3.Row:
    inspection = w.get("inspection", inspection_id)
    if inspection["status"] != "in_progress":
        raise DomainError("this inspection is finished; its record can no longer change")
    return inspection


def record_result(
    w: Writer, inspection_id: str, item: str, result: str | None = None, *, note: str | None = None
) -> dict[str, Any]:
    """Give an item its result (and a note); returns the item as it now reads.

    `result=None` adds a note to the item's current result and refuses an item that has none:
    a note is never taken for an assessment nobody made.
    """
    if result is not None and result not in RESULTS:
        raise DomainError(f"an item is passed, failed or not applicable (pass, fail, na), not {result!r}")
    with w.transaction():
        _in_progress(w, inspection_id)
        current = _item(w.conn, inspection_id, item)
        if result is None:
            if not current["result"]:
                raise DomainError(f"item {current['code']} has no result yet; pass, fail or mark it n/a first")
            result = current["result"]
        w.create(
            "inspection_result",
            {
                "inspection_id": inspection_id,
                "criterion_id": current["id"],
                "result": result,
                "note": (note.strip() or None) if note is not None else current["note"],
                "recorded_at": utc_now(),
            },
        )
    return _item(w.conn, inspection_id, current["id"])


def hazard_draft(conn: sqlite3.Connection, inspection_id: str, item: str) -> dict[str, Any]:
    """What a hazard raised from a failed item starts with: the unit, the criterion's text, its grade."""
    row = conn.execute("SELECT unit_id FROM inspection WHERE id = ?", (inspection_id,)).fetchone()
    if row is None:
        raise NotFound(f"no inspection {inspection_id}")
    criterion = _item(conn, inspection_id, item)
    return {
        "unit_id": row["unit_id"],
        "description": f"不符合：{criterion['text_zh']} / {criterion['text_en']}",
        "grade": "major" if criterion["major_if_failed"] else "general",
        "inspection_id": inspection_id,
        "criterion_id": criterion["id"],
        "result": criterion["result"],
    }


def raise_hazard(
    w: Writer,
    inspection_id: str,
    item: str,
    *,
    today: date,
    description: str | None = None,
    location: str | None = None,
    grade: str | None = None,
    deadline: str | None = None,
) -> str:
    """Report the hazard a failed item found, linked to the inspection and the criterion."""
    with w.transaction():
        _in_progress(w, inspection_id)
        draft = hazard_draft(w.conn, inspection_id, item)
        if draft["result"] != "fail":
            raise DomainError("a hazard is raised from a failed item; fail the item first")
        return add_hazard(
            w,
            unit_id=draft["unit_id"],
            description=description or draft["description"],
            location=location,
            grade=grade or draft["grade"],
            deadline=deadline,
            today=today,
            inspection_id=inspection_id,
            criterion_id=draft["criterion_id"],
        )


def finish_inspection(w: Writer, inspection_id: str, summary: str | None = None) -> dict[str, Any]:
    """Close the inspection (and complete its task); refused while any item has no result.
    `summary=None` writes the default one (`default_summary`); an empty one writes none."""
    with w.transaction():
        inspection = _in_progress(w, inspection_id)
        items = checklist_items(w.conn, inspection_id)
        codes = unanswered(items)
        if codes:
            shown = ", ".join(codes[:5]) + (" ..." if len(codes) > 5 else "")
            raise DomainError(f"{len(codes)} of {len(items)} items have no result yet: {shown}")
        text = default_summary(items) if summary is None else summary.strip() or None
        w.update("inspection", inspection_id, {"status": "finished", "ended_at": utc_now(), "summary": text})
        if inspection["task_id"]:
            w.update("task", inspection["task_id"], {"status": "done"})
    return show_inspection(w.conn, inspection_id)


def unanswered(items: list[dict[str, Any]]) -> list[str]:
    """The codes of the checklist items that have no result yet."""
    return [i["code"] for i in items if not i["result"]]


def default_summary(items: list[dict[str, Any]]) -> str:
    """What an inspection's summary says when the inspector writes none."""
    done = progress(items)
    return f"{done['done']}/{done['items']} checked, {done['failed']} failed"


def progress(items: list[dict[str, Any]]) -> dict[str, int]:
    """How far an inspection got: items in all, with a result, failed."""
    return {
        "items": len(items),
        "done": sum(1 for i in items if i["result"]),
        "failed": sum(1 for i in items if i["result"] == "fail"),
    }


def show_inspection(conn: sqlite3.Connection, inspection_id: str) -> dict[str, Any]:
    """An inspection in full: its unit, its state, every item, and the hazards it raised."""
    row = conn.execute(
        "SELECT i.*, u.name AS unit_name FROM inspection i JOIN unit u ON u.id = i.unit_id WHERE i.id = ?",
        (inspection_id,),
    ).fetchone()
    if row is None:
        raise NotFound(f"no inspection {inspection_id}")
    items = checklist_items(conn, inspection_id)
    hazards = [
        r[0] for r in conn.execute("SELECT id FROM hazard WHERE inspection_id = ? ORDER BY found_at", (inspection_id,))
    ]
    inspection = {k: row[k] for k in row.keys() if k != "row_version"}
    inspection["inspectors"] = json.loads(inspection["inspectors"] or "[]")
    return {**inspection, **progress(items), "checklist": items, "hazards": hazards}


def list_inspections(
    conn: sqlite3.Connection, *, status: str | None = None, unit_id: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """Inspections on this laptop, newest first, each with its unit's name and its progress."""
    where, params = where_equal({"i.status": status, "i.unit_id": unit_id})
    rows = conn.execute(
        f"SELECT i.id, i.unit_id, u.name AS unit_name, i.area, i.task_id, i.status, i.started_at, i.ended_at,"
        f" (SELECT count(*) FROM criterion c WHERE c.checklist_id = i.checklist_id) AS items,"
        f" (SELECT count(DISTINCT r.criterion_id) FROM inspection_result r WHERE r.inspection_id = i.id) AS done"
        f" FROM inspection i JOIN unit u ON u.id = i.unit_id {where} ORDER BY i.started_at DESC LIMIT ?",
        [*params, limit],
    ).fetchall()
    return [dict(r) for r in rows]


def due_tasks(conn: sqlite3.Connection, today: date, *, limit: int = 500) -> list[dict[str, Any]]:
    """The inspector's work for today: tasks planned or under way, due today or earlier (in
    progress first), each marked `overdue` when its due date has passed."""
    rows = conn.execute(
        "SELECT t.id, t.due_on, t.status, t.area, t.unit_id, u.name AS unit_name, p.title AS plan_title"
        " FROM task t JOIN unit u ON u.id = t.unit_id LEFT JOIN plan p ON p.id = t.plan_id"
        " WHERE t.status IN ('planned', 'in_progress') AND t.due_on <= ?"
        " ORDER BY t.status = 'in_progress' DESC, t.due_on, u.name LIMIT ?",
        (today.isoformat(), limit),
    ).fetchall()
    return [{**dict(r), "overdue": bool(r["due_on"] and r["due_on"] < today.isoformat())} for r in rows]
