"""The district server's database: the domain tables plus what only the server keeps.

Who calls this: `sync.server.store` (push, pull, accounts) and the admin commands. The server holds
the same domain tables as a laptop (created by `schema` migrations, so both stay in step)
and adds:
- `account` and `device`: users with a role and areas; one revocable token per device,
  stored as a SHA-256 hash; `last_seq` is the device's highest op sequence applied, which
  makes a retried push harmless.
- `number_block`: rectification-order numbers reserved per device and year (`sync.server.numbers`).
- `row_meta`: per row, its change-log position (`pos`, the pull cursor orders by it), its
  area (what scope filters on), a tombstone flag, and a stamp per field (row version, clock,
  device of the last write), which is what `sync.server.merge` decides concurrency with.
Positions come from a counter in `meta` that the push transaction updates, so they are
handed out in commit order: a reader can never skip a change committed after it read.

`ServerDb` is deliberately thin: portable SQL with `?` parameters, so the push and pull logic
is written once for every backend.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from schema.store.connection import connect
from schema.store.transactions import transaction

log = logging.getLogger("safecity.server")

SERVER_TABLES = [
    """CREATE TABLE IF NOT EXISTS account (
        login TEXT PRIMARY KEY,
        role TEXT NOT NULL CHECK (role IN ('inspector', 'supervisor', 'admin')),
        areas TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS device (
        id TEXT PRIMARY KEY,
        login TEXT NOT NULL REFERENCES account (login),
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        revoked_at TEXT,
        last_seq INTEGER NOT NULL DEFAULT 0,
        last_seen TEXT
    )""",
    """CREATE TABLE IF NOT EXISTS row_meta (
        table_name TEXT NOT NULL,
        row_id TEXT NOT NULL,
        pos INTEGER NOT NULL,
        area TEXT,
        deleted INTEGER NOT NULL DEFAULT 0,
        stamps TEXT NOT NULL DEFAULT '{}',
        origin TEXT,
        PRIMARY KEY (table_name, row_id)
    )""",
    """CREATE TABLE IF NOT EXISTS number_block (
        year INTEGER NOT NULL,
        first INTEGER NOT NULL,
        last INTEGER NOT NULL,
        device_id TEXT NOT NULL REFERENCES device (id),
        reserved_at TEXT NOT NULL,
        PRIMARY KEY (year, first)
    )""",
    # Rows that left an area (the office moved their unit): the old area's laptops are told to
    # drop them, at a change-log position like any change (issue 15).
    """CREATE TABLE IF NOT EXISTS row_exit (
        table_name TEXT NOT NULL,
        row_id TEXT NOT NULL,
        area TEXT NOT NULL,
        pos INTEGER NOT NULL,
        PRIMARY KEY (table_name, row_id, area)
    )""",
    "CREATE INDEX IF NOT EXISTS row_exit_by_area_pos ON row_exit (area, pos)",
    # The district log (issue 18, `sync.server.log`): the stored nodes of its tree, the
    # checkpoints the server signed, and each push's signed chain head per device.
    """CREATE TABLE IF NOT EXISTS log_node (
        level INTEGER NOT NULL,
        idx INTEGER NOT NULL,
        hash TEXT NOT NULL,
        PRIMARY KEY (level, idx)
    )""",
    """CREATE TABLE IF NOT EXISTS log_checkpoint (
        size INTEGER PRIMARY KEY,
        note TEXT NOT NULL,
        signed_at TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS device_head (
        device_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        head TEXT NOT NULL,
        note TEXT NOT NULL,
        received_at TEXT NOT NULL,
        PRIMARY KEY (device_id, seq)
    )""",
    "CREATE INDEX IF NOT EXISTS row_meta_by_pos ON row_meta (pos)",
    "CREATE INDEX IF NOT EXISTS row_meta_by_area_pos ON row_meta (area, pos)",
]

SERVER_COLUMNS = [
    ("device", "public_key", "TEXT"),
    ("device", "chain_seq", "INTEGER NOT NULL DEFAULT 0"),
    ("device", "chain_head", "TEXT"),
    ("log_checkpoint", "cosigned", "INTEGER NOT NULL DEFAULT 0"),
]
"""Columns added to the server's own tables after they were first released (issue 18): a device's
registered public key and the head of its chain as the server holds it."""

LAPTOP_ONLY = {
    "trigger": (
        "hazard_fts_insert",
        "hazard_fts_update",
        "hazard_fts_delete",
        "unit_fts_insert",
        "unit_fts_update",
        "unit_fts_delete",
    ),
    "table": ("hazard_fts", "unit_fts"),
    "index": (
        "event_pending",
        "event_by_row",
        "hazard_by_status_grade_deadline",
        "hazard_by_grade_deadline",
        "hazard_by_area_status_deadline",
        "hazard_by_status_deadline",
        "hazard_by_unit",
    ),
}
"""What only laptops read: the search index (kept up by a Python function per row), the outbox
and history indexes of the event log, and the hazard lists' orders and a unit's hazards. The
server's rows are the same without them (it finds rows by id and by change-log position, and
units are never deleted), and every one of them would slow each push."""

DATABASE_FILE = "district.db"


class SQLiteServerDb:
    """One connection to the server's database, SQLite flavour."""

    kind = "sqlite"

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        row = self.conn.execute(sql, params).fetchone()
        return dict(row) if row is not None else None

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        return [dict(r) for r in self.conn.execute(sql, params)]

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in self.conn.execute(sql, params)]

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        return self.conn.execute(sql, params).rowcount

    def many(self, sql: str, seq: Sequence[Sequence[Any]]) -> None:
        self.conn.executemany(sql, seq)

    def rows_by_id(self, table: str, columns: Sequence[str], ids: Sequence[str]) -> list[tuple[Any, ...]]:
        """`columns` of the rows of `table` whose id is one of `ids` (any number of them)."""
        found: list[tuple[Any, ...]] = []
        for start in range(0, len(ids), 500):  # SQLite binds at most 32,766 parameters
            chunk = ids[start : start + 500]
            found += self.rows(
                f"SELECT {', '.join(columns)} FROM {table} WHERE id IN ({', '.join('?' * len(chunk))})", chunk
            )
        return found

    @contextmanager
    def transaction(self) -> Iterator[SQLiteServerDb]:
        with transaction(self.conn):
            yield self

    def read_counter(self) -> int:
        """The last change-log position handed out. Call inside the push transaction, which
        holds the write lock until commit, so positions are allocated in commit order."""
        self.conn.execute("INSERT INTO meta (key, value) VALUES ('pos', '0') ON CONFLICT (key) DO NOTHING")
        return int(self.conn.execute("SELECT value FROM meta WHERE key = 'pos'").fetchone()[0])

    def columns(self, table: str) -> list[str]:
        return [r[1] for r in self.conn.execute(f"PRAGMA table_info({table})")]

    def close(self) -> None:
        self.conn.close()


