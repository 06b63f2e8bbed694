"""The server is the authority (issue 15): a modified client, with an inspector's own token, tries
what the rules forbid; each attempt is refused with a reason, stays visible as a rejected change
on its laptop, and leaves the server unchanged. Both backends (the `district` fixture).

A "tampered" op is written straight into the laptop's outbox, past every local check, and then
sent by the real sync client through the real HTTP app: what a modified client would push.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from schema.errors import DomainError
from schema.ids import uuid7
from schema.office import extensions
from schema.store.transactions import get_meta, set_meta
from sync.laptop import replica
from sync.laptop.chain import rechain
from sync.laptop.errors import SyncRefused
from tests.sync.harness import TODAY
from tests.sync.test_office_sync import FIVE, rectifying


def tampered(laptop, table: str, pk: str, fields: dict[str, Any], *, action: str = "update") -> str:  # type: ignore[no-untyped-def]
    """Queue an op in the laptop's outbox as a modified client would (hashed into its chain and
    signed with its own key, as such a client can); returns its op id."""
    conn = laptop.conn
    device = get_meta(conn, "device_id")
    logged = conn.execute("SELECT coalesce(max(device_seq), 0) FROM event WHERE device_id = ?", (device,)).fetchone()[0]
    seq = max(logged, int(get_meta(conn, "device_seq", "0") or 0)) + 1
    row = conn.execute(f"SELECT row_version FROM {table} WHERE id = ?", (pk,)).fetchone()
    op_id = uuid7()
    with conn:
        set_meta(conn, "device_seq", str(seq))
        conn.execute(
            "INSERT INTO event (id, device_id, device_seq, hlc, actor, at, table_name, row_id, action, fields, old,"
            " base_version, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}', ?, 'pending')",
            (
                op_id,
                device,
                seq,
                1,
                get_meta(conn, "login"),
                "1999-12-31T23:59:59Z",
                table,
                pk,
                action,
                json.dumps(fields),
                row[0] if row else 0,
            ),
        )
    rechain(conn, device, seq)
    return op_id


def refused(laptop, op_id: str) -> str:  # type: ignore[no-untyped-def]
    """Sync, and return the reason the server gave for `op_id` (it stays on the laptop)."""
    laptop.sync()
    status, reason = laptop.conn.execute("SELECT status, reason FROM event WHERE id = ?", (op_id,)).fetchone()
    assert status == "rejected", reason
    return str(reason)


def server_row(district, table: str, pk: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    row = district.store.db().one(f"SELECT * FROM {table} WHERE id = ?", (pk,))
    assert row is not None
    return row


@pytest.fixture
def inspector(district):  # type: ignore[no-untyped-def]
    return district.laptop("insp.a")


def reported(district, laptop) -> str:  # type: ignore[no-untyped-def]
    hazard = laptop.add(district.unit_in("xinhe"), "消防通道堵塞")
    laptop.sync()
    return hazard


# 1. Lifecycle bypass through `resolve`, and edits of a closed hazard


def test_resolve_without_a_conflict_does_not_close_a_hazard(district, inspector):
    hazard = reported(district, inspector)
    op = tampered(
        inspector, "hazard", hazard, {"status": "closed", "closed_at": "2026-11-01T10:00:00Z"}, action="resolve"
    )
    assert "no open conflict" in refused(inspector, op)
    assert server_row(district, "hazard", hazard)["status"] == "reported"


def test_a_closed_hazard_is_not_edited(district, inspector):
    hazard = reported(district, inspector)
    inspector.act(hazard, "fix_on_spot", note="已清理")
    inspector.act(hazard, "pass", opinion="合格")
    inspector.sync()
    op = tampered(inspector, "hazard", hazard, {"description": "从未发生"})
    assert "closed and void hazards are not edited" in refused(inspector, op)
    assert server_row(district, "hazard", hazard)["description"] == "消防通道堵塞"


# 2. Born closed


@pytest.mark.parametrize("status", ["closed", "awaiting_verification"])
def test_a_hazard_is_not_born_past_reported(district, inspector, status):
    hazard = uuid7()
    fields = {
        "unit_id": district.unit_in("xinhe"),
        "description": "born closed",
        "status": status,
        "closed_at": "2026-11-01T10:00:00Z",
        "found_at": "2026-11-01T09:00:00Z",
        "found_by": "insp.a",
    }
    op = tampered(inspector, "hazard", hazard, fields, action="create")
    assert "a hazard is reported first" in refused(inspector, op)
    assert district.server_hazard(hazard) is None


# 3. Op ids are used once, district-wide


def test_an_op_reusing_another_devices_op_id_is_refused_and_changes_nothing(district, inspector):
    other = district.laptop("insp.b")
    hazard = reported(district, other)
    taken = district.store.db().one("SELECT id FROM event WHERE row_id = ?", (hazard,))["id"]
    inspector.sync()
    op = tampered(inspector, "hazard", hazard, {"rectifier": "无痕修改"})
    inspector.conn.execute("UPDATE event SET id = ? WHERE id = ?", (taken + "-x", op))  # free the id locally
    inspector.conn.commit()
    body = {"ops": [{**_op(inspector, taken + "-x"), "op_id": taken}]}
    answer = inspector.push_raw(body)
    assert answer.status_code == 409 and "already used" in answer.json()["error"]
    assert server_row(district, "hazard", hazard)["rectifier"] is None
    assert district.server_count("SELECT count(*) FROM event WHERE id = ?", taken) == 1


def test_two_ops_with_one_id_in_a_push_are_refused_whole(district, inspector):
    hazard = reported(district, inspector)
    inspector.sync()
    first = tampered(inspector, "hazard", hazard, {"rectifier": "甲"})
    second = tampered(inspector, "hazard", hazard, {"rectifier": "乙"})
    ops = [_op(inspector, first), {**_op(inspector, second), "op_id": first}]
    answer = inspector.push_raw({"ops": ops})
    assert answer.status_code == 409 and "already used" in answer.json()["error"]
    assert server_row(district, "hazard", hazard)["rectifier"] is None


def _op(laptop, op_id: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The op as the sync client would send it."""
    return next(op for op in replica.pending_ops(laptop.conn, 10_000) if op["op_id"] == op_id)


