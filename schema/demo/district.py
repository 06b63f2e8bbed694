"""The demo district: a deterministic, seeded Binhai New Area to try SafeCity on.

Who calls this: `safecity seed` (a standalone laptop file) and `safecity admin seed` (the
district server, which then gives every row a change-log position so laptops pull it). The
same `scale` and `today` always give the same district, so tests and benchmarks can name rows.

The rows are inserted in bulk, not through the write path: they are the district's starting
state, not edits anyone made, so they produce no events and no outbox ops.
"""

from __future__ import annotations

import json
import random
import sqlite3
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from schema.demo.data import (
    AREAS,
    COMMUNITIES,
    COMPANY_WORDS,
    GIVEN,
    HOLIDAYS,
    INDUSTRIES,
    LOCATIONS,
    LOOKBACK_FINDINGS,
    PILOT_AREAS,
    PLAN_KINDS,
    SURNAMES,
    criteria_for,
)
from schema.errors import DomainError
from schema.rules import LocalRules
from schema.store.transactions import transaction

DEFAULT_SCALE = 3000
MAX_SCALE = 1_000_000


def _ids(rng: random.Random):
    """Deterministic UUIDv7-shaped ids, so a seeded district names the same rows every time."""

    def make() -> str:
        value = (rng.getrandbits(48) << 80) | (0x7 << 76) | (rng.getrandbits(12) << 64)
        value |= (0b10 << 62) | rng.getrandbits(62)
        return str(uuid.UUID(int=value))

    return make


