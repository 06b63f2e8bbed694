"""The canonical form of an event, and the hashes that chain a device's events (issue 18).

Why here, in `schema`: the laptop's one write path (`schema.writes`) hashes every event as it
writes it, the district server recomputes the same hash from what a push carries, and
`safecity audit` recomputes it again from what either side stored. One definition, used by all
three, is what makes "the record as it was made" checkable.

An event's hash is SHA-256 of its RFC 8785 canonical JSON (`event_body`): the device's words
only (what it changed, when, as whom, on which version), with the hash of the same device's
previous event, so a device's events form a chain a later edit, deletion or insertion breaks.
The server's verdict on the event (status, reason, when it arrived) is added in the district
log's leaf (`leaf_entry`), not here: the device signs what it said, the server what it decided.

RFC 8785 is the `rfc8785` package; for the events SafeCity writes (texts, integers, no floats)
orjson with sorted keys produces the same bytes thirty times faster, so `canonical` takes that
path when it provably may and the reference otherwise (a test checks the two agree).
"""

from __future__ import annotations

import hashlib
import html
import sqlite3
from typing import Any

import orjson
import rfc8785

FORMAT = 1
"""The version of the event body (`v`), so a later form can be told from this one."""

LOG_CHECKPOINT = "log_checkpoint"
"""Laptop meta: the last checkpoint of the district log this laptop verified (a signed note;
`sync.laptop.chain.watch` keeps it, the printed documents cite it)."""

SAFE_INTEGER = 2**53 - 1
"""RFC 8785 writes numbers as ECMAScript does: integers beyond this lose their value."""


class CanonicalError(ValueError):
    """A value has no canonical form (an integer beyond ±2^53, a float that is not finite)."""


def _plain(value: Any) -> bool:
    """Whether orjson's sorted output is RFC 8785 for `value`: no floats, safe integers, and
    keys in which UTF-16 order is code point order (ASCII is enough here: keys are field names).

    A loop over a stack, not a recursion: it runs for every event a push carries, and an
    event is mostly texts (a call per value was a third of the server's hashing)."""
    stack = [value]
    pop, push = stack.pop, stack.append
    while stack:
        item = pop()
        kind = type(item)
        if kind is str or item is None or kind is bool:
            continue
        if kind is int:
            if not -SAFE_INTEGER <= item <= SAFE_INTEGER:
                return False
        elif kind is dict:
            for key, inner in item.items():
                if type(key) is not str or not key.isascii():
                    return False
                if type(inner) is not str:
                    push(inner)
        elif kind is list:
            stack.extend(item)
        else:
            return False
    return True


