"""Every form of the app, filled by someone in a hurry who presses Enter twice (or three times).

Regression (issue 14): the second Enter dismissed a form that was already closing and ended the
app (`InvalidStateError`), and on the checklist it recorded a result nobody gave. Each case opens
one form with the keys, fills it, presses Enter repeatedly, and checks that the app is still
running and that exactly the records meant changed: the event log (every local write is an
event) names each table and row written.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import DataTable, Input

from schema.hazards import act
from schema.inspections import checklist_items
from schema.store.connection import connect
from schema.store.transactions import get_meta
from schema.undo import CannotUndo, undo_last
from schema.writes import Writer, local_actor
from sync.laptop.replica import mark_sent
from tests.conftest import TODAY
from tests.tui.test_app import SIZE, make_app
from tui.app import SafeCityApp
from tui.screens.detail import HazardScreen, NewHazardScreen
from tui.screens.forms import ConfirmScreen, FormScreen
from tui.screens.inspection import InspectionRunScreen
from tui.screens.units import UnitPickerScreen


async def burst(pilot: Pilot[Any], app: SafeCityApp, *keys: str) -> None:
    """Keys as a terminal delivers a hurried double press: all queued before any is handled
    (`pilot.press` waits for each key to be processed, which no person does)."""
    for key in keys:
        app.post_message(events.Key(key, {"enter": "\r", "escape": "\x1b"}.get(key, key)))
    await pilot.pause()
    await pilot.pause()


def last_event(app: SafeCityApp) -> int:
    return app.conn.execute("SELECT coalesce(max(rowid), 0) FROM event").fetchone()[0]


def written_since(app: SafeCityApp, rowid: int) -> list[tuple[str, str]]:
    rows = app.conn.execute("SELECT table_name, row_id FROM event WHERE rowid > ? ORDER BY rowid", (rowid,))
    return [tuple(r) for r in rows]


def hazard(app: SafeCityApp, status: str, grade: str = "general") -> str:
    return app.conn.execute(
        "SELECT id FROM hazard WHERE status = ? AND grade = ? ORDER BY id LIMIT 1", (status, grade)
    ).fetchone()[0]


def fill(app: SafeCityApp, focus: str | None = None, **values: str) -> None:
    """Type `values` into the open form's fields, and put the cursor in field `focus` (where the
    Enters that follow land)."""
    assert isinstance(app.screen, FormScreen), app.screen
    for name, value in values.items():
        app.screen.query_one(f"#field-{name}", Input).value = value
    if focus:
        app.screen.query_one(f"#field-{focus}", Input).focus()


async def on_hazard(pilot: Pilot[Any], app: SafeCityApp, hazard_id: str, key: str) -> None:
    app.push_screen(HazardScreen(hazard_id))
    await pilot.pause()
    await pilot.press(key)
    await pilot.pause()


async def open_new_hazard_form(pilot: Pilot[Any], app: SafeCityApp) -> str:
    """`n`, then the unit picked by typing part of its name: the way an inspector does it."""
    unit = app.conn.execute("SELECT id, name FROM unit ORDER BY id LIMIT 1").fetchone()
    await pilot.press("n")
    assert isinstance(app.screen, UnitPickerScreen)
    app.screen.query_one("#picker-search", Input).value = unit["name"]
    await pilot.pause()
    table = app.screen.query_one(DataTable)
    table.focus()
    table.move_cursor(row=table.get_row_index(unit["id"]))
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(app.screen, NewHazardScreen) and app.screen.unit_id == unit["id"]
    return str(unit["id"])


async def new_hazard(pilot, app):  # type: ignore[no-untyped-def]
    await open_new_hazard_form(pilot, app)
    fill(app, focus="deadline", description="消防通道堵塞")
    return {("hazard", None)}


async def void_hazard(pilot, app):  # type: ignore[no-untyped-def]
    hazard_id = hazard(app, "reported")
    await on_hazard(pilot, app, hazard_id, "v")
    fill(app, focus="reason", reason="duplicate report")
    return set()  # Enter asks "void this hazard?"; only y answers it (see the test below)


async def submit_rectification(pilot, app):  # type: ignore[no-untyped-def]
    hazard_id = hazard(app, "rectifying")
    await on_hazard(pilot, app, hazard_id, "b")
    fill(app, focus="note", note="通道已清理")
    return {("hazard", hazard_id), ("progress", None)}


async def edit_hazard(pilot, app):  # type: ignore[no-untyped-def]
    hazard_id = hazard(app, "reported")
    await on_hazard(pilot, app, hazard_id, "e")
    fill(app, focus="grade", location="北门")
    return {("hazard", hazard_id)}


async def note_on_an_item(pilot, app):  # type: ignore[no-untyped-def]
    """The false `pass` of issue 14: p, Up, e, a note, Enter Enter."""
    await pilot.press("i", "enter")
    run = app.screen
    assert isinstance(run, InspectionRunScreen)
    await pilot.press("p", "up", "e")
    await pilot.pause()
    fill(app, focus="note", note="fire lane clear")
    return {("inspection_result", None)}


async def finish_inspection(pilot, app):  # type: ignore[no-untyped-def]
    await pilot.press("i", "enter")
    run = app.screen
    assert isinstance(run, InspectionRunScreen)
    for _ in checklist_items(app.conn, run.inspection_id):
        await pilot.press("n")
    await pilot.press("F")
    await pilot.pause()
    app.screen.query_one("#field-summary", Input).focus()
    return {("inspection", run.inspection_id), ("task", None)}


async def decide_marked_proposals(pilot, app):  # type: ignore[no-untyped-def]
    """The office's batch: two proposals marked, one reason, Enter."""
    await pilot.press("E")
    await pilot.pause()
    await pilot.press("space", "space", "I")
    await pilot.pause()
    fill(app, focus="reason", reason="逾期未整改")
    return {("escalation", None)}


