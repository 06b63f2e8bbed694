"""Looking back: reviews, items, and a recurrence that becomes a new hazard linked to the closed one."""

from __future__ import annotations

import pytest

from schema.errors import DomainError
from schema.office.lookback import add_item, add_review, show_review, update_item
from tests.conftest import TODAY
from tests.schema.test_lifecycle import hazard_in


@pytest.fixture
def review(writer, unit_id) -> str:
    return add_review(writer, area="xinhe", unit_id=unit_id, title="新河街道试点单位回头看", reviewed_on="2026-11-28")


def test_a_recurrence_reports_a_new_hazard_linked_to_the_closed_one(writer, unit_id, review):
    closed = hazard_in(writer, unit_id, "closed")
    made = add_item(
        writer,
        review,
        gap="消防通道再次堵塞",
        cause="物业管理不到位",
        measure="每日巡查",
        owner="物业经理",
        deadline="2026-12-15",
        hazard_id=closed,
        recurrence=True,
        today=TODAY,
    )
    new = writer.get("hazard", made["hazard"])
    assert (new["linked_hazard_id"], new["link_kind"], new["status"], new["unit_id"]) == (
        closed,
        "recurrence",
        "reported",
        unit_id,
    )
    assert writer.get("hazard", closed)["status"] == "closed"  # the closed hazard is never reopened
    [item] = show_review(writer.conn, review)["items"]
    assert (item["hazard_id"], item["recurrence_id"], item["area"]) == (closed, made["hazard"], "xinhe")


def test_a_recurrence_needs_a_closed_hazard(writer, unit_id, review):
    with pytest.raises(DomainError, match="not closed; follow it up"):
        add_item(
            writer, review, gap="g", hazard_id=hazard_in(writer, unit_id, "rectifying"), recurrence=True, today=TODAY
        )
    with pytest.raises(DomainError, match="names the closed hazard"):
        add_item(writer, review, gap="g", recurrence=True, today=TODAY)


def test_an_item_is_done_only_with_evidence(writer, review):
    item = add_item(writer, review, gap="台账不全", today=TODAY)["item"]
    with pytest.raises(DomainError, match="evidence"):
        update_item(writer, item, status="done")
    update_item(writer, item, status="done", evidence="台账照片 2026-11-29")
    assert writer.get("lookback", item)["status"] == "done"


def test_a_review_checks_its_area_and_unit(writer, district, unit_id):
    with pytest.raises(DomainError, match="no area"):
        add_review(writer, area="atlantis", title="t", reviewed_on="2026-11-28")
    with pytest.raises(DomainError, match="not in chadian"):
        add_review(writer, area="chadian", unit_id=unit_id, title="t", reviewed_on="2026-11-28")
