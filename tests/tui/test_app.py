"""The terminal app driven by the keyboard (Textual Pilot), flow by flow."""

from __future__ import annotations

import importlib
import pkgutil
import time
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.widgets import DataTable, Input, Label, Select

import tui
from schema.errors import DomainError
from tests.conftest import TODAY
from tui.app import SafeCityApp
from tui.config import ConfigError, Settings, load
from tui.navigation import all_binding_ids
from tui.screens.detail import HazardScreen, NewHazardScreen
from tui.screens.inspection import InspectionRunScreen
from tui.screens.misc import ConflictsScreen, HelpScreen, help_rows
from tui.screens.triage import TriageScreen
from tui.widgets.chrome import StatusLine
from tui.widgets.hazard_list import HazardList

SIZE = (140, 40)
ROOT = Path(__file__).resolve().parents[2]


def make_app(path, **settings) -> SafeCityApp:  # type: ignore[no-untyped-def]
    return SafeCityApp(path, Settings(**settings), today=TODAY)


async def test_triage_opens_on_the_most_urgent_hazards(district_path):
    app = make_app(district_path)
    async with app.run_test(size=SIZE):
        hazards = app.screen.query_one(HazardList)
        first = hazards.row(0)
        assert first["overdue"] and first["grade"] == "major"
        days = [hazards.row(i)["days_overdue"] for i in range(hazards.count) if hazards.row(i)["overdue"]]
        assert (
            days
            and hazards.count
            == app.conn.execute(
                "SELECT count(*) FROM hazard WHERE status IN ('reported', 'rectifying', 'awaiting_verification')"
            ).fetchone()[0]
        )


async def test_filter_as_you_type_finds_chinese_and_narrows_by_field(district_path):
    app = make_app(district_path)
    async with app.run_test(size=SIZE) as pilot:
        hazards = app.screen.query_one(HazardList)
        everything = hazards.count
        await pilot.press("slash", *"消防")
        await pilot.pause()
        assert 0 < hazards.count < everything
        assert all("消防" in hazards.row(i)["description"] for i in range(hazards.count))
        await pilot.press("space", *"status:rectifying")
        await pilot.pause()
        assert all(hazards.row(i)["status"] == "rectifying" for i in range(hazards.count))
        await pilot.press("escape")
        assert hazards.count == everything