async def resolve_nothing_on_cancel(pilot, app):  # type: ignore[no-untyped-def]
    """Esc on an untouched form closes it; Enter pressed after that reaches no form."""
    hazard_id = hazard(app, "reported")
    await on_hazard(pilot, app, hazard_id, "v")
    await pilot.press("escape")
    return set()


FORMS: dict[str, Callable[..., Awaitable[set[tuple[str, str | None]]]]] = {
    "new-hazard": new_hazard,
    "void": void_hazard,
    "submit": submit_rectification,
    "edit": edit_hazard,
    "inspection-note": note_on_an_item,
    "inspection-finish": finish_inspection,
    "escalation-batch": decide_marked_proposals,
    "cancelled": resolve_nothing_on_cancel,
}


@pytest.mark.parametrize("delivery", ["burst", "one-by-one"])
@pytest.mark.parametrize("form", list(FORMS))
async def test_enter_pressed_twice_saves_once_and_changes_only_what_was_meant(district_path, form, delivery):
    app = make_app(district_path, sync_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        meant = await FORMS[form](pilot, app)
        before = last_event(app)
        if form == "inspection-note":
            before_items = checklist_items(app.conn, app.screen_stack[-2].inspection_id)
        if delivery == "burst":
            await burst(pilot, app, "enter", "enter", "enter")
        else:
            await pilot.press("enter", "enter")
        await pilot.pause()
        assert app.is_running and app.return_code is None
        written = written_since(app, before)
        tables = {table for table, _row in written}
        assert tables == {table for table, _row in meant} or (not meant and not written), written
        for table, row in meant:
            if row is not None:
                assert {r for t, r in written if t == table} == {row}
        if form == "inspection-note":  # only the item under the cursor changed, and only its note
            after = checklist_items(app.conn, app.screen.inspection_id)
            changed = [a["code"] for a, b in zip(after, before_items, strict=True) if a != b]
            assert changed == [before_items[0]["code"]] and after[0]["result"] == "pass"
            assert after[1]["result"] == before_items[1]["result"]
            assert len(written) == 1
        if form != "cancelled":
            assert get_meta(app.conn, "device_id")


async def test_esc_on_a_filled_form_asks_before_throwing_it_away(district_path):
    """Regression (issue 14): Esc threw away a 2,100-character description without a word."""
    from tui.screens.forms import ConfirmScreen

    app = make_app(district_path, sync_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        before = last_event(app)
        await open_new_hazard_form(pilot, app)
        fill(app, description="消防通道堵塞，" * 300)
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")  # no: back to the form, nothing lost
        assert isinstance(app.screen, FormScreen)
        assert app.screen.query_one("#field-description", Input).value.startswith("消防通道堵塞")
        await pilot.press("escape", "y")
        assert not isinstance(app.screen, FormScreen | ConfirmScreen)
        assert written_since(app, before) == []


async def test_an_untouched_form_closes_on_esc_at_once(district_path):
    app = make_app(district_path, sync_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await open_new_hazard_form(pilot, app)
        await pilot.press("escape")
        assert not isinstance(app.screen, FormScreen)


async def test_voiding_asks_first_and_only_y_answers(district_path):
    app = make_app(district_path, sync_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        hazard_id = hazard(app, "reported")
        await on_hazard(pilot, app, hazard_id, "v")
        fill(app, reason="duplicate report")
        before = last_event(app)
        await burst(pilot, app, "enter", "enter", "enter")
        assert isinstance(app.screen, ConfirmScreen) and written_since(app, before) == []
        await pilot.press("y")
        await pilot.pause()
        assert written_since(app, before) == [("hazard", hazard_id)]
        assert app.conn.execute("SELECT status FROM hazard WHERE id = ?", (hazard_id,)).fetchone()[0] == "void"
        # The hurried Enters asked once, so the one answer closes the question and the form.
        assert isinstance(app.screen, HazardScreen)


async def test_z_takes_back_the_last_action_while_it_has_not_left_the_laptop(district_path):
    """Undo restores the hazard as it was and removes its outbox entry; once sent, it refuses."""
    app = make_app(district_path)
    async with app.run_test(size=SIZE) as pilot:
        conn = app.conn
        hazard_id = conn.execute("SELECT id FROM hazard WHERE status = 'reported' LIMIT 1").fetchone()[0]
        before = dict(conn.execute("SELECT * FROM hazard WHERE id = ?", (hazard_id,)).fetchone())
        events_before = last_event(app)
        act(app.writer, hazard_id, "void", {"reason": "entered twice"}, today=TODAY)
        assert written_since(app, events_before)
        await pilot.press("z")
        await pilot.pause()
        after = dict(conn.execute("SELECT * FROM hazard WHERE id = ?", (hazard_id,)).fetchone())
        assert after == before
        assert written_since(app, events_before) == []
        await pilot.press("z")  # nothing left to undo: a warning, no change
        await pilot.pause()
        assert dict(conn.execute("SELECT * FROM hazard WHERE id = ?", (hazard_id,)).fetchone()) == before


def test_an_action_once_sent_is_past_undoing(district_path):
    conn = connect(district_path)
    writer = Writer(conn, local_actor(conn))
    hazard_id = conn.execute("SELECT id FROM hazard WHERE status = 'reported' LIMIT 1").fetchone()[0]
    act(writer, hazard_id, "void", {"reason": "entered twice"}, today=TODAY)
    seq = int(get_meta(conn, "device_seq") or 0)
    mark_sent(conn, seq)
    with pytest.raises(CannotUndo, match="already been sent"):
        undo_last(conn)
    assert conn.execute("SELECT status FROM hazard WHERE id = ?", (hazard_id,)).fetchone()[0] == "void"


async def test_undoing_the_start_of_an_inspection_closes_its_screen(district_path):
    """`z` right after Enter started a planned inspection takes the inspection back and returns
    to the task list (the checklist screen showed a record that no longer exists)."""
    app = make_app(district_path)
    async with app.run_test(size=SIZE) as pilot:
        inspections = app.conn.execute("SELECT count(*) FROM inspection").fetchone()[0]
        await pilot.press("i", "enter")
        await pilot.pause()
        assert isinstance(app.screen, InspectionRunScreen)
        await pilot.press("z")
        await pilot.pause()
        assert not isinstance(app.screen, InspectionRunScreen)
        assert app.conn.execute("SELECT count(*) FROM inspection").fetchone()[0] == inspections
