"""An inspection's rules, the same for the CLI and the TUI: start, record, raise, finish, resume."""

from __future__ import annotations

import pytest

from schema.errors import DomainError
from schema.inspections import (
    checklist_items,
    due_tasks,
    finish_inspection,
    raise_hazard,
    record_result,
    show_inspection,
    start_inspection,
)
from tests.conftest import TODAY


def answer_all(writer, inspection_id: str, result: str = "pass") -> None:
    for item in checklist_items(writer.conn, inspection_id):
        record_result(writer, inspection_id, item["code"], result)


def test_a_unit_no_plan_lists_is_inspected_on_its_industrys_checklist(writer, unit_id):
    inspection_id = start_inspection(writer, unit_id=unit_id)
    found = show_inspection(writer.conn, inspection_id)
    assert found["status"] == "in_progress" and found["task_id"] is None
    assert found["items"] > 0 and found["done"] == 0
    assert found["inspectors"] == ["inspector.xinhe"]
    assert start_inspection(writer, unit_id=unit_id) == inspection_id  # resumed, not a second one


def test_a_task_is_started_resumed_and_completed_by_its_inspection(writer, district):
    task = district.execute("SELECT id, unit_id FROM task WHERE status = 'planned' LIMIT 1").fetchone()
    inspection_id = start_inspection(writer, task_id=task["id"])
    assert writer.get("task", task["id"])["status"] == "in_progress"
    assert start_inspection(writer, task_id=task["id"]) == inspection_id
    answer_all(writer, inspection_id)
    finished = finish_inspection(writer, inspection_id, "all in order")
    assert finished["status"] == "finished" and finished["summary"] == "all in order"
    assert writer.get("task", task["id"])["status"] == "done"
    with pytest.raises(DomainError, match="task is done"):
        start_inspection(writer, task_id=task["id"])


def test_finishing_with_unanswered_items_is_refused_naming_them(writer, unit_id):
    inspection_id = start_inspection(writer, unit_id=unit_id)
    first = checklist_items(writer.conn, inspection_id)[0]
    record_result(writer, inspection_id, first["code"], "pass")
    with pytest.raises(DomainError, match=r"of \d+ items have no result yet"):
        finish_inspection(writer, inspection_id)
    assert show_inspection(writer.conn, inspection_id)["status"] == "in_progress"


def test_a_note_never_records_a_result_nobody_gave(writer, unit_id):
    """Regression (issue 14): a note on an unanswered item used to record it as n/a."""
    inspection_id = start_inspection(writer, unit_id=unit_id)
    item = checklist_items(writer.conn, inspection_id)[0]
    with pytest.raises(DomainError, match="has no result yet"):
        record_result(writer, inspection_id, item["code"], note="looks fine")
    assert checklist_items(writer.conn, inspection_id)[0]["result"] is None
    record_result(writer, inspection_id, item["code"], "fail")
    noted = record_result(writer, inspection_id, item["code"], note="extinguisher expired")
    assert (noted["result"], noted["note"]) == ("fail", "extinguisher expired")


def test_a_hazard_is_raised_only_from_a_failed_item_and_links_back(writer, unit_id):
    inspection_id = start_inspection(writer, unit_id=unit_id)
    item = checklist_items(writer.conn, inspection_id)[1]
    with pytest.raises(DomainError, match="fail the item first"):
        raise_hazard(writer, inspection_id, item["code"], today=TODAY)
    record_result(writer, inspection_id, item["code"], "fail")
    hazard_id = raise_hazard(writer, inspection_id, item["code"], today=TODAY)
    hazard = writer.get("hazard", hazard_id)
    assert (hazard["inspection_id"], hazard["criterion_id"], hazard["unit_id"]) == (inspection_id, item["id"], unit_id)
    assert item["text_en"] in hazard["description"]
    assert show_inspection(writer.conn, inspection_id)["hazards"] == [hazard_id]


def test_a_finished_inspection_no_longer_changes(writer, unit_id):
    inspection_id = start_inspection(writer, unit_id=unit_id)
    answer_all(writer, inspection_id, "na")
    finish_inspection(writer, inspection_id)
    with pytest.raises(DomainError, match="is finished"):
        record_result(writer, inspection_id, checklist_items(writer.conn, inspection_id)[0]["code"], "fail")


@pytest.mark.parametrize(
    ("item", "result", "message"),
    [
        pytest.param("NOPE-99", "pass", "not on this inspection's checklist", id="unknown-item"),
        pytest.param(None, "maybe", "passed, failed or not applicable", id="bad-result"),
    ],
)
def test_bad_items_and_results_are_refused_in_words(writer, unit_id, item, result, message):
    inspection_id = start_inspection(writer, unit_id=unit_id)
    code = item or checklist_items(writer.conn, inspection_id)[0]["code"]
    with pytest.raises(DomainError, match=message):
        record_result(writer, inspection_id, code, result)


def test_every_result_is_kept_and_the_newest_counts(writer, unit_id):
    inspection_id = start_inspection(writer, unit_id=unit_id)
    code = checklist_items(writer.conn, inspection_id)[0]["code"]
    record_result(writer, inspection_id, code, "fail")
    record_result(writer, inspection_id, code, "pass")
    assert checklist_items(writer.conn, inspection_id)[0]["result"] == "pass"
    kept = writer.conn.execute("SELECT count(*) FROM inspection_result WHERE inspection_id = ?", (inspection_id,))
    assert kept.fetchone()[0] == 2


def test_due_tasks_mark_what_is_overdue(district):
    tasks = due_tasks(district, TODAY)
    assert tasks and all(t["due_on"] <= TODAY.isoformat() for t in tasks)
    assert all(t["overdue"] == (t["due_on"] < TODAY.isoformat()) for t in tasks)