@pytest.mark.parametrize(
    ("key", "check"),
    [
        pytest.param("3", lambda h: h["overdue"], id="overdue"),
        pytest.param("5", lambda h: h["status"] == "awaiting_verification", id="awaiting-verification"),
        pytest.param("6", lambda h: h["grade"] == "major", id="major"),
        pytest.param("4", lambda h: h["deadline"] and h["deadline"] <= "2026-12-06", id="due-this-week"),
    ],
)
async def test_saved_views(district_path, key, check):
    app = make_app(district_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(key)
        hazards = app.screen.query_one(HazardList)
        assert hazards.count > 0
        assert all(check(hazards.row(i)) for i in range(hazards.count))


async def test_j_k_g_G_move_the_cursor_and_enter_opens(district_path):
    app = make_app(district_path)
    async with app.run_test(size=SIZE) as pilot:
        hazards = app.screen.query_one(HazardList)
        await pilot.press("j", "j", "k")
        assert hazards.cursor == 1
        await pilot.press("G")
        assert hazards.cursor == hazards.count - 1
        await pilot.press("g")
        assert hazards.cursor == 0
        await pilot.press("enter")
        assert isinstance(app.screen, HazardScreen)
        assert app.screen.hazard_id == hazards.row(0)["id"]
        await pilot.press("escape")
        assert app.screen.query_one(HazardList)


async def test_a_click_moves_the_cursor(district_path):
    app = make_app(district_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click(HazardList, offset=(5, 3))
        assert app.screen.query_one(HazardList).cursor == 3


def open_hazard_id(conn, status: str) -> str:  # type: ignore[no-untyped-def]
    return conn.execute(
        "SELECT id FROM hazard WHERE status = ? AND grade = 'general' ORDER BY id LIMIT 1", (status,)
    ).fetchone()[0]


async def test_an_action_form_keeps_what_was_typed_on_error_then_applies(district_path):
    app = make_app(district_path)
    async with app.run_test(size=SIZE) as pilot:
        hazard_id = open_hazard_id(app.conn, "reported")
        app.push_screen(HazardScreen(hazard_id))
        await pilot.pause()
        await pilot.press("o")  # order
        deadline = app.screen.query_one("#field-deadline", Input)
        deadline.value = "2026-13-40"
        app.screen.query_one("#field-rectifier", Input).value = "王伟"
        await pilot.press("ctrl+s")
        assert "deadline must be a date" in str(app.screen.query_one("#form-error", Label).render())
        assert app.screen.query_one("#field-rectifier", Input).value == "王伟"  # nothing retyped
        deadline.value = "2026-12-20"
        await pilot.press("ctrl+s")
        await pilot.pause()
        row = app.conn.execute("SELECT status, deadline, rectifier FROM hazard WHERE id = ?", (hazard_id,)).fetchone()
        assert tuple(row) == ("rectifying", "2026-12-20", "王伟")
        assert (
            app.conn.execute(
                "SELECT count(*) FROM event WHERE row_id = ? AND status = 'pending'", (hazard_id,)
            ).fetchone()[0]
            == 1
        )


async def test_an_action_the_rules_refuse_is_not_offered(district_path):
    app = make_app(district_path)
    async with app.run_test(size=SIZE) as pilot:
        hazard_id = open_hazard_id(app.conn, "reported")
        app.push_screen(HazardScreen(hazard_id))
        await pilot.pause()
        await pilot.press("p")  # pass: not from reported
        assert isinstance(app.screen, HazardScreen)
        assert app.conn.execute("SELECT status FROM hazard WHERE id = ?", (hazard_id,)).fetchone()[0] == "reported"


async def test_marked_rows_are_acted_on_after_a_preview(district_path):
    app = make_app(district_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "slash", *"status:reported", "enter")
        hazards = app.screen.query_one(HazardList)
        ids = [hazards.row(0)["id"], hazards.row(1)["id"]]
        await pilot.press("space", "space", "a")
        await pilot.pause()
        form = app.screen
        assert form.query_one("#field-action", Select).value == ""  # no action chosen for you, void least of all
        form.query_one("#field-action", Select).value = "void"
        await pilot.pause()
        assert str(form.query_one("#preview").render()).count("to void a hazard, give the reason") == 2
        assert not form.query_one("#field-deadline").display  # only the fields void needs
        form.query_one("#field-reason", Input).value = "duplicate report"
        await pilot.pause()
        assert str(form.query_one("#preview").render()).count("will apply") == 2
        await pilot.press("ctrl+s")
        await pilot.pause()
        statuses = {r[0] for r in app.conn.execute(f"SELECT status FROM hazard WHERE id IN ('{ids[0]}', '{ids[1]}')")}
        assert statuses == {"void"}


async def test_enter_in_a_batch_form_skips_the_fields_the_action_does_not_need(district_path):
    """Regression: Enter on the rectifier of a batch order went to a hidden field, and what was typed
    next went there too (the form seemed to ignore Enter)."""
    app = make_app(district_path, sync_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("1", "slash", *"status:reported grade:general", "enter")
        hazards = app.screen.query_one(HazardList)
        first = hazards.row(0)["id"]
        await pilot.press("space", "a")
        await pilot.pause()
        form = app.screen
        form.query_one("#field-action", Select).value = "order"
        await pilot.pause()
        form.query_one("#field-deadline", Input).focus()
        await pilot.press(*"2026-12-20", "enter", *"王工", "enter")
        await pilot.pause()
        assert app.screen is not form
        assert app.conn.execute("SELECT status, rectifier FROM hazard WHERE id = ?", (first,)).fetchone()[:] == (
            "rectifying",
            "王工",
        )


async def test_a_batch_says_which_failed_and_why_and_keeps_them_marked(district_path):
    """Regression (issue 14): 'order: 3 of 5' named neither the two that failed nor why, and
    cleared their marks; a batch order of major hazards could never succeed (no 五落实 fields)."""
    app = make_app(district_path, sync_interval=0)
    general, major = (
        app.conn.execute("SELECT id FROM hazard WHERE status = 'reported' AND grade = ? LIMIT 1", (g,)).fetchone()[0]
        for g in ("general", "major")
    )
    rectifying = app.conn.execute("SELECT id FROM hazard WHERE status = 'rectifying' LIMIT 1").fetchone()[0]
    async with app.run_test(size=SIZE) as pilot:
        hazards = app.screen.query_one(HazardList)
        hazards.marked.update({general, major, rectifying})
        await pilot.press("a")
        await pilot.pause()
        form = app.screen
        form.query_one("#field-action", Select).value = "order"
        await pilot.pause()
        assert form.query_one("#field-measures").display  # a major hazard is marked: the five implementations
        form.query_one("#field-rectifier", Input).value = "王伟"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.conn.execute("SELECT status, rectifier FROM hazard WHERE id = ?", (general,)).fetchone()[:] == (
            "rectifying",
            "王伟",
        )
        assert hazards.marked == {major, rectifying}  # the two not ordered stay marked
        message = [n.message for n in app._notifications][-1]
        assert "1 / 3" in message and "five implementations" in message and "cannot order" in message


async def test_an_inspection_walks_the_checklist_and_resumes_after_being_interrupted(district_path):
    app = make_app(district_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        tasks = app.screen.query_one(DataTable)
        assert tasks.row_count > 0
        await pilot.press("enter")
        run = app.screen
        assert isinstance(run, InspectionRunScreen)
        inspection_id = run.inspection_id
        await pilot.press("p", "n")
        await pilot.press("f")  # a failed item opens a pre-filled hazard
        form = app.screen
        assert isinstance(form, NewHazardScreen)
        assert form.query_one("#field-description", Input).value.startswith("不符合：")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert (
            app.conn.execute("SELECT count(*) FROM hazard WHERE inspection_id = ?", (inspection_id,)).fetchone()[0] == 1
        )
    # The app is closed mid-inspection; the next start resumes it with its results.
    again = make_app(district_path)
    async with again.run_test(size=SIZE) as pilot:
        await pilot.press("i", "enter")
        assert isinstance(again.screen, InspectionRunScreen) and again.screen.inspection_id == inspection_id
        results = [i["result"] for i in again.screen.items()]
        assert results[:3] == ["pass", "na", "fail"]
        await pilot.press("F")  # items left: refused at once, saying how many (issue 14: it used to ask first)
        assert isinstance(again.screen, InspectionRunScreen)
        assert any("items have no result yet" in n.message for n in again._notifications)
        for _ in results[3:]:
            await pilot.press("p")
        await pilot.press("F", "ctrl+s")
        await pilot.pause()
        inspection = again.conn.execute(
            "SELECT status, task_id FROM inspection WHERE id = ?", (inspection_id,)
        ).fetchone()
        assert inspection["status"] == "finished"
        task = again.conn.execute("SELECT status FROM task WHERE id = ?", (inspection["task_id"],)).fetchone()
        assert task["status"] == "done"


async def test_units_directory_searches_and_shows_a_unit(district_path):
    app = make_app(district_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("u", "slash", *"化工", "enter")
        table = app.screen.query_one(DataTable)
        assert table.row_count > 0 and all("化工" in str(table.get_row_at(i)[3]) for i in range(table.row_count))
        await pilot.press("enter")
        assert "main:" in str(app.screen.query_one("#card").render())
        assert "Open hazards" in str(app.screen.query_one("#hazards-title").render())


async def test_a_unit_is_inspected_and_its_hazards_opened_from_the_units_screen(district_path):
    """Regression (issue 14): the units screen was read only; a unit no plan lists could not be inspected."""
    from tui.screens.units import UnitScreen

    app = make_app(district_path, sync_interval=0)
    unit = app.conn.execute(
        "SELECT u.id FROM unit u WHERE EXISTS (SELECT 1 FROM hazard h WHERE h.unit_id = u.id AND h.status = 'reported')"
        " LIMIT 1"
    ).fetchone()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(UnitScreen(unit["id"]))
        await pilot.pause()
        await pilot.press("enter")  # the first open hazard
        assert isinstance(app.screen, HazardScreen) and app.screen.hazard["unit_id"] == unit["id"]
        await pilot.press("escape", "i")
        assert isinstance(app.screen, InspectionRunScreen)
        inspection = app.conn.execute(
            "SELECT unit_id, task_id FROM inspection WHERE id = ?", (app.screen.inspection_id,)
        )
        assert tuple(inspection.fetchone()) == (unit["id"], None)
        await pilot.press("escape", "n")
        assert isinstance(app.screen, NewHazardScreen) and app.screen.unit_id == unit["id"]


async def test_help_lists_every_active_binding_of_the_screen(district_path):
    app = make_app(district_path)
    async with app.run_test(size=SIZE) as pilot:
        triage = app.screen
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        listed = {binding_id for _key, _description, binding_id in help_rows(triage)}
        active = {b.binding.id or b.binding.action for b in triage.active_bindings.values()}
        assert active <= listed and "triage.filter" in listed
        text = str(app.screen.query_one("Static").render())
        assert all(binding_id in text for binding_id in listed)


def binding_classes() -> list[type]:
    """Every class of ours that declares key bindings, in every module of `tui` (screens, the
    office's screens, widgets, the app): a new screen is covered without being listed here."""
    classes = []
    for info in pkgutil.walk_packages(tui.__path__, "tui."):
        if info.name.endswith("__main__"):
            continue  # importing it runs the CLI
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, type) and value.__module__ == info.name and "BINDINGS" in value.__dict__:
                classes.append(value)
    return classes


def test_every_binding_has_an_id_and_a_description():
    classes = binding_classes()
    names = {cls.__name__ for cls in classes}
    assert {"SafeCityApp", "TriageScreen", "EscalationsScreen", "LookbackScreen", "ReviewScreen"} <= names
    for cls in classes:
        for binding in cls.__dict__["BINDINGS"]:
            assert isinstance(binding, Binding) and binding.id, f"{cls.__name__}: {binding} has no id"
            assert binding.description, f"{cls.__name__}: {binding.id} has no description"


def test_every_binding_can_be_remapped_from_the_keymap():
    """The keymap check knows every binding of every screen (a screen missing from the registry
    would make its keys impossible to remap)."""
    declared = {b.id for cls in binding_classes() for b in cls.__dict__["BINDINGS"]}
    assert declared - all_binding_ids(SafeCityApp) == set()


async def test_a_keymap_remaps_a_binding(district_path):
    app = make_app(district_path, keymap={"list.down": "ctrl+n", "triage.filter": "f"})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+n", "ctrl+n")
        assert app.screen.query_one(HazardList).cursor == 2
        await pilot.press("f")
        assert app.screen.query_one("#filter", Input).has_focus


def test_an_unknown_binding_in_the_keymap_is_an_error_at_start(district_path):
    with pytest.raises(ConfigError, match="names no binding triage.fly"):
        make_app(district_path, keymap={"triage.fly": "x"})
    assert "triage.filter" in all_binding_ids()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param('language = "fr"', 'language must be "en" or "zh"', id="language"),
        pytest.param("colour = 1", "unknown setting colour", id="unknown-setting"),
        pytest.param("sync_interval = -5", "sync_interval must be", id="interval"),
        pytest.param("language = ", "cannot read settings", id="not-toml"),
    ],
)
def test_bad_settings_are_a_clear_error(tmp_path, text, message):
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load(path)


async def test_chinese_labels(district_path):
    app = make_app(district_path, language="zh")
    async with app.run_test(size=SIZE):
        title = str(app.screen.query_one("#title").render())
        assert "隐患分诊" in title and "条隐患" in title
        assert "待同步" in str(app.screen.query_one(StatusLine).render())


def test_both_languages_have_the_same_labels():
    from tui.i18n import LABELS

    assert set(LABELS["en"]) == set(LABELS["zh"])


async def test_the_status_line_counts_pending_changes(district_path):
    app = make_app(district_path)
    async with app.run_test(size=SIZE) as pilot:
        assert "pending 0" in str(app.screen.query_one(StatusLine).render())
        app.push_screen(HazardScreen(open_hazard_id(app.conn, "reported")))
        await pilot.pause()
        await pilot.press("v")
        app.screen.query_one("#field-reason", Input).value = "not a hazard"
        await pilot.press("ctrl+s", "y")  # void: asked once more
        await pilot.pause()
        assert "pending 1" in str(app.screen.query_one(StatusLine).render())


def test_a_missing_database_is_one_clear_line(tmp_path):
    from tui.launch import run_app

    with pytest.raises(DomainError, match="no database at"):
        run_app(tmp_path / "nothing.db")


async def test_a_conflict_is_resolved_in_the_inbox_and_goes_out_with_the_next_sync(tmp_path, monkeypatch):
    from sync.laptop import enrolment as laptop
    from tests.sync.harness import District

    district = District(tmp_path / "district")
    try:
        a = district.laptop("insp.a")
        office = district.laptop("office", role="supervisor", areas=())
        hazard_id = a.add(district.unit_in("xinhe"), "消防通道堵塞")
        a.sync()
        office.sync()
        a.edit(hazard_id, rectifier="王伟")
        office.edit(hazard_id, rectifier="李娜")
        office.sync()
        a.sync()
        monkeypatch.setattr(
            laptop,
            "client_for",
            lambda conn, path, http=None, **_files: a.client.__class__(
                conn, a.http, token=a.client.token, sleep=lambda _s: None
            ),
        )
        app = SafeCityApp(a.path, Settings(sync_interval=0), today=TODAY)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("c")
            assert isinstance(app.screen, ConflictsScreen)
            row = app.screen.query_one(DataTable).get_row_at(0)
            assert row[1] == "rectifier" and "王伟" in str(row[3]) and "李娜" in str(row[4])
            await pilot.press("m")
            app.screen.query_one("#field-reason", Input).value = "王伟 is on site"
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert app.screen.query_one(DataTable).row_count == 0
            await pilot.press("s")  # sync now, in the background
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert "pending 0" in str(app.screen.query_one(StatusLine).render())
            # Regression (issue 14): `s` said nothing when it worked.
            assert any(n.message.startswith("synced: sent 2") for n in app._notifications)
        assert district.server_hazard(hazard_id)["rectifier"] == "王伟"
        office.sync()
        assert office.hazard(hazard_id)["rectifier"] == "王伟"
    finally:
        district.close()


async def test_a_long_list_scrolls_past_the_counted_rows_to_the_real_end(district_path, monkeypatch):
    from tui.screens import triage as screens

    monkeypatch.setattr(screens, "COUNT_CAP", 50)  # the district has 300 hazards, about 180 open
    app = make_app(district_path)
    async with app.run_test(size=SIZE) as pilot:
        hazards = app.screen.query_one(HazardList)
        assert "50+" in str(app.screen.query_one("#title").render())
        real = app.conn.execute(
            "SELECT count(*) FROM hazard WHERE status IN ('reported', 'rectifying', 'awaiting_verification')"
        ).fetchone()[0]
        await pilot.press("G")
        assert hazards.exact and hazards.count == real and hazards.cursor == real - 1
        assert hazards.row(real - 1) is not None and hazards.row(real) is None


async def test_a_background_failure_is_shown_and_the_app_stays_open(district_path, monkeypatch):
    """Regression (issue 13): a worker error other than a DomainError closed the whole app."""
    from schema.office import reports

    def broken(*_args, **_kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(reports, "summary", broken)
    app = make_app(district_path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("D")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running and app.return_code is None
        assert any("disk on fire" in n.message for n in app._notifications)
        await pilot.press("escape", "t")
        assert app.screen.query_one(HazardList).row(0)  # and it still works


async def test_the_status_line_counts_a_new_hazard_at_once_on_every_screen(district_path):
    from tests.tui.test_forms import open_new_hazard_form

    """A saved form posts RecordChanged; the app recomputes the status line, which every screen
    shows (it used to stay at the old pending count until something else refreshed it)."""
    app = make_app(district_path)
    async with app.run_test(size=SIZE) as pilot:
        before = app.status_text
        await open_new_hazard_form(pilot, app)
        app.screen.query_one("#field-description", Input).value = "消防通道堵塞"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.status_text != before and "pending 1" in app.status_text
        assert "pending 1" in str(app.screen.query_one(StatusLine).render())


@pytest.mark.parametrize("view", ["inspections", "units", "escalations", "listings"])
async def test_j_k_g_G_move_in_every_list(district_path, view):
    """Regression (issue 14): j/k did not move in today's inspections or the checklist (arrows only)."""
    from tui.widgets.table import RecordTable

    app = make_app(district_path, sync_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press({"inspections": "i", "units": "u", "escalations": "E", "listings": "L"}[view])
        await pilot.pause()
        table = app.screen.query_one(RecordTable)
        table.focus()
        assert table.row_count > 2
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1
        await pilot.press("G")
        assert table.cursor_row == table.row_count - 1
        await pilot.press("g")
        assert table.cursor_row == 0


async def test_j_and_k_move_on_the_checklist(district_path):
    app = make_app(district_path, sync_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i", "enter")
        assert isinstance(app.screen, InspectionRunScreen)
        table = app.screen.query_one(DataTable)
        start = table.cursor_row
        await pilot.press("j", "j", "k")
        assert table.cursor_row == start + 1


async def test_overdue_tasks_say_so(district_path):
    app = make_app(district_path, sync_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        table = app.screen.query_one(DataTable)
        due = [str(table.get_row_at(n)[0]) for n in range(table.row_count)]
        assert any("Overdue" in d for d in due) and any("Overdue" not in d for d in due)


async def test_s_on_a_standalone_laptop_says_how_to_enrol(district_path):
    app = make_app(district_path, sync_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        assert any("safecity init" in n.message for n in app._notifications)


async def test_the_command_palette_holds_the_apps_own_commands(district_path):
    app = make_app(district_path, sync_interval=0)
    async with app.run_test(size=SIZE):
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {"Go to: Units", "Go to: Escalation proposals", "Sync now", "Language: 中文"} <= set(titles)


async def test_the_language_is_switched_in_the_app_and_kept(district_path, tmp_path, monkeypatch):
    """Regression (issue 14): the language could only be changed in the config file."""
    from tui.i18n import set_language

    settings = tmp_path / "config.toml"
    settings.write_text('sync_interval = 0\n[keymap]\n"triage.filter" = "slash"\n')
    monkeypatch.setenv("SAFECITY_CONFIG", str(settings))
    app = make_app(district_path, sync_interval=0)
    try:
        async with app.run_test(size=SIZE) as pilot:
            [switch] = [c for c in app.get_system_commands(app.screen) if c.title.startswith("Language")]
            switch.callback()
            await pilot.pause()
            assert app.title == "安全城市" and "待同步" in app.status_text
            assert isinstance(app.screen, TriageScreen)
        assert load(settings).language == "zh" and load(settings).keymap == {"triage.filter": "slash"}
    finally:
        set_language("en")


async def test_the_history_reads_in_peoples_words(district_path, monkeypatch):
    """Regression (issue 14): the history showed escaped JSON (five_implementations="{\\"responsibility...),
    UTC `...Z` times and raw kinds such as `sector_supervision`."""
    from schema.hazards import act
    from schema.rules import FIVE_IMPLEMENTATIONS

    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    app = make_app(district_path, sync_interval=0)
    hazard_id = app.conn.execute(
        "SELECT id FROM hazard WHERE status = 'reported' AND grade = 'major' LIMIT 1"
    ).fetchone()[0]
    five = {k: f"{k} 已落实" for k in FIVE_IMPLEMENTATIONS}
    act(app.writer, hazard_id, "order", {"rectifier": "王伟", "five_implementations": five}, today=TODAY)
    try:
        async with app.run_test(size=SIZE) as pilot:
            app.push_screen(HazardScreen(hazard_id))
            await pilot.pause()
            body = str(app.screen.query_one("#body").render())
            assert '\\\\"' not in body and '{"' not in body
            assert "五落实 measures: measures 已落实" in body
            assert "main responsibility" in body and "sector_supervision" not in body
            lines = body.splitlines()
            event = lines[lines.index("History") + 1]
            assert "Z" not in event and "T" not in event[:20] and "[pending]" in event
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_every_label_the_app_asks_for_has_its_chinese():
    """A t("key") anywhere in the app with no Chinese label fails here, not in front of a user."""
    import re

    from tui.i18n import LABELS

    asked = set()
    for path in (ROOT / "tui").rglob("*.py"):
        asked |= set(re.findall(r"""\bt\(["']([\w.]+)["']\)""", path.read_text()))
    assert len(asked) > 80
    assert sorted(asked - set(LABELS["zh"])) == []
    assert sorted(asked - set(LABELS["en"])) == []


async def test_the_first_day_crash_flow_keeps_the_app_and_the_record_true(district_path):
    """Regression (issue 14, point 1): i, Enter, f, ctrl+s, e, a note, Enter Enter ended the app
    (InvalidStateError) or recorded `pass` for an item nobody assessed."""
    from schema.inspections import checklist_items

    app = make_app(district_path, sync_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i", "enter", "f")
        await pilot.pause()
        await pilot.press("ctrl+s")  # the hazard of the failed item
        await pilot.pause()
        run = app.screen
        assert isinstance(run, InspectionRunScreen)
        await pilot.press("e", *"exit sign ok", "enter", "enter")
        await pilot.pause()
        assert app.is_running
        items = checklist_items(app.conn, run.inspection_id)
        assert items[0]["result"] == "fail"
        assert items[1]["result"] is None  # the next item, never assessed, reads nothing
        assert "has no result yet" in str(app.screen.query_one("#form-error").render())
        assert app.screen.query_one("#field-note", Input).value == "exit sign ok"  # nothing typed is lost


async def test_a_rewritten_server_record_is_the_first_thing_on_every_screens_status_line(district_path):
    """Issue 18: a laptop that saw the server's history rewritten says so loudly, on every screen,
    until a pull finds the log whole again (the alarm `sync.laptop.chain.watch` records)."""
    from schema.store.connection import connect as connect_db
    from schema.store.transactions import set_meta, transaction
    from sync.laptop.chain import LOG_ALARM

    conn = connect_db(district_path)
    with transaction(conn):
        set_meta(conn, LOG_ALARM, "2026-11-30T09:00:00Z its log of 290 entries does not extend the 290 this laptop saw")
    conn.close()
    app = make_app(district_path)
    async with app.run_test(size=SIZE) as pilot:
        assert app.status_text.startswith("⚠ ALARM: the district server's record was rewritten")
        await pilot.press("i")
        await pilot.pause()
        assert "ALARM" in str(app.screen.query_one(StatusLine).render())
