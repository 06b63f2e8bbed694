"""The triage list: a virtual, keyboard-driven list of hazards read from SQLite a page at a time.

Why not DataTable: the stock DataTable builds and measures every row it holds; at 100,000
hazards that is seconds at start and memory for nothing. This widget knows only the row count
and renders the lines on screen, fetching pages of `PAGE` rows through `schema.queries` (each
an index-ordered query of a millisecond or two). Cells are cut and padded by display width, so
Chinese text lines up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.cells import set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tui.i18n import grade_label, status_label, t
from tui.phrases import area_label

PAGE = 100
COLUMNS = (("", 2), ("status", 14), ("grade", 8), ("deadline", 10), ("overdue", 7), ("area", 14), ("unit", 22))


def header_line() -> str:
    return "".join(set_cell_size(t(key) if key else "", width) + " " for key, width in COLUMNS) + t("description")


class HazardList(ScrollView, can_focus=True):
    """Rows come from `fetch(offset, limit)`; `count` is how many there are."""

    BINDINGS = [
        Binding("j,down", "cursor(1)", "Down", id="list.down", show=False),
        Binding("k,up", "cursor(-1)", "Up", id="list.up", show=False),
        Binding("g,home", "first", "First row", id="list.first", show=False),
        Binding("G,end", "last", "Last row", id="list.last", show=False),
        Binding("pagedown", "page(1)", "Page down", id="list.page_down", show=False),
        Binding("pageup", "page(-1)", "Page up", id="list.page_up", show=False),
        Binding("enter", "choose", "Open", id="list.open"),
        Binding("space", "mark", "Mark", id="list.mark"),
    ]

    cursor: reactive[int] = reactive(0)

    class Chosen(Message):
        """A hazard was opened (enter or double click)."""

        def __init__(self, hazard_id: str) -> None:
            super().__init__()
            self.hazard_id = hazard_id

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fetch: Callable[[int, int], list[dict[str, Any]]] = lambda offset, limit: []
        self.count = 0
        self.pages: dict[int, list[dict[str, Any]]] = {}
        self.marked: set[str] = set()
        self.exact = True

    def load(self, fetch: Callable[[int, int], list[dict[str, Any]]], count: int, *, exact: bool = True) -> None:
        """Show a new result: forget cached pages, keep nothing but the marks.

        `exact=False`: `count` is a lower bound; the list grows page by page as the cursor
        reaches the end, and learns the real count from the first short page.
        """
        self.fetch, self.count, self.pages, self.exact = fetch, count, {}, exact
        self.virtual_size = Size(self.size.width, count)
        self.cursor = min(self.cursor, max(count - 1, 0))
        if self.cursor == 0:
            self.scroll_to(y=0, animate=False)
        self.refresh()

    def row(self, index: int) -> dict[str, Any] | None:
        if not 0 <= index < self.count:
            return None
        page = index // PAGE
        if page not in self.pages:
            self.pages[page] = self.fetch(page * PAGE, PAGE)
            self._learn_count(page)
        rows = self.pages[page]
        offset = index - page * PAGE
        return rows[offset] if offset < len(rows) else None

    def _learn_count(self, page: int) -> None:
        if self.exact:
            return
        rows = len(self.pages[page])
        if rows < PAGE:
            self.count, self.exact = page * PAGE + rows, True
        elif (page + 1) * PAGE >= self.count:
            self.count = (page + 2) * PAGE  # at least one more page: look when we get there
        self.virtual_size = Size(self.size.width, self.count)

    @property
    def current(self) -> dict[str, Any] | None:
        return self.row(self.cursor)

    def render_line(self, y: int) -> Strip:
        index = int(self.scroll_offset.y) + y
        width = self.size.width
        hazard = self.row(index)
        if hazard is None:
            return Strip.blank(width)
        style = Style(bold=hazard["grade"] == "major", color="red" if hazard["overdue"] else None)
        if index == self.cursor:
            style += Style(reverse=True) if self.has_focus else Style(underline=True)
        overdue = f"+{hazard['days_overdue']}{t('days')}" if hazard["overdue"] else ""
        cells = [
            "●" if hazard["id"] in self.marked else "",
            status_label(hazard["status"]),
            grade_label(hazard["grade"]),
            hazard["deadline"] or "-",
            overdue,
            area_label(hazard["area"]),
            hazard["unit_name"] or "",
        ]
        text = "".join(set_cell_size(value, w) + " " for value, (_key, w) in zip(cells, COLUMNS, strict=True))
        text += hazard["description"]
        return Strip([Segment(set_cell_size(text, width), style)], width)

    def watch_cursor(self, old: int, new: int) -> None:
        if new < self.scroll_offset.y:
            self.scroll_to(y=new, animate=False)
        elif new >= self.scroll_offset.y + self.size.height:
            self.scroll_to(y=new - self.size.height + 1, animate=False)
        self.refresh()

    def action_cursor(self, step: int) -> None:
        if self.count:
            self.cursor = max(0, min(self.count - 1, self.cursor + step))

    def action_page(self, direction: int) -> None:
        self.action_cursor(direction * max(1, self.size.height - 1))

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        while not self.exact:  # the count is a lower bound: read on to the real end
            self.row(self.count - 1)
        self.cursor = max(0, self.count - 1)

    def action_choose(self) -> None:
        if self.current:
            self.post_message(self.Chosen(self.current["id"]))

    def action_mark(self) -> None:
        if self.current:
            self.marked ^= {self.current["id"]}
            self.action_cursor(1)
            self.refresh()

    def on_click(self, event: Click) -> None:
        index = int(self.scroll_offset.y) + event.y
        if 0 <= index < self.count:
            self.cursor = index
            if event.chain >= 2:
                self.action_choose()

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, self.count)
