"""The laptop's side of the signed log (issue 18): its key, its chain, and its watch on the server.

Who calls this: `sync.laptop.client.SyncClient` (signing each push, checking each pull's
checkpoint) and `sync.laptop.enrolment` (making and registering the key, `status`).

- The device key is made at enrolment beside the database (`<db>.key`, owner-only) and its
  public half registered with the server; every push carries a note signed with it naming the
  push's last sequence number and the hash of that event (`sync.audit.keys.head_text`).
- The laptop keeps the last checkpoint of the district log it verified. Each pull carries the
  server's latest and a consistency proof from that one; a checkpoint that is not signed by the
  district's key, a log that shrank, or a proof that fails means the server's history was
  rewritten: the laptop records the alarm, stops the sync before applying anything, and keeps
  its own copy. So does a pull whose server reports that its own audit of its rows found an
  event changed (`sync.server.audit.SelfAudit`): a row edited behind the tree's back.
  The alarm clears when the server's log is again consistent with what it saw.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from schema.chain import LOG_CHECKPOINT, hash_of_row
from schema.store.transactions import get_meta, set_meta, transaction
from schema.writes import CHAIN_HEAD, utc_now
from sync.audit import keys
from sync.audit.merkle import EMPTY_ROOT, verify_consistency
from sync.audit.note import Checkpoint, NoteError, Signer, Verifier, add_signature, open_note
from sync.laptop.errors import SyncError

LOG_KEY = "log_key"
"""Meta: the district's log key (its verifier text), learned at enrolment."""
LOG_ALARM = "log_alarm"
"""Meta: why this laptop believes the server's history was rewritten (absent when it does not)."""
LOG_COSIGNER = "log_cosigner"
"""Meta: the office's co-signing key, as the server first named it (it is never replaced)."""
KEY_REGISTERED = "device_key_registered"
"""Meta: the public key the server confirmed it holds for this device."""


class LogRewritten(SyncError):
    """The district log the server shows is not an extension of the one this laptop saw."""


def database_path(conn: sqlite3.Connection) -> Path | None:
    row = conn.execute("PRAGMA database_list").fetchone()
    return Path(row[2]) if row and row[2] else None


def device_signer(conn: sqlite3.Connection, device_id: str) -> Signer:
    """This laptop's device key, made on first use (owner-only, beside the database)."""
    path = database_path(conn)
    if path is None:
        raise SyncError("a database in memory has no device key; sync a database file")
    return keys.load_or_create(keys.device_key_path(path), keys.device_key_name(device_id))


def push_chain(signer: Signer, device_id: str, ops: list[dict[str, Any]]) -> dict[str, Any]:
    """The `chain` of a push of `ops` (oldest first): the hash before the first, and the signed head."""
    last = ops[-1]
    return {"prev": ops[0]["prev"], "note": signer.sign(keys.head_text(device_id, last["device_seq"], last["hash"]))}


def rechain(conn: sqlite3.Connection, device_id: str, from_seq: int = 0) -> int:
    """Hash this device's pending events from `from_seq` on again, in order, and move the chain
    head: for events written before the log existed (no hash yet). Sent events are never
    rehashed (the server holds them). Returns how many were hashed."""
    rows = conn.execute(
        "SELECT * FROM event WHERE device_id = ? AND device_seq >= ? AND status = 'pending' ORDER BY device_seq",
        (device_id, from_seq),
    ).fetchall()
    if not rows:
        return 0
    before = conn.execute(
        "SELECT hash FROM event WHERE device_id = ? AND device_seq < ? ORDER BY device_seq DESC LIMIT 1",
        (device_id, rows[0]["device_seq"]),
    ).fetchone()
    prev = before[0] if before else None
    with transaction(conn):
        for row in rows:
            digest = _hash_of(row, prev)
            conn.execute("UPDATE event SET hash = ?, prev = ? WHERE id = ?", (digest, prev, row["id"]))
            prev = digest
        set_meta(conn, CHAIN_HEAD, str(prev))
    return len(rows)


def _hash_of(row: sqlite3.Row, prev: str | None) -> str:
    return hash_of_row({**dict(row), "prev": prev})


def unhashed(conn: sqlite3.Connection, device_id: str) -> int | None:
    """The first pending event of this device with no hash (written before the log), if any."""
    row = conn.execute(
        "SELECT min(device_seq) FROM event WHERE status = 'pending' AND device_id = ? AND hash IS NULL", (device_id,)
    ).fetchone()
    return row[0] if row and row[0] is not None else None


def known_size(conn: sqlite3.Connection) -> int:
    """The size of the last checkpoint this laptop verified (0 before its first)."""
    note = get_meta(conn, LOG_CHECKPOINT)
    return int(note.split("\n", 2)[1]) if note else 0


