"""A screen that is one table of records under a title: the skeleton the office's lists share.

Who uses this: the escalation, extension, listing and look-back screens. A subclass says what
its records are (`load`), how one is shown (`COLUMNS`, `cells`) and what a key does; this class
composes the screen, fills and refills the table, finds the record under the cursor, filters the
rows by what is typed after `/` (every word must appear in the row: an area, a unit, a step),
sorts them by a column (`o` moves to the next column, again to reverse), lets the user mark rows
(space) for a decision taken on all of them at once, and refreshes after a form changed something.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from tui.context import RecordChanged
from tui.i18n import t
from tui.widgets.chrome import chrome
from tui.widgets.table import RecordTable


class RecordsScreen(Screen[None]):
    BINDINGS: ClassVar = [
        Binding("slash", "filter", "Filter", id="records.filter"),
        Binding("o", "sort", "Sort", id="records.sort"),
    ]

    TITLE_KEY: ClassVar[str] = ""
    """Label key of the screen's title."""
    COLUMNS: ClassVar[tuple[str, ...]] = ()
    """Label keys of the columns."""
    LIMIT: ClassVar[int | None] = None
    """Show at most this many rows (the rest are reachable from the CLI)."""
    OPENS_HAZARD: ClassVar[bool] = True
    """Enter opens the hazard a record is about (its `hazard_id`)."""

    everything: list[dict[str, Any]]
    """The records as loaded."""
    records: list[dict[str, Any]]
    """Those the filter keeps, in the table's order (what `current` reads)."""

    marked: set[str]
    """Keys (`record_key`) of the rows marked for a decision on all of them."""
    sort_column: int | None = None
    sort_reverse = False

    def record_key(self, record: dict[str, Any]) -> str:
        """What identifies a record across refreshes (a mark survives a refresh)."""
        return str(record.get("hazard_id") or record.get("id"))

    def compose(self) -> ComposeResult:
        self.marked = set()
        yield Static(t(self.TITLE_KEY), classes="title")
        yield Input(placeholder=t("records.filter"), id="records-filter")
        yield RecordTable(classes="records", cursor_type="row")
        yield from chrome()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(*(t(key) for key in self.COLUMNS))
        self.refresh_data()
        self.query_one(DataTable).focus()

    def load(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def cells(self, record: dict[str, Any]) -> tuple[Any, ...]:
        raise NotImplementedError

    def refresh_data(self) -> None:
        """Load the records again (after a change) and show those the filter keeps."""
        self.everything = self.load()
        self._show()

    def _show(self) -> None:
        """Fill the table with the loaded records the filter keeps (a keystroke queries nothing)."""
        table = self.query_one(DataTable)
        table.clear()
        words = self.query_one("#records-filter", Input).value.casefold().split()
        self.records = [r for r in self.everything if self._matches(r, words)]
        if self.sort_column is not None:
            column = self.sort_column
            self.records.sort(key=lambda r: _sort_key(self.cells(r)[column]), reverse=self.sort_reverse)
        for record in self.records[: self.LIMIT]:
            cells = list(self.cells(record))
            if self.record_key(record) in self.marked:
                cells[0] = f"• {cells[0]}"
            table.add_row(*cells)
        shown = len(self.records[: self.LIMIT])
        count = f"{shown}" if shown == len(self.everything) else f"{shown} / {len(self.everything)}"
        marked = f"  •  {len(self.marked)} {t('marked')}" if self.marked else ""
        order = ""
        if self.sort_column is not None:
            arrow = "↓" if self.sort_reverse else "↑"
            order = f"  {t('sorted_by')} {t(self.COLUMNS[self.sort_column])} {arrow}"
        self.query_one(".title", Static).update(f"{t(self.TITLE_KEY)} ({count}){marked}{order}")

    def action_sort(self) -> None:
        """By the first column, then reversed, then by the next column, and so on."""
        if self.sort_column is None:
            self.sort_column, self.sort_reverse = 0, False
        elif not self.sort_reverse:
            self.sort_reverse = True
        else:
            self.sort_column, self.sort_reverse = (self.sort_column + 1) % len(self.COLUMNS), False
        self._show()

    def toggle_mark(self) -> None:
        """Space on a markable list: mark the row under the cursor (or unmark it), then move down."""
        record = self.current()
        if record is None:
            return
        key = self.record_key(record)
        self.marked.symmetric_difference_update({key})
        table = self.query_one(DataTable)
        row = table.cursor_row
        self._show()
        table.move_cursor(row=min(row + 1, len(self.records) - 1))

    def _matches(self, record: dict[str, Any], words: list[str]) -> bool:
        text = " ".join(str(cell) for cell in self.cells(record)).casefold()
        return all(word in text for word in words)

    def action_filter(self) -> None:
        box = self.query_one("#records-filter", Input)
        box.add_class("visible")
        self.set_focus(box)  # now, not after a refresh: the keys typed after `/` belong to the box

    @on(Input.Changed, "#records-filter")
    def filter_changed(self) -> None:
        self._show()

    @on(Input.Submitted, "#records-filter")
    def filter_done(self) -> None:
        self.query_one(DataTable).focus()

    def current(self) -> dict[str, Any] | None:
        """The record under the cursor, if there is one."""
        return self.records[self.query_one(DataTable).cursor_row] if self.records else None

    @on(DataTable.RowSelected)
    def open_hazard(self) -> None:
        """Enter opens the hazard behind the record (a proposal, a request, a listing)."""
        from tui.screens.detail import HazardScreen

        record = self.current()
        if self.OPENS_HAZARD and record and record.get("hazard_id"):
            self.app.push_screen(HazardScreen(str(record["hazard_id"])))

    def changed(self, result: Any) -> None:
        """After a form: show the new state and the new pending count."""
        if result is not None:
            self.refresh_data()
            self.post_message(RecordChanged())


def _sort_key(cell: Any) -> tuple[int, float, str]:
    """Numbers by their value (`+12天`, `1,204`, `85.0%`), everything else as text after them."""
    text = str(cell)
    digits = "".join(ch for ch in text if ch.isdigit() or ch in ".-")
    try:
        return (0, float(digits), text)
    except ValueError:
        return (1, 0.0, text)
