"""The conflict inbox, rejected changes, the units directory, and help.

Help lists the bindings in force on the screen it was opened from, with the keys the user's
keymap gave them, so it can never disagree with what the keys do.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from schema.errors import DomainError
from schema.queries import record_label
from sync.laptop import enrolment as laptop
from sync.laptop.conflicts import list_conflicts, resolve
from tui.context import RecordChanged, session
from tui.i18n import action_label, local_time, t, table_label
from tui.phrases import key_label, user_message
from tui.screens.forms import FormScreen
from tui.widgets.chrome import chrome
from tui.widgets.table import RecordTable


def _short(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


class ConflictsScreen(Screen[None]):
    """Each open conflict as base / mine / theirs; `m` or `t` keeps one, with a reason."""

    BINDINGS: ClassVar = [
        Binding("m", "keep('mine')", "Keep mine", id="conflicts.keep_mine"),
        Binding("T", "keep('theirs')", "Keep theirs", id="conflicts.keep_theirs"),
        Binding("escape", "app.pop_screen", "Back", id="conflicts.back"),
    ]

    def compose(self) -> ComposeResult:
        yield Static(t("conflicts"), classes="title")
        yield RecordTable(id="conflicts", cursor_type="row")
        yield from chrome()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(t("record"), t("field"), t("base"), t("mine"), t("theirs"))
        self.refresh_data()
        self.query_one(DataTable).focus()

    def refresh_data(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        self.conflicts = list_conflicts(session(self).conn)
        for c in self.conflicts:
            label = record_label(session(self).conn, c["table"], c["record"])
            table.add_row(
                label[:24] if label else f"{c['table']} {c['record'][:8]}",
                c["field"],
                _short(c["base"]),
                f"{_short(c['mine'])} ({c['mine_by']})",
                f"{_short(c['theirs'])} ({c['theirs_by']})",
                key=c["id"],
            )

    def action_keep(self, side: str) -> None:
        table = self.query_one(DataTable)
        if not self.conflicts:
            return
        conflict = self.conflicts[table.cursor_row]

        def save(values: dict[str, str]) -> Any:
            return resolve(session(self).writer, conflict["id"], side, values["reason"] or None)

        title = f"{t(side)}: {conflict['field']} = {_short(conflict[side])}"
        self.app.push_screen(FormScreen(title, [("reason", t("reason"), "")], save), self._resolved)

    def _resolved(self, result: Any) -> None:
        if result is not None:
            self.refresh_data()
            self.post_message(RecordChanged())
            self.notify("resolved; it goes out with the next sync")


class RejectedScreen(Screen[None]):
    """This laptop's changes the server refused, with its reasons. They are never dropped."""

    BINDINGS: ClassVar = [Binding("escape", "app.pop_screen", "Back", id="rejected.back")]

    def compose(self) -> ComposeResult:
        yield Static(t("rejected"), classes="title")
        yield RecordTable(id="rejected", cursor_type="row")
        yield from chrome()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(t("at"), t("record"), t("action"), t("reason"))
        for op in laptop.rejected_ops(session(self).conn):
            table.add_row(
                local_time(op["at"]),
                f"{table_label(op['table_name'])} {op['row_id'][:8]}",
                action_label(op["action"]),
                user_message(DomainError(op["reason"])) if op["reason"] else "",  # the server's words, translated
            )
        table.focus()


class HelpScreen(ModalScreen[None]):
    """The keys of the screen underneath, as the keymap has them now."""

    BINDINGS: ClassVar = [Binding("escape,question_mark", "dismiss", "Close help", id="help.close")]

    def __init__(self, screen: Screen[Any]):
        super().__init__()
        self.under = screen

    def compose(self) -> ComposeResult:
        rows = help_rows(self.under)
        text = "\n".join(
            f"  [b]{key:<14}[/] {description}  [dim]{binding_id}[/]" for key, description, binding_id in rows
        )
        with VerticalScroll(classes="form"):
            yield Static(
                f'[b]{t("help")}[/]\n\n{text}\n\n[dim]{t("help")}: config.toml \\[keymap] binding-id = "key"[/]'
            )


def help_rows(screen: Screen[Any]) -> list[tuple[str, str, str]]:
    """(keys, description, binding id) for every binding active on `screen`.

    Textual's own bindings (focus, copy, scrolling) have no id: they are listed by action.
    """
    seen: dict[str, tuple[str, str, str]] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        name = binding.id or binding.action
        display = screen.app.get_key_display(binding) if binding.id else key
        if name in seen:
            keys, description, _ = seen[name]
            if display not in keys.split(","):
                seen[name] = (f"{keys},{display}", description, name)
        else:
            seen[name] = (display, key_label(binding.description), name)
    own = {b.id for b in getattr(type(screen), "BINDINGS", []) if isinstance(b, Binding)}
    # The screen's own keys first (triage: the views 1-6), then its lists', then the app's.
    return sorted(seen.values(), key=lambda r: ("." not in r[2], r[2].startswith("app."), r[2] not in own, r[2]))