def canonical(value: Any) -> bytes:
    """RFC 8785 canonical JSON of `value`; CanonicalError when it has none."""
    if _plain(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:
            pass  # a text that is not valid Unicode (a lone surrogate): the reference decides
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as err:
        raise CanonicalError(f"a value cannot be signed: {err}") from None


def event_body(
    *,
    op_id: str,
    device_id: str,
    device_seq: int,
    hlc: int,
    actor: str,
    at: str,
    table: str,
    row_id: str,
    action: str,
    fields: dict[str, Any],
    old: dict[str, Any],
    base_version: int,
    prev: str | None,
) -> dict[str, Any]:
    """What a device's event says, as it is hashed. The clock is a decimal text: it is a 64-bit
    number, beyond what RFC 8785's numbers hold exactly."""
    return {
        "v": FORMAT,
        "id": op_id,
        "device": device_id,
        "seq": device_seq,
        "hlc": str(hlc),
        "actor": actor,
        "at": at,
        "table": table,
        "pk": row_id,
        "action": action,
        "fields": fields,
        "old": old,
        "base": base_version,
        "prev": prev,
    }


def _flat(values: Any) -> bool:
    """A dict of texts, safe integers, booleans and nulls under ASCII keys (what `fields` and
    `old` nearly always are): orjson may write it without the general check."""
    if type(values) is not dict:
        return False
    for key, value in values.items():
        kind = type(value)
        if type(key) is not str or not key.isascii():
            return False
        if kind is str or value is None or kind is bool:
            continue
        if kind is not int or not -SAFE_INTEGER <= value <= SAFE_INTEGER:
            return False
    return True


def event_hash(**parts: Any) -> str:
    """The hex SHA-256 of an event's canonical body (`event_body`'s arguments). It runs for every
    event a push carries and every event `audit verify` reads, so the usual event (texts, safe
    numbers, flat `fields` and `old`) goes to orjson directly; anything else takes `canonical`."""
    body = event_body(**parts)
    if (
        _flat(body["fields"])
        and _flat(body["old"])
        and type(body["seq"]) is int
        and -SAFE_INTEGER <= body["seq"] <= SAFE_INTEGER
        and type(body["base"]) is int
        and -SAFE_INTEGER <= body["base"] <= SAFE_INTEGER
        and (body["prev"] is None or type(body["prev"]) is str)
        and type(body["id"]) is str
        and type(body["device"]) is str
        and type(body["actor"]) is str
        and type(body["at"]) is str
        and type(body["table"]) is str
        and type(body["pk"]) is str
        and type(body["action"]) is str
    ):
        try:
            return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()
        except orjson.JSONEncodeError:
            pass  # a text that is not valid Unicode: the reference decides
    return hashlib.sha256(canonical(body)).hexdigest()


def row_parts(row: Any) -> dict[str, Any]:
    """`event_body`'s arguments from a stored event row (a laptop's or the server's `event`)."""
    return {
        "op_id": row["id"],
        "device_id": row["device_id"],
        "device_seq": row["device_seq"],
        "hlc": row["hlc"],
        "actor": row["actor"],
        "at": row["at"],
        "table": row["table_name"],
        "row_id": row["row_id"],
        "action": row["action"],
        "fields": orjson.loads(row["fields"]),
        "old": orjson.loads(row["old"]),
        "base_version": row["base_version"],
        "prev": row["prev"],
    }


def hash_of_row(row: Any) -> str:
    """The hash of a stored event row: what `safecity audit verify` compares with its `hash`."""
    return event_hash(**row_parts(row))


def leaf_entry(event: str, status: str, reason: str | None, received_at: str | None) -> bytes:
    """The bytes the district log's leaf hashes: the device's event hash and the server's
    verdict on it (`merkle.leaf_hash` adds RFC 6962's 0x00 prefix). Its canonical form is
    written directly (the keys in their sorted order) when every value is a text or null."""
    if (
        type(event) is str
        and type(status) is str
        and (reason is None or type(reason) is str)
        and (received_at is None or type(received_at) is str)
    ):
        dumps = orjson.dumps
        try:
            return b"".join(
                (b'{"event":', dumps(event), b',"reason":', dumps(reason), b',"received":', dumps(received_at),
                 b',"status":', dumps(status), b"}")
            )  # fmt: skip
        except orjson.JSONEncodeError:
            pass  # a lone surrogate: the reference says what it says
    return canonical({"event": event, "status": status, "reason": reason, "received": received_at})


def leaf_hash_hex(event: str, status: str, reason: str | None, received_at: str | None) -> str:
    """The hex RFC 6962 leaf hash of an event (what a printed order shows)."""
    return hashlib.sha256(b"\x00" + leaf_entry(event, status, reason, received_at)).hexdigest()


def seal(conn: sqlite3.Connection, row_id: str | None = None) -> dict[str, Any]:
    """Where a printed document stands in the district log, from a laptop's copy: the leaf of
    the last logged event of `row_id` (or of any record, for a report) and the checkpoint this
    laptop last verified. `safecity audit prove` and `verify-proof` check the same leaf."""
    where = "WHERE log_index IS NOT NULL" + (" AND row_id = ?" if row_id else "")
    event = conn.execute(
        f"SELECT id, hash, status, reason, received_at, log_index FROM event {where} ORDER BY log_index DESC LIMIT 1",
        (row_id,) if row_id else (),
    ).fetchone()
    pending = bool(
        row_id
        and conn.execute("SELECT 1 FROM event WHERE row_id = ? AND log_index IS NULL LIMIT 1", (row_id,)).fetchone()
    )
    note = conn.execute("SELECT value FROM meta WHERE key = ?", (LOG_CHECKPOINT,)).fetchone()
    checkpoint = None
    if note and note[0]:
        origin, size, root = str(note[0]).split("\n")[:3]
        checkpoint = {"origin": origin, "size": int(size), "root": root}
    return {
        "event": event[0] if event else None,
        "log_index": event[5] if event else None,
        "leaf": leaf_hash_hex(event[1], event[2], event[3], event[4]) if event and event[1] else None,
        "unsent": pending,
        "checkpoint": checkpoint,
    }


def seal_html(seal: dict[str, Any]) -> str:
    """The seal as a printed footer (small type, monospace hashes)."""
    esc = html.escape
    if seal["leaf"] is None:
        entry = "本记录尚未进入区级日志（同步后再打印） not yet in the district log: sync, then print"
    else:
        entry = (
            f"区级日志第 {seal['log_index']} 条 district log entry {seal['log_index']}，"
            f"叶哈希 leaf <code>{esc(seal['leaf'])}</code>"
            + ("；其后另有未同步的修改 later changes not yet synced" if seal["unsent"] else "")
        )
    point = seal["checkpoint"]
    made_under = (
        f"检查点 checkpoint <code>{esc(point['origin'])}</code> 共 {point['size']} 条，根 root <code>{esc(point['root'])}</code>"
        if point
        else "本机尚未核验过区级日志的检查点 no checkpoint verified on this laptop yet"
    )
    return (
        '<footer class="seal" style="margin-top:3em;font-size:8pt;color:#555;word-break:break-all">'
        f"<p>{entry}</p><p>{made_under}</p>"
        "<p>核验：safecity audit verify-proof（docs/audit.md） check with safecity audit verify-proof</p></footer>"
    )
