"""Fixtures shared by every test: fresh databases, a small seeded district, a pinned today."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from hypothesis import settings

from schema.db import connect
from schema.demo import seed
from schema.writes import Actor, Writer

settings.register_profile("dev", max_examples=10, stateful_step_count=25, deadline=None)
settings.register_profile("ci", max_examples=40, stateful_step_count=30, deadline=None)
settings.register_profile("long", max_examples=500, stateful_step_count=60, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))
"""HYPOTHESIS_PROFILE=long runs the sync state machine for 500 examples (.ci/run uses 'ci')."""

TODAY = date(2026, 11, 29)
"""Every test runs on this day, so overdue and deadlines do not depend on when CI runs."""


@pytest.fixture(autouse=True)
def _pinned_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAFECITY_TODAY", TODAY.isoformat())
    monkeypatch.delenv("SAFECITY_DB", raising=False)


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
