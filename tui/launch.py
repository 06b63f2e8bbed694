"""Starting the terminal app from `safecity` with no command."""

from __future__ import annotations

from pathlib import Path

from schema.calendar import local_today
from schema.errors import DomainError
from tui import config


def run_app(db_path: Path) -> None:
    """Open the app on `db_path`; a missing database or bad settings are one clear line."""
    if not db_path.exists():
        raise DomainError(f"no database at {db_path}; run 'safecity seed' or 'safecity init' first")
    from tui.app import SafeCityApp
    from tui.widgets import picture

    settings = config.load()
    picture.detect()  # asks the terminal about graphics now: once Textual runs, it reads the answers
    SafeCityApp(db_path, settings, today=local_today()).run()
