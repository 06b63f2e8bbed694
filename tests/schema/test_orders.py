"""Rectification orders: numbers that never collide, the hazards they order, served and signed."""

from __future__ import annotations

import json

import pytest

from schema.errors import DomainError
from schema.office.orders import (
    add_number_block,
    issue_order,
    order_document,
    record_served,
    record_signed,
    render_html,
    render_text,
)
from schema.store.transactions import set_meta, transaction
from schema.writes import Actor, Writer
from tests.conftest import TODAY
from tests.schema.test_lifecycle import FIVE, hazard_in


def enrolled(conn) -> None:  # type: ignore[no-untyped-def]
    with transaction(conn):
        set_meta(conn, "server_url", "http://district.example")
        set_meta(conn, "role", "inspector")


def test_an_order_orders_its_reported_hazards_and_takes_the_latest_deadline(writer, unit_id):
    a = hazard_in(writer, unit_id, "reported")
    b = hazard_in(writer, unit_id, "rectifying")
    order_id = issue_order(writer, [a, b], today=TODAY)
    doc = order_document(writer.conn, order_id)
    assert doc["doc_number"] == "滨新安责改〔2026〕0001号"
    assert writer.get("hazard", a)["status"] == "rectifying"
    assert writer.get("hazard", a)["deadline"] == "2026-12-29"  # the local rules' 30 days for a general hazard
    assert doc["hazard_ids"] == [a, b] and doc["deadline"] == "2026-12-29"
    assert "2026年12月29日前整改完毕" in render_text(doc)
    assert "<ol><li>消防通道堵塞" in render_html(doc)


def test_an_order_does_not_move_a_rectifying_deadline_nor_order_a_passed_date(writer, district, unit_id):
    hazard = hazard_in(writer, unit_id, "rectifying")
    with pytest.raises(DomainError, match="moves only by an approved extension"):
        issue_order(writer, [hazard], today=TODAY, deadline="2027-01-31")
    with transaction(district):
        district.execute("UPDATE hazard SET deadline = '2026-11-01' WHERE id = ?", (hazard,))
    with pytest.raises(DomainError, match="2026-11-01 has passed; an overdue hazard needs an approved extension"):
        issue_order(writer, [hazard], today=TODAY)
    assert district.execute("SELECT count(*) FROM rectification_order").fetchone()[0] == 0


def test_a_major_hazard_is_not_ordered_without_its_five_implementations(writer, unit_id):
    major = hazard_in(writer, unit_id, "reported", grade="major")
    with pytest.raises(DomainError, match="five implementations"):
        issue_order(writer, [major], today=TODAY, deadline="2026-12-24")
    assert writer.conn.execute("SELECT count(*) FROM rectification_order").fetchone()[0] == 0
    order_id = issue_order(writer, [major], today=TODAY, deadline="2026-12-24", five_implementations=FIVE)
    assert writer.get("rectification_order", order_id)["doc_seq"] == 1


@pytest.mark.parametrize(
    ("status", "message"), [("closed", "closed"), ("void", "void"), ("awaiting_verification", "awaiting_verification")]
)
def test_finished_hazards_are_not_ordered(writer, unit_id, status, message):
    hazard = hazard_in(writer, unit_id, status)
    with pytest.raises(DomainError, match=message):
        issue_order(writer, [hazard], today=TODAY)


def test_an_order_is_addressed_to_one_unit(writer, district, unit_id):
    other = district.execute("SELECT id FROM unit WHERE area = 'xinhe' AND id != ? LIMIT 1", (unit_id,)).fetchone()[0]
    with pytest.raises(DomainError, match="one unit"):
        issue_order(
            writer, [hazard_in(writer, unit_id, "rectifying"), hazard_in(writer, other, "rectifying")], today=TODAY
        )


def test_an_enrolled_laptop_numbers_from_its_blocks_only_and_says_when_they_run_out(writer, district, unit_id):
    enrolled(district)
    with pytest.raises(DomainError, match="sync once"):
        issue_order(writer, [hazard_in(writer, unit_id, "rectifying")], today=TODAY)
    assert district.execute("SELECT count(*) FROM rectification_order").fetchone()[0] == 0
    with transaction(district):
        add_number_block(district, 2026, 51, 52)
    numbers = [
        writer.get("rectification_order", issue_order(writer, [hazard_in(writer, unit_id, "rectifying")], today=TODAY))[
            "doc_seq"
        ]
        for _ in range(2)
    ]
    assert numbers == [51, 52]
    with pytest.raises(DomainError, match="no rectification-order numbers left for 2026"):
        issue_order(writer, [hazard_in(writer, unit_id, "rectifying")], today=TODAY)


def test_two_laptops_with_disjoint_blocks_never_issue_the_same_number(district_path, tmp_path, unit_id):
    from schema.store.connection import connect

    numbers = []
    for n, (first, last) in enumerate([(1, 3), (4, 6)]):
        copy = tmp_path / f"laptop{n}.db"
        copy.write_bytes(district_path.read_bytes())
        conn = connect(copy)
        enrolled(conn)
        with transaction(conn):
            add_number_block(conn, 2026, first, last)
        w = Writer(conn, Actor(f"insp{n}", f"device{n}"))
        for _ in range(3):
            numbers.append(
                w.get("rectification_order", issue_order(w, [hazard_in(w, unit_id, "rectifying")], today=TODAY))[
                    "doc_number"
                ]
            )
        conn.close()
    assert len(set(numbers)) == 6


def test_served_and_signed_dates_are_checked(writer, unit_id):
    order_id = issue_order(writer, [hazard_in(writer, unit_id, "rectifying")], today=TODAY)
    with pytest.raises(DomainError, match="before recording its signature"):
        record_signed(writer, order_id, by="李四", on="2026-11-29", today=TODAY)
    with pytest.raises(DomainError, match="in the future"):
        record_served(writer, order_id, to="张三", on="2026-12-01", today=TODAY)
    with pytest.raises(DomainError, match="before 2026-11-29"):
        record_served(writer, order_id, to="张三", on="2026-11-01", today=TODAY)
    record_served(writer, order_id, to="张三", on="2026-11-29", today=TODAY)
    record_signed(writer, order_id, by="李四", on="2026-11-29", today=TODAY)
    doc = order_document(writer.conn, order_id)
    assert (doc["served_to"], doc["signed_by"]) == ("张三", "李四")
    actions = [
        r[0] for r in writer.conn.execute("SELECT action FROM event WHERE row_id = ? ORDER BY device_seq", (order_id,))
    ]
    assert actions == ["create", "serve", "sign"]
    assert (
        json.loads(
            writer.conn.execute(
                "SELECT fields FROM event WHERE row_id = ? AND action = 'create'", (order_id,)
            ).fetchone()[0]
        )["doc_year"]
        == 2026
    )
