"""Edits travel laptop -> server -> laptop, exactly once, through every fault on the link."""

from __future__ import annotations

import pytest

from schema.store.connection import connect
from schema.store.transactions import get_meta, set_meta, transaction
from sync.laptop import replica
from sync.laptop.client import ServerUnreachable, SyncSummary


def test_an_offline_edit_reaches_the_other_laptop(district):
    a, b = district.laptop("insp.a"), district.laptop("office", role="supervisor", areas=())
    hazard_id = a.add(district.unit_in("xinhe"), "消防通道堵塞", location="北门")
    a.act(hazard_id, "order", deadline="2026-12-20")
    summary = a.sync()
    assert summary.pushed == 2 and summary.rejected == 0
    b.sync()
    assert b.hazard(hazard_id)["status"] == "rectifying"
    assert b.hazard(hazard_id)["deadline"] == "2026-12-20"
    assert a.statuses() == {"applied": 2}


def test_the_office_edit_comes_back_with_its_history(district):
    a, office = district.laptop("insp.a"), district.laptop("office", role="supervisor", areas=())
    hazard_id = a.add(district.unit_in("xinhe"), "配电室积水")
    a.sync()
    office.sync()
    office.edit(hazard_id, rectifier="王伟")
    office.sync()
    a.sync()
    assert a.hazard(hazard_id)["rectifier"] == "王伟"
    actors = [r[0] for r in a.conn.execute("SELECT actor FROM event WHERE row_id = ? ORDER BY hlc", (hazard_id,))]
    assert actors == ["insp.a", "office"]


@pytest.mark.parametrize("fault", ["drop", "lose", "duplicate", "500"])
def test_a_push_through_a_fault_applies_every_edit_once(district, fault):
    a, b = district.laptop("insp.a"), district.laptop("insp.b")
    unit_id = district.unit_in("xinhe")
    ids = [a.add(unit_id, f"隐患 {n}") for n in range(120)]  # three push batches
    a.transport.plan = [fault, fault, fault]
    a.sync()
    assert a.statuses() == {"applied": 120}
    assert district.server_count("SELECT count(*) FROM event WHERE device_id = ?", a.device_id) == 120
    assert district.server_count("SELECT count(*) FROM hazard WHERE description LIKE '隐患 %'") == 120
    b.sync()
    assert {r[0] for r in b.conn.execute("SELECT id FROM hazard WHERE description LIKE '隐患 %'")} == set(ids)


@pytest.mark.parametrize("fault", ["drop", "lose", "duplicate", "truncate", "drop_rows", "500"])
def test_a_pull_through_a_fault_misses_nothing(district, fault):
    a, b = district.laptop("insp.a"), district.laptop("insp.b")
    for n in range(300):
        a.add(district.unit_in("xinhe"), f"隐患 {n}")
    a.sync()
    b.transport.plan = [fault] * 3
    b.sync()
    assert b.conn.execute("SELECT count(*) FROM hazard WHERE description LIKE '隐患 %'").fetchone()[0] == 300
    server_xinhe = district.server_count("SELECT count(*) FROM hazard WHERE area = 'xinhe'")
    assert b.conn.execute("SELECT count(*) FROM hazard").fetchone()[0] == server_xinhe


def test_a_retried_update_is_not_applied_twice(district):
    a = district.laptop("insp.a")
    hazard_id = a.add(district.unit_in("xinhe"), "x")
    a.sync()
    a.edit(hazard_id, description="y")
    a.transport.plan = ["lose"]
    a.sync()
    assert district.server_hazard(hazard_id)["row_version"] == 2  # created at 1, edited once


def test_server_unreachable_keeps_every_pending_edit(district):
    a = district.laptop("insp.a")
    hazard_id = a.add(district.unit_in("xinhe"), "x")
    a.transport.offline = True
    with pytest.raises(ServerUnreachable, match="cannot reach the district server"):
        a.sync()
    assert a.statuses() == {"pending": 1}
    a.transport.offline = False
    a.sync()
    assert district.server_hazard(hazard_id) is not None and a.statuses() == {"applied": 1}


def test_a_sync_with_nothing_to_do_sends_one_pull(district):
    a = district.laptop("insp.a")
    a.sync()
    before = a.transport.requests
    summary = a.sync()
    assert (summary.pushed, summary.pulled) == (0, 0)
    assert a.transport.requests - before == 1


def test_after_a_large_push_the_pull_is_one_request(district):
    # Regression: the pull used to page through the laptop's own new rows only to drop them,
    # one request per page (ten of them after a 100,000-hazard push).
    a = district.laptop("insp.a")
    a.sync()
    unit = district.unit_in("xinhe")
    for n in range(600):  # 12 push batches, three pages' worth of the laptop's own rows
        a.add(unit, f"h{n}")
    a.client.push(SyncSummary())
    before = a.transport.requests
    a.client.pull(SyncSummary())
    assert a.transport.requests - before == 1
    top = district.server_count("SELECT max(pos) FROM row_meta")
    assert int(get_meta(a.conn, "cursor") or 0) == top  # past the laptop's own rows, not before them


def test_the_cursor_only_moves_forward(district):
    a, b = district.laptop("insp.a"), district.laptop("insp.b")
    cursors = []
    for n in range(3):
        a.add(district.unit_in("xinhe"), f"h{n}")
        a.sync()
        b.sync()
        cursors.append(int(b.conn.execute("SELECT value FROM meta WHERE key = 'cursor'").fetchone()[0]))
    assert cursors == sorted(cursors) and len(set(cursors)) == 3


