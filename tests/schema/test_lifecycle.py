"""The hazard lifecycle of DOMAIN.md, transition by transition, including every refused one."""

from __future__ import annotations

import json

import pytest

from schema.errors import DomainError
from schema.hazards import act, add_hazard, edit_hazard
from schema.rules import ACTIONS, STATUSES, allowed_transition, check_action
from tests.conftest import TODAY

FIVE = {
    "responsibility": "厂长",
    "measures": "停用",
    "funds": "5万元",
    "time_limit": "年底前完成",  # words, not a date: the deadline given decides (see the time-limit tests)
    "contingency_plan": "专项预案",
}

# Every action with the parameters it needs, so each can be tried from every status.
PARAMS = {
    "order": {"deadline": "2026-12-20"},
    "fix_on_spot": {"note": "moved the pallets"},
    "submit": {"note": "repaired"},
    "pass": {"opinion": "verified on site"},
    "fail": {"opinion": "still blocked", "deadline": "2026-12-30"},
    "void": {"reason": "not a hazard"},
}
# (action, from) -> to: the allowed edges of DOMAIN.md and nothing else.
ALLOWED = {
    ("order", "reported"): "rectifying",
    ("fix_on_spot", "reported"): "awaiting_verification",
    ("submit", "rectifying"): "awaiting_verification",
    ("pass", "awaiting_verification"): "closed",
    ("fail", "awaiting_verification"): "rectifying",
    ("void", "reported"): "void",
    ("void", "rectifying"): "void",
}
# How to bring a new hazard to each status through legal actions.
PATH = {
    "reported": [],
    "rectifying": ["order"],
    "awaiting_verification": ["order", "submit"],
    "closed": ["order", "submit", "pass"],
    "void": ["void"],
}


def hazard_in(writer, unit_id: str, status: str, grade: str = "general") -> str:
    hazard_id = add_hazard(writer, unit_id=unit_id, description="消防通道堵塞", grade=grade, today=TODAY)
    for action in PATH[status]:
        params = dict(PARAMS[action], five_implementations=FIVE)
        act(writer, hazard_id, action, params, today=TODAY)
    return hazard_id


@pytest.mark.parametrize(
    ("action", "status"),
    [pytest.param(a, s, id=f"{a}-from-{s}") for a in ACTIONS for s in STATUSES],
)
def test_every_action_from_every_status(writer, unit_id, action, status):
    hazard_id = hazard_in(writer, unit_id, status)
    expected = ALLOWED.get((action, status))
    if expected is None:
        with pytest.raises(DomainError, match=f"cannot {action} a hazard that is {status}"):
            act(writer, hazard_id, action, PARAMS[action], today=TODAY)
        assert writer.get("hazard", hazard_id)["status"] == status, "a refused action changes nothing"
    else:
        assert act(writer, hazard_id, action, PARAMS[action], today=TODAY) == expected
        assert writer.get("hazard", hazard_id)["status"] == expected


@pytest.mark.parametrize(
    ("action", "missing"),
    [
        pytest.param("fix_on_spot", ("note",), id="fix-on-spot-needs-note"),
        pytest.param("void", ("reason",), id="void-needs-reason"),
    ],
)
def test_actions_from_reported_name_missing_fields(writer, unit_id, action, missing):
    hazard_id = hazard_in(writer, unit_id, "reported")
    with pytest.raises(DomainError, match="^to .*, give ") as refused:
        act(writer, hazard_id, action, {}, today=TODAY)
    assert refused.value.fields == missing and "--" not in str(refused.value)  # people's words; the CLI adds flags


@pytest.mark.parametrize(
    ("action", "missing"),
    [
        pytest.param("pass", ("opinion",), id="pass-needs-opinion"),
        pytest.param("fail", ("opinion", "deadline"), id="fail-needs-opinion-and-deadline"),
    ],
)
def test_verification_names_missing_fields(writer, unit_id, action, missing):
    hazard_id = hazard_in(writer, unit_id, "awaiting_verification")
    with pytest.raises(DomainError, match="^to .*, give ") as refused:
        act(writer, hazard_id, action, {}, today=TODAY)
    assert refused.value.fields == missing and "--" not in str(refused.value)  # people's words; the CLI adds flags


