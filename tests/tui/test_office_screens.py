"""The office's screens driven by the keyboard: dashboard, escalations, extensions, listings, assessment."""

from __future__ import annotations

from textual.widgets import DataTable, Sparkline, Static, Tree

from schema.demo.district import seed
from schema.office import escalations, extensions, orders
from schema.office.reports import summary, totals, trend
from schema.periods import current_quarter
from schema.store.connection import connect
from schema.store.transactions import set_meta, transaction
from tests.conftest import TODAY
from tests.tui.test_app import SIZE, make_app
from tui.app import SETTLE_SECONDS
from tui.context import session
from tui.phrases import area_label
from tui.screens.detail import DocumentScreen, HazardScreen
from tui.screens.office.work import (
    AssessmentScreen,
    DashboardScreen,
    EscalationsScreen,
    ExtensionsScreen,
    ListingsScreen,
    rate_bars,
)
from tui.screens.triage import TriageScreen
from tui.widgets.hazard_list import HazardList


async def open_dashboard(pilot, app) -> None:  # type: ignore[no-untyped-def]
    """`D`, and wait for the figures computed off the UI thread."""
    await pilot.press("D")
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_the_dashboard_shows_this_quarters_figures_bars_and_trends(district_path):
    app = make_app(district_path, sync_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await open_dashboard(pilot, app)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        rows = summary(app.conn, current_quarter(TODAY), today=TODAY)
        assert f"found {totals(rows)['found']:,}" in str(screen.query_one("#kpis", Static).render())
        table = screen.query_one("#areas", DataTable)
        assert table.row_count == len(rows) + 1 > 10  # every area with hazards this quarter, and the total
        assert "█" in str(screen.query_one("#bars", Static).render())
        assert len(screen.query_one("#spark-found", Sparkline).data) == 12


def test_bars_put_the_area_furthest_behind_first_and_colour_it_against_the_target():
    rows = [
        {"name": "A", "rate": 0.95, "found": 10},
        {"name": "B", "rate": 0.5, "found": 10},
        {"name": "C", "rate": 0.8, "found": 10},
    ]
    bars = rate_bars(rows, width=10, target=0.9)
    lines = bars.plain.splitlines()
    assert [line[0] for line in lines] == ["B", "C", "A"]
    assert all(line[17 + 9] == "┃" for line in lines)  # the target, at 90 % of the bar
    colours = {span.style for span in bars.spans if span.style != "grey35" and span.style != "bold"}
    assert colours == {"red", "yellow", "green"}


async def test_the_dashboard_tells_its_two_overdue_figures_apart_and_gives_the_trend_a_scale(district_path):
    app = make_app(district_path, sync_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await open_dashboard(pilot, app)
        screen = app.screen
        rows = summary(app.conn, current_quarter(TODAY), today=TODAY)
        backlog = trend(app.conn, today=TODAY)[-1]["overdue"]
        kpis = str(screen.query_one("#kpis", Static).render())
        assert f"overdue of those found {totals(rows)['overdue']:,}" in kpis
        assert f"past deadline now (all) {backlog:,}" in kpis
        peak = max(m["found"] for m in trend(app.conn, today=TODAY))
        assert f"scale 0–{peak:,}" in str(screen.query_one("#scale-found", Static).render())


async def test_enter_on_an_areas_row_opens_that_areas_hazards(district_path):
    app = make_app(district_path, sync_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await open_dashboard(pilot, app)
        table = app.screen.query_one("#areas", DataTable)
        table.focus()
        first = summary(app.conn, current_quarter(TODAY), today=TODAY)[0]["key"]
        await pilot.press("enter")
        await pilot.pause()
        triage = app.screen
        assert isinstance(triage, TriageScreen)
        assert triage.query_one("#filter").value == f"area:{first}"
        hazards = triage.query_one(HazardList)
        shown = {hazards.row(i)["area"] for i in range(min(hazards.count, 20))}
        assert hazards.count > 0 and shown == {first}


def test_the_demo_district_closes_some_hazards_late():
    """Rectified equalled on time in every town: the seed never closed a hazard after its deadline."""
    conn = connect(":memory:")
    seed(conn, scale=2000, today=TODAY)
    rows = summary(conn, current_quarter(TODAY), today=TODAY)
    total = totals(rows)
    assert 0 < total["on_time"] < total["rectified"]


async def test_issuing_an_escalation_from_the_proposals_needs_a_reason(district_path):
    app = make_app(district_path, sync_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("E")
        screen = app.screen
        assert isinstance(screen, EscalationsScreen)
        first = screen.records[0]
        await pilot.press("i", "enter")  # no reason: refused inline, nothing written
        assert "reason" in str(app.screen.query_one("#form-error").render())
        await pilot.press(*"逾期未整改", "enter")
        await pilot.pause()
        record = escalations.list_escalations(app.conn, hazard_id=first["hazard_id"])[0]  # the newest
        assert (record["status"], record["level"], record["reason"]) == ("issued", first["level"], "逾期未整改")
        assert first["hazard_id"] not in {p["hazard_id"] for p in screen.records}


async def test_marked_proposals_are_decided_together_and_the_refused_stay_marked(district_path):
    app = make_app(district_path, sync_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("E")
        screen = app.screen
        assert isinstance(screen, EscalationsScreen)
        first, second, third = screen.records[:3]
        await pilot.press("space", "space", "space")
        assert screen.marked == {first["hazard_id"], second["hazard_id"], third["hazard_id"]}
        assert "3 marked" in str(screen.query_one(".title", Static).render())
        # Between marking and deciding, someone decided the third one already.
        escalations.decide_escalation(
            session(screen).writer,
            third["hazard_id"],
            issue=False,
            reason="handled",
            today=TODAY,
            level=third["level"],
        )
        before = len(escalations.list_escalations(app.conn))
        await pilot.press("I")
        await pilot.press("enter")  # no reason: refused in the form, nothing written
        assert len(escalations.list_escalations(app.conn)) == before
        await pilot.press(*"逾期未整改", "enter")
        await pilot.pause()
        issued = {e["hazard_id"] for e in escalations.list_escalations(app.conn) if e["status"] == "issued"}
        assert {first["hazard_id"], second["hazard_id"]} <= issued
        assert third["hazard_id"] not in issued
        assert screen.marked == {third["hazard_id"]}  # the refused one stays marked


async def test_o_sorts_an_office_list_by_its_columns(district_path):
    app = make_app(district_path, sync_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("E")
        screen = app.screen
        await pilot.press("o", "o")  # by days overdue, then the most overdue first
        days = [p["days_overdue"] for p in screen.records]
        assert days == sorted(days, reverse=True) and days[0] > days[-1]
        assert "sorted by" in str(screen.query_one(".title", Static).render())


async def test_an_inspector_is_told_that_escalation_is_the_offices(district_path):
    app = make_app(district_path, sync_interval=0)
    with transaction(app.conn):
        set_meta(app.conn, "server_url", "http://district.example")
        set_meta(app.conn, "role", "inspector")
    before = len(escalations.list_escalations(app.conn))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("E", "x", *"不予问责", "enter")
        assert "only a supervisor or admin" in str(app.screen.query_one("#form-error").render())
        assert len(escalations.list_escalations(app.conn)) == before


async def test_requesting_and_approving_an_extension_moves_the_deadline(district_path):
    app = make_app(district_path, sync_interval=0)
    hazard = app.conn.execute(
        "SELECT id, deadline FROM hazard WHERE status = 'rectifying' AND deadline >= ?"
        " AND id NOT IN (SELECT hazard_id FROM extension WHERE status = 'requested')"
        " ORDER BY deadline LIMIT 1",
        (TODAY.isoformat(),),
    ).fetchone()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(HazardScreen(hazard["id"]))
        await pilot.pause()
        await pilot.press("R", *"2027-01-20", "enter", *"设备采购", "enter")
        await pilot.pause()
        assert (
            app.conn.execute("SELECT deadline FROM hazard WHERE id = ?", (hazard["id"],)).fetchone()[0]
            == hazard["deadline"]
        )
        await pilot.press("X")
        screen = app.screen
        assert isinstance(screen, ExtensionsScreen)
        mine = next(i for i, e in enumerate(screen.records) if e["hazard_id"] == hazard["id"])
        screen.query_one(DataTable).move_cursor(row=mine)
        await pilot.press("y", *"同意", "enter")
        await pilot.pause()
        assert (
            app.conn.execute("SELECT deadline FROM hazard WHERE id = ?", (hazard["id"],)).fetchone()[0] == "2027-01-20"
        )
        assert hazard["id"] not in {e["hazard_id"] for e in extensions.list_extensions(app.conn)}


async def test_issuing_an_order_from_a_hazard_shows_the_document(district_path):
    app = make_app(district_path, sync_interval=0)
    hazard = app.conn.execute(
        "SELECT id FROM hazard WHERE status = 'reported' AND grade = 'general' LIMIT 1"
    ).fetchone()[0]
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(HazardScreen(hazard))
        await pilot.pause()
        await pilot.press("O", *"2026-12-31", "enter", *"张三", "enter")
        await pilot.pause()
        assert isinstance(app.screen, DocumentScreen)
        body = str(app.screen.query_one("#body", Static).render())
        assert "责令限期整改指令书" in body and "2026年12月31日" in body
        [order] = orders.list_orders(app.conn)
        assert order["hazard_ids"] == [hazard]


async def test_listings_open_the_hazard(district_path):
    app = make_app(district_path, sync_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("L")
        screen = app.screen
        assert isinstance(screen, ListingsScreen) and screen.query_one(DataTable).row_count == len(screen.records) > 0
        await pilot.press("enter")
        assert isinstance(app.screen, HazardScreen) and app.screen.hazard_id == screen.records[0]["hazard_id"]


async def test_the_assessment_tree_drills_down_to_the_evidence(district_path):
    app = make_app(district_path, sync_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("A")
        screen = app.screen
        assert isinstance(screen, AssessmentScreen)
        tree = screen.query_one(Tree)
        node = next(n for n in _nodes(tree.root) if n.data and n.data["code"] == "2.1")
        tree.move_cursor(node)
        await pilot.pause()
        text = str(screen.query_one("#evidence", Static).render())
        assert "2.1" in text and "overdue_hazards" in text and "hazard " in text


def _nodes(node):  # type: ignore[no-untyped-def]
    for child in node.children:
        yield child
        yield from _nodes(child)


async def test_the_dashboard_exports_this_quarters_html_report_beside_the_database(district_path):
    app = make_app(district_path, sync_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("D")
        await app.workers.wait_for_complete()
        await pilot.press("h")
        await app.workers.wait_for_complete()
        await pilot.pause()
    page = district_path.with_name("safecity-report-2026Q4.html").read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "<svg" in page


async def test_looking_back_records_a_review_items_and_a_recurrence(district_path):
    from schema.office.lookback import show_review
    from tui.screens.office.lookback import LookbackScreen, ReviewScreen

    app = make_app(district_path, sync_interval=0)
    closed = app.conn.execute(
        "SELECT id, unit_id FROM hazard WHERE status = 'closed' AND area = 'xinhe' LIMIT 1"
    ).fetchone()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("B")
        assert isinstance(app.screen, LookbackScreen)
        reviews = len(app.screen.records)
        await pilot.press("n", *"xinhe", "enter", *"新河回头看", "enter", "enter", "enter")
        await pilot.pause(SETTLE_SECONDS)  # an Enter right after a save is taken for the same press
        assert len(app.screen.records) == reviews + 1
        review = next(r for r in app.screen.records if r["title"] == "新河回头看")
        app.screen.query_one(DataTable).move_cursor(row=app.screen.records.index(review))
        await pilot.press("enter")
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press(
            "n",
            *"通道再次堵塞",
            "enter",
            "enter",
            "enter",
            "enter",
            "enter",
            *closed["id"],
            "enter",
            "backspace",
            "y",
            "enter",
        )
        await pilot.pause()
        [item] = show_review(app.conn, review["id"])["items"]
        new = app.conn.execute(
            "SELECT unit_id, linked_hazard_id, link_kind FROM hazard WHERE id = ?", (item["recurrence_id"],)
        ).fetchone()
        assert tuple(new) == (closed["unit_id"], closed["id"], "recurrence")
        await pilot.press("d", "enter")  # no evidence: refused inline
        assert "evidence" in str(app.screen.query_one("#form-error").render())
        await pilot.press(*"现场照片", "enter")
        await pilot.pause()
        assert show_review(app.conn, review["id"])["items"][0]["status"] == "done"


async def test_office_lists_name_the_area_and_the_hazard_count_their_rows_and_open_it(district_path):
    """Regression (issue 14): extension requests did not name their hazard; office lists had no
    area column, no counts and no way to open the hazard."""
    app = make_app(district_path, sync_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("X")
        screen = app.screen
        assert isinstance(screen, ExtensionsScreen)
        request = screen.records[0]
        row = screen.query_one(DataTable).get_row_at(0)
        assert request["description"] in row and area_label(request["area"]) in row
        assert f"({len(screen.records)})" in str(screen.query_one(".title", Static).render())
        await pilot.press("enter")
        assert isinstance(app.screen, HazardScreen) and app.screen.hazard_id == request["hazard_id"]
        await pilot.press("escape", "E")
        assert area_label(app.screen.records[0]["area"]) in app.screen.query_one(DataTable).get_row_at(0)


async def test_escalation_proposals_are_filtered_by_what_is_typed_after_slash(district_path):
    """Regression (issue 14): 575 escalation proposals with no filter."""
    app = make_app(district_path, sync_interval=0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("E")
        screen = app.screen
        everything = len(screen.records)
        decided = len(escalations.list_escalations(app.conn))
        await pilot.press("slash", *"xinhe")  # letters go into the filter, never to i (issue) or x (dismiss)
        await pilot.pause()
        assert 0 < len(screen.records) < everything and {p["area"] for p in screen.records} == {"xinhe"}
        assert f"({len(screen.records)} / {everything})" in str(screen.query_one(".title", Static).render())
        assert len(escalations.list_escalations(app.conn)) == decided  # the letters typed decided nothing
        await pilot.press("enter")  # back to the table
        assert screen.query_one(DataTable).has_focus
