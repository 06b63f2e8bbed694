"""Full-text search that finds Chinese as well as English.

SQLite's unicode61 tokenizer keeps a run of Chinese characters together as one token, so
"消防通道堵塞" would only be found by searching the whole run. We index every CJK character as
its own token instead and search a Chinese query as a phrase of its characters: "消防" becomes
the phrase "消 防", which matches wherever the two characters stand side by side. Latin words
are left whole and matched by prefix, so "fire" finds "fire-fighting".

Who calls this: the FTS triggers (through `fts_text`, registered by `schema.store.connection.connect`) and
the list queries (through `match_expression`).
"""

from __future__ import annotations

import re
import sqlite3
from functools import cache

from schema.store.transactions import transaction

_CJK_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x3000, 0x303F), (0xFF00, 0xFFEF))


@cache
def _spaced() -> list[str]:
    """str.translate table: every CJK character (and CJK punctuation) gets spaces around it.

    A list indexed by code point, every other character mapped to itself: translate then never
    looks a character up and misses (with a dict, each Latin letter or digit raised and caught a
    KeyError inside translate; indexing 100,000 hazards took 0.25 s instead of 0.16 s). A code
    point past the end raises IndexError, which translate also takes as "leave it". Built on
    first use (13 ms): most commands never index text."""
    table = list(map(chr, range(max(hi for _lo, hi in _CJK_RANGES) + 1)))
    for lo, hi in _CJK_RANGES:
        table[lo : hi + 1] = [f" {c} " for c in map(chr, range(lo, hi + 1))]
    return table


_CJK = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef])")
_WORD = re.compile(r"[\w\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def fts_text(*parts: str | None) -> str:
    """The text to index for a row: its parts joined, each CJK character spaced apart."""
    return " ".join(filter(None, parts)).translate(_spaced())


def match_expression(query: str) -> str | None:
    """An FTS5 MATCH expression for what a person typed, or None if nothing is searchable.

    Every word must match (AND). User text never reaches the MATCH syntax unquoted, so
    characters like `"`, `*` or `NEAR` in a query are searched as text, not obeyed.
    """
    terms = []
    for word in _WORD.findall(query):
        tokens = fts_text(word).split()
        if not tokens:
            continue
        phrase = " ".join(tokens).replace('"', '""')
        if _CJK.search(word):
            terms.append(f'"{phrase}"')
        else:
            terms.append(f'"{phrase}"*')
    return " AND ".join(terms) or None


DEFERRED = "search_deferred"
"""`meta` key set while a large pull writes rows without indexing them one by one."""


def defer_indexing(conn: sqlite3.Connection) -> None:
    """Stop the per-row index triggers (inside the caller's transaction) until `rebuild_index`."""
    conn.execute("INSERT INTO meta (key, value) VALUES (?, '1') ON CONFLICT (key) DO NOTHING", (DEFERRED,))


def is_deferred(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM meta WHERE key = ?", (DEFERRED,)).fetchone() is not None


def rebuild_index(conn: sqlite3.Connection) -> None:
    """Index every hazard and unit again in one statement each (much faster than row by row for
    a big snapshot, because FTS5 then builds one segment instead of merging many)."""
    with transaction(conn):
        conn.execute("INSERT INTO hazard_fts (hazard_fts) VALUES ('delete-all')")  # contentless: no DELETE
        conn.execute(
            "INSERT INTO hazard_fts (rowid, body) SELECT rowid, fts_text(description, location, rectifier) FROM hazard"
        )
        conn.execute("INSERT INTO unit_fts (unit_fts) VALUES ('delete-all')")
        conn.execute(
            "INSERT INTO unit_fts (rowid, body) SELECT rowid, fts_text(name, name_en, address, uscc) FROM unit"
        )
        conn.execute("DELETE FROM meta WHERE key = ?", (DEFERRED,))