def test_submit_needs_a_note(writer, unit_id):
    hazard_id = hazard_in(writer, unit_id, "rectifying")
    with pytest.raises(DomainError, match="to submit the rectification, give a note of what was done$"):
        act(writer, hazard_id, "submit", {}, today=TODAY)


def test_major_hazard_cannot_be_ordered_without_the_five_implementations(writer, unit_id):
    hazard_id = hazard_in(writer, unit_id, "reported", grade="major")
    partial = {k: v for k, v in FIVE.items() if k != "funds"}
    with pytest.raises(DomainError, match="five implementations.*missing: funds"):
        act(writer, hazard_id, "order", {"deadline": "2026-12-20", "five_implementations": partial}, today=TODAY)
    assert writer.get("hazard", hazard_id)["status"] == "reported"


def test_ordering_a_major_hazard_lists_it_and_closing_delists_it(writer, unit_id, district):
    hazard_id = hazard_in(writer, unit_id, "closed", grade="major")
    listing = district.execute("SELECT * FROM listing WHERE hazard_id = ?", (hazard_id,)).fetchone()
    assert listing["published_on"] == TODAY.isoformat()
    assert listing["delisted_on"] == TODAY.isoformat()
    assert json.loads(writer.get("hazard", hazard_id)["five_implementations"]) == FIVE


def test_failed_verification_sets_the_new_deadline_and_records_the_opinion(writer, unit_id, district):
    hazard_id = hazard_in(writer, unit_id, "awaiting_verification")
    act(writer, hazard_id, "fail", {"opinion": "still blocked", "deadline": "2027-01-15"}, today=TODAY)
    assert writer.get("hazard", hazard_id)["deadline"] == "2027-01-15"
    opinion = district.execute("SELECT result, opinion FROM verification WHERE hazard_id = ?", (hazard_id,)).fetchone()
    assert tuple(opinion) == ("fail", "still blocked")


def test_order_without_deadline_uses_the_local_rules(writer, unit_id):
    hazard_id = hazard_in(writer, unit_id, "reported")
    act(writer, hazard_id, "order", {}, today=TODAY)
    assert writer.get("hazard", hazard_id)["deadline"] == "2026-12-29"  # 30 calendar days by default


def test_deadline_in_the_past_is_refused(writer, unit_id):
    hazard_id = hazard_in(writer, unit_id, "reported")
    with pytest.raises(DomainError, match="deadline 2026-11-01 is in the past"):
        act(writer, hazard_id, "order", {"deadline": "2026-11-01"}, today=TODAY)


@pytest.mark.parametrize("status", ["closed", "void"])
def test_closed_and_void_hazards_are_not_edited(writer, unit_id, status):
    hazard_id = hazard_in(writer, unit_id, status)
    with pytest.raises(DomainError, match=f"a {status} hazard is not edited"):
        edit_hazard(writer, hazard_id, {"description": "changed"})


def test_the_deadline_is_not_edited_directly(writer, unit_id):
    hazard_id = hazard_in(writer, unit_id, "rectifying")
    with pytest.raises(DomainError, match="deadline moves only by an order"):
        edit_hazard(writer, hazard_id, {"deadline": "2027-06-01"})


def test_grade_can_change_until_closed(writer, unit_id):
    hazard_id = hazard_in(writer, unit_id, "rectifying")
    edit_hazard(writer, hazard_id, {"grade": "major"})
    assert writer.get("hazard", hazard_id)["grade"] == "major"


def test_void_as_duplicate_links_the_original(writer, unit_id):
    original = hazard_in(writer, unit_id, "reported")
    duplicate = hazard_in(writer, unit_id, "reported")
    act(writer, duplicate, "void", {"reason": "same fire lane", "duplicate_of": original}, today=TODAY)
    row = writer.get("hazard", duplicate)
    assert (row["linked_hazard_id"], row["link_kind"]) == (original, "duplicate")


