"""Assessment against the model-city indicator tree, scored from the district's own records.

Who calls this: `safecity assessment ...` and the TUI's assessment screen. The tree (levels,
points, deduction rules) is data, `schema/data/indicators.toml` by default, which the office
may copy and edit (`--indicators FILE`); its header says which parts are illustrative. Every
deduction carries its *evidence*: the records that caused it (hazard, escalation, look-back
item, unit), so a score can be drilled down to the facts behind it and argued with.

Self-assessed indicators take the office's score from the synced `assessment` table
(period, indicator code, self score, evidence).
"""

from __future__ import annotations

import sqlite3
import tomllib
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

from schema.attachments import attachments_by_hazard
from schema.errors import DomainError
from schema.office.roles import require_office
from schema.periods import Period
from schema.writes import Writer

RULES = (
    "overdue_hazards",
    "unlisted_major",
    "rectification_rate",
    "escalations",
    "lookback_overdue",
    "inspection_coverage",
    "pilot_lookback",
    "self_assessed",
)


@dataclass
class Indicator:
    code: str
    name_zh: str
    name_en: str
    parent: str | None = None
    points: float | None = None
    deductions: list[dict[str, Any]] = field(default_factory=list)
    children: list[Indicator] = field(default_factory=list)


@dataclass
class IndicatorTree:
    title: str
    illustrative: bool
    roots: list[Indicator]
    by_code: dict[str, Indicator]
    source: str = ""
    """The file's text as read, so it can be exported for the office to edit."""


def load_indicators(path: str | Path | None = None) -> IndicatorTree:
    """The indicator tree from `path` (default: the shipped file); DomainError names what is wrong."""
    where = str(path) if path else "the default indicator file"
    try:
        text = (
            Path(path).read_text(encoding="utf-8")
            if path
            else resources.files("schema").joinpath("data/indicators.toml").read_text(encoding="utf-8")
        )
        data = tomllib.loads(text)
    except OSError as err:
        raise DomainError(f"cannot read {where}: {err.strerror}") from None
    except tomllib.TOMLDecodeError as err:
        raise DomainError(f"{where} is not valid TOML: {err}") from None
    by_code: dict[str, Indicator] = {}
    for n, raw in enumerate(data.get("indicator", []), start=1):
        code = raw.get("code")
        if not isinstance(code, str) or not code:
            raise DomainError(f"{where}: indicator {n} has no code")
        if code in by_code:
            raise DomainError(f"{where}: indicator {code} appears twice")
        points = raw.get("points")
        if points is not None and (not isinstance(points, int | float) or points < 0):
            raise DomainError(f"{where}: indicator {code}: points must be a number of 0 or more")
        for d in raw.get("deduction", []):
            if d.get("rule") not in RULES:
                raise DomainError(
                    f"{where}: indicator {code}: unknown rule {d.get('rule')!r}; rules are {', '.join(RULES)}"
                )
        by_code[code] = Indicator(
            code,
            raw.get("name_zh", code),
            raw.get("name_en", code),
            raw.get("parent"),
            points,
            list(raw.get("deduction", [])),
        )
    roots = []
    for ind in by_code.values():
        if ind.parent is None:
            roots.append(ind)
        elif ind.parent in by_code:
            by_code[ind.parent].children.append(ind)
        else:
            raise DomainError(f"{where}: indicator {ind.code} names parent {ind.parent!r}, which does not exist")
    if not roots:
        raise DomainError(f"{where} defines no indicators")
    standard = data.get("standard", {})
    return IndicatorTree(
        standard.get("title_zh", "indicators"), bool(standard.get("illustrative")), roots, by_code, text
    )


class _Facts:
    """The records one assessment reads, each query run once per (rule, options)."""

    def __init__(self, conn: sqlite3.Connection, period: Period, area: str | None, today: date):
        self.conn, self.period, self.area = conn, period, area
        self.as_of = period.as_of(today).isoformat()
        self.start, self.end = period.start.isoformat(), period.end.isoformat()

    def rows(self, sql: str, *params: Any) -> list[sqlite3.Row]:
        """Run `sql` with `{AREA}` (always its last condition) narrowed to the assessed area."""
        return self.conn.execute(
            sql.replace("{AREA}", "(? IS NULL OR area = ?)"), (*params, self.area, self.area)
        ).fetchall()


def _share_rule(total: int, hits: int, rule: dict[str, Any]) -> tuple[float, str]:
    share = hits / total if total else 1.0
    short = max(0.0, float(rule.get("threshold", 1)) - share) * 100
    return short * float(rule.get("per_point", 0)), f"{share:.0%} against {float(rule.get('threshold', 1)):.0%}"


