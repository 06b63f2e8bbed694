"""Blocks of rectification-order numbers, reserved by the server for each device.

Who calls this: the server's `POST /v1/numbers`. Why blocks: see `schema.office.orders` (a
laptop must issue numbered orders offline, and no two laptops may issue the same number). The
per-year counter is a row of the server's `meta` updated in the reserving transaction: the
UPDATE takes the row lock (PostgreSQL) or the write lock (SQLite), so two processes reserving
at once get consecutive, disjoint blocks. The laptop's side is `sync.laptop.numbers`.
"""

from __future__ import annotations

from typing import Any

from schema.writes import utc_now
from sync.server.accounts import DeviceAuth
from sync.server.backends.base import ServerDb

BLOCK_SIZE = 50
"""Numbers per reserved block: a few weeks of orders for one inspector."""


def reserve(db: ServerDb, auth: DeviceAuth, year: int, size: int = BLOCK_SIZE) -> dict[str, Any]:
    """Reserve the next `size` numbers of `year` for the device; returns {year, first, last}."""
    key = f"order_numbers:{year}"
    with db.transaction():
        db.execute("INSERT INTO meta (key, value) VALUES (?, '0') ON CONFLICT (key) DO NOTHING", (key,))
        db.execute("UPDATE meta SET value = CAST(CAST(value AS INTEGER) + ? AS TEXT) WHERE key = ?", (size, key))
        row = db.one("SELECT value FROM meta WHERE key = ?", (key,))
        assert row is not None  # written just above, in this transaction
        last = int(row["value"])
        first = last - size + 1
        db.execute(
            "INSERT INTO number_block (year, first, last, device_id, reserved_at) VALUES (?, ?, ?, ?, ?)",
            (year, first, last, auth.device_id, utc_now()),
        )
    return {"year": year, "first": first, "last": last}
