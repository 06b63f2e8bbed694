"""Opening databases (migrations, refusals) and the one write path (change + event together)."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid

import pytest

from schema.errors import DomainError, StoreError
from schema.ids import uuid7
from schema.store import migrations
from schema.store.connection import connect
from schema.tables import table_info
from schema.writes import Actor, Writer
from tests.conftest import database_at_version


def test_new_database_is_wal_with_foreign_keys(fresh_db):
    assert fresh_db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert fresh_db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert fresh_db.execute("PRAGMA user_version").fetchone()[0] == migrations.SCHEMA_VERSION


def test_a_missing_value_is_stored_as_null(fresh_db):
    # Regression guard for the None adapter in schema.store.connection (it must keep binding None as NULL).
    fresh_db.execute("CREATE TEMP TABLE probe (value)")
    fresh_db.executemany("INSERT INTO probe VALUES (?)", [(None,), ("",), (0,)])
    assert [r[0] for r in fresh_db.execute("SELECT typeof(value) FROM probe ORDER BY rowid")] == [
        "null",
        "text",
        "integer",
    ]


def test_every_domain_entity_has_a_table(fresh_db):
    tables = {r[0] for r in fresh_db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for entity in (
        "area",
        "unit",
        "responsibility",
        "criterion",
        "checklist",
        "plan",
        "task",
        "inspection",
        "inspection_result",
        "hazard",
        "rectification_order",
        "progress",
        "verification",
        "extension",
        "listing",
        "escalation",
        "lookback",
        "assessment",
        "event",
    ):
        assert entity in tables


def test_older_database_is_migrated(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:1])
    monkeypatch.setattr("schema.store.connection.MIGRATIONS", migrations.MIGRATIONS[:1])
    monkeypatch.setattr("schema.store.connection.SCHEMA_VERSION", 1)
    connect(path).close()
    # A later release adds a migration: opening the old file runs it.
    newer = [*migrations.MIGRATIONS[:1], "CREATE TABLE photo (id TEXT PRIMARY KEY, hazard_id TEXT)"]
    monkeypatch.setattr("schema.store.connection.MIGRATIONS", newer)
    monkeypatch.setattr("schema.store.connection.SCHEMA_VERSION", 2)
    conn = connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 2
    assert conn.execute("SELECT count(*) FROM photo").fetchone()[0] == 0


def test_failed_migration_leaves_the_file_as_it_was(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    connect(path).close()
    broken = [*migrations.MIGRATIONS, "CREATE TABLE ok_table (id TEXT);\nTHIS IS NOT SQL;"]
    monkeypatch.setattr("schema.store.connection.MIGRATIONS", broken)
    monkeypatch.setattr("schema.store.connection.SCHEMA_VERSION", len(broken))
    with pytest.raises(StoreError):
        connect(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == migrations.SCHEMA_VERSION
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'ok_table'").fetchone()[0] == 0


def test_newer_database_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "newer.db"
    connect(path).close()
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {migrations.SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(StoreError, match="written by a newer SafeCity.*please update SafeCity"):
        connect(path)


def test_a_foreign_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "other.db"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE notes (x)")
    raw.close()
    with pytest.raises(StoreError, match="not a SafeCity database"):
        connect(path)


def test_a_file_that_is_not_sqlite_is_refused(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello " * 1000)
    with pytest.raises(StoreError, match="cannot open"):
        connect(path)


def test_uuid7_ids():
    ids = [uuid7() for _ in range(100)]
    assert all(str(uuid.UUID(i)) == i and uuid.UUID(i).version == 7 for i in ids)
    assert len(set(ids)) == 100


def test_a_change_and_its_event_are_written_together(writer, district, unit_id):
    hazard_id = writer.create(
        "hazard", {"unit_id": unit_id, "description": "配电室积水", "found_at": "2026-11-29T08:00:00Z"}
    )
    writer.update("hazard", hazard_id, {"location": "配电室"})
    events = district.execute("SELECT * FROM event WHERE row_id = ? ORDER BY device_seq", (hazard_id,)).fetchall()
    assert [e["action"] for e in events] == ["create", "update"]
    update = events[1]
    assert json.loads(update["fields"]) == {"location": "配电室"}
    assert json.loads(update["old"]) == {"location": None}
    assert (update["actor"], update["device_id"], update["status"]) == ("inspector.xinhe", "device-test", "pending")
    assert events[0]["hlc"] < events[1]["hlc"]
    assert events[0]["device_seq"] + 1 == events[1]["device_seq"]


def test_a_refused_write_leaves_neither_change_nor_event(writer, district, unit_id):
    before = district.execute("SELECT count(*) FROM event").fetchone()[0]
    with pytest.raises(DomainError, match="hazard.grade must be one of general, major"):
        writer.create("hazard", {"unit_id": unit_id, "description": "x", "found_at": "2026-11-29", "grade": "huge"})
    with pytest.raises(DomainError):
        with writer.transaction():
            writer.create("hazard", {"unit_id": unit_id, "description": "first", "found_at": "2026-11-29"})
            writer.create("hazard", {"unit_id": "no-such-unit", "description": "second", "found_at": "2026-11-29"})
    assert district.execute("SELECT count(*) FROM event").fetchone()[0] == before
    assert district.execute("SELECT count(*) FROM hazard WHERE description = 'first'").fetchone()[0] == 0


def test_area_comes_from_the_parent_row(writer, district, unit_id):
    hazard_id = writer.create(
        "hazard", {"unit_id": unit_id, "description": "x", "found_at": "2026-11-29", "area": "dagang"}
    )
    assert writer.get("hazard", hazard_id)["area"] == "xinhe"


@pytest.mark.parametrize(
    ("table", "fields", "message"),
    [
        pytest.param("hazard", {"colour": "red"}, "hazard has no field 'colour'", id="unknown-field"),
        pytest.param("hazard", {"row_version": 9}, "no field 'row_version' that can be set", id="sync-column"),
        pytest.param("nonsense", {}, "unknown table 'nonsense'", id="unknown-table"),
        pytest.param("hazard", {"description": "x"}, "a new hazard needs found_at, unit_id", id="missing-required"),
    ],
)
def test_write_path_validates(writer, table, fields, message):
    with pytest.raises(DomainError, match=message):
        writer.create(table, fields)


def test_append_only_records_are_never_edited(writer, district):
    progress_id = district.execute("SELECT id FROM progress LIMIT 1").fetchone()[0]
    with pytest.raises(DomainError, match="progress records are never edited"):
        writer.update("progress", progress_id, {"note": "rewritten"})


def test_device_sequence_survives_reopening(district_path):
    conn = connect(district_path)
    w = Writer(conn, Actor("a", "dev"))
    unit_id = conn.execute("SELECT id FROM unit LIMIT 1").fetchone()[0]
    w.update("unit", unit_id, {"address": "one"})
    conn.close()
    conn = connect(district_path)
    Writer(conn, Actor("a", "dev")).update("unit", unit_id, {"address": "two"})
    seqs = [r[0] for r in conn.execute("SELECT device_seq FROM event WHERE row_id = ? ORDER BY device_seq", (unit_id,))]
    assert seqs == [1, 2]


def test_a_version_1_district_is_migrated_to_the_office_schema_keeping_its_rows(tmp_path):
    """Regression guard for migration 2 (the office's work): columns are added, nothing is lost."""
    path = tmp_path / "v1.db"
    database_at_version(
        path,
        1,
        "INSERT INTO unit (id, name, kind, industry, area) VALUES ('u1', '甲公司', 'enterprise', 'gas', 'xinhe')",
        "INSERT INTO hazard (id, unit_id, area, description, found_at) VALUES ('h1', 'u1', 'xinhe', 'x', 't')",
        "INSERT INTO escalation (id, hazard_id, area, level) VALUES ('e1', 'h1', 'xinhe', 'reminder')",
    )
    conn = connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == migrations.SCHEMA_VERSION
    row = conn.execute("SELECT level, persons, unit_id FROM escalation WHERE id = 'e1'").fetchone()
    assert tuple(row) == ("reminder", "[]", None)
    assert conn.execute("SELECT count(*) FROM lookback_review").fetchone()[0] == 0
    assert "doc_seq" in {r[1] for r in conn.execute("PRAGMA table_info(rectification_order)")}


def test_migration_3_checks_the_same_values_as_comparisons(tmp_path):
    """Every CHECK list becomes comparisons, on a file that already holds rows; the same values
    are allowed and refused, on the connection that migrated and on one opened afterwards."""
    path = tmp_path / "v2.db"
    database_at_version(
        path,
        2,
        "INSERT INTO unit (id, name, kind, industry, area) VALUES ('u1', '甲公司', 'enterprise', 'gas', 'xinhe')",
        "INSERT INTO hazard (id, unit_id, area, description, found_at, status)"
        " VALUES ('h1', 'u1', 'xinhe', 'x', 't', 'closed')",
    )
    old = sqlite3.connect(path)
    lists = {
        (name, column): values
        for name, sql in old.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
        for column, values in re.findall(r"CHECK \((\w+) IN \(([^)]*)\)\)", sql or "")
    }
    old.close()

    conn = connect(path)
    assert len(lists) == 18
    for (table, column), values in lists.items():
        allowed = tuple(re.findall(r"'([^']*)'", values))
        assert table_info(conn, table).enums[column] == allowed
    tables = " ".join(r[0] for r in conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table'"))
    assert " IN (" not in tables
    for c in (conn, connect(path)):
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            c.execute("UPDATE hazard SET status = 'lost' WHERE id = 'h1'")
        c.execute("UPDATE hazard SET status = 'void' WHERE id = 'h1'")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
