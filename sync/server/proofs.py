"""Exporting a hazard's history with the proofs that it is the district log's: `safecity audit prove`.

The proof (format: `sync.audit.proof`, docs/audit.md) holds every logged event of the hazard
and of the records made for it (progress, verification, extension, listing, escalation,
looking back, its orders, their attachments), each with its inclusion proof in the tree of
the latest signed checkpoint. Proofs are built from the stored tree (`sync.server.log`): a
few stored nodes and at most one block of 256 leaves rehashed per event.
"""

from __future__ import annotations

from typing import Any

from schema.chain import event_body, row_parts
from schema.errors import DomainError
from sync.audit.note import Checkpoint
from sync.audit.proof import FORMAT, ProvenEvent, belonging, encode
from sync.audit.verify import EVENT_COLUMNS
from sync.server.backends.base import ServerDb
from sync.server.log import StoredTree, latest_checkpoint

CHILDREN = ("progress", "verification", "extension", "listing", "escalation", "lookback")
"""The tables whose rows name their hazard (`hazard_id`)."""


def _records(db: ServerDb, hazard: str) -> list[str]:
    """The hazard and the ids of the records made for it that the server holds."""
    ids = [hazard]
    for table in CHILDREN:
        ids += [r[0] for r in db.rows(f"SELECT id FROM {table} WHERE hazard_id = ?", (hazard,))]
    ids += [r[0] for r in db.rows("SELECT id FROM rectification_order WHERE hazard_ids LIKE ?", (f'%"{hazard}"%',))]
    owners = list(ids)
    for start in range(0, len(owners), 500):
        part = owners[start : start + 500]
        ids += [
            r[0]
            for r in db.rows(
                f"SELECT id FROM attachment WHERE owner_id IN ({', '.join('?' * len(part))})",
                part,
            )
        ]
    return ids


def prove(db: ServerDb, hazard: str, *, cosigned: bool = False) -> bytes:
    """The proof file's bytes for `hazard`'s logged history under the latest checkpoint (or the
    latest the office co-signed)."""
    if cosigned:
        row = db.one("SELECT note FROM log_checkpoint WHERE cosigned = 1 ORDER BY size DESC LIMIT 1")
        note = row["note"] if row else None
        if note is None:
            raise DomainError("the office has co-signed no checkpoint of this log yet ('safecity audit cosign')")
    else:
        note = latest_checkpoint(db)
    if note is None:
        raise DomainError("the district log is empty: there is nothing to prove yet")
    checkpoint = Checkpoint.parse(note.split("\n\n", 1)[0] + "\n")
    key = db.one("SELECT value FROM meta WHERE key = 'log_key'")
    if db.one("SELECT id FROM hazard WHERE id = ?", (hazard,)) is None:
        raise DomainError(f"no hazard with id {hazard} on this server")
    ids = _records(db, hazard)
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        rows += [
            dict(zip(EVENT_COLUMNS, r, strict=True))
            for r in db.rows(
                f"SELECT {', '.join(EVENT_COLUMNS)} FROM event WHERE row_id IN ({', '.join('?' * len(part))})"
                " AND log_index IS NOT NULL AND log_index < ?",
                (*part, checkpoint.size),
            )
        ]
    rows.sort(key=lambda r: int(r["log_index"]))
    events = [ProvenEvent(int(r["log_index"]), _body(r), _verdict(r)) for r in rows]
    shown = belonging(hazard, events)
    if not shown:
        raise DomainError(f"hazard {hazard} has no events in the district log (its history began before the log)")
    tree = StoredTree(db, checkpoint.size)
    by_index = {int(r["log_index"]): r for r in rows}
    entries = [
        {
            "event": e.body,
            "hash": by_index[e.index]["hash"],
            "inclusion": [h.hex() for h in tree.inclusion(e.index, checkpoint.size)],
            "index": e.index,
            "verdict": e.verdict,
        }
        for e in shown
    ]
    return encode(
        {
            "checkpoint": note,
            "events": entries,
            "format": FORMAT,
            "hazard": hazard,
            "log_key": key["value"] if key else "",
        }
    )


def _body(row: dict[str, Any]) -> dict[str, Any]:
    return event_body(**row_parts(row))


def _verdict(row: dict[str, Any]) -> dict[str, Any]:
    return {"reason": row["reason"], "received": row["received_at"], "status": row["status"]}