def watch(conn: sqlite3.Connection, log: Any) -> None:
    """Check what a pull says about the district log against what this laptop saw before.
    Records and raises LogRewritten when history was rewritten; else keeps the new checkpoint."""
    problem = _rewritten(conn, log)
    with transaction(conn):
        if problem:
            set_meta(conn, LOG_ALARM, f"{utc_now()} {problem}")
        else:
            conn.execute("DELETE FROM meta WHERE key = ?", (LOG_ALARM,))
            if isinstance(log, dict) and log.get("checkpoint"):
                set_meta(conn, LOG_CHECKPOINT, log["checkpoint"])
    if problem:
        raise LogRewritten(f"the district server's record was rewritten: {problem}; this laptop keeps its own copy")


def _rewritten(conn: sqlite3.Connection, log: Any) -> str | None:
    """Why `log` shows a rewritten history, or None when it extends what this laptop saw."""
    key = get_meta(conn, LOG_KEY)
    seen = get_meta(conn, LOG_CHECKPOINT)
    if not isinstance(log, dict):
        return "the server sent no account of its log" if seen else None
    if not key:
        return None  # enrolled before the log: the first checkpoint is taken as it comes
    verifier = Verifier.parse(key)
    old_size, old_root = 0, EMPTY_ROOT
    if seen:
        old = Checkpoint.parse(open_note(seen, [verifier])[0])
        old_size, old_root = old.size, old.root
    note = log.get("checkpoint")
    if note is None:
        return f"the server shows no log, where this laptop saw {old_size} entries" if old_size else None
    try:
        new = Checkpoint.parse(open_note(str(note), [verifier])[0])
    except NoteError as err:
        return f"its checkpoint is not signed by the district's key ({err})"
    if seen and new.origin != old.origin:
        return f"its log is another one ({new.origin}, not {old.origin})"
    if new.size < old_size:
        return f"its log holds {new.size} entries, where this laptop saw {old_size}"
    if log.get("from") != old_size:
        return None if not old_size else f"it proved its log from {log.get('from')}, not from {old_size}"
    try:
        proof = [bytes.fromhex(h) for h in log.get("consistency") or []]
    except (TypeError, ValueError):
        return "its consistency proof is malformed"
    if not verify_consistency(old_size, new.size, old_root, new.root, proof):
        return f"its log of {new.size} entries does not extend the {old_size} this laptop saw: entries were changed"
    cosigned = _cosigned_problem(conn, log, verifier, new)
    if cosigned:
        return cosigned
    audit = log.get("audit")
    if isinstance(audit, dict) and audit.get("broken"):
        return f"the server's own audit ({audit.get('at')}) found its stored log changed: {audit['broken']}"
    return None


def _cosigned_problem(conn: sqlite3.Connection, log: dict[str, Any], district: Verifier, new: Checkpoint) -> str | None:
    """With an office co-signer: the latest checkpoint it co-signed carries both signatures and
    the log shown extends it. A server with a stolen district key can sign a rewritten log, but
    not the office's signature, so even a laptop that never saw the old log sees the fork."""
    key = log.get("cosigner")
    if not isinstance(key, str):
        return None
    held = get_meta(conn, LOG_COSIGNER)
    if held and held != key:
        return f"it names another co-signer ({key}) than the office's ({held})"
    try:
        cosigner = Verifier.parse(key)
    except NoteError as err:
        return f"its co-signer key is not a key ({err})"
    if not held:
        with transaction(conn):
            set_meta(conn, LOG_COSIGNER, key)
    note = log.get("cosigned")
    if note is None:
        return None  # nothing co-signed yet
    try:
        text, signers = open_note(str(note), [district, cosigner])
        point = Checkpoint.parse(text)
    except NoteError as err:
        return f"its co-signed checkpoint does not verify ({err})"
    if len(signers) != 2:
        return "its co-signed checkpoint lacks the district's or the office's signature"
    try:
        proof = [bytes.fromhex(h) for h in log.get("cosigned_consistency") or []]
    except (TypeError, ValueError):
        return "its proof from the co-signed checkpoint is malformed"
    if point.origin != new.origin or not verify_consistency(point.size, new.size, point.root, new.root, proof):
        return f"its log does not extend the {point.size} entries the office co-signed: entries were changed"
    return None


def cosign(conn: sqlite3.Connection, signer: Signer) -> str:
    """The last checkpoint this laptop verified, co-signed with the office's key (`signer`)."""
    note = get_meta(conn, LOG_CHECKPOINT)
    if not note:
        raise SyncError("this laptop has verified no checkpoint yet; sync first")
    if get_meta(conn, LOG_ALARM):
        raise SyncError("this laptop saw the server's record rewritten; it co-signs nothing until that is resolved")
    held = get_meta(conn, LOG_COSIGNER)
    if held and held != signer.verifier.text():
        raise SyncError(f"this key is not the district log's co-signer ({held})")
    if any(line.startswith(f"\u2014 {signer.name} ") for line in note.split("\n")):
        return note  # co-signed already
    return add_signature(note, signer)


def alarm(conn: sqlite3.Connection) -> str | None:
    return get_meta(conn, LOG_ALARM)
