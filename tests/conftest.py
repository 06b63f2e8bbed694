"""Fixtures shared by every test: fresh databases, a small seeded district, a pinned today."""

from __future__ import annotations

import os
import uuid
from datetime import date
from pathlib import Path

import pytest
from hypothesis import settings

from schema.demo.district import seed
from schema.store.connection import connect
from schema.writes import Actor, Writer

settings.register_profile("dev", max_examples=10, stateful_step_count=25, deadline=None)
settings.register_profile("ci", max_examples=40, stateful_step_count=30, deadline=None)
settings.register_profile("long", max_examples=500, stateful_step_count=60, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
"""HYPOTHESIS_PROFILE=long runs the sync state machine for 500 examples (.ci/run uses 'ci')."""

TODAY = date(2026, 11, 29)
"""Every test runs on this day, so overdue and deadlines do not depend on when CI runs."""


@pytest.fixture(autouse=True)
def _pinned_today(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    monkeypatch.setenv("SAFECITY_TODAY", TODAY.isoformat())
    monkeypatch.delenv("SAFECITY_DB", raising=False)
    # PostgreSQL servers keep the district's log key under the user's data folder: a test's own.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("data-home")))


@pytest.fixture
def fresh_db(tmp_path: Path):
    conn = connect(tmp_path / "fresh.db")
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def _seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "district.db"
    conn = connect(path)
    seed(conn, scale=300, today=TODAY)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


@pytest.fixture
def district_path(_seeded_template: Path, tmp_path: Path) -> Path:
    """A copy of a small seeded demo district (300 hazards), fresh for each test."""
    path = tmp_path / "district.db"
    path.write_bytes(_seeded_template.read_bytes())
    return path


@pytest.fixture
def district(district_path: Path):
    conn = connect(district_path)
    yield conn
    conn.close()


@pytest.fixture
def writer(district) -> Writer:
    return Writer(district, Actor(login="inspector.xinhe", device_id="device-test"))


@pytest.fixture
def unit_id(district) -> str:
    return district.execute("SELECT id FROM unit WHERE area = 'xinhe' ORDER BY name LIMIT 1").fetchone()[0]


PG_URL = os.environ.get("SAFECITY_TEST_PG")
PG_REQUIRED = os.environ.get("SAFECITY_REQUIRE_PG") == "1"


def postgres_schema_url() -> tuple[str, str]:
    """A fresh, empty schema on the test PostgreSQL: (URL using it, schema name).

    Skips with the reason when PostgreSQL is not configured; fails instead when CI requires it.
    """
    if not PG_URL:
        if PG_REQUIRED:
            pytest.fail("SAFECITY_REQUIRE_PG=1 but SAFECITY_TEST_PG is not set")
        pytest.skip("PostgreSQL tests need SAFECITY_TEST_PG=postgresql://user@host/db (.ci/run sets it)")
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
    except psycopg.OperationalError as err:
        if PG_REQUIRED:
            pytest.fail(f"PostgreSQL is required but unreachable: {err}")
        pytest.skip(f"PostgreSQL at SAFECITY_TEST_PG is unreachable: {err}")
    separator = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{separator}options=-csearch_path%3D{schema}", schema


def drop_postgres_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server_target(request, tmp_path):
    """Where a test's district server keeps its data: an SQLite folder, or a PostgreSQL schema."""
    if request.param == "sqlite":
        yield tmp_path / "server"
        return
    url, schema = postgres_schema_url()
    yield url
    drop_postgres_schema(schema)


def database_at_version(path: Path, version: int, *rows: str) -> None:
    """A SafeCity file as a release with schema `version` left it, holding `rows` (INSERTs):
    what a migration test opens with today's code."""
    import sqlite3

    from schema.store.connection import APPLICATION_ID, _statements
    from schema.store.migrations import MIGRATIONS
    from schema.store.search import fts_text

    old = sqlite3.connect(path)
    old.create_function("fts_text", -1, fts_text, deterministic=True)
    for migration in MIGRATIONS[:version]:
        for statement in _statements(migration):
            old.execute(statement)
    for statement in rows:
        old.execute(statement)
    old.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    old.execute(f"PRAGMA user_version = {version}")
    old.commit()
    old.close()
