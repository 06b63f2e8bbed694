"""Full-text search that finds Chinese as well as English.

SQLite's unicode61 tokenizer keeps a run of Chinese characters together as one token, so
"消防通道堵塞" would only be found by searching the whole run. We index every CJK character as
its own token instead and search a Chinese query as a phrase of its characters: "消防" becomes
the phrase "消 防", which matches wherever the two characters stand side by side. Latin words
are left whole and matched by prefix, so "fire" finds "fire-fighting".

Who calls this: the FTS triggers (through `fts_text`, registered by `schema.db.connect`) and
the list queries (through `match_expression`).
"""

from __future__ import annotations

import re

_CJK = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef])")
_WORD = re.compile(r"[\w\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def fts_text(*parts: str | None) -> str:
    """The text to index for a row: its parts joined, each CJK character spaced apart."""
    return _CJK.sub(r" \1 ", " ".join(p for p in parts if p))


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
