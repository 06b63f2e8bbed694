"""Today's inspections: start one, walk the unit's pinned checklist, finish with a summary.

Each item's result is an append-only record committed the moment its key is pressed, so an
inspection interrupted by a closed lid or a crash resumes exactly where it stopped: opening the
task again finds the inspection still `in_progress` with its results. A failed item opens a new
hazard form pre-filled with the unit, the criterion and its text.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from schema.inspections import (
    checklist_items,
    due_tasks,
    finish_inspection,
    hazard_draft,
    progress,
    record_result,
    start_inspection,
    unanswered,
)
from tui.context import RecordChanged, session
from tui.i18n import language, status_label, t
from tui.phrases import area_label
from tui.screens.detail import NewHazardScreen
from tui.screens.evidence import AttachScreen
from tui.screens.forms import FormScreen
from tui.widgets.chrome import chrome
from tui.widgets.table import RecordTable

RESULT_LABELS = {"pass": "✔ pass", "fail": "✘ fail", "na": "– n/a"}


class InspectionsScreen(Screen[None]):
    BINDINGS: ClassVar = [Binding("escape", "app.pop_screen", "Back", id="inspections.back")]

    def compose(self) -> ComposeResult:
        yield Static(t("today_tasks"), classes="title")
        yield RecordTable(id="tasks", cursor_type="row")
        yield from chrome()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(t("deadline"), t("status"), t("area"), t("unit"), t("plan"))
        self.refresh_data()
        table.focus()

    def refresh_data(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for task in due_tasks(session(self).conn, session(self).today):
            due = f"{task['due_on']} ({t('overdue')})" if task["overdue"] else task["due_on"]
            table.add_row(
                due,
                status_label(task["status"]),
                area_label(task["area"]),
                task["unit_name"],
                task["plan_title"] or "",
                key=task["id"],
            )

    @on(DataTable.RowSelected, "#tasks")
    def start(self, event: DataTable.RowSelected) -> None:
        self.app.push_screen(
            InspectionRunScreen(start_inspection(session(self).writer, task_id=str(event.row_key.value)))
        )

    def on_screen_resume(self) -> None:
        self.refresh_data()


class InspectionRunScreen(Screen[None]):
    BINDINGS: ClassVar = [
        Binding("p", "record('pass')", "Pass", id="inspection.pass"),
        Binding("f", "record('fail')", "Fail", id="inspection.fail"),
        Binding("n", "record('na')", "Not applicable", id="inspection.na"),
        Binding("e", "note", "Note", id="inspection.note"),
        Binding("F", "finish", "Finish", id="inspection.finish"),
        Binding("a", "attach", "Attach photo", id="inspection.attach"),
        Binding("escape", "app.pop_screen", "Back (resume later)", id="inspection.back"),
    ]

    def __init__(self, inspection_id: str):
        super().__init__()
        self.inspection_id = inspection_id

    def compose(self) -> ComposeResult:
        yield Static(id="title", classes="title")
        yield RecordTable(id="items", cursor_type="row")
        yield from chrome()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("code", t("checklist"), t("result"), t("note"))
        self.refresh_data()
        undone = [n for n, item in enumerate(self.items()) if not item["result"]]
        table.move_cursor(row=undone[0] if undone else 0)  # resume where the inspector stopped
        table.focus()

    def items(self) -> list[dict[str, Any]]:
        return checklist_items(session(self).conn, self.inspection_id)

    def refresh_data(self) -> None:
        inspection = session(self).writer.get("inspection", self.inspection_id)
        unit = session(self).writer.get("unit", inspection["unit_id"])
        items = self.items()
        done = sum(1 for i in items if i["result"])
        self.query_one("#title", Static).update(
            f"{t('inspections')} — {unit['name']} — {done}/{len(items)} — {status_label(inspection['status'])}"
        )
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

    def action_record(self, result: str) -> None:
        item = self.current()
        if item is None:
            return
        record_result(session(self).writer, self.inspection_id, item["id"], result)
        self.post_message(RecordChanged())
        self.refresh_data()
        if result == "fail":
            draft = hazard_draft(session(self).conn, self.inspection_id, item["id"])
            self.app.push_screen(
                NewHazardScreen(
                    draft["unit_id"],
                    draft["description"],
                    inspection_id=self.inspection_id,
                    criterion_id=draft["criterion_id"],
                    grade=draft["grade"],
                ),
                lambda _hazard: self.query_one(DataTable).action_cursor_down(),  # on to the next item
            )
        else:
            self.query_one(DataTable).action_cursor_down()

    def action_note(self) -> None:
        item = self.current()
        if item is None:
            return
        # An unanswered item still opens the form: the note typed goes into it (not to this screen's
        # p/f/n keys), and saving is refused there, in words, until the item has a result.

        def save(values: dict[str, str]) -> bool:
            record_result(session(self).writer, self.inspection_id, item["id"], note=values["note"])
            return True

        self.app.push_screen(
            FormScreen(f"{t('note')}: {item['code']}", [("note", t("note"), item["note"] or "")], save),
            lambda saved: self.refresh_data() if saved else None,
        )

    def action_attach(self) -> None:
        """A photo of the item as found (a failed item's problem, a fire door's state)."""
        item = self.current()
        if item is None:
            return
        if not item["result_id"]:
            self.notify(t("attach.record_first"), severity="warning")
            return
        dialog = AttachScreen(
            f"{t('attach.title')}: {item['code']}",
            [(item["code"], item["result_id"])],
            ["before", "evidence"],
            "before",
        )
        self.app.push_screen(dialog, lambda ids: self.refresh_data() if ids else None)

    def action_finish(self) -> None:
        items = self.items()
        codes = unanswered(items)
        if codes:  # said at once, before a summary is asked for
            self.notify(
                f"{len(codes)} / {len(items)}: {t('items_unanswered')} ({', '.join(codes[:5])})", severity="warning"
            )
            return

        def finish(values: dict[str, str]) -> bool:
            finish_inspection(session(self).writer, self.inspection_id, values["summary"])
            return True

        summary = t("inspection.summary").format(**progress(items))  # the record, in the inspector's words
        self.app.push_screen(
            FormScreen(f"{t('summary')}: {summary}", [("summary", t("summary"), summary)], finish),
            self._finished,
        )

    def _finished(self, finished: bool | None) -> None:
        if finished:
            self.app.pop_screen()
