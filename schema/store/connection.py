"""Opening a SafeCity database.

Who calls this: everything that touches a database file (the CLI, the TUI, the sync client,
the embedded district server). `connect` gives a connection that is ready to use: WAL mode
(readers never block the writer, a crash loses nothing committed), foreign keys on, the
functions the triggers need registered, and the schema migrated to this code's version.
A file newer than this code is refused rather than half-understood.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

from schema.errors import StoreError
from schema.store.bulk import catch_up
from schema.store.migrations import MIGRATIONS, SCHEMA_VERSION
from schema.store.search import fts_text
from schema.store.transactions import transaction

APPLICATION_ID = 0x5AFEC17  # marks a file as SafeCity's, so a stray SQLite file is refused

# None binds as NULL either way, but the sqlite3 module only binds int, float, str and bytes
# without "adapting" them first: for None it builds a lookup key and searches the adapter
# registry, then two attributes, on every parameter. A pulled hazard row has a dozen NULL
# columns, so that search was a third of writing a 100,000-hazard snapshot (0.88 s -> 0.50 s
# for the rows alone with this registered). `{}.get(None)` is None, called from C.
_as_null: Callable[[None], None] = {}.get  # type: ignore[assignment]  # mypy cannot pick dict.get's overload
sqlite3.register_adapter(type(None), _as_null)


def connect(path: str | Path, *, migrate: bool = True) -> sqlite3.Connection:
    """Open (creating if needed) the database at `path` and bring it up to date.

    Raises `StoreError` with a one-line reason if the file is not a SafeCity database, is
    unreadable, or was written by a newer SafeCity.
    """
    path = Path(path)
    if path.is_dir():
        raise StoreError(f"{path} is a directory, not a database file")
    if path.parent and not path.parent.exists():
        raise StoreError(f"folder {path.parent} does not exist")
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.row_factory = sqlite3.Row
        conn.create_function("fts_text", -1, fts_text, deterministic=True)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 30000")
        if migrate:
            _migrate(conn, path)
            catch_up(conn)  # a large pull stopped before it rebuilt its indexes
    except sqlite3.DatabaseError as err:
        raise StoreError(f"cannot open {path} as a SafeCity database: {err}") from None
    return conn


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    has_tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0
    if app_id != APPLICATION_ID and has_tables:
        raise StoreError(f"{path} is an SQLite file but not a SafeCity database")
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by a newer SafeCity (schema {version}, this one knows "
            f"{SCHEMA_VERSION}); please update SafeCity"
        )
    for number in range(version + 1, SCHEMA_VERSION + 1):
        with transaction(conn):
            for statement in _statements(MIGRATIONS[number - 1]):
                conn.execute(statement)
            if "writable_schema" in MIGRATIONS[number - 1]:  # the schema text was edited in place:
                cookie = conn.execute("PRAGMA schema_version").fetchone()[0]  # make every connection re-read it
                conn.execute(f"PRAGMA schema_version = {cookie + 1}")
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {number}")


def _statements(script: str) -> Iterator[str]:
    """Split a migration into statements, keeping trigger bodies whole.

    `executescript` would commit our transaction first; executing statement by statement keeps
    each migration all-or-nothing.
    """
    buffer = ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--") and not buffer.strip():
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                yield buffer.strip()
            buffer = ""
    if buffer.strip():
        yield buffer.strip()
