"""Keys typed in one burst land where a person sees them going (issue 14, point 6): the letters
after `/` in the filter box, not run as shortcuts; the letters after `n` in the unit picker's
search, not on the hazard list underneath."""

from __future__ import annotations

from textual.command import CommandPalette
from textual.widgets import Input

from tests.tui.test_app import SIZE, make_app
from tests.tui.test_forms import burst
from tui.screens.triage import TriageScreen
from tui.screens.units import UnitPickerScreen, UnitsScreen
from tui.widgets.hazard_list import HazardList


async def test_a_filter_typed_in_one_burst_goes_into_the_filter_box(district_path):
    app = make_app(district_path, sync_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        triage = app.screen
        await burst(pilot, app, "slash", *"grade:major", "s", "r")
        await pilot.pause(0.2)
        assert app.screen is triage and isinstance(triage, TriageScreen)
        assert triage.query_one("#filter", Input).value == "grade:majorsr"


async def test_letters_typed_right_after_n_search_the_unit_picker(district_path):
    app = make_app(district_path, sync_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        name = app.conn.execute("SELECT name FROM unit ORDER BY id LIMIT 1").fetchone()[0]
        await burst(pilot, app, "n", *name[:3])
        await pilot.pause(0.2)
        assert isinstance(app.screen, UnitPickerScreen)
        assert app.screen.query_one("#picker-search", Input).value == name[:3]


async def test_a_unit_search_typed_in_one_burst_stays_in_its_box(district_path):
    app = make_app(district_path, sync_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("u")
        await pilot.pause()
        units = app.screen
        assert isinstance(units, UnitsScreen)
        await burst(pilot, app, "slash", *"xinhe", "j")
        await pilot.pause(0.2)
        assert app.screen is units
        assert units.query_one("#unit-search", Input).value == "xinhej"


async def test_marks_are_dropped_when_the_list_shows_other_hazards(district_path):
    """Five marked among the overdue, then a new filter: a batch must not act on the hidden five."""
    app = make_app(district_path, sync_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3", "space", "space")
        hazards = app.screen.query_one(HazardList)
        assert len(hazards.marked) == 2
        await pilot.press("1")
        assert hazards.marked == set()
        await pilot.press("space", "slash", *"grade", "enter")
        assert hazards.marked == set()
        await pilot.press("space", "escape", "escape")  # Esc closes the filter, Esc again unmarks
        assert hazards.marked == set()


async def test_ctrl_p_opens_the_command_palette_and_what_follows_searches_it(district_path):
    """ctrl+p, as in every Textual app, and `:`; the letters typed at once search the palette."""
    app = make_app(district_path, sync_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        triage = app.screen
        await burst(pilot, app, "ctrl+p", *"lang")
        await pilot.pause(0.3)
        assert isinstance(app.screen, CommandPalette)
        assert app.focused is not None and app.focused.value == "lang"
        await pilot.press("escape")
        assert app.screen is triage
        assert not triage.query_one(HazardList).marked
