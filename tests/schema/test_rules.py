"""Derived overdue and escalation level, and deadlines in calendar or working days."""

from __future__ import annotations

from datetime import date

import pytest

from schema.authority import MATRIX, matrix_refusal
from schema.calendar import Calendar
from schema.rules import LocalRules, days_overdue, escalation_level, is_overdue

TODAY = date(2026, 11, 29)


@pytest.mark.parametrize(
    ("status", "deadline", "expected"),
    [
        pytest.param("rectifying", "2026-11-28", 1, id="one-day-late"),
        pytest.param("rectifying", "2026-11-29", 0, id="due-today-is-not-late"),
        pytest.param("rectifying", None, 0, id="no-deadline"),
        pytest.param("awaiting_verification", "2026-01-01", 0, id="submitted-is-not-overdue"),
        pytest.param("reported", "2026-01-01", 0, id="not-ordered-yet"),
        pytest.param("closed", "2026-01-01", 0, id="closed"),
    ],
)
def test_overdue_is_a_late_rectification_only(status, deadline, expected):
    assert days_overdue(status, deadline, TODAY) == expected
    assert is_overdue(status, deadline, TODAY) == (expected > 0)


@pytest.mark.parametrize(
    ("days", "level"),
    [
        (0, None),
        (1, "reminder"),
        (7, "reminder"),
        (8, "supervision_letter"),
        (15, "summons"),
        (31, "public_criticism"),
        (61, "appraisal_deduction"),
        (400, "appraisal_deduction"),
    ],
)
def test_default_escalation_ladder(days, level):
    assert escalation_level(days, LocalRules()) == level


def test_escalation_ladder_is_configuration():
    rules = LocalRules.from_json('{"escalation_ladder": [[3, "reminder"], [10, "summons"]]}')
    assert escalation_level(2, rules) is None
    assert escalation_level(3, rules) == "reminder"
    assert escalation_level(12, rules) == "summons"


def test_rules_round_trip_through_json():
    rules = LocalRules(days_general=10, working_days=True)
    assert LocalRules.from_json(rules.to_json()) == rules


# Golden week 2026: Oct 1-7 off; Sunday Sep 27 and Saturday Oct 10 are working days (调休).
CALENDAR = Calendar(
    holidays=frozenset(date(2026, 10, d) for d in range(1, 8)),
    workdays=frozenset({date(2026, 9, 27), date(2026, 10, 10)}),
)


def test_working_days_skip_weekends():
    assert Calendar().add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)  # Fri -> Mon


def test_working_days_skip_holidays_and_count_swapped_working_days():
    # From Wed Sep 30: Oct 1-7 are off, Thu Oct 8 and Fri Oct 9 count, Sat Oct 10 is a swapped working day.
    assert CALENDAR.add_working_days(date(2026, 9, 30), 3) == date(2026, 10, 10)


def test_a_deadline_may_fall_on_a_swapped_working_day():
    assert CALENDAR.is_working_day(date(2026, 9, 27))  # a Sunday
    assert CALENDAR.add_working_days(date(2026, 9, 25), 1) == date(2026, 9, 27)


def test_calendar_days_ignore_the_calendar():
    assert CALENDAR.deadline(date(2026, 9, 30), 3, working_days=False) == date(2026, 10, 3)


def test_working_day_deadlines_from_the_database(district):
    # The demo calendar marks 2026-10-01..07 as holidays and 2026-10-10 as a working day.
    calendar = Calendar.from_db(district)
    assert calendar.deadline(date(2026, 9, 30), 3, working_days=True) == date(2026, 10, 10)


@pytest.mark.parametrize("right", MATRIX, ids=lambda r: f"{r.table}.{r.what}")
def test_every_right_of_the_role_matrix_holds_for_its_roles_only(right):
    """The matrix is data; each of its rights refuses an inspector and lets the office through."""
    action = right.what if right.what in ("create", "delete") else "update"
    fields = {} if right.what in ("*", "create", "delete") else {right.what: "x"}
    assert (
        matrix_refusal("inspector", right.table, action, fields) == f"only the district office may do this: {right.why}"
    )
    for role in ("supervisor", "admin"):
        assert matrix_refusal(role, right.table, action, fields) is None
