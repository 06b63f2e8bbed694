"""The read side: hazard triage lists, a hazard with its history, units, tasks.

Who calls this: the CLI (`hazard list/show`, `unit list`, `task list`) and the TUI. Every
filter is a bound parameter. The derived fields (`overdue`, `days_overdue`,
`escalation_level`) are computed here from `today`, so they are right offline.

Triage order is urgency: overdue first (most days first), then major before general, then
the nearest deadline.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date
from typing import Any

from schema.attachments import attachments_of
from schema.errors import DomainError, NotFound
from schema.rules import OPEN_STATUSES, STATUSES, LocalRules, days_overdue, escalation_level
from schema.store.files import files_beside
from schema.store.search import match_expression

HAZARD_COLUMNS = (
    "h.id, h.unit_id, u.name AS unit_name, h.area, h.description, h.location, h.grade,"
    " h.status, h.deadline, h.rectifier, h.source, h.found_at, h.found_by, h.row_version"
)


@dataclass(frozen=True)
class HazardFilter:
    """What a person narrowed the hazard list to. Empty fields do not filter."""

    status: str | None = None
    """A status, or 'open' for reported + rectifying + awaiting verification."""
    area: str | None = None
    """An area code: the district (everything), a town/zone, or a community."""
    unit_id: str | None = None
    grade: str | None = None
    overdue: bool = False
    search: str | None = None
    due_before: str | None = None
    """Only hazards whose deadline is on or before this date (YYYY-MM-DD)."""


def find_area(conn: sqlite3.Connection, text: str) -> dict[str, Any]:
    """The area a person means by `text`: its code (`xinhe`), or its name in either language,
    whole or its start (`新河`, `Xinhe`, `新河街道`). Refused, naming the candidates, when the
    words fit no area or several (a town goes before its own communities: `新河` is the town)."""
    wanted = text.strip()
    rows = [dict(r) for r in conn.execute("SELECT code, level, name_zh, name_en FROM area ORDER BY level, code")]
    for rule in (
        lambda a: a["code"].casefold() == wanted.casefold(),
        lambda a: wanted.casefold() in (a["name_zh"].casefold(), a["name_en"].casefold()),
        lambda a: a["name_zh"].startswith(wanted) or a["name_en"].casefold().startswith(wanted.casefold()),
    ):
        found = [a for a in rows if wanted and rule(a)]
        for level in ("town", "district", "community", "grid"):  # 新河 is the town, not its communities
            if len(found) > 1 and sum(a["level"] == level for a in found) == 1:
                found = [a for a in found if a["level"] == level]
                break
            if any(a["level"] == level for a in found):
                break
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            names = ", ".join(f"{a['name_zh']} ({a['code']})" for a in found[:6])
            raise DomainError(f"{text!r} fits several areas: {names}; give more of the name or the code")
    raise NotFound(f"no area called {text!r}; areas are named like 新河街道, Xinhe or xinhe")


def list_areas(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """The district's towns and communities with their codes, for pickers and the CLI."""
    return _rows(conn, "SELECT code, parent_code, level, name_zh, name_en, is_pilot FROM area ORDER BY level, code")


def _where(conn: sqlite3.Connection, f: HazardFilter, today: date) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if f.status == "open":
        clauses.append(f"h.status IN ({', '.join('?' * len(OPEN_STATUSES))})")
        params.extend(OPEN_STATUSES)
    elif f.status:
        if f.status not in STATUSES:
            raise DomainError(f"status must be open or one of {', '.join(STATUSES)}; got {f.status!r}")
        clauses.append("h.status = ?")
        params.append(f.status)
    if f.area:
        area = find_area(conn, f.area)
        if area["level"] == "town":
            clauses.append("h.area = ?")
            params.append(area["code"])
        elif area["level"] in ("community", "grid"):
            clauses.append("u.community = ?")
            params.append(area["code"])
    if f.unit_id:
        clauses.append("h.unit_id = ?")
        params.append(f.unit_id)
    if f.grade:
        clauses.append("h.grade = ?")
        params.append(f.grade)
    if f.overdue:
        clauses.append("h.status = 'rectifying' AND h.deadline < ?")
        params.append(today.isoformat())
    if f.due_before:
        clauses.append("h.deadline <= ?")
        params.append(f.due_before)
    if f.search and f.search.strip():
        expression = match_expression(f.search)
        if expression:
            _remember_hits(conn, expression)
            clauses.append(_HITS)
        else:  # only punctuation was typed: nothing can match it
            clauses.append("0")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


