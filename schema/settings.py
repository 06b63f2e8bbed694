"""The district's synced settings: what the office decides for every laptop (issue 17: the
evidence a closure needs). Rows of `setting` (id = the setting's name), written by the office
through the one write path and pulled by every laptop; the server refuses them from anyone else.

Who calls this: `safecity setting` and the office's screens; `schema.evidence` reads them.
"""

from __future__ import annotations

import sqlite3

from schema.errors import DomainError
from schema.evidence import SETTINGS
from schema.writes import Writer

VALUES = ("on", "off")


def district_settings(conn: sqlite3.Connection) -> dict[str, dict[str, str]]:
    """Every known setting: its value here ('off' when never set) and what it means."""
    held = dict(conn.execute("SELECT id, value FROM setting").fetchall())
    return {key: {"value": held.get(key, "off"), "means": means} for key, means in SETTINGS.items()}


def set_setting(w: Writer, key: str, value: str) -> bool:
    """Set a district setting; True if it changed."""
    if key not in SETTINGS:
        raise DomainError(f"no setting {key!r}; settings are {', '.join(SETTINGS)}")
    if value not in VALUES:
        raise DomainError(f"{key} is 'on' or 'off'; got {value!r}")
    with w.transaction():
        if w.conn.execute("SELECT 1 FROM setting WHERE id = ?", (key,)).fetchone():
            return bool(w.update("setting", key, {"value": value}))
        w.create("setting", {"id": key, "value": value})
        return True