# 4. Area moves


@pytest.mark.parametrize("table", ["unit", "lookback_review"])
def test_an_inspector_cannot_move_rows_out_of_their_areas(district, inspector, table):
    if table == "unit":
        pk = district.unit_in("xinhe")
    else:
        pk = uuid7()
        inspector.writer.create("lookback_review", {"area": "xinhe", "title": "回头看", "reviewed_on": "2026-11-20"})
        inspector.sync()
        pk = inspector.conn.execute("SELECT id FROM lookback_review ORDER BY rowid DESC LIMIT 1").fetchone()[0]
    op = tampered(inspector, table, pk, {"area": "chadian"})
    assert "office's decision" in refused(inspector, op)
    assert server_row(district, table, pk)["area"] == "xinhe"


def test_a_unit_the_office_moves_takes_its_hazards_to_the_new_areas_laptops(district, inspector):
    """Its hazards follow it: the new area's laptops receive them, the old area's drop them."""
    office = district.laptop("office", role="supervisor", areas=())
    unit = district.unit_in("xinhe")
    hazard = inspector.add(unit, "配电箱未接地")
    inspector.sync()
    office.sync()
    office.writer.update("unit", unit, {"area": "chadian"})
    assert office.sync().rejected == 0
    assert server_row(district, "hazard", hazard)["area"] == "chadian"
    meta = district.store.db().one("SELECT area FROM row_meta WHERE table_name = 'hazard' AND row_id = ?", (hazard,))
    assert meta["area"] == "chadian"
    told = inspector.sync()  # the old area's laptop drops the unit and what hangs on it, and says so
    assert told.moved_out >= 2
    assert inspector.conn.execute("SELECT count(*) FROM hazard WHERE id = ?", (hazard,)).fetchone()[0] == 0
    assert inspector.conn.execute("SELECT count(*) FROM unit WHERE id = ?", (unit,)).fetchone()[0] == 0
    chadian = district.laptop("insp.c", areas=("chadian",))
    assert chadian.conn.execute("SELECT area FROM hazard WHERE id = ?", (hazard,)).fetchone()[0] == "chadian"
    later = chadian.add(unit, "新发现")
    assert chadian.sync().rejected == 0
    assert server_row(district, "hazard", later)["area"] == "chadian"


# 5. JSON columns hold what they must


@pytest.mark.parametrize("column", ["responsibility_snapshot", "five_implementations"])
def test_a_json_column_that_does_not_parse_is_refused(district, inspector, column):
    hazard = reported(district, inspector)
    with pytest.raises(DomainError, match="not valid JSON"):  # the laptop refuses it first
        inspector.writer.update("hazard", hazard, {column: "{"})
    op = tampered(inspector, "hazard", hazard, {column: "{"})
    assert "not valid JSON" in refused(inspector, op)
    assert server_row(district, "hazard", hazard)[column] != "{"


# 6. The office's decisions