def _indexes(conn) -> set[str]:  # type: ignore[no-untyped-def]
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL")}


def test_the_server_keeps_none_of_the_laptops_own_indexes(tmp_path):
    # Each of them would be written by every push and read by nothing on the server.
    from sync.server.backends.sqlite import LAPTOP_ONLY, SQLiteBackend

    backend = SQLiteBackend(tmp_path)
    try:
        assert not _indexes(backend.db().conn) & set(LAPTOP_ONLY["index"])
        assert "hazard_by_unit" in _indexes(connect(":memory:"))  # a laptop has it
    finally:
        backend.close()


def test_a_large_snapshot_ends_with_every_index(district):
    office = district.laptop("office", role="supervisor", areas=())
    assert district.server_count("SELECT count(*) FROM row_meta") >= replica.BULK_ROWS  # the bulk path was taken
    assert _indexes(office.conn) == _indexes(connect(":memory:"))
    assert get_meta(office.conn, "deferred_indexes") is None
    plan = office.conn.execute("EXPLAIN QUERY PLAN SELECT id FROM hazard WHERE area = 'xinhe' AND status = 'reported'")
    assert "hazard_by_area_status_deadline" in " ".join(str(tuple(r)) for r in plan)


def test_a_snapshot_stopped_after_its_first_page_is_repaired_when_the_file_is_opened(district, tmp_path):
    token = district.user("office", role="supervisor", areas=())
    auth = district.store.authenticate(token)
    path = tmp_path / "stopped.db"
    conn = connect(path)
    with transaction(conn):
        set_meta(conn, "device_id", auth.device_id)
    page = district.store.pull(auth, cursor=0, limit=2000, scope_key=auth.scope_key())
    assert page["more"]
    replica.apply_page(conn, page)  # then the laptop loses power
    assert "hazard_by_area_status_deadline" not in _indexes(conn)
    conn.close()
    reopened = connect(path)
    assert _indexes(reopened) == _indexes(connect(":memory:"))
    assert get_meta(reopened, "deferred_indexes") is None


def test_a_page_from_a_newer_server_applies_without_the_columns_this_version_lacks(district, tmp_path):
    token = district.user("office", role="supervisor", areas=())
    auth = district.store.authenticate(token)
    conn = connect(tmp_path / "older.db")
    with transaction(conn):
        set_meta(conn, "device_id", auth.device_id)
    page = district.store.pull(auth, cursor=0, limit=10_000, scope_key=auth.scope_key())
    hazards = page["tables"]["hazard"]
    hazards["columns"] = [*hazards["columns"], "photo_url"]
    hazards["rows"] = [[*row, "https://example.org/p.jpg"] for row in hazards["rows"]]
    replica.apply_page(conn, page)
    (hazard_id, description) = hazards["rows"][0][0], hazards["rows"][0][hazards["columns"].index("description")]
    assert conn.execute("SELECT description FROM hazard WHERE id = ?", (hazard_id,)).fetchone()[0] == description
    assert conn.execute("SELECT count(*) FROM hazard").fetchone()[0] == len(hazards["rows"])


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda seqs: {"results": [], "applied": [[seqs[0], seqs[-1] + 1]]}, id="a-run-past-the-ops-sent"),
        pytest.param(lambda seqs: {"results": [], "applied": [[seqs[0], seqs[-2]]]}, id="an-op-left-unanswered"),
        pytest.param(
            lambda seqs: {
                "results": [{"op_id": "x", "device_seq": seqs[0], "status": "applied"}],
                "applied": [[seqs[0], seqs[-1]]],
            },
            id="an-op-answered-twice",
        ),
    ],
)
def test_an_answer_that_is_not_about_the_ops_sent_records_nothing(district, tamper):
    import httpx

    from sync.laptop.client import SyncClient, SyncError

    a = district.laptop("insp.a")
    a.sync()
    for n in range(3):
        a.add(district.unit_in("xinhe"), f"h{n}")
    seqs = [r[0] for r in a.conn.execute("SELECT device_seq FROM event WHERE status = 'pending' ORDER BY device_seq")]
    http = httpx.Client(
        base_url="http://testserver",
        transport=httpx.MockTransport(lambda _request: httpx.Response(200, json=tamper(seqs))),
    )
    with pytest.raises(SyncError):
        SyncClient(a.conn, http, token="t", sleep=lambda _s: None).push(SyncSummary())
    assert a.statuses()["pending"] == 3  # every op still waits to be sent again


def test_the_client_reports_progress_after_each_batch_and_page(tmp_path):
    """What `safecity init` and `safecity sync` draw their progress line from (issue 14)."""
    from tests.sync.harness import District

    district = District(tmp_path / "district")
    try:
        a, b = district.laptop("insp.a"), district.laptop("insp.b")
        unit = district.unit_in("xinhe")
        for n in range(25):
            a.add(unit, f"消防通道堵塞 {n}")
        sent, received = [], []
        a.client.batch_size, a.client.progress = 10, lambda s: sent.append(s.pushed)
        a.sync()
        b.client.page_size, b.client.progress = 10, lambda s: received.append(s.pulled)
        b.sync()
        assert sent == sorted(sent) and sent[-1] == 25 and len(sent) >= 3
        assert received == sorted(received) and received[-1] >= 25 and len(received) >= 3
    finally:
        district.close()
