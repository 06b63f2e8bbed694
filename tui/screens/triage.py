"""The triage screen (the first screen) and the registry of screens.

Triage shows the open hazards of the laptop's areas, most urgent first. `/` opens the filter:
words search description, location and rectifier (Chinese included); `status:`, `grade:`,
`area:` narrow further. Number keys switch saved views. `space` marks rows; `a` acts on all
marked rows after a preview.
"""

from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input, Static

from schema.errors import DomainError
from schema.queries import HazardFilter, count_hazards, list_hazards
from schema.store.transactions import get_meta
from tui.context import session
from tui.i18n import t
from tui.phrases import user_message
from tui.widgets.chrome import chrome
from tui.widgets.hazard_list import HazardList, header_line

COUNT_CAP = 1000
"""Past this many matches the title says "1,000+": counting 60,000 rows per keystroke is
work nobody reads, and the list itself is paged, so it scrolls through all of them anyway."""

VIEWS = ("open", "mine", "overdue", "week", "awaiting", "major")


def parse_filter(text: str) -> dict[str, str]:
    """`status:rectifying grade:major area:xinhe 消防` -> filter fields and the search words."""
    fields: dict[str, str] = {}
    words = []
    for part in text.split():
        key, sep, value = part.partition(":")
        if sep and key in ("status", "grade", "area") and value:
            fields[key] = value
        else:
            words.append(part)
    if words:
        fields["search"] = " ".join(words)
    return fields


class TriageScreen(Screen[None]):
    BINDINGS: ClassVar = [
        Binding("slash", "filter", "Filter", id="triage.filter"),
        Binding("escape", "clear_filter", "Clear filter", id="triage.clear", show=False),
        Binding("a", "act_on_marked", "Act on marked", id="triage.act"),
        Binding("n", "new_hazard", "New hazard", id="triage.new"),
        Binding("1", "view('open')", "All open", id="triage.view_open", show=False),
        Binding("2", "view('mine')", "Mine", id="triage.view_mine", show=False),
        Binding("3", "view('overdue')", "Overdue", id="triage.view_overdue", show=False),
        Binding("4", "view('week')", "Due this week", id="triage.view_week", show=False),
        Binding("5", "view('awaiting')", "Awaiting verification", id="triage.view_awaiting", show=False),
        Binding("6", "view('major')", "Major", id="triage.view_major", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view = "open"
        self.filter_text = ""

    def compose(self) -> ComposeResult:
        yield Static(id="title", classes="title")
        yield Input(placeholder=t("filter"), id="filter")
        yield Static(header_line(), classes="columns")
        yield HazardList(id="hazards")
        yield from chrome()

    def on_mount(self) -> None:
        self.refresh_data()
        self.query_one(HazardList).focus()

    def current_filter(self) -> HazardFilter:
        """The saved view (1-6), narrowed by what is typed after `/` (which wins where both speak)."""
        app = session(self)
        typed = parse_filter(self.filter_text)
        view_status = "awaiting_verification" if self.view == "awaiting" else "open"
        week_end = (app.today + timedelta(days=7 - app.today.weekday())).isoformat()
        search = typed.get("search")
        if self.view == "mine":
            search = " ".join(filter(None, [search or "", get_meta(app.conn, "login") or ""]))
        return HazardFilter(
            status=typed.get("status", view_status),
            area=typed.get("area"),
            grade=typed.get("grade", "major" if self.view == "major" else None),
            overdue=self.view == "overdue",
            search=search or None,
            due_before=week_end if self.view == "week" else None,
        )

    def refresh_data(self) -> None:
        app = session(self)
        hazards = self.query_one(HazardList)
        try:
            f = self.current_filter()
            total = count_hazards(app.conn, f, today=app.today, cap=COUNT_CAP)
        except DomainError as err:
            self.query_one("#title", Static).update(f"{t('triage')} — {user_message(err)}")
            hazards.load(lambda offset, limit: [], 0)
            return
        hazards.load(
            lambda offset, limit: list_hazards(
                app.conn, f, today=app.today, rules=app.rules, limit=limit, offset=offset
            ),
            total,
            exact=total <= COUNT_CAP,
        )
        marked = f"  •  {len(hazards.marked)} {t('marked')}" if hazards.marked else ""
        shown = f"{COUNT_CAP:,}+" if total > COUNT_CAP else f"{total:,}"
        self.query_one("#title", Static).update(
            f"{t('triage')} — {t('view.' + self.view)} — {shown} {t('hazards')}{marked}"
        )

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.add_class("visible")
        self.set_focus(box)  # now, not after a refresh: the keys typed after `/` belong to the box

    def _list_changes(self) -> None:
        """Marks are of what is shown: a new view or filter drops them, so a batch never acts on
        hazards the inspector can no longer see (ten were ordered where five were in view)."""
        hazards = self.query_one(HazardList)
        if hazards.marked:
            hazards.marked.clear()
            self.notify(t("marks_cleared"), timeout=4)

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if not box.value and not box.has_class("visible"):
            self._list_changes()  # Esc with no filter: unmark everything
            self.refresh_data()
            return
        self._list_changes()
        box.value = ""
        box.remove_class("visible")
        self.query_one(HazardList).focus()

    @on(Input.Changed, "#filter")
    def filter_changed(self, event: Input.Changed) -> None:
        if event.value != self.filter_text:
            self._list_changes()
        self.filter_text = event.value
        self.refresh_data()

    def show_filtered(self, text: str) -> None:
        """Show the hazards `text` keeps, with the filter box open (the dashboard's drill-down)."""
        box = self.query_one("#filter", Input)
        box.add_class("visible")
        box.value = text  # Input.Changed refreshes the list
        self.filter_text = text
        self.refresh_data()
        self.query_one(HazardList).focus()

    @on(Input.Submitted, "#filter")
    def filter_done(self) -> None:
        self.query_one(HazardList).focus()

    def action_view(self, name: str) -> None:
        if name != self.view:
            self._list_changes()
        self.view = name
        self.query_one(HazardList).cursor = 0
        self.refresh_data()

    @on(HazardList.Chosen)
    def open_hazard(self, event: HazardList.Chosen) -> None:
        from tui.screens.detail import HazardScreen

        self.app.push_screen(HazardScreen(event.hazard_id))

    def action_act_on_marked(self) -> None:
        from tui.screens.batch import BatchActionScreen

        marked = self.query_one(HazardList).marked
        if not marked:
            self.notify(t("mark_first"), severity="warning")
            return
        self.app.push_screen(BatchActionScreen(sorted(marked)), self._after_batch)

    def _after_batch(self, outcome: object) -> None:
        """The hazards acted on are unmarked; the others stay marked, and the result says why."""
        from tui.screens.batch import batch_outcome

        result = batch_outcome(outcome)
        if result is None:
            return
        marked = self.query_one(HazardList).marked
        marked.difference_update(result.applied)
        self.refresh_data()
        self.notify(result.summary(), severity="warning" if result.failed else "information", timeout=12)

    def action_new_hazard(self) -> None:
        from tui.screens.detail import NewHazardScreen
        from tui.screens.units import UnitPickerScreen

        def picked(unit_id: str | None) -> None:
            if unit_id is not None:
                self.app.push_screen(NewHazardScreen(unit_id), lambda _id: self.refresh_data())

        self.app.push_screen(UnitPickerScreen(t("pick_unit")), picked)

    def on_screen_resume(self) -> None:
        self.refresh_data()