def _deduct(f: _Facts, rule: dict[str, Any], self_scores: dict[str, Any], code: str) -> dict[str, Any]:
    """One rule's deduction: {rule, points, detail, evidence: [{table, id, text}]}."""
    name = rule["rule"]
    per = float(rule.get("per", 0))
    evidence: list[dict[str, str]] = []
    points, detail = 0.0, ""
    if name == "overdue_hazards":
        grade = rule.get("grade")
        rows = f.rows(
            "SELECT id, description, deadline FROM hazard WHERE status = 'rectifying' AND deadline < ?"
            " AND (? IS NULL OR grade = ?) AND {AREA}",
            f.as_of,
            grade,
            grade,
        )
        evidence = [
            {"table": "hazard", "id": r["id"], "text": f"{r['description']} (deadline {r['deadline']})"} for r in rows
        ]
        points, detail = per * len(rows), f"{len(rows)} {'major ' if grade else ''}hazards overdue on {f.as_of}"
    elif name == "unlisted_major":
        rows = f.rows(
            "SELECT id, description FROM hazard h WHERE grade = 'major' AND status = 'rectifying'"
            " AND NOT EXISTS (SELECT 1 FROM listing l WHERE l.hazard_id = h.id AND l.delisted_on IS NULL)"
            " AND {AREA}"
        )
        evidence = [{"table": "hazard", "id": r["id"], "text": r["description"]} for r in rows]
        points, detail = per * len(rows), f"{len(rows)} major hazards under rectification without a listing"
    elif name == "rectification_rate":
        rows = f.rows(
            "SELECT id, description, status, closed_at FROM hazard WHERE status != 'void'"
            " AND substr(found_at, 1, 10) BETWEEN ? AND ? AND {AREA}",
            f.start,
            f.end,
        )
        closed = [r for r in rows if r["status"] == "closed" and (r["closed_at"] or "")[:10] <= f.end]
        points, detail = _share_rule(len(rows), len(closed), rule)
        detail = f"{len(closed)} of {len(rows)} hazards found in {f.period.label} rectified: {detail}"
        open_ids = {r["id"] for r in closed}
        evidence = (
            [
                {"table": "hazard", "id": r["id"], "text": f"{r['description']} ({r['status']})"}
                for r in rows
                if r["id"] not in open_ids
            ]
            if points
            else []
        )
    elif name == "escalations":
        levels = list(rule.get("levels") or [])
        rows = f.rows(
            "SELECT id, level, hazard_id, reason FROM escalation WHERE status = 'issued'"
            " AND substr(decided_at, 1, 10) BETWEEN ? AND ? AND {AREA}",
            f.start,
            f.end,
        )
        rows = [r for r in rows if not levels or r["level"] in levels]
        evidence = [
            {"table": "escalation", "id": r["id"], "text": f"{r['level']}: {r['reason']} (hazard {r['hazard_id']})"}
            for r in rows
        ]
        points, detail = per * len(rows), f"{len(rows)} escalations issued ({', '.join(levels) or 'any step'})"
    elif name == "lookback_overdue":
        rows = f.rows(
            "SELECT id, gap, deadline FROM lookback WHERE status != 'done' AND deadline < ? AND {AREA}", f.as_of
        )
        evidence = [
            {"table": "lookback", "id": r["id"], "text": f"{r['gap']} (deadline {r['deadline']})"} for r in rows
        ]
        points, detail = per * len(rows), f"{len(rows)} look-back items not done after their deadline"
    elif name in ("inspection_coverage", "pilot_lookback"):
        pilot = name == "pilot_lookback"
        units = f.rows(f"SELECT id, name FROM unit WHERE {'is_pilot = 1 AND ' if pilot else ''}{{AREA}}")
        if pilot:  # a unit is looked back at when a review in the period names it or one of its items does
            seen = {
                r[0]
                for r in f.conn.execute(
                    "SELECT DISTINCT coalesce(i.unit_id, r.unit_id) FROM lookback_review r"
                    " LEFT JOIN lookback i ON i.review_id = r.id WHERE r.reviewed_on BETWEEN ? AND ?"
                    " AND (? IS NULL OR r.area = ?)",
                    (f.start, f.end, f.area, f.area),
                )
            }
        else:
            seen = {
                r[0]
                for r in f.rows(
                    "SELECT DISTINCT unit_id FROM inspection"
                    " WHERE substr(started_at, 1, 10) BETWEEN ? AND ? AND {AREA}",
                    f.start,
                    f.end,
                )
            }
        missing = [u for u in units if u["id"] not in seen]
        points, detail = _share_rule(len(units), len(units) - len(missing), rule)
        detail = f"{len(units) - len(missing)} of {len(units)} {'pilot units looked back at' if pilot else 'units inspected'}: {detail}"
        evidence = (
            [
                {
                    "table": "unit",
                    "id": u["id"],
                    "text": f"{u['name']} ({'not looked back at' if pilot else 'not inspected'})",
                }
                for u in missing
            ]
            if points
            else []
        )
    elif name == "self_assessed":
        entry = self_scores.get(code)
        detail = "self-assessed" if entry else "not yet self-assessed: no points until the office enters a score"
        evidence = [{"table": "assessment", "id": entry["id"], "text": entry["evidence"] or ""}] if entry else []
        return {
            "rule": name,
            "points": 0.0,
            "detail": detail,
            "evidence": evidence,
            "self_score": entry["self_score"] if entry else None,
        }
    if "max" in rule:
        points = min(points, float(rule["max"]))
    return {"rule": name, "points": round(points, 2), "detail": detail, "evidence": evidence}


