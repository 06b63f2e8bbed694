"""Evidence in the inspector's hands: attach photos from the inbox or a file, see them, fetch them.

`AttachScreen` is where a photo joins the record. Phone pictures are copied into an inbox folder
(`[photos] inbox` in the settings); the newest are listed first, marked with space and attached
together with Enter, or a file is picked (ctrl+o, textual-fspicker) or its path typed. The
highlighted file is previewed, so the right photo is attached. A refusal (not a photo, too
large, HEIC unreadable) is said in the dialog, which stays open with everything chosen.

`EvidenceScreen` lists a hazard's evidence with a large preview; Enter fetches the full photo
from the district server when only its thumbnail is here (in the background: the screen stays
usable), then shows it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Label, OptionList, Select, Static
from textual.widgets.option_list import Option

from schema.attachments import attach, attachments_of
from schema.errors import DomainError
from schema.store.connection import connect
from schema.store.files import FolderStore, files_beside
from tui.context import RecordChanged, session
from tui.i18n import local_time, t
from tui.phrases import user_message
from tui.widgets.chrome import chrome
from tui.widgets.picture import Picture

PICTURE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".pdf"}
INBOX_SHOWN = 40
"""The newest files of the inbox listed (phones copy hundreds; the newest are today's)."""


def inbox_files(folder: Path | None) -> list[Path]:
    """The inbox's photos and documents, newest first."""
    if folder is None or not folder.is_dir():
        return []
    found = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in PICTURE_SUFFIXES]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)[:INBOX_SHOWN]


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{max(1, n // 1024)} KB"


def caption(a: dict[str, Any]) -> str:
    shape = f"{a['width']}x{a['height']} " if a["width"] else ""
    return (
        f"{t('role.' + a['role'])} · {a['original_name'] or a['id'][:8]} · {shape}{_size(a['size'])}\n"
        f"{a['captured_by'] or '-'} {local_time(a['captured_at']) if a['captured_at'] else ''} · sha256 {a['sha256'][:12]}"
    )


class AttachScreen(ModalScreen[list[str] | None]):
    """Choose files (inbox, picker or a typed path), a role and the record; attach them all at once."""

    BINDINGS: ClassVar = [
        Binding("escape", "cancel", "Cancel", id="attach.cancel"),
        Binding("space", "mark", "Mark", id="attach.mark"),
        Binding("ctrl+o", "browse", "Browse files", id="attach.browse"),
        Binding("ctrl+s", "attach", "Attach", id="attach.save"),
    ]
    DEFAULT_CSS = """
    AttachScreen { align: center middle; }
    AttachScreen > Vertical { width: 96%; height: 90%; border: thick $accent; padding: 0 1; background: $surface; }
    AttachScreen .choices { height: auto; }
    AttachScreen .choices Select { width: 40; }
    AttachScreen #panes { height: 1fr; }
    AttachScreen #files { width: 1fr; }
    AttachScreen #inbox { height: 1fr; }
    AttachScreen #preview { width: 44; }
    AttachScreen .error { color: $error; }
    """

    def __init__(self, title: str, owners: list[tuple[str, str]], roles: list[str], role: str):
        super().__init__()
        self.title_text, self.owners, self.roles, self.role = title, owners, roles, role
        self.files = inbox_files(None)
        self.marked: list[Path] = []
        self.closing = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="title")
            with Horizontal(classes="choices"):
                yield Select([(t("role." + r), r) for r in self.roles], value=self.role, allow_blank=False, id="role")
                if len(self.owners) > 1:
                    yield Select(self.owners, value=self.owners[0][1], allow_blank=False, id="owner")
            with Horizontal(id="panes"):
                with Vertical(id="files"):
                    yield Label(t("attach.inbox"), id="inbox-title")
                    yield OptionList(id="inbox")
                    yield Input(placeholder=t("attach.path"), id="path")
                yield Vertical(id="preview")
            yield Label("", classes="error", id="error")
            yield Static(t("attach.keys"), classes="hint")

    def on_mount(self) -> None:
        folder = session(self).settings.photos.inbox
        self.files = inbox_files(folder)
        where = str(folder) if folder else t("attach.no_inbox")
        self.query_one("#inbox-title", Label).update(f"{t('attach.inbox')}: {where}")
        self._list()
        self.query_one("#inbox" if self.files else "#path").focus()

    def _list(self) -> None:
        inbox = self.query_one("#inbox", OptionList)
        highlighted = inbox.highlighted
        inbox.clear_options()
        for path in self.files:
            stat = path.stat()
            mark = "●" if path in self.marked else " "
            when = datetime.fromtimestamp(stat.st_mtime).strftime("%m-%d %H:%M")
            inbox.add_option(Option(f"{mark} {path.name}  {_size(stat.st_size)}  {when}", id=str(path)))
        if self.files:
            inbox.highlighted = min(highlighted or 0, len(self.files) - 1)

    @on(OptionList.OptionHighlighted, "#inbox")
    def _preview(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id:
            self.show_preview(Path(event.option.id))

    def show_preview(self, path: Path) -> None:
        pane = self.query_one("#preview", Vertical)
        pane.remove_children()
        if path.suffix.lower() in (".pdf", ".heic", ".heif"):
            pane.mount(Static(f"{path.name}\n{t('attach.no_preview')}", markup=False))
        else:
            pane.mount(Picture(path, f"{path.name} · {_size(path.stat().st_size)}"))

    def action_mark(self) -> None:
        inbox = self.query_one("#inbox", OptionList)
        if inbox.highlighted is None or not self.files or self.focused is not inbox:
            return
        path = self.files[inbox.highlighted]
        if path in self.marked:
            self.marked.remove(path)
        else:
            self.marked.append(path)
        self._list()
        inbox.action_cursor_down()

    def action_browse(self) -> None:
        from textual_fspicker import FileOpen

        folder = session(self).settings.photos.inbox or Path.home()
        self.app.push_screen(FileOpen(folder), self._picked)

    def _picked(self, path: Path | None) -> None:
        if path is not None:
            self.query_one("#path", Input).value = str(path)
            self.show_preview(Path(path))

    @on(Input.Submitted, "#path")
    @on(OptionList.OptionSelected, "#inbox")
    def _enter(self, _event: object) -> None:
        self.action_attach()

    def chosen(self) -> list[Path]:
        typed = self.query_one("#path", Input).value.strip()
        if typed:
            return [Path(typed).expanduser()]
        if self.marked:
            return list(self.marked)
        inbox = self.query_one("#inbox", OptionList)
        return [self.files[inbox.highlighted]] if self.files and inbox.highlighted is not None else []

    def action_attach(self) -> None:
        if self.closing:
            return  # Enter pressed again while the attached dialog closes
        files = self.chosen()
        error = self.query_one("#error", Label)
        if not files:
            error.update(t("attach.nothing"))
            return
        owner = self.owners[0][1] if len(self.owners) == 1 else str(self.query_one("#owner", Select).value)
        role = str(self.query_one("#role", Select).value)
        app = session(self)
        store = files_beside(app.conn)
        try:
            if store is None:
                raise DomainError("attachments need a database file (not one in memory)")
            ids = attach(app.writer, store, owner, files, role, app.settings.photos.attach_settings())
        except DomainError as err:
            error.update(user_message(err))
            return
        self.closing = True
        app.form_saved()
        self.post_message(RecordChanged())
        self.notify(f"{t('attach.done')}: {len(ids)}")
        self.dismiss(ids)

    def action_cancel(self) -> None:
        if not self.closing:
            self.closing = True
            self.dismiss(None)


class EvidenceScreen(Screen[None]):
    """A hazard's evidence (its own, its progress notes' and verifications'), with a large preview."""

    BINDINGS: ClassVar = [
        Binding("escape", "app.pop_screen", "Back", id="evidence.back"),
        Binding("a", "attach", "Attach", id="evidence.attach"),
        Binding("j", "cursor('down')", "Down", id="evidence.down", show=False),
        Binding("k", "cursor('up')", "Up", id="evidence.up", show=False),
    ]
    DEFAULT_CSS = """
    EvidenceScreen #list { width: 60; }
    EvidenceScreen #large { width: 1fr; }
    """

    def __init__(self, hazard_id: str, title: str):
        super().__init__()
        self.hazard_id, self.title_text = hazard_id, title
        self.found: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield Static(self.title_text, classes="title")
        with Horizontal():
            yield OptionList(id="list")
            yield Vertical(id="large")
        yield from chrome()

    def on_mount(self) -> None:
        self.refresh_data()
        self.query_one(OptionList).focus()

    @property
    def store(self) -> FolderStore | None:
        return files_beside(session(self).conn)

    def refresh_data(self) -> None:
        self.found = attachments_of(session(self).conn, self.hazard_id, self.store)
        listing = self.query_one(OptionList)
        listing.clear_options()
        for a in self.found:
            held = "" if a["here"] else f"  ({t('photo.on_server')})"
            listing.add_option(Option(f"{t('role.' + a['role'])}  {a['original_name'] or a['id'][:8]}{held}"))
        if not self.found:
            listing.add_option(Option(t("evidence.none"), disabled=True))
        else:
            listing.highlighted = 0

    def action_cursor(self, direction: str) -> None:
        listing = self.query_one(OptionList)
        listing.action_cursor_down() if direction == "down" else listing.action_cursor_up()

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_index < len(self.found):
            self.show(self.found[event.option_index])

    def show(self, a: dict[str, Any]) -> None:
        store = self.store
        pane = self.query_one("#large", Vertical)
        pane.remove_children()
        path: Path | None = None
        if store is not None and a["here"] and a["media_type"].startswith("image/"):
            path = store.path(a["sha256"])
        elif store is not None and a["thumb_here"]:
            path = store.path(a["thumb_sha256"])
        words = caption(a) + ("" if a["here"] else f"\n{t('photo.enter_fetches')}")
        pane.mount(Picture(path, words, classes="large"))

    @on(OptionList.OptionSelected)
    def _open(self, event: OptionList.OptionSelected) -> None:
        if event.option_index >= len(self.found):
            return
        a = self.found[event.option_index]
        if a["here"]:
            self.show(a)
        else:
            self.notify(t("photo.fetching"))
            self.fetch(a["sha256"], a["size"])

    @work(thread=True, exclusive=True, group="fetch", exit_on_error=False)
    def fetch(self, sha256: str, size: int) -> None:
        """Fetch a full file on a connection of its own, off the UI thread."""
        from sync.laptop.enrolment import client_for

        app = session(self)
        conn = connect(app.db_path)
        try:
            path = client_for(conn, app.db_path).file_sync().fetch(sha256, size)
            message = t("photo.fetched") if path else t("photo.not_on_server")
        except DomainError as err:
            message = user_message(err)
        finally:
            conn.close()
        self.app.call_from_thread(self._fetched, message)

    def _fetched(self, message: str) -> None:
        self.notify(message)
        listing = self.query_one(OptionList)
        at = listing.highlighted or 0
        self.refresh_data()
        listing.highlighted = min(at, max(0, len(self.found) - 1))

    def action_attach(self) -> None:
        open_attach(self, self.hazard_id, "after")

    def _changed(self, ids: Any) -> None:
        if ids:
            self.refresh_data()


def hazard_owners(conn: Any, hazard_id: str) -> list[tuple[str, str]]:
    """Where evidence of a hazard may go: the hazard, its latest progress note, its latest verification."""
    owners = [(t("attach.to_hazard"), hazard_id)]
    for table, label in (("progress", "attach.to_progress"), ("verification", "attach.to_verification")):
        row = conn.execute(
            f"SELECT id, at FROM {table} WHERE hazard_id = ? ORDER BY at DESC LIMIT 1", (hazard_id,)
        ).fetchone()
        if row is not None:
            owners.append((f"{t(label)} ({local_time(row['at'])})", row["id"]))
    return owners


def open_attach(screen: Screen[Any], hazard_id: str, role: str) -> None:
    """The attach dialog for a hazard (from its screen or its evidence), refreshing `screen` after."""
    app = session(screen)
    hazard = app.writer.get("hazard", hazard_id)
    roles = ["before", "after", "evidence", "document"]
    dialog = AttachScreen(
        f"{t('attach.title')}: {hazard['description']}", hazard_owners(app.conn, hazard_id), roles, role
    )
    refresh = getattr(screen, "_changed", None)
    screen.app.push_screen(dialog, refresh)
