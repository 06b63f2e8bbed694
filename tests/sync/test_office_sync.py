"""The office's records sync with the same guarantees: order numbers never collide, decisions are
the office's (the server refuses them from an inspector), and a decision taken offline arrives."""

from __future__ import annotations

import json

from schema.office import escalations, extensions, lookback, orders
from schema.store.transactions import set_meta, transaction
from schema.writes import Writer, local_actor
from tests.conftest import TODAY
from tests.schema.test_lifecycle import FIVE


def rectifying(laptop, unit_id: str, deadline: str = "2026-12-20", grade: str = "general") -> str:  # type: ignore[no-untyped-def]
    hazard = laptop.add(unit_id, "配电箱未接地", grade=grade)
    laptop.act(hazard, "order", deadline=deadline, five_implementations=FIVE)
    return hazard


def test_orders_issued_offline_on_two_laptops_get_distinct_numbers_from_their_blocks(district):
    a, b = district.laptop("insp.a"), district.laptop("insp.b")
    blocks = [orders.number_blocks(x.conn) for x in (a, b)]
    assert all(len(bl) == 1 for bl in blocks) and blocks[0][0]["last"] < blocks[1][0]["first"]
    unit = district.unit_in("xinhe")
    issued = [orders.issue_order(x.writer, [rectifying(x, unit)], today=TODAY) for x in (a, b, a, b)]
    for x in (a, b):
        x.sync()
    numbers = [
        r[0]
        for r in district.store.db().rows("SELECT doc_number FROM rectification_order WHERE id IN (?, ?, ?, ?)", issued)
    ]
    assert len(set(numbers)) == 4
    office = district.laptop("office", role="supervisor", areas=())
    assert {o["id"] for o in orders.list_orders(office.conn)} >= set(issued)


def test_a_number_outside_the_devices_blocks_is_rejected_and_kept_visible(district):
    a = district.laptop("insp.a")
    hazard = rectifying(a, district.unit_in("xinhe"))
    with transaction(a.conn):  # a block this device was never given
        set_meta(a.conn, orders.BLOCKS_KEY, json.dumps([{"year": 2026, "first": 9001, "last": 9010, "next": 9001}]))
    order_id = orders.issue_order(a.writer, [hazard], today=TODAY)
    summary = a.sync()
    assert summary.rejected == 1
    reason = a.conn.execute("SELECT reason FROM event WHERE row_id = ? AND status = 'rejected'", (order_id,)).fetchone()
    assert "was not reserved for this device" in reason[0]
    assert district.server_count("SELECT count(*) FROM rectification_order WHERE id = ?", order_id) == 0


def test_the_server_refuses_office_decisions_from_an_inspector(district):
    inspector = district.laptop("insp.a")
    unit = district.unit_in("xinhe")
    hazard = rectifying(inspector, unit, deadline="2026-12-01")
    ext = extensions.request_extension(
        inspector.writer, hazard, reason="r", proposed_deadline="2027-01-10", today=TODAY
    )
    with transaction(inspector.conn):  # a tampered laptop that claims to be the office
        set_meta(inspector.conn, "role", "supervisor")
    inspector.writer = Writer(inspector.conn, local_actor(inspector.conn))
    escalations.decide_escalation(
        inspector.writer, hazard, issue=True, reason="r", today=TODAY.replace(month=12, day=20)
    )
    extensions.decide_extension(inspector.writer, ext, approve=True)
    inspector.sync()
    reasons = [r[0] for r in inspector.conn.execute("SELECT reason FROM event WHERE status = 'rejected'")]
    assert any("approving or refusing an extension is the office's decision" in r for r in reasons)
    assert any("escalation is the office's decision" in r for r in reasons)
    assert any("the deadline moves only by an order" in r for r in reasons)  # the approval's new deadline
    assert district.server_hazard(hazard)["status"] == "rectifying"
    assert district.store.db().one("SELECT status FROM extension WHERE id = ?", (ext,))["status"] == "requested"


