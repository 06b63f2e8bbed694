"""Order numbers in stock on the laptop: a block is reserved from the server before they run out.

Who calls this: the sync client after every sync and enrolment (`keep_numbers_in_stock`), so a
laptop going offline always holds numbers to issue rectification orders with. The server's side
is `sync.server.numbers`; this module does not import it (a laptop never loads server code).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date
from typing import Any

from schema.office.orders import add_number_block, numbers_left
from schema.store.transactions import transaction

LOW_WATER = 10
"""A laptop with fewer numbers left than this reserves another block when it syncs."""


def keep_numbers_in_stock(conn: sqlite3.Connection, request: Callable[..., Any], today: date) -> int:
    """Reserve a block for this year when few numbers are left; returns how many were added."""
    if numbers_left(conn, today.year) >= LOW_WATER:
        return 0
    block = request("POST", "/v1/numbers", body={"year": today.year})
    with transaction(conn):
        add_number_block(conn, int(block["year"]), int(block["first"]), int(block["last"]))
    return int(block["last"]) - int(block["first"]) + 1
