"""Auditing the district server's stored record: `safecity audit verify --data/--database-url`,
and the self-audit a running server repeats and reports in every pull.

`verify(db)` reads the log a page of events at a time in log order (by the unique log index,
so a million events are never in memory at once) and checks it with `sync.audit.verify`
against the signed checkpoints, the stored tree nodes and the devices' signed chain heads.
It checks the log as it stood when it began: entries appended meanwhile are the next audit's.

The self-audit (`SelfAudit`) exists for what a laptop cannot see from outside: an administrator
who edits an event row but leaves the tree and checkpoints alone changes no proof a pull
carries, only what the rows say. The running server checks its rows again every so often and
each pull reports the last result (`log.audit`); a laptop that is told the record is broken
raises the same alarm as for a rewritten tree. An administrator who also rebuilds the tree and
re-signs checkpoints is caught by every laptop's consistency check instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from schema.writes import utc_now
from sync.audit.note import NoteError, Verifier
from sync.audit.verify import EVENT_COLUMNS, LogAuditor, Problem, Report
from sync.server.backends.base import ServerDb
from sync.server.log import TILE, log_size

PAGE = 20_000
"""Events read per query."""

log = logging.getLogger("safecity.audit")


def verify(db: ServerDb, *, what: str = "district log", page: int = PAGE) -> Report:
    """Check the whole district log stored in `db`; the report names the first bad entry."""
    report = Report(what)
    meta = {
        r["key"]: r["value"]
        for r in db.all("SELECT key, value FROM meta WHERE key IN ('log_key', 'log_origin', 'log_cosigner')")
    }
    verifier = _recorded_key(meta.get("log_key"), "log key", report)
    cosigner = _recorded_key(meta.get("log_cosigner"), "co-signer", report)
    size = log_size(db)
    checkpoints = db.rows("SELECT size, note FROM log_checkpoint WHERE size <= ? ORDER BY size", (size,))
    nodes = {
        (level, idx): digest
        for level, idx, digest in db.rows("SELECT level, idx, hash FROM log_node")
        if ((idx + 1) << level) <= size
    }
    devices = db.rows("SELECT id, public_key, chain_seq, chain_head FROM device")
    heads = db.rows("SELECT device_id, seq, head, note FROM device_head")
    auditor = LogAuditor(
        report,
        verifier=verifier,
        origin=meta.get("log_origin"),
        checkpoints=[(int(s), str(n)) for s, n in checkpoints],
        nodes=nodes,
        node_level=TILE,
        device_keys={d[0]: d[1] for d in devices},
        heads=[(str(h[0]), int(h[1]), str(h[2]), str(h[3])) for h in heads],
        cosigner=cosigner,
        cosigned=[int(r[0]) for r in db.rows("SELECT size FROM log_checkpoint WHERE cosigned = 1")],
    )
    columns = ", ".join(EVENT_COLUMNS)
    start = -1
    while True:
        rows = db.rows(
            f"SELECT {columns} FROM event WHERE log_index > ? AND log_index < ? ORDER BY log_index LIMIT ?",
            (start, size, page),
        )
        for row in rows:
            auditor.entry(dict(zip(EVENT_COLUMNS, row, strict=True)))
        if len(rows) < page:
            break
        start = rows[-1][-1]
    if auditor.frontier.size < size and not auditor.tree_broken:
        report.add(
            Problem(
                f"the log should hold {size} entries but its events end at {auditor.frontier.size}: entries were deleted"
            )
        )
    _unlogged(db, report)
    return auditor.finish({d[0]: (int(d[2] or 0), d[3]) for d in devices})


def _recorded_key(text: str | None, what: str, report: Report) -> Verifier | None:
    """A key the server's meta records, or None (a recorded key that is no key is a problem)."""
    if not text:
        return None
    try:
        return Verifier.parse(text)
    except NoteError as err:
        report.add(Problem(f"the district's recorded {what} is not a key: {err}"))
        return None


def _unlogged(db: ServerDb, report: Report) -> None:
    """Events with no place in the log: before it began they are expected; after, hidden."""
    first = db.one("SELECT received_at FROM event WHERE log_index = 0")
    row = db.one("SELECT count(*) AS n FROM event WHERE log_index IS NULL")
    report.unlogged = int(row["n"]) if row else 0
    if first and report.unlogged:
        late = db.one(
            "SELECT id, received_at FROM event WHERE log_index IS NULL AND received_at > ? ORDER BY received_at LIMIT 1",
            (first["received_at"],),
        )
        if late:
            report.add(
                Problem(
                    f"it arrived {late['received_at']}, after the log began, but is not in the log:"
                    " it was added or taken out of the log behind the server's back",
                    event=late["id"],
                )
            )


class SelfAudit:
    """A running server's repeated audit of its own rows (every `every` seconds, first at start).

    `result()` is what each pull carries: when the last audit ran, how many entries it covered,
    and its first problem, or None. One per server process; on PostgreSQL each process audits
    the shared database on its own clock."""

    def __init__(self, open_db: Callable[[], ServerDb], every: float):
        """`open_db`: the store's connection for the calling thread (the audit has a thread of its own)."""
        self.open_db = open_db
        self.every = every
        self._result: dict[str, Any] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="safecity-self-audit", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def result(self) -> dict[str, Any] | None:
        return self._result

    def run_once(self) -> Report:
        report = verify(self.open_db())
        self._result = {
            "at": utc_now(),
            "entries": report.entries,
            "broken": report.first.line() if report.first else None,
        }
        if report.ok:
            log.info("self-audit: %d log entries are as they were made", report.entries)
        else:
            log.error("self-audit: the stored record was changed: %s", report.first.line() if report.first else "")
        return report

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # an audit that cannot run must not stop the server; it says so
                log.exception("self-audit could not run")
            self._stop.wait(self.every)
