"""The SafeCity terminal app: screens, the sync status line, background sync.

Who calls this: `safecity` with no command (`tui.launch.run_app`), and the Pilot tests. The app
owns one SQLite connection for the UI thread. Sync runs in a worker thread with its own
connection (`@work(thread=True, exclusive=True, group="sync")`) and reports back with a small
typed message (`SyncFinished`), so the UI never waits on the network. Errors of a sync are
shown in the status line; nothing typed is lost because every edit is committed with its
outbox op before the form closes.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from textual import events, work
from textual.app import SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from schema.errors import DomainError
from schema.hazards import local_rules
from schema.rules import LocalRules
from schema.store.connection import connect
from schema.store.transactions import get_meta
from schema.undo import CannotUndo, undo_last
from schema.writes import Writer, local_actor
from sync.laptop import enrolment as laptop
from sync.laptop.chain import LogRewritten
from sync.laptop.client import ServerUnreachable, SyncError, SyncSummary
from tui.config import Settings, check_keymap, save_language
from tui.context import RecordChanged, Session
from tui.i18n import action_label, language, local_time, set_language, t, table_label
from tui.keys import OrderedKeys
from tui.navigation import SCREENS, all_binding_ids
from tui.phrases import load_areas, user_message


@dataclass
class SyncFinished(Message):
    """A background sync ended: `summary` when it worked, `error` (one line) when not."""

    summary: SyncSummary | None
    error: str | None
    unreachable: bool = False
    """The server could not be reached (offline), as opposed to a refusal or a failure."""
    rewritten: bool = False
    """The server's record was rewritten (`LogRewritten`): said even after a quiet periodic sync."""


log = logging.getLogger(__name__)

SETTLE_SECONDS = 0.5
"""How long after a form saved an Enter counts as the same press repeated (a hurried double press
is 100-250 ms apart; 500 ms is the usual double-click limit)."""


