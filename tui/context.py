"""What a screen may use of the running app, typed: the laptop's database, writer, rules and today.

Who calls this: every screen and form (`session(self).writer`, `session(self).today`). Screens do
not import the app (the app imports the screens, so that would be an import circle) and do not
reach into it untyped (`self.app.conn  # type: ignore`): they ask for a `Session`, a Protocol the
app satisfies and mypy checks, so what a screen may touch is written in one place.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Protocol, runtime_checkable

from textual.dom import DOMNode
from textual.message import Message

from schema.rules import LocalRules
from schema.writes import Writer
from tui.config import Settings


@runtime_checkable
class Session(Protocol):
    """The open laptop database as the screens see it."""

    db_path: Path
    """The database file (a worker thread opens its own connection on it)."""
    conn: sqlite3.Connection
    """The UI thread's connection: reads, and writes through `writer`."""
    writer: Writer
    """The one write path: every edit is committed together with its outbox op."""
    rules: LocalRules
    """The district's local rules (synced), e.g. the working-day calendar."""
    today: date
    """Today as the app sees it (pinned in tests and demos); overdue is computed from it."""
    settings: Settings
    """The user's settings (language, keymap, sync interval)."""

    def form_saved(self) -> None:
        """A form has just saved: an Enter pressed again right away is the same press, ignored."""


def session(node: DOMNode) -> Session:
    """The session of the app `node` belongs to."""
    app = node.app
    if not isinstance(app, Session):  # a screen mounted in some other app: a programming error
        raise TypeError(f"{type(app).__name__} is not a SafeCity app")
    return app


def in_background(node: DOMNode, work: Callable[[], object], *, group: str, name: str) -> None:
    """Run `work` in a thread as a worker of the app, not of `node`: a worker's state messages do
    not bubble, so only then does its failure reach the app's one handler (a notification and a
    log line, never a closed app). `work` reports back with messages posted to its screen."""
    node.app.run_worker(work, name=name, group=group, thread=True, exclusive=True, exit_on_error=False)


class RecordChanged(Message):
    """Something was written on this laptop (a form saved, an item recorded, a conflict resolved).

    Posted by whoever wrote it; it bubbles to the app, which refreshes the status line (the
    pending count) in one place, so no screen refreshes it by hand."""
