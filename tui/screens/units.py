"""Units: the directory, a unit's card, and the picker every "which unit?" question opens.

Who uses this: `u` (the directory), `n` on triage (a new hazard starts by picking its unit), and
any form that needs a unit. No screen asks for a raw unit id: an inspector knows a unit by its
name, address or credit code, and the search finds it by any of them (Chinese included). From a
unit an inspector can start an inspection (`i`, also of a unit no plan lists), raise a hazard
(`n`) and open any of its hazards.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Input, Label, Static

from schema.errors import DomainError
from schema.inspections import start_inspection
from schema.queries import list_units, show_unit
from tui.context import session
from tui.i18n import grade_label, status_label, t
from tui.phrases import area_label, user_message
from tui.widgets.chrome import chrome
from tui.widgets.table import RecordTable

LIMIT = 200
"""Units listed at once; the search narrows the rest down."""


def _fill(table: DataTable[Any], units: list[dict[str, Any]]) -> None:
    table.clear()
    for u in units:
        table.add_row(
            u["risk_colour"], area_label(u["area"]), str(u["open_hazards"]), u["name"], u["address"] or "", key=u["id"]
        )


class UnitActions(Screen[None]):
    """`i` and `n` on a unit, shared by the directory and a unit's card."""

    def chosen_unit(self) -> str | None:
        raise NotImplementedError

    def action_inspect_unit(self) -> None:
        from tui.screens.inspection import InspectionRunScreen

        unit_id = self.chosen_unit()
        if unit_id is None:
            return
        try:
            inspection_id = start_inspection(session(self).writer, unit_id=unit_id)
        except DomainError as err:
            self.app.notify(user_message(err), severity="error")
            return
        self.app.push_screen(InspectionRunScreen(inspection_id))

    def action_new_hazard_here(self) -> None:
        from tui.screens.detail import NewHazardScreen

        unit_id = self.chosen_unit()
        if unit_id is not None:
            self.app.push_screen(NewHazardScreen(unit_id))


