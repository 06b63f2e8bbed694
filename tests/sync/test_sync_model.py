"""A Hypothesis state machine: three inspectors' laptops and the office editing, syncing through
faults, going offline, being moved to other towns and running with skewed clocks.

After a final quiet sync it checks what shared/SYNC.md promises:
- every replica equals the server within its scope;
- every acknowledged edit is present, superseded by a later one, or held in a conflict;
- no op was applied twice;
- every concurrent edit of a designated field produced a conflict (none silently overwritten);
- cursors only move forward (except when a new scope restarts them).

Run longer with HYPOTHESIS_PROFILE=long (see tests/conftest.py).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from schema import clock
from schema.errors import DomainError
from schema.store.transactions import get_meta, set_meta
from schema.tables import POLICIES
from sync.laptop.client import SyncError
from sync.laptop.conflicts import list_conflicts, resolve
from tests.conftest import PG_REQUIRED, PG_URL, drop_postgres_schema, postgres_schema_url
from tests.sync.harness import District

TOWNS = ("xinhe", "chadian", "dagang")
FAULTS = st.sampled_from([None, None, None, "drop", "lose", "duplicate", "truncate", "drop_rows", "500"])
DESIGNATED = sorted(POLICIES["hazard"].designated)


class DistrictMachine(RuleBasedStateMachine):
    backend = "sqlite"

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="safecity-model-"))
        self.schema = None
        target = None
        if self.backend == "postgres":
            target, self.schema = postgres_schema_url()
        self.district = District(self.tmp, scale=150, target=target)
        self.inspectors = {f"insp{n}": self.district.laptop(f"insp{n}", areas=(TOWNS[n % 2],)) for n in range(3)}
        self.office = self.district.laptop("office", role="supervisor", areas=())
        self.devices = [*self.inspectors.values(), self.office]
        self.cursors = {id(d): 0 for d in self.devices}
        self.counter = 0

    def teardown(self) -> None:
        try:
            self.check_after_quiet_sync()
        finally:
            self.district.close()
            shutil.rmtree(self.tmp, ignore_errors=True)
            if self.schema:
                drop_postgres_schema(self.schema)

    # -- helpers ----------------------------------------------------------------------------

    def pick(
        self,
        device,
        town: str,
        index: int,
        *,  # type: ignore[no-untyped-def]
        where: str = "status IN ('reported', 'rectifying')",
    ):
        """An open hazard of `town` by index, in an order every device shares, so that two
        devices picking (town, index) usually edit the same hazard: concurrency is the point."""
        rows = device.conn.execute(
            f"SELECT id FROM hazard WHERE {where} AND area = ? ORDER BY found_at, id", (town,)
        ).fetchall()
        return rows[index % len(rows)][0] if rows else None

    def sync(self, device, fault: str | None) -> None:  # type: ignore[no-untyped-def]
        scope_before = get_meta(device.conn, "scope_key")
        device.transport.plan = [fault] * 5 if fault else []
        try:
            device.sync()
        except SyncError:
            pass  # offline, or faults beyond the retries: the next sync picks it up
        device.transport.plan = []
        cursor = int(get_meta(device.conn, "cursor", "0") or 0)
        if get_meta(device.conn, "scope_key") == scope_before:
            assert cursor >= self.cursors[id(device)], "a cursor moved backwards"
        self.cursors[id(device)] = cursor

    # -- what people do ---------------------------------------------------------------------

    @rule(n=st.integers(0, 3), town=st.sampled_from(TOWNS), unit=st.integers(0, 10**6))
    def report_hazard(self, n: int, town: str, unit: int) -> None:
        device = self.devices[n]
        units = device.conn.execute("SELECT id FROM unit WHERE area = ? ORDER BY id", (town,)).fetchall()
        if not units:
            return
        self.counter += 1
        device.add(units[unit % len(units)][0], f"h{self.counter:04d} 消防通道堵塞")

    @rule(
        n=st.integers(0, 3),
        town=st.sampled_from(TOWNS),
        index=st.integers(0, 2),
        text=st.sampled_from(["north", "south", "东门", "西门"]),
    )
    def edit_location(self, n: int, town: str, index: int, text: str) -> None:
        device = self.devices[n]
        hazard_id = self.pick(device, town, index)
        if hazard_id:
            device.edit(hazard_id, location=text)

    @rule(
        n=st.integers(0, 3),
        town=st.sampled_from(TOWNS),
        index=st.integers(0, 2),
        who=st.sampled_from(["王伟", "李娜", "张强"]),
        grade=st.sampled_from(["general", "major"]),
    )
    def edit_designated(self, n: int, town: str, index: int, who: str, grade: str) -> None:
        device = self.devices[n]
        hazard_id = self.pick(device, town, index)
        if hazard_id:
            try:
                device.edit(hazard_id, rectifier=who, grade=grade)
            except DomainError:
                pass  # refused at once, as the server would: an inspector downgrading a major hazard

    @rule(
        pair=st.sampled_from([(0, 3), (2, 3), (0, 2), (1, 3)]),
        index=st.integers(0, 2),
        field=st.sampled_from(["rectifier", "grade"]),
        first=st.booleans(),
    )
    def two_people_change_the_same_field(self, pair: tuple[int, int], index: int, field: str, first: bool) -> None:
        """Two devices that share an area change one designated field of one hazard differently."""
        a, b = (self.devices[i] for i in pair)
        town = get_meta(a.conn, "areas") or "[]"
        towns = json.loads(town) or TOWNS
        hazard_id = self.pick(a, towns[0], index)
        if not hazard_id or b.conn.execute("SELECT 1 FROM hazard WHERE id = ?", (hazard_id,)).fetchone() is None:
            return
        values = {"rectifier": ("王伟", "李娜"), "grade": ("general", "major")}[field]
        try:
            a.edit(hazard_id, **{field: values[first]})
            b.edit(hazard_id, **{field: values[not first]})
        except DomainError:
            pass  # the hazard was closed meanwhile on one of them

    @rule(n=st.integers(0, 3), town=st.sampled_from(TOWNS), index=st.integers(0, 2), day=st.integers(1, 28))
    def order_or_submit(self, n: int, town: str, index: int, day: int) -> None:
        device = self.devices[n]
        hazard_id = self.pick(device, town, index, where="status IN ('reported', 'rectifying') AND grade = 'general'")
        if not hazard_id:
            return
        status = device.hazard(hazard_id)["status"]
        try:
            if status == "reported":
                device.act(hazard_id, "order", deadline=f"2027-01-{day:02d}")
            else:
                device.act(hazard_id, "submit", note="done")
        except DomainError:
            pass

    @rule(n=st.integers(0, 3), fault=FAULTS)
    def sync_device(self, n: int, fault: str | None) -> None:
        self.sync(self.devices[n], fault)

    @rule(n=st.integers(0, 3), offline=st.booleans())
    def connectivity(self, n: int, offline: bool) -> None:
        self.devices[n].transport.offline = offline

    @rule(n=st.integers(0, 2), town=st.sampled_from(TOWNS))
    def reassign(self, n: int, town: str) -> None:
        self.district.move(f"insp{n}", [town])

    @rule(n=st.integers(0, 3), minutes=st.integers(-30, 60))
    def skew_clock(self, n: int, minutes: int) -> None:
        device = self.devices[n]
        with device.writer.transaction():
            set_meta(device.conn, "hlc", str(clock.pack(clock.wall_ms() + minutes * 60_000)))

    @precondition(lambda self: any(list_conflicts(d.conn) for d in self.devices))
    @rule(n=st.integers(0, 3), keep=st.sampled_from(["mine", "theirs"]))
    def resolve_a_conflict(self, n: int, keep: str) -> None:
        device = self.devices[n]
        conflicts = list_conflicts(device.conn)
        if conflicts:
            try:
                resolve(device.writer, conflicts[0]["id"], keep, "decided in the model")
            except DomainError:
                pass  # e.g. the record was deleted on the server

    @invariant()
    def nothing_pending_was_lost(self) -> None:
        for device in self.devices:
            states = device.statuses()
            total = device.conn.execute(
                "SELECT count(*) FROM event WHERE device_id = ?", (device.device_id,)
            ).fetchone()[0]
            assert sum(states.values()) == total

    # -- the final quiet sync and the promises ----------------------------------------------

    def check_after_quiet_sync(self) -> None:
        for device in self.devices:
            device.transport.offline = False
        for _ in range(2):
            for device in self.devices:
                self.sync(device, None)
        db = self.district.store.db()
        for device in self.devices:
            assert device.statuses().get("pending", 0) == 0
            self.replica_equals_server(device, db)
            self.acknowledged_edits_are_accounted_for(device, db)
        self.no_op_applied_twice(db)
        self.no_designated_edit_silently_overwritten(db)
        self.the_log_is_as_it_was_made(db)

    def the_log_is_as_it_was_made(self, db) -> None:  # type: ignore[no-untyped-def]
        """Issue 18: whatever the faults, the district log verifies whole, every event once in
        it, and no laptop saw its history rewritten."""
        from sync.server.audit import verify as verify_log

        report = verify_log(db)
        assert report.ok, report.text()
        assert report.entries == db.rows("SELECT count(*) FROM event")[0][0]
        for device in self.devices:
            assert get_meta(device.conn, "log_alarm") is None, get_meta(device.conn, "log_alarm")

    def replica_equals_server(self, device, db) -> None:  # type: ignore[no-untyped-def]
        areas = json.loads(get_meta(device.conn, "areas") or "null")
        for table in ("hazard", "conflict", "progress", "listing"):
            columns = db.columns(table)
            scope = "" if areas is None else f" WHERE area IN ({', '.join('?' * len(areas))})"
            params = [] if areas is None else areas
            server = {r[0]: r for r in db.rows(f"SELECT {', '.join(columns)} FROM {table}{scope}", params)}
            local = {
                r[0]: tuple(r) for r in device.conn.execute(f"SELECT {', '.join(columns)} FROM {table}{scope}", params)
            }
            rejected = {r[0] for r in device.conn.execute("SELECT row_id FROM event WHERE status = 'rejected'")}
            extra = set(local) - set(server)
            assert extra <= rejected, f"{table}: rows on a laptop the server never accepted: {extra - rejected}"
            for row_id, row in server.items():
                assert local.get(row_id) == row, f"{table} {row_id} differs on {get_meta(device.conn, 'login')}"

    def acknowledged_edits_are_accounted_for(self, device, db) -> None:  # type: ignore[no-untyped-def]
        for op_id, status in device.conn.execute(
            "SELECT id, status FROM event WHERE device_id = ? AND status != 'rejected'", (device.device_id,)
        ).fetchall():
            stored = db.one("SELECT status FROM event WHERE id = ?", (op_id,))
            assert stored is not None and stored["status"] == status, "a laptop and the server disagree on an op"
            if status == "conflict":
                assert db.one("SELECT id FROM conflict WHERE op_id = ?", (op_id,)), "a conflict op without its conflict"

    def no_op_applied_twice(self, db) -> None:  # type: ignore[no-untyped-def]
        for device in self.devices:
            seqs = [s for (s,) in db.rows("SELECT device_seq FROM event WHERE device_id = ?", (device.device_id,))]
            local = device.conn.execute(
                "SELECT count(*) FROM event WHERE device_id = ?", (device.device_id,)
            ).fetchone()[0]
            assert len(seqs) == len(set(seqs)) == local, "the server holds a different number of this laptop's ops"
        # Each op that changed a row recorded the version it produced. Those versions must climb by
        # exactly one up to the row's version: an op applied twice would bump the row without a record.
        for row_id, version in db.rows("SELECT id, row_version FROM hazard"):
            produced = [
                v
                for (v,) in db.rows(
                    "SELECT row_version FROM event WHERE row_id = ? AND status != 'rejected'", (row_id,)
                )
            ]
            steps = sorted(set(produced))
            expected = list(range(steps[0], version + 1)) if steps else []
            assert steps == expected, f"hazard {row_id} is at version {version} but its ops produced {produced}"

    def no_designated_edit_silently_overwritten(self, db) -> None:  # type: ignore[no-untyped-def]
        # In the order the server applied them: an edit's log entry has its change-log position;
        # a create has none and comes first for its row.
        events = db.all(
            "SELECT e.id, e.device_id, e.row_id, e.fields, e.base_version, e.status, e.row_version"
            " FROM event e LEFT JOIN row_meta m ON m.table_name = 'event' AND m.row_id = e.id"
            " WHERE e.table_name = 'hazard' AND e.status IN ('applied', 'conflict')"
            " ORDER BY COALESCE(m.pos, 0), e.id"
        )
        conflicted = {(r["op_id"], r["field"]) for r in db.all("SELECT op_id, field FROM conflict")}
        last: dict[tuple[str, str], tuple[int, str, object]] = {}
        for e in events:
            for name, value in json.loads(e["fields"]).items():
                if name not in DESIGNATED:
                    continue
                key = (e["row_id"], name)
                if (e["id"], name) in conflicted:
                    continue
                previous = last.get(key)
                if previous and previous[1] != e["device_id"] and e["base_version"] < previous[0]:
                    assert previous[2] == value, (
                        f"hazard {e['row_id']}.{name}: a concurrent edit overwrote {previous[2]!r} with {value!r}"
                    )
                last[key] = (e["row_version"], e["device_id"], value)

    @rule()
    def quiet_sync_then_check(self) -> None:
        """At any moment, once everyone syncs without faults, every promise holds."""
        self.check_after_quiet_sync()


TestDistrict = DistrictMachine.TestCase


class PostgresDistrictMachine(DistrictMachine):
    backend = "postgres"


@pytest.mark.postgres
class TestDistrictOnPostgres(PostgresDistrictMachine.TestCase):  # type: ignore[name-defined]
    def setUp(self) -> None:
        if not PG_URL and not PG_REQUIRED:
            pytest.skip("PostgreSQL tests need SAFECITY_TEST_PG=postgresql://user@host/db (.ci/run sets it)")
