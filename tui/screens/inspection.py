"""Today's inspections: start one, walk the unit's pinned checklist, finish with a summary.

Each item's result is an append-only record committed the moment its key is pressed, so an
inspection interrupted by a closed lid or a crash resumes exactly where it stopped: opening the
task again finds the inspection still `in_progress` with its results. A failed item opens a new
hazard form pre-filled with the unit, the criterion and its text.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from schema.errors import DomainError
from schema.writes import utc_now
from tui.context import RecordChanged, session
from tui.i18n import language, t
from tui.screens.detail import FormScreen, NewHazardScreen
from tui.widgets.chrome import chrome

RESULT_LABELS = {"pass": "✔ pass", "fail": "✘ fail", "na": "– n/a"}


class InspectionsScreen(Screen[None]):
    BINDINGS: ClassVar = [Binding("escape", "app.pop_screen", "Back", id="inspections.back")]

    def compose(self) -> ComposeResult:
        yield Static(t("today_tasks"), classes="title")
        yield DataTable(id="tasks", cursor_type="row")
        yield from chrome()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(t("deadline"), t("status"), t("area"), t("unit"), "plan")
        self.refresh_data()
        table.focus()

    def refresh_data(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        rows = session(self).conn.execute(
            "SELECT t.id, t.due_on, t.status, t.area, u.name, p.title FROM task t JOIN unit u ON u.id = t.unit_id"
            " LEFT JOIN plan p ON p.id = t.plan_id WHERE t.status IN ('planned', 'in_progress') AND t.due_on <= ?"
            " ORDER BY t.status = 'in_progress' DESC, t.due_on, u.name LIMIT 500",
            (session(self).today.isoformat(),),
        ).fetchall()
        for r in rows:
            table.add_row(r["due_on"], r["status"], r["area"], r["name"], r["title"] or "", key=r["id"])

    @on(DataTable.RowSelected, "#tasks")
    def start(self, event: DataTable.RowSelected) -> None:
        self.app.push_screen(InspectionRunScreen(start_or_resume(self.app, str(event.row_key.value))))

    def on_screen_resume(self) -> None:
        self.refresh_data()


def start_or_resume(app: Any, task_id: str) -> str:
    """The task's inspection in progress, or a new one pinned to the unit's newest checklist."""
    found = app.conn.execute("SELECT id FROM inspection WHERE task_id = ? AND status = 'in_progress'", (task_id,)).fetchone()
    if found:
        return found["id"]
    task = app.writer.get("task", task_id)
    unit = app.writer.get("unit", task["unit_id"])
    checklist = app.conn.execute("SELECT id FROM checklist WHERE industry = ? ORDER BY edition DESC LIMIT 1",
                                 (unit["industry"],)).fetchone()
    with app.writer.transaction():
        inspection_id = app.writer.create("inspection", {
            "task_id": task_id, "unit_id": unit["id"], "inspectors": json.dumps([app.writer.actor.login]),
            "checklist_id": checklist["id"] if checklist else None, "started_at": utc_now(), "status": "in_progress"})
        app.writer.update("task", task_id, {"status": "in_progress"})
    return inspection_id


class InspectionRunScreen(Screen[None]):
    BINDINGS: ClassVar = [
        Binding("p", "record('pass')", "Pass", id="inspection.pass"),
        Binding("f", "record('fail')", "Fail", id="inspection.fail"),
        Binding("n", "record('na')", "Not applicable", id="inspection.na"),
        Binding("e", "note", "Note", id="inspection.note"),
        Binding("F", "finish", "Finish", id="inspection.finish"),
        Binding("escape", "app.pop_screen", "Back (resume later)", id="inspection.back"),
    ]

    def __init__(self, inspection_id: str):
        super().__init__()
        self.inspection_id = inspection_id

    def compose(self) -> ComposeResult:
        yield Static(id="title", classes="title")
        yield DataTable(id="items", cursor_type="row")
        yield from chrome()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("code", t("checklist"), t("result"), t("note"))
        self.refresh_data()
        undone = [n for n, item in enumerate(self.items()) if not item["result"]]
        table.move_cursor(row=undone[0] if undone else 0)  # resume where the inspector stopped
        table.focus()

    def items(self) -> list[Any]:
        return session(self).conn.execute(
            "SELECT c.id, c.code, c.text_zh, c.text_en, c.major_if_failed,"
            " (SELECT r.result FROM inspection_result r WHERE r.inspection_id = :i AND r.criterion_id = c.id"
            "  ORDER BY r.recorded_at DESC, r.rowid DESC LIMIT 1) AS result,"
            " (SELECT r.note FROM inspection_result r WHERE r.inspection_id = :i AND r.criterion_id = c.id"
            "  ORDER BY r.recorded_at DESC, r.rowid DESC LIMIT 1) AS note"
            " FROM criterion c WHERE c.checklist_id = (SELECT checklist_id FROM inspection WHERE id = :i) ORDER BY c.code",
            {"i": self.inspection_id},
        ).fetchall()

    def refresh_data(self) -> None:
        inspection = session(self).writer.get("inspection", self.inspection_id)
        unit = session(self).writer.get("unit", inspection["unit_id"])
        items = self.items()
        done = sum(1 for i in items if i["result"])
        self.query_one("#title", Static).update(
            f"{t('inspections')} — {unit['name']} — {done}/{len(items)} — {inspection['status']}")
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for item in items:
            text = item["text_zh"] if language() == "zh" else item["text_en"]
            table.add_row(item["code"], text, RESULT_LABELS.get(item["result"], ""), item["note"] or "", key=item["id"])
        table.move_cursor(row=min(row, len(items) - 1))

    def current(self) -> Any:
        table = self.query_one(DataTable)
        items = self.items()
        return items[table.cursor_row] if items else None

    def action_record(self, result: str, note: str | None = None) -> None:
        item = self.current()
        if item is None:
            return
        session(self).writer.create("inspection_result", {
            "inspection_id": self.inspection_id, "criterion_id": item["id"], "result": result,
            "note": note if note is not None else item["note"], "recorded_at": utc_now()})
        self.refresh_data()
        if result == "fail":
            inspection = session(self).writer.get("inspection", self.inspection_id)
            self.app.push_screen(NewHazardScreen(
                inspection["unit_id"], f"不符合：{item['text_zh']} / {item['text_en']}",
                inspection_id=self.inspection_id, criterion_id=item["id"],
                grade="major" if item["major_if_failed"] else "general"), lambda _id: self.post_message(RecordChanged()))
        else:
            self.query_one(DataTable).action_cursor_down()
        self.post_message(RecordChanged())

    def action_note(self) -> None:
        item = self.current()
        if item is None:
            return

        def save(values: dict[str, str]) -> bool:
            self.action_record(item["result"] or "na", values["note"])
            return True

        self.app.push_screen(FormScreen(f"{t('note')}: {item['code']}", [("note", t("note"), item["note"] or "")], save))

    def action_finish(self) -> None:
        items = self.items()
        open_items = [i["code"] for i in items if not i["result"]]
        fails = sum(1 for i in items if i["result"] == "fail")

        def finish(values: dict[str, str]) -> bool:
            if open_items:
                raise DomainError(f"{len(open_items)} item(s) have no result yet: {', '.join(open_items[:5])}")
            writer = session(self).writer
            with writer.transaction():
                inspection = writer.get("inspection", self.inspection_id)
                writer.update("inspection", self.inspection_id, {
                    "status": "finished", "ended_at": utc_now(), "summary": values["summary"] or None})
                if inspection["task_id"]:
                    writer.update("task", inspection["task_id"], {"status": "done"})
            return True

        summary = f"{len(items) - len(open_items)}/{len(items)} checked, {fails} failed"
        self.app.push_screen(FormScreen(f"{t('summary')}: {summary}", [("summary", t("summary"), summary)], finish),
                             lambda done: self.app.pop_screen() if done else None)