def score(
    conn: sqlite3.Connection, tree: IndicatorTree, period: Period, *, today: date, area: str | None = None
) -> dict[str, Any]:
    """Scores of every indicator for the period, with deductions and their evidence."""
    facts = _Facts(conn, period, area, today)
    self_scores = {
        r["indicator_code"]: dict(r)
        for r in conn.execute(
            "SELECT id, indicator_code, self_score, evidence FROM assessment WHERE period = ?", (period.label,)
        )
    }

    def walk(ind: Indicator) -> dict[str, Any]:
        node: dict[str, Any] = {"code": ind.code, "name_zh": ind.name_zh, "name_en": ind.name_en}
        if ind.children:
            children = [walk(c) for c in ind.children]
            node.update(
                children=children,
                points=sum(c["points"] for c in children),
                score=round(sum(c["score"] for c in children), 2),
            )
            return node
        deductions = [_deduct(facts, rule, self_scores, ind.code) for rule in ind.deductions]
        points = float(ind.points or 0)
        manual = [d for d in deductions if d["rule"] == "self_assessed"]
        if manual:
            value = manual[0]["self_score"]
            got = min(points, float(value)) if value is not None else 0.0
        else:
            got = max(0.0, points - sum(d["points"] for d in deductions))
        node.update(points=points, score=round(got, 2), deductions=deductions)
        return node

    roots = [walk(r) for r in tree.roots]
    return {
        "title": tree.title,
        "illustrative": tree.illustrative,
        "period": period.label,
        "area": area or "binhai",
        "as_of": facts.as_of,
        "points": sum(r["points"] for r in roots),
        "score": round(sum(r["score"] for r in roots), 2),
        "indicators": roots,
    }


def find(result: dict[str, Any], code: str) -> dict[str, Any]:
    """One indicator of a scored tree (the drill-down), or DomainError."""
    stack = list(result["indicators"])
    while stack:
        node = stack.pop()
        if node["code"] == code:
            return node
        stack.extend(node.get("children", []))
    raise DomainError(f"no indicator with code {code!r}")


def with_attachments(conn: sqlite3.Connection, node: dict[str, Any]) -> dict[str, Any]:
    """The indicator with each hazard behind its deductions carrying its evidence (佐证材料):
    `attachments`, a list of {id, role, sha256, original_name}. The drill-down reaches the photos."""
    hazards = [e["id"] for d in node.get("deductions", []) for e in d["evidence"] if e["table"] == "hazard"]
    found = attachments_by_hazard(conn, list(dict.fromkeys(hazards)))
    for d in node.get("deductions", []):
        for e in d["evidence"]:
            if e["table"] == "hazard":
                e["attachments"] = [
                    {k: a[k] for k in ("id", "role", "sha256", "original_name")} for a in found.get(e["id"], [])
                ]
    return node


def record_self_score(
    w: Writer, tree: IndicatorTree, *, period: Period, code: str, score_value: float, evidence: str
) -> str:
    """The office's own score of a self-assessed indicator, with its evidence (synced)."""
    require_office(w.conn, "enter a self-assessment")
    ind = tree.by_code.get(code)
    if ind is None or ind.children:
        raise DomainError(f"no scored indicator with code {code!r}")
    if not any(d["rule"] == "self_assessed" for d in ind.deductions):
        raise DomainError(f"indicator {code} is computed from the records, not self-assessed")
    if not 0 <= score_value <= float(ind.points or 0):
        raise DomainError(f"the score of {code} must be between 0 and {ind.points}")
    if not evidence or not evidence.strip():
        raise DomainError("a self score needs its evidence", fields=("evidence",))
    with w.transaction():
        row = w.conn.execute(
            "SELECT id FROM assessment WHERE period = ? AND indicator_code = ?", (period.label, code)
        ).fetchone()
        values = {"self_score": score_value, "evidence": evidence.strip()}
        if row:
            w.update("assessment", row["id"], values)
            return row["id"]
        return w.create("assessment", {"period": period.label, "indicator_code": code, **values})
