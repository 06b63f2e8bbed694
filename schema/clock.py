"""The hybrid logical clock every event is stamped with.

Why not the wall clock: laptops' clocks are wrong (minutes, sometimes years), and two edits
made in the same millisecond must still be ordered. A hybrid logical clock (Kulkarni et al.)
is the wall time in milliseconds with a counter in the low 16 bits: it never runs backwards,
it moves past every stamp it has seen from the server, and it stays close to real time.

Why it lives in `schema`: the write path stamps every event in the same transaction as the
change, so the clock must be readable there; the sync engine only feeds it what it observes.
The state is persisted in the `meta` table so a restart never reuses a stamp.
"""

from __future__ import annotations

import sqlite3
import time

from schema.store.transactions import get_meta, set_meta

LOGICAL_BITS = 16
MAX_SKEW_MS = 5 * 60 * 1000
"""A stamp further ahead of our wall clock than this is clamped: a device with a clock set to
next year must not win every last-writer-wins race for a year. The clamp is reported, never a
reason to refuse an edit."""


def wall_ms() -> int:
    return time.time_ns() // 1_000_000


def pack(ms: int, counter: int = 0) -> int:
    return (ms << LOGICAL_BITS) | counter


def physical_ms(hlc: int) -> int:
    return hlc >> LOGICAL_BITS


def next_stamp(last: int, now_ms: int) -> int:
    """The stamp after `last` at wall time `now_ms`: strictly greater, close to real time."""
    return max(last + 1, pack(now_ms))


def clamp(stamp: int, now_ms: int) -> tuple[int, int]:
    """(the stamp to trust, how many ms it was ahead of the allowed skew; 0 if none)."""
    limit = pack(now_ms + MAX_SKEW_MS)
    if stamp > limit:
        return limit, physical_ms(stamp) - now_ms
    return stamp, 0


def tick(conn: sqlite3.Connection) -> int:
    """A new stamp for a local event. Call inside the write transaction."""
    stamp = next_stamp(int(get_meta(conn, "hlc", "0") or 0), wall_ms())
    set_meta(conn, "hlc", str(stamp))
    return stamp


def observe(conn: sqlite3.Connection, remote: int) -> int:
    """Move the clock past a stamp seen from the server; returns the skew clamped (ms)."""
    trusted, skew = clamp(remote, wall_ms())
    last = int(get_meta(conn, "hlc", "0") or 0)
    if trusted > last:
        set_meta(conn, "hlc", str(trusted))
    return skew