def test_an_extension_decided_offline_reaches_the_inspector_and_moves_the_deadline(district):
    inspector = district.laptop("insp.a")
    office = district.laptop("office", role="supervisor", areas=())
    hazard = rectifying(inspector, district.unit_in("xinhe"), deadline="2026-12-01")
    ext = extensions.request_extension(
        inspector.writer, hazard, reason="设备到货延迟", proposed_deadline="2027-01-10", today=TODAY
    )
    inspector.sync()
    office.sync()
    # the supervisor decides with no connection; nothing reaches anyone until the office syncs
    assert extensions.decide_extension(office.writer, ext, approve=True, note="同意") == "approved"
    inspector.sync()
    assert inspector.hazard(hazard)["deadline"] == "2026-12-01"
    office.sync()
    inspector.sync()
    assert inspector.hazard(hazard)["deadline"] == "2027-01-10"
    assert inspector.writer.get("extension", ext)["status"] == "approved"
    assert district.server_hazard(hazard)["deadline"] == "2027-01-10"


def test_two_supervisors_deciding_one_extension_differently_get_a_conflict(district):
    inspector = district.laptop("insp.a")
    one = district.laptop("office.1", role="supervisor", areas=())
    two = district.laptop("office.2", role="supervisor", areas=())
    hazard = rectifying(inspector, district.unit_in("xinhe"))
    ext = extensions.request_extension(
        inspector.writer, hazard, reason="r", proposed_deadline="2027-01-10", today=TODAY
    )
    for x in (inspector, one, two):
        x.sync()
    extensions.decide_extension(one.writer, ext, approve=True)
    extensions.decide_extension(two.writer, ext, approve=False, note="不同意")
    one.sync()
    summary = two.sync()
    assert summary.conflicts == 1
    conflict = district.store.db().one(
        "SELECT field, server_value, incoming_value FROM conflict WHERE row_id = ?", (ext,)
    )
    assert conflict["field"] == "status"
    assert "approved" in conflict["server_value"] and "refused" in conflict["incoming_value"]


def test_escalations_and_lookback_reach_the_inspectors_of_the_area_only(district):
    xinhe = district.laptop("insp.a")
    chadian = district.laptop("insp.c", areas=("chadian",))
    office = district.laptop("office", role="supervisor", areas=())
    hazard = rectifying(xinhe, district.unit_in("xinhe"), deadline="2026-12-01")
    xinhe.sync()
    office.sync()
    later = TODAY.replace(month=12, day=5)
    escalation = escalations.decide_escalation(office.writer, hazard, issue=True, reason="逾期", today=later)
    review = lookback.add_review(office.writer, area="xinhe", title="回头看", reviewed_on="2026-11-28")
    item = lookback.add_item(office.writer, review, gap="台账不全", today=TODAY)["item"]
    office.sync()
    for x in (xinhe, chadian):
        x.sync()
    assert [e["id"] for e in escalations.list_escalations(xinhe.conn, hazard_id=hazard)] == [escalation]
    assert xinhe.writer.get("lookback", item)["area"] == "xinhe"
    assert xinhe.writer.get("lookback_review", review)["title"] == "回头看"  # regression: reviews were not pulled
    assert chadian.conn.execute("SELECT count(*) FROM escalation WHERE area != 'chadian'").fetchone()[0] == 0
    assert chadian.conn.execute("SELECT count(*) FROM lookback WHERE area != 'chadian'").fetchone()[0] == 0
    assert chadian.conn.execute("SELECT count(*) FROM escalation WHERE id = ?", (escalation,)).fetchone()[0] == 0
    assert escalations.propose_escalations(xinhe.conn, today=later, hazard_id=hazard) == []  # decided elsewhere


def test_a_reservation_needs_a_token_and_a_year(district):
    a = district.laptop("insp.a")
    response = a.http.post("/v1/numbers", json={"year": 2026}, headers={"SafeCity-Protocol": "1"})
    assert response.status_code == 401
    answer = a.http.post(
        "/v1/numbers",
        json={"year": "soon"},
        headers={"SafeCity-Protocol": "1", "Authorization": f"Bearer {a.client.token}"},
    )
    assert answer.status_code == 400 and "year" in answer.json()["error"]


def test_every_synced_table_is_pulled():
    """Regression: a table missing from the pull order was silently never sent to laptops."""
    from schema.tables import POLICIES
    from sync.server.pull import TABLE_ORDER

    assert set(POLICIES) <= set(TABLE_ORDER)