class SafeCityApp(OrderedKeys):
    CSS = """
    .chrome { dock: bottom; height: 2; }
    StatusLine { height: 1; background: $panel; color: $text; padding: 0 1; }
    .title { background: $boost; padding: 0 1; text-style: bold; }
    .columns { color: $text-muted; padding: 0 1; }
    HazardList { height: 1fr; padding: 0 1; }
    #filter, #records-filter { display: none; }
    #filter.visible, #records-filter.visible { display: block; }
    .form { width: 80; height: auto; max-height: 90%; border: thick $accent; background: $surface; padding: 1 2; }
    .error { color: $error; }
    .form Label { width: 100%; }
    .form { overflow-y: auto; }
    .muted { color: $text-muted; }
    #kpis { padding: 0 1; height: 1; }
    #charts { height: auto; max-height: 24; padding: 0 1; }
    #bars { width: 48; height: auto; }
    #trends { width: 1fr; height: auto; }
    #trends Sparkline { height: 2; margin-bottom: 1; }
    #areas, DataTable.records { height: 1fr; }
    #indicators { width: 44; }
    #evidence-pane { width: 1fr; padding: 0 1; }
    """
    TITLE = "SafeCity"
    status_text: reactive[str] = reactive("")
    """The status line's text; every `StatusLine` watches it, so all screens show the same figures."""
    BINDINGS: ClassVar = [
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("colon,ctrl+p", "command_palette", "Commands", id="app.commands", show=False),
        Binding("s", "sync", "Sync", id="app.sync"),
        Binding("z", "undo", "Undo", id="app.undo"),
        Binding("t", "go('triage')", "Triage", id="app.triage"),
        Binding("i", "go('inspections')", "Inspections", id="app.inspections"),
        Binding("u", "go('units')", "Units", id="app.units"),
        Binding("c", "go('conflicts')", "Conflicts", id="app.conflicts"),
        Binding("r", "go('rejected')", "Rejected", id="app.rejected"),
        Binding("D", "go('dashboard')", "Dashboard", id="app.dashboard"),
        Binding("E", "go('escalations')", "Escalations", id="app.escalations"),
        Binding("X", "go('extensions')", "Extensions", id="app.extensions"),
        Binding("L", "go('listings')", "Listings", id="app.listings"),
        Binding("A", "go('assessment')", "Assessment", id="app.assessment"),
        Binding("B", "go('lookback')", "Looking back", id="app.lookback"),
        Binding("q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(self, db_path: Path, settings: Settings | None = None, *, today: date | None = None):
        super().__init__()
        self.db_path = db_path
        self.settings = settings or Settings()
        self.today = today or date.today()
        """Pinned in tests and demos (SAFECITY_TODAY); overdue is computed from it."""
        set_language(self.settings.language)
        self.conn: sqlite3.Connection = connect(db_path)
        self.writer = Writer(self.conn, local_actor(self.conn))
        self.rules: LocalRules = local_rules(self.conn)
        self.online: bool | None = None
        self.syncing = False
        self.sync_error: str | None = None
        self.files_status = ""
        """While a sync moves photos: how far it has got (shown on the status line)."""
        self._settle_until = 0.0
        self._asked_to_sync = False
        """Until then (monotonic), Enter is ignored: a form has just saved (`SETTLE_SECONDS`)."""
        check_keymap(self.settings.keymap, all_binding_ids(type(self)))
        self.set_keymap(self.settings.keymap)
        self._screens = SCREENS

    @property
    def enrolled(self) -> bool:
        return get_meta(self.conn, "server_url") is not None

    def on_mount(self) -> None:
        self.title = t("app.title")
        load_areas(self.conn)
        self.push_screen(self._screens["triage"]())
        self.refresh_status()
        if self.enrolled and self.settings.sync_interval > 0:
            self.action_sync_now()  # find out at once whether we are online
            self.set_interval(self.settings.sync_interval, self.action_sync_now)

    def action_go(self, name: str) -> None:
        while len(self.screen_stack) > 2:
            self.pop_screen()
        if name != "triage":
            self.push_screen(self._screens[name]())
        else:
            self._refresh_screen()

    def _refresh_screen(self) -> None:
        """Show the current screen's records again, if it lists any (after a sync, say)."""
        refresh = getattr(self.screen, "refresh_data", None)
        if callable(refresh):
            refresh()

    def action_help(self) -> None:
        from tui.screens.misc import HelpScreen

        self.push_screen(HelpScreen(self.screen))

    def refresh_status(self) -> None:
        state = laptop.status(self.conn)
        if not self.enrolled:
            link = t("not_enrolled")
        elif self.syncing:
            link = t("syncing")
        else:
            link = {None: "…", True: t("online"), False: t("offline")}[self.online]
        parts = [
            f"● {link}",
            f"{t('pending')} {state['pending']}",
            f"{t('last_sync')} {local_time(state['last_sync']) if state['last_sync'] else t('never')}",
            f"{t('conflicts')} {state['conflicts']}",
            f"{t('rejected')} {state['rejected']}",
        ]
        if self.files_status:
            parts.append(self.files_status)
        if self.sync_error:
            parts.append(self.sync_error)
        if state.get("log_alarm"):  # first on the line, on every screen, until the server's log is whole again
            parts.insert(0, f"⚠ {t('log.alarm')}")
        self.status_text = "  │  ".join(parts)

    def action_sync(self) -> None:
        """`s`: sync now, and say how it went (the periodic sync stays quiet unless something needs a person)."""
        if not self.enrolled:
            self.notify(t("not_enrolled_hint"), severity="warning")
            return
        self._asked_to_sync = True
        self.action_sync_now()

    def action_undo(self) -> None:
        """`z`: take back the last local action while it has not left this laptop (`schema.undo`)."""
        if self.syncing:
            self.notify(t("undo.syncing"), severity="warning")
            return
        try:
            done = undo_last(self.conn)
        except CannotUndo as err:
            self.notify(user_message(err), severity="warning")
            return
        self.notify(f"{t('undo.done')}: {action_label(done.action)} ({table_label(done.table)})")
        self.refresh_status()
        while len(self.screen_stack) > 2 and not _still_shown(self.conn, self.screen):
            self.pop_screen()  # the record it showed was the one the undone action made
        self._refresh_screen()

    def action_sync_now(self) -> None:
        if not self.enrolled or self.syncing:
            return
        self.syncing = True
        self.refresh_status()
        self.run_sync()

    @work(thread=True, exclusive=True, group="sync", exit_on_error=False)
    def run_sync(self) -> None:
        """Push and pull on a connection of its own, off the UI thread."""
        conn = connect(self.db_path)
        try:
            summary = laptop.client_for(
                conn,
                self.db_path,
                fetch_full=self.settings.photos.fetch_full,
                file_progress=lambda what, done, total: self.call_from_thread(self._files_moving, done, total),
            ).sync()
            self.post_message(SyncFinished(summary, None))
        except DomainError as err:
            self.post_message(
                SyncFinished(None, user_message(err), isinstance(err, ServerUnreachable), isinstance(err, LogRewritten))
            )
        finally:
            conn.close()

    def _files_moving(self, done: int, total: int) -> None:
        """The status line while photos move: how much of them has gone (or come)."""
        self.files_status = f"{t('photos.sending')} {done / 2**20:,.1f}/{total / 2**20:,.1f} MB"
        self.refresh_status()

    def on_sync_finished(self, message: SyncFinished) -> None:
        self.syncing = False
        self.files_status = ""
        self.online = not message.unreachable
        self.sync_error = message.error
        load_areas(self.conn)
        self.refresh_status()
        self._refresh_screen()
        asked, self._asked_to_sync = self._asked_to_sync, False
        summary = message.summary
        if summary and summary.moved_out:
            self.notify(f"{summary.moved_out} {t('moved_out')}", severity="warning", timeout=10)
        if summary and (summary.conflicts or summary.rejected):
            self.notify(f"{t('conflicts')} {summary.conflicts}, {t('rejected')} {summary.rejected}", severity="warning")
        elif summary and asked:
            text = f"{t('synced')}: {t('sent')} {summary.pushed}, {t('received')} {summary.pulled}"
            if summary.files_sent or summary.files_received:
                text += f"; {t('photos.sending')} {t('sent')} {summary.files_sent}, {t('received')} {summary.files_received}"
            self.notify(text)
        if summary and summary.files_error and asked:
            self.notify(
                f"{t('photos.sending')}: {summary.files_waiting} — {user_message(SyncError(summary.files_error))}",
                severity="warning",
            )
        elif message.error and (asked or message.rewritten):
            self.notify(message.error, severity="error", timeout=30)

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The command palette (`:` or ctrl+p) holds the app's own commands, not only Textual's."""
        for name in (
            "triage",
            "inspections",
            "units",
            "conflicts",
            "rejected",
            "dashboard",
            "escalations",
            "extensions",
            "listings",
            "assessment",
            "lookback",
        ):
            yield SystemCommand(
                f"{t('go_to')}: {t(name if name != 'lookback' else 'lookback_short')}",
                t("palette.go"),
                partial(self.action_go, name),
            )
        yield SystemCommand(t("palette.sync"), t("palette.sync_help"), self.action_sync)
        other = "zh" if language() == "en" else "en"
        yield SystemCommand(t("palette.language"), t("palette.language_help"), partial(self.switch_language, other))
        yield from super().get_system_commands(screen)

    def switch_language(self, language_code: str) -> None:
        """Switch every label to `language_code` now, and keep it in the settings file."""
        set_language(language_code)
        self.settings = replace(self.settings, language=language_code)
        try:
            save_language(language_code)
        except OSError as err:
            self.notify(f"{t('settings_not_saved')}: {err}", severity="warning")
        self.title = t("app.title")
        while len(self.screen_stack) > 2:
            self.pop_screen()
        self.switch_screen(self._screens["triage"]())
        self.refresh_status()

    def on_record_changed(self, _message: RecordChanged) -> None:
        self.refresh_status()

    def form_saved(self) -> None:
        self._settle_until = time.monotonic() + SETTLE_SECONDS

    def swallow_key(self, key: events.Key) -> bool:
        """Enter pressed again right after a form saved is the same keypress twice, not a wish to
        open whatever row the closed form uncovers (it started the next task's inspection)."""
        if key.key != "enter":
            self._settle_until = 0.0  # any other key is a new intent: Enter means Enter again
            return False
        return time.monotonic() < self._settle_until

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Every worker's unexpected failure, in one place: a notification and a log line, never a
        closed app (what the user typed is already committed, or still in its form)."""
        if event.state != WorkerState.ERROR:
            return
        error = event.worker.error
        log.error("background work %r failed", event.worker.name, exc_info=error)
        if event.worker.group == "sync":
            self.syncing = False
            self.sync_error = f"sync failed: {error}"
            self.refresh_status()
        self.notify(f"{event.worker.name or 'background work'} failed: {error}", severity="error", timeout=10)

    def session(self) -> Session:
        """This app as the screens see it (mypy checks here that the app satisfies `Session`)."""
        return self

    def on_unmount(self) -> None:
        self.conn.close()


def _still_shown(conn: sqlite3.Connection, screen: Screen[Any]) -> bool:
    """False when `screen` shows one record (a hazard, an inspection) and that record is gone."""
    for attribute, table in SHOWN_RECORDS.items():
        row_id = getattr(screen, attribute, None)
        if isinstance(row_id, str):
            return conn.execute(f"SELECT 1 FROM {table} WHERE id = ?", (row_id,)).fetchone() is not None
    return True


SHOWN_RECORDS = {"hazard_id": "hazard", "inspection_id": "inspection"}
"""The attribute by which a screen names the one record it shows, and that record's table: an
undo can remove the record (it was the action's create), and then the screen must close."""
