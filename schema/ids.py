"""Row identifiers.

Every row, on a laptop or on the district server, gets a UUIDv7 made where it is created, so
two laptops working offline can never hand out the same key and no autoincrement number ever
crosses the wire. Version 7 keeps ids roughly time-ordered, which keeps SQLite's b-trees
appending instead of splitting pages.
"""

from __future__ import annotations

import os
import time
import uuid


def uuid7() -> str:
    """A new UUIDv7 as its canonical 36-character string (RFC 9562, section 5.7)."""
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    value = (ms & 0xFFFF_FFFF_FFFF) << 80
    value |= 0x7 << 76  # version
    value |= (rand >> 62 & 0x0FFF) << 64  # rand_a, 12 bits
    value |= 0b10 << 62  # RFC 4122 variant
    value |= rand & 0x3FFF_FFFF_FFFF_FFFF  # rand_b, 62 bits
    return str(uuid.UUID(int=value))
