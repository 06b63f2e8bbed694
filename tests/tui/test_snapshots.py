"""SVG snapshots of the main screens at a fixed terminal size, in English and Chinese.

Update after an intended change with: scripts/test tests/tui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import pytest

from tests.conftest import TODAY
from tui.app import SafeCityApp
from tui.config import Settings

SIZE = (130, 36)


@pytest.fixture(params=["en", "zh"])
def app(request, district_path):  # type: ignore[no-untyped-def]
    return SafeCityApp(district_path, Settings(language=request.param, sync_interval=0), today=TODAY)


def test_triage(app, snap_compare):
    assert snap_compare(app, terminal_size=SIZE)


def test_triage_filtered(app, snap_compare):
    assert snap_compare(app, terminal_size=SIZE, press=["slash", *"消防", "enter"])


def test_hazard_detail(app, snap_compare):
    assert snap_compare(app, terminal_size=SIZE, press=["j", "enter"])


def test_inspection(app, snap_compare):
    assert snap_compare(app, terminal_size=SIZE, press=["i", "enter", "p", "n"])


def test_units(app, snap_compare):
    assert snap_compare(app, terminal_size=SIZE, press=["u"])


def test_help(app, snap_compare):
    assert snap_compare(app, terminal_size=SIZE, press=["question_mark"])


async def _open_dashboard(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("D")
    while not getattr(pilot.app.screen, "loaded", False):  # the figures arrive from a worker thread
        await pilot.pause(0.05)
    await pilot.pause()


def test_dashboard(app, snap_compare):
    assert snap_compare(app, terminal_size=SIZE, run_before=_open_dashboard)


def test_assessment(app, snap_compare):
    assert snap_compare(app, terminal_size=SIZE, press=["A", "down", "down", "down", "down"])
