"""Auditing a laptop's file: `safecity audit verify` on a laptop's database.

A laptop holds its own chain whole (every event it wrote, sent or not) and the events of other
devices it pulled, each with the hash its device logged. It checks:
- each of its own hashed events hashes to its stored hash and names the previous one's, in
  sequence order, up to the chain head it signs with (`schema.writes.CHAIN_HEAD`);
- every pulled event hashes to the hash it came with (a pulled copy edited on this laptop);
- the last checkpoint it verified is signed by the district's key, and no alarm is standing;
- its device key is the one the server confirmed.
The district's tree cannot be checked here (a laptop holds its areas' events, not the log);
that is the server's audit and the laptops' consistency check on every pull.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from schema.chain import LOG_CHECKPOINT
from schema.store.transactions import get_meta
from schema.writes import CHAIN_HEAD
from sync.audit import keys
from sync.audit.note import NoteError, Verifier, open_note
from sync.audit.verify import EVENT_COLUMNS, Problem, Report, check_event
from sync.laptop.chain import KEY_REGISTERED, LOG_ALARM, LOG_KEY, database_path

PAGE = 20_000


def verify(conn: sqlite3.Connection) -> Report:
    """Check what this laptop's file holds of the record; the report names the first bad event."""
    report = Report("laptop file")
    device = get_meta(conn, "device_id")
    if not device:
        report.add(Problem("this file is not enrolled with a district server: it holds no signed record"))
        return report
    _own_chain(conn, device, report)
    _pulled(conn, device, report)
    _log_facts(conn, device, report)
    return report


def _rows(conn: sqlite3.Connection, where: str, params: tuple[object, ...]) -> list[dict[str, object]]:
    columns = ", ".join(EVENT_COLUMNS)
    cursor = conn.execute(f"SELECT {columns} FROM event WHERE {where}", params)
    return [dict(zip(EVENT_COLUMNS, row, strict=True)) for row in cursor.fetchall()]


def _own_chain(conn: sqlite3.Connection, device: str, report: Report) -> None:
    last_seq, last = 0, None
    hashed = False
    seq = -1
    while True:
        rows = _rows(conn, "device_id = ? AND device_seq > ? ORDER BY device_seq LIMIT ?", (device, seq, PAGE))
        for row in rows:
            seq = int(str(row["device_seq"]))
            if row["hash"] is None:
                if hashed:
                    report.add(Problem(f"this laptop's change {seq} has lost its hash", event=str(row["id"])))
                else:
                    report.unlogged += 1
                continue
            hashed = True
            report.entries += 1
            problem = check_event(row)
            if problem:
                report.add(Problem(problem, event=str(row["id"])))
            if row["prev"] != last:
                report.add(
                    Problem(
                        f"this laptop's change {seq} does not follow its change {last_seq}:"
                        " a change was deleted, inserted or reordered",
                        event=str(row["id"]),
                    )
                )
            last_seq, last = seq, row["hash"]
        if len(rows) < PAGE:
            break
    report.devices = 1 if hashed else 0
    head = get_meta(conn, CHAIN_HEAD)
    if hashed and head != str(last):
        report.add(Problem(f"the chain head this laptop signs with is not the hash of its last change ({last_seq})"))


def _pulled(conn: sqlite3.Connection, device: str, report: Report) -> None:
    for row in _rows(conn, "device_id != ? AND hash IS NOT NULL", (device,)):
        problem = check_event(row)
        if problem:
            report.add(Problem(f"a pulled copy: {problem}", event=str(row["id"])))
        report.entries += 1


def _log_facts(conn: sqlite3.Connection, device: str, report: Report) -> None:
    alarm = get_meta(conn, LOG_ALARM)
    if alarm:
        report.add(Problem(f"this laptop found the server's record rewritten: {alarm}"))
    key, seen = get_meta(conn, LOG_KEY), get_meta(conn, LOG_CHECKPOINT)
    if seen:
        report.checkpoints = 1
        try:
            open_note(seen, [Verifier.parse(key or "")])
        except NoteError as err:
            report.add(Problem(f"the last checkpoint this laptop kept does not verify: {err}"))
    registered = get_meta(conn, KEY_REGISTERED)
    path = database_path(conn)
    if registered and path is not None:
        key_file = keys.device_key_path(Path(path))
        if not key_file.exists():
            report.add(Problem(f"this laptop's device key {key_file} is missing: its next push cannot be signed"))
        elif keys.load_signer(key_file).verifier.text() != registered:
            report.add(Problem(f"this laptop's device key {key_file} is not the one the server holds for it"))
