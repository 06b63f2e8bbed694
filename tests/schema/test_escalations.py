"""The escalation ladder: computed proposals, decisions with reasons, the accountability record."""

from __future__ import annotations

import json
from datetime import date

import pytest

from schema.errors import DomainError
from schema.office.escalations import (
    decide_escalation,
    list_escalations,
    list_listings,
    overdue_days,
    propose_escalations,
)
from schema.rules import LocalRules
from schema.store.transactions import set_meta, transaction
from tests.conftest import TODAY
from tests.schema.test_lifecycle import FIVE, PARAMS, hazard_in


def overdue(writer, unit_id, deadline: str, grade: str = "general") -> str:  # type: ignore[no-untyped-def]
    hazard = hazard_in(writer, unit_id, "rectifying", grade=grade)
    with transaction(writer.conn):
        writer.conn.execute("UPDATE hazard SET deadline = ? WHERE id = ?", (deadline, hazard))
    return hazard


def proposal(conn, hazard_id):  # type: ignore[no-untyped-def]
    found = propose_escalations(conn, today=TODAY, hazard_id=hazard_id)
    return found[0] if found else None


@pytest.mark.parametrize(
    ("deadline", "level"),
    [
        pytest.param("2026-11-29", None, id="due-today-not-overdue"),
        pytest.param("2026-11-28", "reminder", id="1-day"),
        pytest.param("2026-11-21", "supervision_letter", id="8-days"),
        pytest.param("2026-11-14", "summons", id="15-days"),
        pytest.param("2026-10-29", "public_criticism", id="31-days"),
        pytest.param("2026-09-29", "appraisal_deduction", id="61-days"),
    ],
)
def test_the_ladder_proposes_the_step_the_days_overdue_reached(writer, unit_id, deadline, level):
    hazard = overdue(writer, unit_id, deadline)
    found = proposal(writer.conn, hazard)
    assert (found["level"] if found else None) == level


def test_issuing_freezes_the_unit_and_the_persons_found_with_the_hazard(writer, district, unit_id):
    hazard = overdue(writer, unit_id, "2026-11-10", grade="major")
    frozen = json.loads(writer.get("hazard", hazard)["responsibility_snapshot"])
    with transaction(district):  # the post changes hands after the hazard was found
        district.execute("UPDATE responsibility SET person = '新任负责人' WHERE unit_id = ?", (unit_id,))
    decide_escalation(writer, hazard, issue=True, reason="逾期未整改，约谈主要负责人", today=TODAY, level="summons")
    [record] = list_escalations(district, hazard_id=hazard)
    assert record["status"] == "issued" and record["unit_id"] == unit_id and record["days_overdue"] == 19
    assert record["persons"] == frozen and frozen and all(p["person"] != "新任负责人" for p in record["persons"])
    assert proposal(district, hazard) is None  # decided: not proposed again until the next step


def test_a_dismissed_step_is_not_proposed_again_but_the_next_one_is(writer, district, unit_id):
    hazard = overdue(writer, unit_id, "2026-11-25")
    with pytest.raises(DomainError, match="reason"):
        decide_escalation(writer, hazard, issue=False, reason=" ", today=TODAY)
    decide_escalation(writer, hazard, issue=False, reason="单位已提交整改方案", today=TODAY)
    assert proposal(district, hazard) is None
    later = propose_escalations(district, today=date(2026, 12, 3), hazard_id=hazard)  # 8 days overdue
    assert [p["level"] for p in later] == ["supervision_letter"] and later[0]["decided"] == ["reminder"]


def test_a_step_other_than_the_proposed_one_is_refused(writer, unit_id):
    hazard = overdue(writer, unit_id, "2026-11-25")
    with pytest.raises(DomainError, match="proposed for this hazard is reminder, not summons"):
        decide_escalation(writer, hazard, issue=True, reason="r", today=TODAY, level="summons")
    with pytest.raises(DomainError, match="no escalation is proposed"):
        decide_escalation(writer, hazard_in(writer, unit_id, "rectifying"), issue=True, reason="r", today=TODAY)


def test_working_day_rules_count_a_holiday_week_as_no_days(writer, district, unit_id):
    rules = LocalRules(working_days=True)
    with transaction(district):
        set_meta(district, "rules", rules.to_json())
    from schema.calendar import Calendar

    calendar = Calendar.from_db(district)
    # Deadline Thursday 2027-02-04; 春节 2027-02-05..11 are holidays, Saturday 02-13 is a swapped working day.
    assert (
        overdue_days("2027-02-04", date(2027, 2, 12), rules, calendar) == 1
    )  # Friday 02-12, the first working day after 春节
    assert overdue_days("2027-02-04", date(2027, 2, 13), rules, calendar) == 2  # the 调休 Saturday counts
    assert overdue_days("2027-02-04", date(2027, 2, 13), LocalRules(), calendar) == 9


def test_an_inspector_laptop_cannot_decide_escalations(writer, district, unit_id):
    hazard = overdue(writer, unit_id, "2026-11-25")
    with transaction(district):
        set_meta(district, "server_url", "http://district.example")
        set_meta(district, "role", "inspector")
    assert proposal(district, hazard)["level"] == "reminder"  # inspectors see what concerns them
    with pytest.raises(DomainError, match="only a supervisor or admin"):
        decide_escalation(writer, hazard, issue=True, reason="r", today=TODAY)


def test_listings_show_progress_and_go_when_delisted(writer, district, unit_id):
    from schema.hazards import act

    hazard = hazard_in(writer, unit_id, "reported", grade="major")
    act(writer, hazard, "order", {"deadline": "2026-12-20", "five_implementations": FIVE}, today=TODAY)
    act(writer, hazard, "submit", PARAMS["submit"], today=TODAY)
    [row] = [r for r in list_listings(district, today=TODAY) if r["hazard_id"] == hazard]
    assert (row["status"], row["progress_reports"], row["last_progress"]) == ("awaiting_verification", 1, "repaired")
    act(writer, hazard, "pass", PARAMS["pass"], today=TODAY)
    assert hazard not in {r["hazard_id"] for r in list_listings(district, today=TODAY)}
    [gone] = [r for r in list_listings(district, today=TODAY, include_delisted=True) if r["hazard_id"] == hazard]
    assert gone["delisted_on"] == TODAY.isoformat() and gone["last_verification"] == "pass"