class SQLiteBackend:
    """The embedded server's storage: one SQLite file under the data folder.

    Each thread gets its own connection (SQLite connections are not shared across threads);
    WAL lets pulls read while a push writes, and BEGIN IMMEDIATE serializes the writers.
    `serving=True` (the running server) moves WAL checkpoints off the request path.
    """

    def __init__(self, data_dir: str | Path, *, serving: bool = False):
        self.path = Path(data_dir) / DATABASE_FILE
        # The data and the token hashes are the district's: owner-only, whatever the umask.
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.path.parent.chmod(0o700)
        self.path.touch(mode=0o600, exist_ok=True)
        self.path.chmod(0o600)
        self._local = threading.local()
        self._all: list[SQLiteServerDb] = []
        self._lock = threading.Lock()
        self.checkpointer = Checkpointer(self.path) if serving else None
        db = self.db()
        with db.transaction():
            for statement in SERVER_TABLES:
                db.execute(statement)
            for table, column, declaration in SERVER_COLUMNS:
                if column not in db.columns(table):
                    db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
            for kind, names in LAPTOP_ONLY.items():
                for name in names:
                    db.execute(f"DROP {kind.upper()} IF EXISTS {name}")

    def db(self) -> SQLiteServerDb:
        db = getattr(self._local, "db", None)
        if db is None:
            db = SQLiteServerDb(connect(self.path))
            if self.checkpointer:
                db.conn.execute("PRAGMA wal_autocheckpoint = 0")
            self._local.db = db
            with self._lock:
                self._all.append(db)
        return db

    def written(self) -> None:
        """A write transaction committed (the WAL grew)."""
        if self.checkpointer:
            self.checkpointer.written()

    def close(self) -> None:
        if self.checkpointer:
            self.checkpointer.stop()
        with self._lock:
            for db in self._all:
                db.close()
            self._all.clear()
        self._local = threading.local()


class Checkpointer:
    """Copies the write-ahead log back into the database file, off the request path and out of
    the way of a burst of pushes.

    SQLite's automatic checkpoint runs inside whichever commit crosses its threshold: one push
    in every few waits for the copy and two fsyncs (with checkpoints off altogether, the server's
    part of a 100,000-hazard push took 4.9 s instead of 6.5 s). The serving connections turn it
    off and this thread checkpoints once writes have paused for `quiet` seconds, PASSIVE (it
    never blocks a reader or a writer): copying the log while a laptop pushes 100,000 hazards
    took a second of the server's two cores from the push. Writes that have waited `longest`
    seconds are checkpointed without a pause, so a server that is never quiet still keeps its
    log bounded. Nothing is less durable: a commit is in the WAL either way.
    """

    def __init__(self, path: Path, quiet: float = 1.0, longest: float = 30.0):
        self.path = path
        self.quiet = quiet
        """Seconds without a write before the log is copied back."""
        self.longest = longest
        """Seconds a write waits for a quiet moment at most."""
        self.wake = threading.Event()
        self.last_write = 0.0
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="safecity-checkpoint", daemon=True)
        self._thread.start()

    def written(self) -> None:
        self.last_write = time.monotonic()
        self.wake.set()

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        try:
            while True:
                self.wake.wait()
                waiting_since = time.monotonic()
                while not self._stopping:
                    now = time.monotonic()
                    pause = min(self.last_write + self.quiet, waiting_since + self.longest) - now
                    if pause <= 0:
                        break
                    time.sleep(min(pause, 0.1))  # short naps, so stop() is not kept waiting
                if self._stopping:
                    break
                self.wake.clear()
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error as err:  # the next write tries again; the WAL only grows meanwhile
                    log.warning("WAL checkpoint failed: %s", err)
        finally:
            conn.close()

    def stop(self) -> None:
        self._stopping = True
        self.wake.set()
        self._thread.join()