def test_unknown_action_lists_the_actions():
    with pytest.raises(DomainError, match="unknown action 'close'; actions are order, fix_on_spot"):
        check_action("reported", "general", "close", {})


def test_allowed_transition_matches_the_actions():
    for old in STATUSES:
        for new in STATUSES:
            edge = any((a, old) in ALLOWED and ALLOWED[(a, old)] == new for a in ACTIONS)
            assert allowed_transition(old, new) == (edge or old == new), (old, new)


def test_new_hazard_freezes_the_responsibility_persons(writer, unit_id, district):
    hazard_id = hazard_in(writer, unit_id, "reported")
    frozen = json.loads(writer.get("hazard", hazard_id)["responsibility_snapshot"])
    assert {r["kind"] for r in frozen} == {"main", "territorial", "sector_supervision", "comprehensive_supervision"}
    # The unit's main responsible person changes later: the hazard keeps who was responsible.
    district.execute("UPDATE responsibility SET person = '新负责人' WHERE unit_id = ? AND kind = 'main'", (unit_id,))
    again = json.loads(writer.get("hazard", hazard_id)["responsibility_snapshot"])
    assert "新负责人" not in [r["person"] for r in again]


def test_snapshot_leaves_out_persons_no_longer_responsible(writer, unit_id, district):
    district.execute(
        "UPDATE responsibility SET valid_to = '2026-01-01' WHERE unit_id = ? AND kind = 'main'", (unit_id,)
    )
    hazard_id = hazard_in(writer, unit_id, "reported")
    kinds = {r["kind"] for r in json.loads(writer.get("hazard", hazard_id)["responsibility_snapshot"])}
    assert "main" not in kinds


def test_dates_are_checked(writer, unit_id):
    with pytest.raises(DomainError, match="deadline must be a date written YYYY-MM-DD"):
        add_hazard(writer, unit_id=unit_id, description="x", deadline="29/11/2026", today=TODAY)


@pytest.mark.parametrize(
    ("time_limit", "deadline", "expected"),
    [
        pytest.param("30 days", None, "2026-12-29", id="days-fill-an-empty-deadline"),
        pytest.param("30天", None, "2026-12-29", id="chinese-days"),
        pytest.param("2026-12-15", None, "2026-12-15", id="a-date-fills-it"),
        pytest.param("2026-12-15", "2026-12-15", "2026-12-15", id="agreeing"),
        pytest.param("before the holiday", None, None, id="words-leave-the-local-rule"),
    ],
)
def test_a_major_hazards_deadline_follows_its_five_implementations_time_limit(
    writer, unit_id, time_limit, deadline, expected
):
    """Regression (issue 14): an empty deadline silently became +90 days although the time limit said 30 days."""
    hazard_id = add_hazard(writer, unit_id=unit_id, description="储罐区无可燃气体报警", grade="major", today=TODAY)
    params: dict[str, object] = {"five_implementations": {**FIVE, "time_limit": time_limit}}
    if deadline:
        params["deadline"] = deadline
    act(writer, hazard_id, "order", params, today=TODAY)
    stored = writer.get("hazard", hazard_id)["deadline"]
    assert stored == (expected or stored) and (expected is not None or stored > "2027-01-01")


def test_a_deadline_that_contradicts_the_time_limit_is_refused(writer, unit_id):
    hazard_id = add_hazard(writer, unit_id=unit_id, description="储罐区无可燃气体报警", grade="major", today=TODAY)
    params = {"deadline": "2027-02-27", "five_implementations": {**FIVE, "time_limit": "30 days"}}
    with pytest.raises(DomainError, match="disagree"):
        act(writer, hazard_id, "order", params, today=TODAY)
    assert writer.get("hazard", hazard_id)["status"] == "reported"
