"""What running on PostgreSQL adds: commit-ordered cursors under concurrent pushes, several server
processes on one database, and moving a district from the embedded server to PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import threading
import time

import pytest

from sync.laptop.client import SyncSummary
from sync.server import batch_reads
from sync.server.store import DistrictStore
from sync.server.transfer import TABLES, checksum
from tests.conftest import drop_postgres_schema, postgres_schema_url
from tests.sync.test_end_to_end import SAFECITY, Server, cli, cli_json, enroll, free_port, server_rows

pytestmark = pytest.mark.postgres


def test_a_push_holding_its_positions_makes_the_next_wait_and_readers_miss_nothing(district, monkeypatch):
    """The cursor trap: positions handed out in one order and committed in the other let a reader
    skip a change. Here push A takes its positions and is held before committing; push B must wait
    behind it (it cannot take later positions and commit first), and a reader gets both."""
    a, b = district.laptop("insp.a"), district.laptop("insp.b")
    reader = district.laptop("office", role="supervisor", areas=())
    first = a.add(district.unit_in("xinhe"), "A: allocated first, held before commit")
    second = b.add(district.unit_in("xinhe"), "B: pushed while A is held")
    allocated, release = threading.Event(), threading.Event()
    original = batch_reads.parent_areas

    def hold_a(db, ops):  # type: ignore[no-untyped-def]
        if any(op.pk == first for op, _old in ops):  # A's push, inside its transaction on the server
            allocated.set()
            assert release.wait(10)
        return original(db, ops)

    reader.sync()  # reserves its order numbers now: a reservation is a write, and would queue behind A
    monkeypatch.setattr(batch_reads, "parent_areas", hold_a)
    threads = {
        name: threading.Thread(target=laptop.client.push, args=(SyncSummary(),), name=name)
        for name, laptop in (("push-a", a), ("push-b", b))
    }
    threads["push-a"].start()
    assert allocated.wait(10)
    threads["push-b"].start()
    time.sleep(0.5)
    assert threads["push-b"].is_alive(), "B got past the counter while A held it"
    reader.sync()
    ids = {r[0] for r in reader.conn.execute("SELECT id FROM hazard WHERE id IN (?, ?)", (first, second))}
    assert ids == set()  # nothing committed yet, and the reader's cursor has not passed anything
    release.set()
    for thread in threads.values():
        thread.join(20)
    reader.sync()
    ids = {r[0] for r in reader.conn.execute("SELECT id FROM hazard WHERE id IN (?, ?)", (first, second))}
    assert ids == {first, second}
    positions = dict(
        district.store.db().rows("SELECT row_id, pos FROM row_meta WHERE row_id IN (?, ?)", (first, second))
    )
    assert positions[first] < positions[second]


@pytest.fixture
def pg_url():
    url, schema = postgres_schema_url()
    yield url
    drop_postgres_schema(schema)


def test_two_server_processes_on_one_database_converge_and_retries_are_not_doubled(tmp_path, pg_url):
    one, two = Server(pg_url, tmp_path, free_port()), Server(pg_url, tmp_path, free_port())
    one.admin("seed", "--scale", "200")
    one.start()
    two.start()
    try:
        a = enroll(one, tmp_path, "insp.xinhe", "inspector", "xinhe")
        b_user = two.admin("user", "add", "office", "--role", "supervisor")
        b = tmp_path / "office.db"
        cli("--db", str(b), "init", "--server", two.url, "--token", b_user["token"])
        unit_id = cli_json("--db", str(a), "unit", "list", "--limit", "1")[0]["id"]
        for n in range(30):
            cli("--db", str(a), "hazard", "add", "--unit", unit_id, "--description", f"two-process {n}")
        cli("--db", str(a), "sync")
        # The laptop never heard back (say the answer was lost) and retries against the other process.
        from schema.store.connection import connect
        from schema.store.transactions import set_meta

        conn = connect(a)
        conn.execute("UPDATE event SET status = 'pending' WHERE status = 'applied'")
        set_meta(conn, "server_url", two.url)
        conn.close()
        again = cli_json("--db", str(a), "sync")
        assert again["rejected"] == 0 and cli_json("--db", str(a), "status")["pending"] == 0
        (count,) = server_rows(one, "SELECT count(*) FROM hazard WHERE description LIKE 'two-process %'")[0]
        assert count == 30
        assert server_rows(one, "SELECT count(*) FROM event WHERE fields LIKE '%two-process%'")[0][0] == 30
        cli("--db", str(b), "sync")
        on_b = cli_json("--db", str(b), "hazard", "list", "--search", "two-process")
        assert len(on_b) == 30
        # Both laptops push at once, each to its own process: one district log between them,
        # whole, in commit order, signed with one key, and seen as such by both laptops.
        office_unit = cli_json("--db", str(b), "unit", "list", "--limit", "1")[0]["id"]
        for n in range(20):
            cli("--db", str(a), "hazard", "add", "--unit", unit_id, "--description", f"at once a{n}")
            cli("--db", str(b), "hazard", "add", "--unit", office_unit, "--description", f"at once b{n}")
        syncs = [subprocess.Popen([*SAFECITY, "--db", str(x), "sync"]) for x in (a, b)]
        assert [p.wait(timeout=120) for p in syncs] == [0, 0]
        for x in (a, b):
            cli("--db", str(x), "sync")
        checked = json.loads(cli("audit", "verify", "--database-url", str(pg_url), "--json").stdout)
        assert checked["ok"] and checked["entries"] == 70 and checked["devices"] == 2, checked
        for x in (a, b):
            state = cli_json("--db", str(x), "status")
            assert state["log_alarm"] is None and state["log_size"] == 70
    finally:
        one.kill()
        two.kill()


def test_migrating_the_demo_district_to_postgres_keeps_every_row_and_token(tmp_path, pg_url):
    data = tmp_path / "embedded"
    cli("admin", "--data", str(data), "seed", "--scale", "500")
    server = Server(data, tmp_path, free_port())
    server.start()
    laptop = enroll(server, tmp_path, "insp.xinhe", "inspector", "xinhe")
    hazard = cli_json("--db", str(laptop), "hazard", "list", "--status", "reported", "--limit", "1")[0]["id"]
    cli("--db", str(laptop), "hazard", "edit", hazard, "--location", "before the move")
    cli("--db", str(laptop), "sync")
    server.kill()

    report = cli_json("admin", "--data", str(data), "migrate-to", "--database-url", pg_url)
    assert report["verified"]["hazard"]["rows"] == 500
    source, target = DistrictStore.open(data), DistrictStore.open(pg_url)
    try:
        for table in TABLES:
            if table != "meta":
                assert checksum(source.db(), table) == checksum(target.db(), table), table
    finally:
        source.close()
        target.close()
    again = cli("admin", "--data", str(data), "migrate-to", "--database-url", pg_url, ok=False)
    assert again.returncode == 1 and "already holds a district" in again.stderr

    # The same laptop, the same token, now against PostgreSQL.
    moved = Server(pg_url, tmp_path, server.port)
    moved.start()
    try:
        cli("--db", str(laptop), "hazard", "edit", hazard, "--location", "after the move")
        assert cli_json("--db", str(laptop), "sync")["pushed"] == 1
        assert server_rows(moved, "SELECT location FROM hazard WHERE id = ?", hazard)[0][0] == "after the move"
    finally:
        moved.kill()


def test_a_version_1_postgres_district_is_migrated_in_place(pg_url, monkeypatch):
    """Migration 2 on PostgreSQL: `ADD COLUMN IF NOT EXISTS`, new tables, rows kept."""
    from schema.store import migrations
    from sync.server.backends import postgres as pgdb

    monkeypatch.setattr(pgdb, "MIGRATIONS", migrations.MIGRATIONS[:1])
    monkeypatch.setattr(pgdb, "SCHEMA_VERSION", 1)
    old = DistrictStore.open(pg_url)
    old.db().execute(
        "INSERT INTO unit (id, name, kind, industry, area) VALUES ('u1', '甲', 'enterprise', 'gas', 'xinhe')"
    )
    old.db().execute(
        "INSERT INTO hazard (id, unit_id, area, description, found_at) VALUES ('h1', 'u1', 'xinhe', 'x', 't')"
    )
    old.db().execute("INSERT INTO escalation (id, hazard_id, area, level) VALUES ('e1', 'h1', 'xinhe', 'reminder')")
    old.close()
    monkeypatch.undo()
    store = DistrictStore.open(pg_url)
    try:
        assert store.db().one("SELECT value FROM meta WHERE key = 'schema_version'")["value"] == str(
            migrations.SCHEMA_VERSION
        )
        assert store.db().one("SELECT level, persons FROM escalation WHERE id = 'e1'") == {
            "level": "reminder",
            "persons": "[]",
        }
        assert store.db().one("SELECT count(*) AS n FROM lookback_review")["n"] == 0
    finally:
        store.close()


def test_a_large_batch_is_copied_in_and_an_existing_event_is_left_alone(district):
    """Batches of COPY_FROM rows or more go through COPY (events straight in behind a savepoint,
    and through a staging table when one of them exists, so ON CONFLICT DO NOTHING still holds):
    every row once, a duplicated request doubles nothing, an existing event is left alone."""
    from sync.server.backends.postgres import COPY_FROM

    a = district.laptop("insp.a")
    a.client.batch_size = 1000
    unit_id = district.unit_in("xinhe")
    ids = [a.add(unit_id, f"隐患 {n}") for n in range(COPY_FROM + 50)]
    a.transport.plan = ["duplicate"]
    assert a.sync().pushed == len(ids)
    marks = ", ".join("?" * len(ids))
    assert district.server_count(f"SELECT count(*) FROM hazard WHERE id IN ({marks})", *ids) == len(ids)
    assert district.server_count(f"SELECT count(*) FROM row_meta WHERE row_id IN ({marks})", *ids) == len(ids)
    assert district.server_count(f"SELECT count(DISTINCT row_id) FROM event WHERE row_id IN ({marks})", *ids) == len(
        ids
    )

    db = district.store.db()
    columns = db.columns("event")
    events = db.rows(f"SELECT {', '.join(columns)} FROM event WHERE row_id IN ({marks})", ids)
    seq = columns.index("device_seq")
    place = columns.index("log_index")  # a copy is no entry of the district log
    fresh = [
        tuple(None if i == place else v for i, v in enumerate((f"copy-{n}", *row[1:seq], 10**6 + n, *row[seq + 1 :])))
        for n, row in enumerate(events[:COPY_FROM])
    ]
    with db.transaction():
        db.many(
            f"INSERT INTO event ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) ON CONFLICT DO NOTHING",
            [*fresh, events[0]],
        )
    assert district.server_count("SELECT count(*) FROM event WHERE id LIKE 'copy-%'") == COPY_FROM