# Urgency order as segments an index can each serve already sorted, read one after the other:
# no query ever sorts the tens of thousands of open hazards (that took 200 ms at 100,000).
_URGENCY_SEGMENTS: tuple[tuple[str, str], ...] = (
    ("h.status = 'rectifying' AND h.deadline < :today AND h.grade = 'major'", "h.deadline, h.found_at"),
    ("h.status = 'rectifying' AND h.deadline < :today AND h.grade = 'general'", "h.deadline, h.found_at"),
    (
        "NOT (h.status = 'rectifying' AND h.deadline < :today) AND h.grade = 'major' AND h.deadline IS NOT NULL",
        "h.deadline, h.found_at",
    ),
    (
        "NOT (h.status = 'rectifying' AND h.deadline < :today) AND h.grade = 'general' AND h.deadline IS NOT NULL",
        "h.deadline, h.found_at",
    ),
    ("h.grade = 'major' AND h.deadline IS NULL", "h.found_at"),
    ("h.grade = 'general' AND h.deadline IS NULL", "h.found_at"),
)


_ALL = "1"
_SORT_AT_MOST = 2000


def _matches(conn: sqlite3.Connection) -> int:
    """How many hazards the current search matched (`_where` has just filled the table)."""
    return conn.execute("SELECT count(*) FROM temp.search_hits").fetchone()[0]


_URGENCY_ORDER = (
    "(h.status = 'rectifying' AND h.deadline < :today) DESC, (h.grade = 'major') DESC,"
    " h.deadline IS NULL, h.deadline, h.found_at"
)


_HITS = "h.rowid IN (SELECT rowid FROM temp.search_hits)"


def _remember_hits(conn: sqlite3.Connection, expression: str) -> None:
    """Evaluate a full-text match once into a temporary table of this connection.

    One keystroke asks for a count and up to six urgency segments, and scrolling asks for more
    pages: all of them read the table instead of matching again. The table is rebuilt when the
    expression changes or any hazard was written since (by this connection, or by another one,
    such as the sync worker: `PRAGMA data_version`). What it holds is recorded beside it, in the
    connection itself, so a new connection can never be mistaken for an old one.
    """
    state = (expression, conn.total_changes, conn.execute("PRAGMA data_version").fetchone()[0])
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS search_hits (rowid INTEGER PRIMARY KEY)")
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS search_hits_of (expression TEXT, changes INTEGER, version INTEGER)")
    if conn.execute("SELECT expression, changes, version FROM temp.search_hits_of").fetchone() == state:
        return
    conn.execute("DELETE FROM temp.search_hits")
    conn.execute(  # the hazard's own words, or its unit's name, address or credit code
        "INSERT INTO temp.search_hits SELECT rowid FROM hazard_fts WHERE hazard_fts MATCH ?"
        " UNION SELECT h.rowid FROM unit u JOIN hazard h ON h.unit_id = u.id"
        " WHERE u.rowid IN (SELECT rowid FROM unit_fts WHERE unit_fts MATCH ?)",
        (expression, expression),
    )
    conn.execute("DELETE FROM temp.search_hits_of")
    conn.execute("INSERT INTO temp.search_hits_of VALUES (?, ?, ?)", (expression, conn.total_changes, state[2]))