def test_an_inspector_cannot_move_a_deadline_without_an_approved_extension(district, inspector):
    hazard = rectifying(inspector, district.unit_in("xinhe"), deadline="2026-12-10")
    inspector.sync()
    op = tampered(inspector, "hazard", hazard, {"deadline": "2027-06-30"})
    assert "the deadline moves only by an order" in refused(inspector, op)
    assert server_row(district, "hazard", hazard)["deadline"] == "2026-12-10"


def test_an_inspector_cannot_downgrade_a_major_hazard(district, inspector):
    hazard = inspector.add(district.unit_in("xinhe"), "重大危险源", grade="major")
    inspector.sync()
    op = tampered(inspector, "hazard", hazard, {"grade": "general"})
    assert "downgrade a major hazard" in refused(inspector, op)


def test_the_laptop_refuses_a_downgrade_at_once_in_the_servers_words(district, inspector):
    """Found by the sync state machine: the laptop let an inspector downgrade a major hazard that
    someone else had raised, queued the edit, and the server refused it; the laptop then showed
    'general' for a hazard the district holds as major, for as long as nobody touched it again."""
    hazard = inspector.add(district.unit_in("xinhe"), "配电室积水")
    office = district.laptop("office", role="supervisor", areas=())
    inspector.sync()
    office.sync()
    office.edit(hazard, grade="major")
    office.sync()
    inspector.sync()
    with pytest.raises(DomainError, match="only the district office may downgrade a major hazard"):
        inspector.edit(hazard, grade="general")
    assert inspector.hazard(hazard)["grade"] == "major" and inspector.statuses().get("pending", 0) == 0
    office.edit(hazard, grade="general")  # the office may
    assert office.sync().pushed == 1 and server_row(district, "hazard", hazard)["grade"] == "general"


def test_listings_follow_orders_and_closures_not_a_device(district, inspector):
    major = rectifying(inspector, district.unit_in("xinhe"), grade="major")  # the order lists it: legal
    inspector.sync()
    listing = district.store.db().one("SELECT id FROM listing WHERE hazard_id = ?", (major,))["id"]
    delist = tampered(inspector, "listing", listing, {"delisted_on": "2026-11-30"})
    assert "lifted when its hazard is closed" in refused(inspector, delist)
    general = reported(district, inspector)
    made = tampered(
        inspector,
        "listing",
        uuid7(),
        {"hazard_id": general, "level": "district", "authority": "区安委办", "published_on": "2026-11-29"},
        action="create",
    )
    assert "only a major hazard is listed" in refused(inspector, made)
    assert server_row(district, "listing", listing)["delisted_on"] is None


def test_an_extension_beyond_the_window_is_refused_by_the_server(district, inspector):
    hazard = rectifying(inspector, district.unit_in("xinhe"), deadline="2026-12-10")
    inspector.sync()
    fields = {
        "hazard_id": hazard,
        "reason": "r",
        "proposed_deadline": "2099-01-01",
        "requested_by": "insp.a",
        "requested_at": "2026-11-29T10:00:00Z",
        "old_deadline": "2026-12-10",
    }
    op = tampered(inspector, "extension", uuid7(), fields, action="create")
    assert "at most 60 days" in refused(inspector, op)


def test_a_look_back_item_is_not_done_without_evidence(district, inspector):
    review = inspector.writer.create(
        "lookback_review", {"area": "xinhe", "title": "回头看", "reviewed_on": "2026-11-20"}
    )
    item = inspector.writer.create(
        "lookback", {"review_id": review, "area": "xinhe", "gap": "台账不全", "status": "open"}
    )
    inspector.sync()
    op = tampered(inspector, "lookback", item, {"status": "done"})
    assert "only with evidence" in refused(inspector, op)


def test_an_inspector_changes_a_task_only_by_inspecting_it(district, inspector):
    task = inspector.conn.execute("SELECT id FROM task WHERE status = 'planned' LIMIT 1").fetchone()[0]
    moved = tampered(inspector, "task", task, {"due_on": "2027-03-01"})
    assert "due date is set by the office" in refused(inspector, moved)
    done = tampered(inspector, "task", task, {"status": "done"})
    assert "done when its inspection is recorded" in refused(inspector, done)
    assert server_row(district, "task", task)["status"] == "planned"


# 7. Names and times the device does not decide


def test_a_change_signed_under_another_login_is_refused_whole_and_kept(district, inspector):
    hazard = rectifying(inspector, district.unit_in("xinhe"))
    inspector.sync()
    op = tampered(inspector, "hazard", hazard, {"rectifier": "甲"})
    inspector.conn.execute("UPDATE event SET actor = 'someone.else' WHERE id = ?", (op,))
    rechain(inspector.conn, get_meta(inspector.conn, "device_id"), 1)
    with pytest.raises(SyncRefused, match="signed as 'someone.else'; this laptop is insp.a's"):
        inspector.sync()
    assert inspector.conn.execute("SELECT status FROM event WHERE id = ?", (op,)).fetchone()[0] == "pending"
    assert server_row(district, "hazard", hazard)["rectifier"] is None