class UnitsScreen(UnitActions):
    """Search units (name, address, credit code; Chinese included) and act on one."""

    BINDINGS: ClassVar = [
        Binding("slash", "search", "Search", id="units.search"),
        Binding("i", "inspect_unit", "Inspect here", id="units.inspect"),
        Binding("n", "new_hazard_here", "New hazard here", id="units.new_hazard"),
        Binding("escape", "app.pop_screen", "Back", id="units.back"),
    ]

    def compose(self) -> ComposeResult:
        yield Static(t("units"), classes="title")
        yield Input(placeholder=t("search_units"), id="unit-search")
        yield RecordTable(id="units", cursor_type="row")
        yield from chrome()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(t("risk"), t("area"), t("open_hazards"), t("unit"), t("address"))
        self.refresh_data()
        self.query_one(DataTable).focus()

    def refresh_data(self, search: str | None = None) -> None:
        _fill(self.query_one(DataTable), list_units(session(self).conn, search=search, limit=LIMIT))

    def chosen_unit(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def action_search(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Changed, "#unit-search")
    def searched(self, event: Input.Changed) -> None:
        self.refresh_data(event.value or None)

    @on(Input.Submitted, "#unit-search")
    def searched_done(self) -> None:
        self.query_one(DataTable).focus()

    @on(DataTable.RowSelected, "#units")
    def open_unit(self, event: DataTable.RowSelected) -> None:
        self.app.push_screen(UnitScreen(str(event.row_key.value)))


class UnitScreen(UnitActions):
    """A unit: risk colour, responsibility persons, its open hazards (enter opens one), past inspections."""

    BINDINGS: ClassVar = [
        Binding("i", "inspect_unit", "Inspect here", id="unit.inspect"),
        Binding("n", "new_hazard_here", "New hazard here", id="unit.new_hazard"),
        Binding("escape", "app.pop_screen", "Back", id="unit.back"),
    ]

    def __init__(self, unit_id: str):
        super().__init__()
        self.unit_id = unit_id

    def compose(self) -> ComposeResult:
        yield Static(id="title", classes="title")
        yield Static(id="card")
        yield Static(id="hazards-title", classes="columns")
        yield RecordTable(id="unit-hazards", cursor_type="row")
        yield Static(id="inspections")
        yield from chrome()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(t("status"), t("grade"), t("deadline"), t("overdue"), t("description"))
        self.refresh_data()
        self.query_one(DataTable).focus()

    def chosen_unit(self) -> str | None:
        return self.unit_id

    def refresh_data(self) -> None:
        app = session(self)
        unit = show_unit(app.conn, self.unit_id, today=app.today, rules=app.rules)
        self.query_one("#title", Static).update(f"{t('unit')} — {unit['name']}")
        people = [f"  {p['kind']}: {p['person']} {p['org'] or ''} {p['phone'] or ''}" for p in unit["responsibility"]]
        self.query_one("#card", Static).update(
            "\n".join(
                [
                    f"[b]{t('risk')}[/] {unit['risk_colour']}   [b]{t('area')}[/] {unit['area']}   {unit['industry']}",
                    f"{unit['address'] or ''}   USCC {unit['uscc'] or '-'}",
                    f"[b]{t('responsibility')}[/]",
                    *(people or ["  -"]),
                ]
            )
        )
        hazards = unit["open_hazards"]
        self.query_one("#hazards-title", Static).update(f"[b]{t('open_hazards')}[/] ({len(hazards)})")
        table = self.query_one(DataTable)
        table.clear()
        for h in hazards:
            overdue = f"+{h['days_overdue']}{t('days')}" if h["overdue"] else ""
            table.add_row(
                status_label(h["status"]),
                grade_label(h["grade"]),
                h["deadline"] or "-",
                overdue,
                h["description"],
                key=h["id"],
            )
        past = [f"  {i['started_at']}  {i['status']}  {i['summary'] or ''}" for i in unit["inspections"]]
        self.query_one("#inspections", Static).update("\n".join([f"[b]{t('past_inspections')}[/]", *(past or ["  -"])]))

    @on(DataTable.RowSelected, "#unit-hazards")
    def open_hazard(self, event: DataTable.RowSelected) -> None:
        from tui.screens.detail import HazardScreen

        self.app.push_screen(HazardScreen(str(event.row_key.value)))

    def on_screen_resume(self) -> None:
        self.refresh_data()


class UnitPickerScreen(ModalScreen[str | None]):
    """Which unit? Type any part of its name, address or credit code; Enter picks, Esc cancels."""

    BINDINGS: ClassVar = [Binding("escape", "cancel", "Cancel", id="picker.cancel")]

    def __init__(self, title: str):
        super().__init__()
        self.picker_title = title
        self.picked = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="form picker"):
            yield Label(self.picker_title, classes="title")
            yield Input(placeholder=t("search_units"), id="picker-search")
            yield RecordTable(id="picker-units", cursor_type="row")
            yield Label(t("picker.keys"), classes="muted")

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(t("risk"), t("area"), t("open_hazards"), t("unit"), t("address"))
        self._search(None)
        self.query_one(Input).focus()

    def _search(self, text: str | None) -> None:
        _fill(self.query_one(DataTable), list_units(session(self).conn, search=text, limit=50))

    @on(Input.Changed, "#picker-search")
    def searched(self, event: Input.Changed) -> None:
        self._search(event.value or None)

    @on(Input.Submitted, "#picker-search")
    def take_first_or_move(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count == 1:
            self._pick(str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value))
        else:
            table.focus()

    @on(DataTable.RowSelected, "#picker-units")
    def chosen(self, event: DataTable.RowSelected) -> None:
        self._pick(str(event.row_key.value))

    def _pick(self, unit_id: str) -> None:
        if not self.picked:  # Enter twice picks once
            self.picked = True
            self.dismiss(unit_id)

    def action_cancel(self) -> None:
        if not self.picked:
            self.picked = True
            self.dismiss(None)
