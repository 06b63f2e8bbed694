"""Reports of hazard work per area and per unit, the quarterly table, and monthly trends.

Who calls this: `safecity report ...`, the TUI's dashboard and `schema.office.report_html`. One
definition of each figure, used everywhere (docs/cli.md repeats it):

- found: hazards found in the period (void ones excluded: they were not hazards);
- rectified: of those, closed by the end of the period;
- on_time: rectified no later than their deadline (fixed on the spot counts as on time);
- overdue: of those, under rectification past their deadline on the as-of day (the period's
  end, or today while it runs);
- rate: rectified / found (1.0 when nothing was found);
- major: of the found, how many were graded major;
- escalations: escalations issued in the period for hazards of that area or unit.

Everything is one grouped query per figure over the indexed hazard table: a district of
100,000 hazards reports in well under a second.
"""

from __future__ import annotations

import csv
import io
import sqlite3
from datetime import date
from typing import Any

from schema.errors import DomainError
from schema.periods import Period, months_back, parse_period

FIGURES = ("found", "major", "rectified", "on_time", "overdue", "rate", "escalations")


def _check_area(conn: sqlite3.Connection, area: str | None) -> str | None:
    if area in (None, "", "binhai"):
        return None
    row = conn.execute("SELECT level FROM area WHERE code = ?", (area,)).fetchone()
    if row is None:
        raise DomainError(f"no area with code {area!r}")
    if row["level"] != "town":
        raise DomainError(f"reports are per town or zone, or the whole district; {area} is a {row['level']}")
    return area


def summary(
    conn: sqlite3.Connection, period: Period, *, today: date, by: str = "area", area: str | None = None
) -> list[dict[str, Any]]:
    """One row per area (or per unit) with the figures above, busiest first."""
    if by not in ("area", "unit"):
        raise DomainError(f"reports are by area or by unit; got {by!r}")
    area = _check_area(conn, area)
    key = "h.area" if by == "area" else "h.unit_id"
    start, end, as_of = period.start.isoformat(), period.end.isoformat(), period.as_of(today).isoformat()
    rows = conn.execute(
        f"SELECT {key} AS key, count(*) AS found,"
        " sum(h.grade = 'major') AS major,"
        " sum(h.status = 'closed' AND substr(h.closed_at, 1, 10) <= :end) AS rectified,"
        " sum(h.status = 'closed' AND substr(h.closed_at, 1, 10) <= :end"
        "     AND (h.deadline IS NULL OR substr(h.closed_at, 1, 10) <= h.deadline)) AS on_time,"
        " sum(h.status = 'rectifying' AND h.deadline < :as_of) AS overdue"
        " FROM hazard h WHERE h.status != 'void' AND substr(h.found_at, 1, 10) BETWEEN :start AND :end"
        " AND (:area IS NULL OR h.area = :area) GROUP BY key",
        {"start": start, "end": end, "as_of": as_of, "area": area},
    ).fetchall()
    escalations = dict(
        conn.execute(
            f"SELECT {key.replace('h.', 'e.')} AS key, count(*) FROM escalation e WHERE e.status = 'issued'"
            " AND substr(e.decided_at, 1, 10) BETWEEN ? AND ? AND (? IS NULL OR e.area = ?) GROUP BY key",
            (start, end, area, area),
        ).fetchall()
    )
    names = _names(conn, by)
    result = []
    for r in rows:
        row = {
            "key": r["key"],
            "name": names.get(r["key"], r["key"]),
            **{f: r[f] or 0 for f in ("found", "major", "rectified", "on_time", "overdue")},
        }
        row["rate"] = round(row["rectified"] / row["found"], 3) if row["found"] else 1.0
        row["escalations"] = escalations.pop(r["key"], 0)
        result.append(row)
    for key, count in escalations.items():  # escalated in the period, found earlier
        result.append(
            {
                "key": key,
                "name": names.get(key, key),
                "found": 0,
                "major": 0,
                "rectified": 0,
                "on_time": 0,
                "overdue": 0,
                "rate": 1.0,
                "escalations": count,
            }
        )
    result.sort(key=lambda r: (-r["found"], r["key"]))
    return result


def totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    total = {f: sum(r[f] for r in rows) for f in FIGURES if f != "rate"}
    total["rate"] = round(total["rectified"] / total["found"], 3) if total["found"] else 1.0
    return {"key": "total", "name": "合计 / total", **total}


def _names(conn: sqlite3.Connection, by: str) -> dict[str, str]:
    if by == "area":
        return {r[0]: r[1] for r in conn.execute("SELECT code, name_zh FROM area")}
    return {r[0]: r[1] for r in conn.execute("SELECT id, name FROM unit")}


def quarterly(conn: sqlite3.Connection, year: int, *, today: date) -> dict[str, Any]:
    """The quarterly statistics table: per area and quarter, found / major / rectified / rate."""
    quarters = [parse_period(f"{year}Q{q}") for q in range(1, 5)]
    table: dict[str, dict[str, Any]] = {}
    for q in quarters:
        if q.start > today:
            continue
        for row in summary(conn, q, today=today):
            entry = table.setdefault(row["key"], {"key": row["key"], "name": row["name"], "quarters": {}})
            entry["quarters"][q.label] = {f: row[f] for f in FIGURES}
    rows = sorted(table.values(), key=lambda e: e["key"])
    return {"year": year, "quarters": [q.label for q in quarters if q.start <= today], "rows": rows}


def trend(conn: sqlite3.Connection, *, today: date, months: int = 12, area: str | None = None) -> list[dict[str, Any]]:
    """Per month: hazards found, closed, and open past their deadline at the month's end."""
    area = _check_area(conn, area)
    periods = months_back(today, months)
    first = periods[0].start.isoformat()
    found = dict(
        conn.execute(
            "SELECT substr(found_at, 1, 7), count(*) FROM hazard WHERE status != 'void' AND found_at >= ?"
            " AND (? IS NULL OR area = ?) GROUP BY 1",
            (first, area, area),
        ).fetchall()
    )
    closed = dict(
        conn.execute(
            "SELECT substr(closed_at, 1, 7), count(*) FROM hazard WHERE status = 'closed' AND closed_at >= ?"
            " AND (? IS NULL OR area = ?) GROUP BY 1",
            (first, area, area),
        ).fetchall()
    )
    result = []
    for p in periods:
        month, end = p.label, p.as_of(today).isoformat()
        overdue = conn.execute(
            "SELECT count(*) FROM hazard WHERE status IN ('rectifying', 'awaiting_verification', 'closed')"
            " AND deadline < ? AND substr(found_at, 1, 10) <= ? AND (closed_at IS NULL OR substr(closed_at, 1, 10) > ?)"
            " AND (? IS NULL OR area = ?)",
            (end, end, end, area, area),
        ).fetchone()[0]
        result.append(
            {"month": month, "found": found.get(month, 0), "closed": closed.get(month, 0), "overdue": overdue}
        )
    return result


def to_csv(rows: list[dict[str, Any]], columns: tuple[str, ...] = ("key", "name", *FIGURES)) -> str:
    """CSV with a BOM, so Excel on a Chinese Windows opens the names correctly. A text that a
    spreadsheet would run as a formula (a unit named `=cmd|' /C calc'!A0`: names come from
    spreadsheets and laptops) is written with a leading apostrophe, which shows it as text."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows({k: as_cell(v) for k, v in row.items()} for row in rows)
    return out.getvalue()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet takes as the start of a formula (OWASP's CSV injection list)."""


def as_cell(value: Any) -> Any:
    """A value as a spreadsheet cell shows it, never as a formula; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