def test_author_fields_are_the_tokens_login_and_the_event_keeps_the_servers_time(district, inspector):
    hazard = rectifying(inspector, district.unit_in("xinhe"))
    inspector.sync()
    op = tampered(
        inspector,
        "progress",
        uuid7(),
        {"hazard_id": hazard, "note": "done", "at": "2026-11-29T10:00:00Z", "author": "someone.else"},
        action="create",
    )
    inspector.sync()
    progress = district.store.db().one("SELECT author FROM progress WHERE hazard_id = ?", (hazard,))
    assert progress["author"] == "insp.a"
    event = district.store.db().one("SELECT at, received_at, actor FROM event WHERE id = ?", (op,))
    assert event["at"] == "1999-12-31T23:59:59Z" and event["received_at"] >= "2026" and event["actor"] == "insp.a"


def test_a_closure_cannot_be_backdated_before_what_the_server_received(district, inspector):
    other = district.laptop("insp.b")
    hazard = reported(district, other)
    other.act(hazard, "fix_on_spot", note="已清理")
    other.sync()  # the server now knows when the hazard came to wait for verification
    inspector.sync()
    op = tampered(inspector, "hazard", hazard, {"status": "closed", "closed_at": "2026-01-01T10:00:00Z"}, action="pass")
    assert "before the hazard's last change" in refused(inspector, op)
    own = reported(district, inspector)  # its own steps: up to a week of offline work is believed
    inspector.act(own, "fix_on_spot", note="已清理")
    inspector.sync()
    op = tampered(inspector, "hazard", own, {"status": "closed", "closed_at": "2026-01-01T10:00:00Z"}, action="pass")
    assert "before the hazard's last change" in refused(inspector, op)


# 8. Values within limits, on the laptop and on the server


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("description", "长" * 10_001, "at most 4,000"),
        ("location", "北门\x00", "NUL"),
        ("rectifier", 12345, "must be"),
    ],
)
def test_values_outside_the_limits_are_refused_on_both_sides(district, inspector, field, value, message):
    hazard = reported(district, inspector)
    if field != "rectifier":
        with pytest.raises(DomainError, match=message):
            inspector.writer.update("hazard", hazard, {field: value})
    op = tampered(inspector, "hazard", hazard, {field: value})
    reason = refused(inspector, op)
    assert message in reason or "text" in reason


def test_a_deadline_of_year_9999_is_refused(district, inspector):
    with pytest.raises(DomainError, match="not a plausible date"):
        inspector.add(district.unit_in("xinhe"), "x", deadline="9999-12-31")


# The legal paths still work


def test_the_legal_paths_still_apply(district, inspector):
    office = district.laptop("office", role="supervisor", areas=())
    hazard = rectifying(inspector, district.unit_in("xinhe"), deadline="2026-12-10", grade="major")
    inspector.act(hazard, "submit", note="已整改")
    inspector.act(hazard, "fail", opinion="未完成", deadline="2026-12-20")
    extension = extensions.request_extension(
        inspector.writer, hazard, reason="设备", proposed_deadline="2027-01-10", today=TODAY
    )
    assert inspector.sync().rejected == 0
    office.sync()
    extensions.decide_extension(office.writer, extension, approve=True)
    assert office.sync().rejected == 0
    assert server_row(district, "hazard", hazard)["deadline"] == "2027-01-10"
    inspector.sync()
    inspector.act(hazard, "submit", note="已整改完毕")
    inspector.act(hazard, "pass", opinion="合格")
    assert inspector.sync().rejected == 0
    assert server_row(district, "hazard", hazard)["status"] == "closed"
    assert FIVE


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("device_seq", 2**63 - 5, "device_seq is larger than"),
        ("base_version", 2**60, "base_version must be from 0"),
        ("hlc", -1, "hlc must be from 0"),
    ],
)
def test_envelope_numbers_a_laptop_never_sends_are_refused(district, inspector, field, value, message):
    """A device_seq near 2^63 was accepted and then locked the device out (its next number overflowed)."""
    hazard = reported(district, inspector)
    op = _op(inspector, tampered(inspector, "hazard", hazard, {"rectifier": "x"}))
    response = inspector.push_raw({"ops": [{**op, field: value}]})
    assert response.status_code == 400 and message in response.json()["error"]
    assert server_row(district, "hazard", hazard)["rectifier"] is None
