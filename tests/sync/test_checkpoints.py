"""The embedded server copies its write-ahead log back into the database file when writes
pause, and at the latest after a while of continuous writes (sync.server.backends.sqlite.Checkpointer)."""

from __future__ import annotations

import time

from sync.server.backends.sqlite import SQLiteBackend


def _write(backend: SQLiteBackend, rows: int = 200) -> None:
    db = backend.db()
    with db.transaction():
        db.many(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [(f"probe-{time.monotonic_ns()}-{n}", "x" * 500) for n in range(rows)],
        )
    backend.written()


def _copied_back(backend: SQLiteBackend, size_before: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if backend.path.stat().st_size > size_before:
            return True
        time.sleep(0.02)
    return False


def test_the_log_is_copied_back_once_writes_pause(tmp_path):
    backend = SQLiteBackend(tmp_path, serving=True)
    try:
        backend.checkpointer.quiet = 0.2  # type: ignore[union-attr]
        size = backend.path.stat().st_size
        _write(backend)
        assert backend.path.stat().st_size == size  # the commit is in the log, not yet in the file
        assert _copied_back(backend, size, seconds=10)
    finally:
        backend.close()


def test_a_server_that_never_pauses_still_copies_its_log_back(tmp_path):
    backend = SQLiteBackend(tmp_path, serving=True)
    try:
        backend.checkpointer.quiet = 60  # type: ignore[union-attr]
        backend.checkpointer.longest = 0.3  # type: ignore[union-attr]
        size = backend.path.stat().st_size
        deadline = time.monotonic() + 10
        while backend.path.stat().st_size == size and time.monotonic() < deadline:
            _write(backend, rows=20)
            time.sleep(0.02)
        assert backend.path.stat().st_size > size
    finally:
        backend.close()
