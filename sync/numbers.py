"""Blocks of rectification-order numbers, reserved by the server for each device.

Who calls this: the server's `POST /v1/numbers` (`reserve`), and the sync client after every
sync (`keep_numbers_in_stock`), so a laptop going offline always holds numbers to issue orders
with. Why blocks: see `schema.orders`. The per-year counter is a row of the server's `meta`
updated in the reserving transaction: the UPDATE takes the row lock (PostgreSQL) or the write
lock (SQLite), so two processes reserving at once get consecutive, disjoint blocks.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

from schema.db import transaction
from schema.orders import add_number_block, numbers_left
from schema.writes import utc_now
from sync.accounts import DeviceAuth
from sync.serverdb import ServerDb

BLOCK_SIZE = 50
"""Numbers per reserved block: a few weeks of orders for one inspector."""
LOW_WATER = 10
"""A laptop with fewer numbers left than this reserves another block when it syncs."""


def reserve(db: ServerDb, auth: DeviceAuth, year: int, size: int = BLOCK_SIZE) -> dict[str, Any]:
    """Reserve the next `size` numbers of `year` for the device; returns {year, first, last}."""
    key = f"order_numbers:{year}"
    with db.transaction():
        db.execute("INSERT INTO meta (key, value) VALUES (?, '0') ON CONFLICT (key) DO NOTHING", (key,))
        db.execute("UPDATE meta SET value = CAST(CAST(value AS INTEGER) + ? AS TEXT) WHERE key = ?", (size, key))
        last = int(db.one("SELECT value FROM meta WHERE key = ?", (key,))["value"])
        first = last - size + 1
        db.execute("INSERT INTO number_block (year, first, last, device_id, reserved_at) VALUES (?, ?, ?, ?, ?)",
                   (year, first, last, auth.device_id, utc_now()))
    return {"year": year, "first": first, "last": last}


def keep_numbers_in_stock(conn: sqlite3.Connection, request: Any, today: date) -> int:
    """Reserve a block for this year when few numbers are left; returns how many were added."""
    if numbers_left(conn, today.year) >= LOW_WATER:
        return 0
    block = request("POST", "/v1/numbers", body={"year": today.year})
    with transaction(conn):
        add_number_block(conn, int(block["year"]), int(block["first"]), int(block["last"]))
    return int(block["last"]) - int(block["first"]) + 1
