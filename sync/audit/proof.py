"""A hazard's history as a proof anyone can check with no server and no database.

`safecity audit prove HAZARD_ID -o FILE` writes one (`sync.server.proofs.prove`); `safecity
audit verify-proof FILE --key PUBKEY` checks it here. The file is one RFC 8785 canonical JSON
object and a newline (docs/audit.md):

    {"checkpoint": <signed note>, "events": [<entry>...], "format": "safecity.proof/1",
     "hazard": <hazard id>, "log_key": <the district's verifier key>}
    entry: {"event": <the event body the device hashed>, "hash": <its SHA-256, hex>,
            "inclusion": [<hex>...], "index": <its place in the log>,
            "verdict": {"reason": ..., "received": ..., "status": ...}}

Checking it: the checkpoint is signed by the key the reader trusts (given on the command line,
never taken from the file); each event body hashes to its hash; its leaf (hash and the server's
verdict) is included at its index in the tree the checkpoint signs; each event is about the
hazard or a record the file shows was made for it. The file must be byte for byte its own
canonical form, so no byte of it can change unnoticed: a change to a value fails a hash or a
signature, a change to the layout fails the canonical form.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson

from schema.chain import CanonicalError, canonical, leaf_entry
from sync.audit.merkle import leaf_hash, verify_inclusion
from sync.audit.note import Checkpoint, NoteError, Verifier, open_note

FORMAT = "safecity.proof/1"
KEYS = {"checkpoint", "events", "format", "hazard", "log_key"}
ENTRY_KEYS = {"event", "hash", "inclusion", "index", "verdict"}
VERDICT_KEYS = {"reason", "received", "status"}
PARENT_FIELDS = ("hazard_id", "owner_id")
"""A record's fields that name the hazard (or a record of it) it belongs to."""


class ProofError(NoteError):
    """The proof does not verify; the message says which part and why."""


@dataclass(frozen=True)
class ProvenEvent:
    index: int
    body: dict[str, Any]
    verdict: dict[str, Any]

    def line(self) -> str:
        b, v = self.body, self.verdict
        return (
            f"#{self.index} {b['at']} {b['actor']} {b['action']} {b['table']} {b['pk']}"
            f" {' '.join(sorted(b['fields']))}: {v['status']}" + (f" ({v['reason']})" if v.get("reason") else "")
        )


@dataclass(frozen=True)
class Proven:
    hazard: str
    checkpoint: Checkpoint
    events: list[ProvenEvent]


def encode(document: dict[str, Any]) -> bytes:
    """A proof's bytes as written: its canonical form and a newline."""
    return canonical(document) + b"\n"


def check(data: bytes, key: str, *, cosigner: str | None = None) -> Proven:
    """The history a proof file proves under the district key `key` (a verifier key's text),
    and, with `cosigner`, co-signed by the office; ProofError naming the first thing that fails."""
    try:
        verifier = Verifier.parse(key)
    except NoteError as err:
        raise ProofError(f"the key given is not a district key: {err}") from None
    try:
        office = Verifier.parse(cosigner) if cosigner else None
    except NoteError as err:
        raise ProofError(f"the co-signer key given is not a key: {err}") from None
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        raise ProofError("the file is not a SafeCity proof (not JSON)") from None
    if not isinstance(document, dict) or set(document) != KEYS or document.get("format") != FORMAT:
        raise ProofError(f"the file is not a SafeCity proof ({FORMAT})")
    try:
        if encode(document) != data:
            raise ProofError("the file is not in the form it was written in: it was changed after it was made")
    except CanonicalError as err:
        raise ProofError(f"the file holds a value no proof can: {err}") from None
    if document["log_key"] != verifier.text():
        raise ProofError("the proof was made under another district key than the one given")
    try:
        text, signers = open_note(str(document["checkpoint"]), [verifier, *([office] if office else [])])
        checkpoint = Checkpoint.parse(text)
    except NoteError as err:
        raise ProofError(f"its checkpoint does not verify: {err}") from None
    if verifier.name not in signers or (office is not None and office.name not in signers):
        raise ProofError("its checkpoint is not signed by " + ("both keys given" if office else "the key given"))
    hazard = document["hazard"]
    events = document["events"]
    if not isinstance(hazard, str) or not isinstance(events, list) or not events:
        raise ProofError("the proof names no hazard or holds no events")
    proven = [_entry(n, entry, checkpoint) for n, entry in enumerate(events)]
    indexes = [e.index for e in proven]
    if indexes != sorted(set(indexes)):
        raise ProofError("the proof's events are not in log order, or one appears twice")
    _belongs(hazard, proven)
    return Proven(hazard, checkpoint, proven)


def _entry(n: int, entry: Any, checkpoint: Checkpoint) -> ProvenEvent:
    where = f"event {n + 1} of the proof"
    if not isinstance(entry, dict) or set(entry) != ENTRY_KEYS:
        raise ProofError(f"{where} is not an entry of the log")
    body, digest, path, index, verdict = (entry[k] for k in ("event", "hash", "inclusion", "index", "verdict"))
    if not isinstance(body, dict) or not isinstance(verdict, dict) or set(verdict) != VERDICT_KEYS:
        raise ProofError(f"{where} is not an entry of the log")
    if not isinstance(index, int) or not isinstance(path, list) or not all(isinstance(p, str) for p in path):
        raise ProofError(f"{where} has no place in the log")
    if hashlib.sha256(canonical(body)).hexdigest() != digest:
        raise ProofError(f"{where} (#{index}) does not hash to its hash: the event was changed")
    try:
        leaf = leaf_hash(leaf_entry(digest, verdict["status"], verdict["reason"], verdict["received"]))
        hashes = [bytes.fromhex(p) for p in path]
        if [h.hex() for h in hashes] != path:
            raise ValueError("not lowercase hexadecimal")
    except (CanonicalError, ValueError, TypeError):
        raise ProofError(f"{where} (#{index}) cannot be read") from None
    if not verify_inclusion(index, checkpoint.size, leaf, hashes, checkpoint.root):
        raise ProofError(
            f"{where} (#{index}) is not in the district log the checkpoint signs"
            f" ({checkpoint.size} entries): the event, its verdict or its place was changed"
        )
    for name in ("at", "actor", "action", "table", "pk", "fields"):
        if name not in body:
            raise ProofError(f"{where} (#{index}) is not a SafeCity event (no {name!r})")
    return ProvenEvent(index, body, verdict)


def belonging(hazard: str, events: list[ProvenEvent]) -> list[ProvenEvent]:
    """The events about the hazard, or about a record made for it: one whose create event, in
    `events`, names the hazard or such a record as its parent (in log order, so a parent's
    creation comes before its children's)."""
    mine = {hazard}
    for event in events:
        body = event.body
        fields = body["fields"] if isinstance(body["fields"], dict) else {}
        if body["action"] == "create" and _names(fields, mine):
            mine.add(str(body["pk"]))
    return [event for event in events if event.body["pk"] in mine]


def _belongs(hazard: str, events: list[ProvenEvent]) -> None:
    shown = belonging(hazard, events)
    if len(shown) != len(events):
        stray = next(e for e in events if e not in shown)
        raise ProofError(f"event #{stray.index} is about {stray.body['pk']}, not hazard {hazard} or its records")


def _names(fields: dict[str, Any], mine: set[str]) -> bool:
    if any(fields.get(name) in mine for name in PARENT_FIELDS):
        return True
    listed = fields.get("hazard_ids")
    if isinstance(listed, str):
        try:
            listed = orjson.loads(listed)
        except orjson.JSONDecodeError:
            return False
    return isinstance(listed, list) and any(h in mine for h in listed)