def list_hazards(
    conn: sqlite3.Connection,
    f: HazardFilter,
    *,
    today: date,
    rules: LocalRules,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Hazards matching `f`, most urgent first, with the derived fields filled in.

    Urgency: overdue rectifications first (major, then oldest deadline), then major before
    general by nearest deadline, hazards without a deadline last.
    """
    where, params = _where(conn, f, today)
    named = {f"p{i}": v for i, v in enumerate(params)}
    named["today"] = today.isoformat()
    for i in range(len(params)):
        where = where.replace("?", f":p{i}", 1)
    wanted = None if limit is None else limit + offset
    rows: list[sqlite3.Row] = []
    # A search matching few hazards is cheapest sorted once; one matching thousands is cheapest
    # read segment by segment, where a page of matches turns up long before the end.
    segments = _URGENCY_SEGMENTS
    searching = _HITS in where  # a search with something to match (the hits table exists)
    if searching and _matches(conn) <= _SORT_AT_MOST:
        segments = ((_ALL, _URGENCY_ORDER),)
    elif searching:
        # Many matches: walk each segment's index in urgency order and test membership ("+"
        # stops the planner from driving from the matches, which means sorting all of them).
        where = where.replace(_HITS, "+" + _HITS)
    for condition, order in segments:
        clause = f"{where} AND {condition}" if where else f" WHERE {condition}"
        sql = f"SELECT {HAZARD_COLUMNS} FROM hazard h JOIN unit u ON u.id = h.unit_id{clause} ORDER BY {order}"
        if wanted is not None:
            sql += f" LIMIT {wanted - len(rows)}"
        rows += conn.execute(sql, named).fetchall()
        if wanted is not None and len(rows) >= wanted:
            break
    return [hazard_dict(row, today, rules) for row in rows[offset:wanted]]


def count_hazards(conn: sqlite3.Connection, f: HazardFilter, *, today: date, cap: int | None = None) -> int:
    """How many hazards match; with `cap`, stop counting past it (returns at most cap + 1)."""
    where, params = _where(conn, f, today)
    join = " JOIN unit u ON u.id = h.unit_id" if "u." in where else ""
    sql = f"SELECT 1 FROM hazard h{join}{where}"
    if cap is not None:
        sql += f" LIMIT {int(cap) + 1}"
    return conn.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]


def hazard_dict(row: sqlite3.Row, today: date, rules: LocalRules) -> dict[str, Any]:
    """The stable JSON shape of a hazard (docs/cli.md)."""
    days = days_overdue(row["status"], row["deadline"], today)
    return {
        "id": row["id"],
        "unit_id": row["unit_id"],
        "unit_name": row["unit_name"],
        "area": row["area"],
        "description": row["description"],
        "location": row["location"],
        "grade": row["grade"],
        "status": row["status"],
        "deadline": row["deadline"],
        "rectifier": row["rectifier"],
        "source": row["source"],
        "found_at": row["found_at"],
        "found_by": row["found_by"],
        "overdue": days > 0,
        "days_overdue": days,
        "escalation_level": escalation_level(days, rules),
        "version": row["row_version"],
    }


def show_hazard(conn: sqlite3.Connection, hazard_id: str, *, today: date, rules: LocalRules) -> dict[str, Any]:
    """One hazard with every field, its frozen responsibility persons and its history."""
    row = conn.execute(
        f"SELECT {HAZARD_COLUMNS}, h.* FROM hazard h JOIN unit u ON u.id = h.unit_id WHERE h.id = ?",
        (hazard_id,),
    ).fetchone()
    if row is None:
        raise NotFound(f"no hazard with id {hazard_id}")
    result = hazard_dict(row, today, rules)
    for key in (
        "inspection_id",
        "criterion_id",
        "rectifier_unit",
        "funds",
        "stop_production",
        "void_reason",
        "linked_hazard_id",
        "link_kind",
        "closed_at",
    ):
        result[key] = row[key]
    result["stop_production"] = bool(row["stop_production"])
    result["five_implementations"] = json.loads(row["five_implementations"]) if row["five_implementations"] else None
    result["responsibility_snapshot"] = json.loads(row["responsibility_snapshot"] or "[]")
    result["progress"] = _rows(conn, "SELECT note, at, author FROM progress WHERE hazard_id = ? ORDER BY at", hazard_id)
    result["verifications"] = _rows(
        conn, "SELECT result, opinion, at, author FROM verification WHERE hazard_id = ? ORDER BY at", hazard_id
    )
    result["attachments"] = attachments_of(conn, hazard_id, files_beside(conn))
    result["listings"] = _rows(
        conn, "SELECT level, authority, published_on, delisted_on FROM listing WHERE hazard_id = ?", hazard_id
    )
    result["history"] = [
        {**r, "fields": json.loads(r["fields"]), "old": json.loads(r["old"])}
        for r in _rows(
            conn,
            "SELECT at, actor, device_id, action, fields, old, status AS sync_status, reason FROM event"
            " WHERE row_id = ? ORDER BY hlc",
            hazard_id,
        )
    ]
    return result


def _rows(conn: sqlite3.Connection, sql: str, *params: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(sql, params)]


def list_units(
    conn: sqlite3.Connection, *, area: str | None = None, search: str | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if area:
        found = find_area(conn, area)
        if found["level"] == "town":
            clauses.append("u.area = ?")
            params.append(found["code"])
        elif found["level"] != "district":
            clauses.append("u.community = ?")
            params.append(found["code"])
    if search and search.strip():
        expression = match_expression(search)
        clauses.append("u.rowid IN (SELECT rowid FROM unit_fts WHERE unit_fts MATCH ?)" if expression else "0")
        params += [expression] if expression else []
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    sql = (
        "SELECT u.id, u.uscc, u.name, u.name_en, u.kind, u.industry, u.area, u.community, u.address,"
        " u.risk_colour, u.is_pilot,"
        " (SELECT count(*) FROM hazard h WHERE h.unit_id = u.id"
        "  AND h.status IN ('reported', 'rectifying', 'awaiting_verification')) AS open_hazards"
        f" FROM unit u{where} ORDER BY u.area, u.name"
    )
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [{**dict(r), "is_pilot": bool(r["is_pilot"])} for r in conn.execute(sql, params)]


def where_equal(columns: dict[str, object]) -> tuple[str, list[Any]]:
    """` WHERE col = ? AND ...` for the columns given a value (None: no condition), and its parameters."""
    given = {column: value for column, value in columns.items() if value is not None and value != ""}
    where = (" WHERE " + " AND ".join(f"{column} = ?" for column in given)) if given else ""
    return where, list(given.values())


def list_tasks(
    conn: sqlite3.Connection, *, area: str | None = None, status: str | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    where, params = where_equal({"t.area": area, "t.status": status})
    sql = (
        "SELECT t.id, t.plan_id, p.title AS plan_title, p.kind AS plan_kind, t.unit_id,"
        " u.name AS unit_name, t.area, t.assignees, t.due_on, t.status, t.reason"
        f" FROM task t JOIN unit u ON u.id = t.unit_id LEFT JOIN plan p ON p.id = t.plan_id{where}"
        " ORDER BY t.due_on, u.name"
    )
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [{**dict(r), "assignees": json.loads(r["assignees"])} for r in conn.execute(sql, params)]


def show_unit(conn: sqlite3.Connection, unit_id: str, *, today: date, rules: LocalRules) -> dict[str, Any]:
    """A unit as its card shows it: the unit, its responsibility persons, open hazards, past inspections."""
    row = conn.execute("SELECT * FROM unit WHERE id = ?", (unit_id,)).fetchone()
    if row is None:
        raise NotFound(f"no unit {unit_id}")
    return {
        **dict(row),
        "responsibility": _rows(
            conn, "SELECT kind, person, org, phone FROM responsibility WHERE unit_id = ? ORDER BY kind", unit_id
        ),
        "open_hazards": list_hazards(conn, HazardFilter(status="open", unit_id=unit_id), today=today, rules=rules),
        "inspections": _rows(
            conn,
            "SELECT id, started_at, status, summary FROM inspection WHERE unit_id = ? ORDER BY started_at DESC LIMIT 20",
            unit_id,
        ),
    }


def record_label(conn: sqlite3.Connection, table: str, row_id: str) -> str | None:
    """A few words that name a record for a person (a hazard's description, a unit's name)."""
    column = {"hazard": "description", "unit": "name"}.get(table)
    if column is None:
        return None
    row = conn.execute(f"SELECT {column} FROM {table} WHERE id = ?", (row_id,)).fetchone()
    return str(row[0]) if row else None