def seed(
    conn: sqlite3.Connection,
    *,
    scale: int = DEFAULT_SCALE,
    today: date,
    random_seed: int = 20261129,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Fill an empty database with the demo district; returns row counts by table. `progress` hears
    a line now and then (a million hazards take a minute or two)."""
    tell = progress or (lambda _text: None)
    if not 0 <= scale <= MAX_SCALE:
        raise DomainError(f"--scale must be between 0 and {MAX_SCALE:,}; got {scale}")
    if conn.execute("SELECT count(*) FROM area").fetchone()[0]:
        raise DomainError("this database already holds a district; seed an empty one")
    rng = random.Random(random_seed)
    new_id = _ids(rng)
    rows: dict[str, list[dict[str, Any]]] = {}

    def add(table: str, **values: Any) -> str:
        values.setdefault("id", new_id())
        rows.setdefault(table, []).append(values)
        return values["id"]

    def person() -> str:
        return rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else "")

    add(
        "area",
        code="binhai",
        parent_code=None,
        level="district",
        name_zh="滨海新区",
        name_en="Binhai New Area",
        is_pilot=1,
    )
    for code, zh, en, pilot in AREAS:
        add("area", code=code, parent_code="binhai", level="town", name_zh=zh, name_en=en, is_pilot=int(pilot))
        for n, (czh, cen) in enumerate(COMMUNITIES, start=1):
            add(
                "area",
                code=f"{code}-c{n}",
                parent_code=code,
                level="community",
                name_zh=zh + czh,
                name_en=f"{en} {cen}",
                is_pilot=0,
            )
    for day, kind, name in HOLIDAYS:
        add("holiday", day=day, kind=kind, name=name)

    criteria: dict[str, list[dict[str, Any]]] = {}
    checklist_of: dict[str, str] = {}
    for industry in INDUSTRIES:
        for edition in (1, 2):
            checklist_id = add(
                "checklist",
                industry=industry,
                edition=edition,
                title=f"{industry} checklist, edition {edition}",
                published_on=(today - timedelta(days=400 - 200 * edition)).isoformat(),
            )
            checklist_of[industry] = checklist_id  # the newest edition is pinned by new inspections
            items = criteria_for(industry) if edition == 2 else criteria_for(industry)[:-1]
            criteria[industry] = []
            for n, (czh, cen, hzh, hen, major, days, law) in enumerate(items, start=1):
                values = dict(
                    checklist_id=checklist_id,
                    code=f"{industry[:4].upper()}-{n:02d}",
                    text_zh=czh,
                    text_en=cen,
                    legal_basis=law,
                    category="fire" if "消防" in czh or "火" in czh else "safety",
                    applies_to=INDUSTRIES[industry][0],
                    major_if_failed=major,
                    default_days=days,
                )
                values["id"] = add("criterion", **values)
                criteria[industry].append({**values, "hazard_zh": hzh, "hazard_en": hen})

    n_units = max(len(AREAS) * len(INDUSTRIES), scale // 10)
    units = []
    for i in range(n_units):
        code, zh, en, pilot_area = AREAS[i % len(AREAS)]
        industry = list(INDUSTRIES)[(i // len(AREAS)) % len(INDUSTRIES)]
        kind, stem_zh, stem_en = INDUSTRIES[industry]
        word = rng.choice(COMPANY_WORDS)
        unit_id = add(
            "unit",
            uscc=f"91120116{rng.getrandbits(36):010X}"[:18],
            name=f"天津{word}{stem_zh}{i + 1}",
            name_en=f"Tianjin {word} {stem_en} {i + 1}",
            kind=kind,
            industry=industry,
            area=code,
            community=f"{code}-c{rng.randint(1, len(COMMUNITIES))}",
            address=f"{zh}{rng.randint(1, 999)}号",
            risk_colour=rng.choices(["red", "orange", "yellow", "blue"], [1, 3, 8, 12])[0],
            is_pilot=int(pilot_area and rng.random() < 0.3),
            contact_name=person(),
            contact_phone=f"1{rng.randint(3000000000, 9999999999)}",
        )
        people: list[dict[str, str]] = []
        for kind_, org in (
            ("main", "本单位"),
            ("territorial", zh),
            ("sector_supervision", "行业主管部门"),
            ("comprehensive_supervision", "区安委办"),
        ):
            name = person()
            add(
                "responsibility",
                unit_id=unit_id,
                area=code,
                kind=kind_,
                person=name,
                org=org,
                phone=f"022-{rng.randint(60000000, 69999999)}",
                valid_from=(today - timedelta(days=730)).isoformat(),
                valid_to=None,
            )
            people.append({"kind": kind_, "person": name, "org": org})
        units.append((unit_id, code, industry, json.dumps(people, ensure_ascii=False)))

    plans: dict[str, list[str]] = {}
    for code, zh, _en, _ in AREAS:
        for kind, title_zh, _title_en in rng.sample(PLAN_KINDS, 3):
            plans.setdefault(code, []).append(
                add(
                    "plan",
                    kind=kind,
                    title=f"{zh}{title_zh}",
                    area=code,
                    starts_on=(today - timedelta(days=60)).isoformat(),
                    ends_on=(today + timedelta(days=60)).isoformat(),
                )
            )
    for unit_id, code, industry, _ in units:
        due = today + timedelta(days=rng.randint(-10, 20))
        status = "done" if due < today - timedelta(days=2) and rng.random() < 0.7 else "planned"
        task_id = add(
            "task",
            plan_id=rng.choice(plans[code]),
            unit_id=unit_id,
            area=code,
            assignees=json.dumps([f"inspector.{code}"]),
            due_on=due.isoformat(),
            status=status,
            reason=None,
        )
        if status == "done":
            inspection_id = add(
                "inspection",
                task_id=task_id,
                unit_id=unit_id,
                area=code,
                inspectors=json.dumps([f"inspector.{code}"]),
                checklist_id=checklist_of[industry],
                started_at=f"{due.isoformat()}T09:00:00Z",
                ended_at=f"{due.isoformat()}T11:00:00Z",
                status="finished",
                summary="检查完成 / inspection finished",
            )
            for c in criteria[industry]:
                add(
                    "inspection_result",
                    inspection_id=inspection_id,
                    criterion_id=c["id"],
                    area=code,
                    result=rng.choices(["pass", "fail", "na"], [8, 1, 1])[0],
                    note=None,
                    photos="[]",
                    recorded_at=f"{due.isoformat()}T10:00:00Z",
                )

    statuses = ["reported", "rectifying", "awaiting_verification", "closed", "void"]
    rectifying: list[tuple[str, str, str, date, str]] = []
    # One closure in eight came after its deadline (a district's real figures: rectified is not
    # all on time). Its own generator, so the rest of the district is the same as before.
    lateness = random.Random(random_seed + 2)
    for number in range(scale):
        if number % 10_000 == 0:
            tell(f"generating hazards: {number:,} of {scale:,}")
        unit_id, code, industry, snapshot = rng.choice(units)
        c = rng.choice(criteria[industry])
        found = today - timedelta(days=rng.randint(0, 365))
        status = rng.choices(statuses, [14, 36, 10, 35, 5])[0]
        grade = "major" if c["major_if_failed"] and rng.random() < 0.4 else "general"
        days = c["default_days"] * (3 if grade == "major" else 1)
        deadline = found + timedelta(days=days)
        if status == "rectifying" and rng.random() < 0.5:  # half of the open rectifications run late
            deadline = today - timedelta(days=rng.randint(1, 90))
        elif status == "rectifying" and deadline < today:
            deadline = today + timedelta(days=rng.randint(0, 30))
        found_at = f"{found.isoformat()}T{rng.randint(8, 17):02d}:{rng.randint(0, 59):02d}:00Z"
        ordered = status in ("rectifying", "awaiting_verification", "closed")
        closed_on = min(deadline, today)
        if status == "closed" and lateness.random() < 0.125:
            closed_on = min(deadline + timedelta(days=lateness.randint(1, 20)), today)
        five = None
        if grade == "major" and ordered:
            five = json.dumps(
                {
                    "responsibility": "主要负责人",
                    "measures": "停用整改、专人监护",
                    "funds": f"{rng.randint(1, 50)}万元",
                    "time_limit": deadline.isoformat(),
                    "contingency_plan": "专项应急预案",
                },
                ensure_ascii=False,
            )
        hazard_id = add(
            "hazard",
            unit_id=unit_id,
            area=code,
            inspection_id=None,
            criterion_id=c["id"],
            description=f"{c['hazard_zh']} / {c['hazard_en']}",
            location=rng.choice(LOCATIONS),
            source=rng.choices(["inspection", "self_inspection", "grid_report", "complaint"], [6, 2, 2, 1])[0],
            grade=grade,
            found_at=found_at,
            found_by=f"inspector.{code}",
            rectifier=person() if ordered else None,
            rectifier_unit=None,
            deadline=deadline.isoformat() if status != "reported" else None,
            funds=None,
            stop_production=int(grade == "major" and rng.random() < 0.3),
            five_implementations=five,
            responsibility_snapshot=snapshot,
            status=status,
            void_reason="重复上报 / duplicate report" if status == "void" else None,
            linked_hazard_id=None,
            link_kind=None,
            closed_at=f"{closed_on.isoformat()}T16:00:00Z" if status == "closed" else None,
        )
        if status in ("awaiting_verification", "closed"):
            add(
                "progress",
                hazard_id=hazard_id,
                area=code,
                note="已按要求整改 / rectified as ordered",
                at=found_at,
                author=f"inspector.{code}",
            )
        if status == "closed":
            add(
                "verification",
                hazard_id=hazard_id,
                area=code,
                result="pass",
                opinion="复查合格 / verified",
                at=found_at,
                author=f"inspector.{code}",
            )
        if five:
            add(
                "listing",
                hazard_id=hazard_id,
                area=code,
                level="district",
                authority="区安委办",
                published_on=found.isoformat(),
                delisted_on=closed_on.isoformat() if status == "closed" else None,
            )
        if status == "rectifying":
            rectifying.append((hazard_id, code, unit_id, deadline, snapshot))

    pilots = [(r["id"], r["area"]) for r in rows["unit"] if r["is_pilot"]]
    _office_work(add, pilots, rectifying, today, random.Random(random_seed + 1))

    with transaction(conn):
        for table, table_rows in rows.items():
            tell(f"writing {table}: {len(table_rows):,} rows")
            columns = list(table_rows[0])
            conn.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                [tuple(r[c] for c in columns) for r in table_rows],
            )
    conn.execute("PRAGMA optimize")  # statistics for the planner, so triage queries pick their indexes
    return {table: len(table_rows) for table, table_rows in rows.items()}


def _office_work(
    add: Any,
    pilots: list[tuple[str, str]],
    rectifying: list[tuple[str, str, str, date, str]],
    today: date,
    rng: random.Random,
) -> None:
    """The office's records on top of the hazards: escalations already issued, extension requests
    waiting, and look-back reviews of pilot units. A generator of its own, so the hazards stay
    the same whatever is added here."""
    rules = LocalRules()
    for hazard_id, code, unit_id, deadline, snapshot in rectifying:
        days = (today - deadline).days
        if days > 0 and rng.random() < 0.2:
            step_days, step = rules.escalation_ladder[0]
            decided = deadline + timedelta(days=step_days + rng.randint(0, 3))
            add(
                "escalation",
                hazard_id=hazard_id,
                area=code,
                level=step,
                status="issued",
                reason="逾期未整改，发出提醒 / overdue: reminder sent",
                decided_by="office.binhai",
                decided_at=f"{min(decided, today).isoformat()}T10:00:00Z",
                unit_id=unit_id,
                days_overdue=step_days,
                persons=snapshot,
            )
        elif days <= 0 and rng.random() < 0.06:
            add(
                "extension",
                hazard_id=hazard_id,
                area=code,
                reason="整改设备采购周期长 / equipment on order",
                proposed_deadline=(deadline + timedelta(days=rng.randint(14, 30))).isoformat(),
                status="requested",
                old_deadline=deadline.isoformat(),
                requested_by=f"inspector.{code}",
                requested_at=f"{(today - timedelta(days=rng.randint(0, 5))).isoformat()}T09:00:00Z",
            )
    for code in PILOT_AREAS:
        mine = [u for u, c in pilots if c == code][:4]
        reviewed = today - timedelta(days=rng.randint(10, 40))
        review = add(
            "lookback_review",
            area=code,
            unit_id=None,
            title="试点单位回头看 / pilot units looked back at",
            reviewed_on=reviewed.isoformat(),
            reviewer="office.binhai",
            summary=None,
        )
        for n, (gap, cause, measure) in enumerate(LOOKBACK_FINDINGS):
            done = rng.random() < 0.5
            add(
                "lookback",
                review_id=review,
                area=code,
                unit_id=mine[n % len(mine)] if mine else None,
                hazard_id=None,
                criterion_id=None,
                gap=gap,
                cause=cause,
                measure=measure,
                owner="安全科长",
                deadline=(reviewed + timedelta(days=rng.randint(10, 45))).isoformat(),
                status="done" if done else "in_progress",
                evidence="整改照片及台账 / photos and register" if done else None,
            )
