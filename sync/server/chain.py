"""Checking that a push extends its device's chain, before anything of it is applied.

Who calls this: `sync.server.push`, first thing in the push transaction. A laptop hashes each
event as it writes it, naming the hash of its previous one (`schema.chain`), and signs the
head of its chain with its device key (`sync.audit.note`) on every push. The server recomputes
every hash from what the push carries, so what it stores is what the device signed:
- the push names the hash before its first op (`chain.prev`) and carries a signed note of its
  last op's sequence number and hash (`chain.note`);
- the first op the server has not seen must follow the last one it holds from that device
  (else a change is missing, or the laptop's record forks from what it sent before);
- the recomputed head must be the signed one, under the key registered for this device.
A push that fails is refused whole (409) with the reason; the laptop keeps every op.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from schema.chain import CanonicalError, event_hash
from sync.audit.note import NoteError, Verifier, open_note
from sync.server.accounts import DeviceAuth
from sync.server.backends.base import ServerDb
from sync.server.merge import Op
from sync.server.push_body import PayloadError

HEX64 = frozenset("0123456789abcdef")


class ChainRefused(Exception):
    """The push does not extend this device's chain (answered 409; nothing is applied)."""


@dataclass
class Chain:
    """A push's chain: what each op hashes to and what the device signed."""

    prev: str | None
    note: str
    hashes: list[str] = field(default_factory=list)
    """Each op's hash, in the push's (sequence) order."""
    fields: list[bytes] = field(default_factory=list)
    """Each op's fields as sent (JSON), before the server derives anything: what the log stores."""
    seq: int = 0
    head: str = ""

    def signed(self, ops: list[tuple[Op, dict[str, Any]]]) -> dict[str, tuple[str, str | None, str]]:
        """Op id -> (its hash, its device's previous hash, its fields as sent): what the log stores."""
        hashes = self.hashes
        return {
            op.op_id: (hashes[i], hashes[i - 1] if i else self.prev, self.fields[i].decode())
            for i, (op, _old) in enumerate(ops)
        }


def _is_hash(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= HEX64


def read_chain(body: Any, ops: list[tuple[Op, dict[str, Any]]], auth: DeviceAuth) -> Chain | None:
    """The chain of a push, its ops hashed (PayloadError when malformed; None when unsigned)."""
    raw = body.get("chain") if isinstance(body, dict) else None
    if raw is None:
        _hashed(Chain(None, ""), ops, auth)  # a value no hash can be made of is the body's fault first
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("note"), str) or len(raw["note"]) > 4096:
        raise PayloadError('a push\'s \'chain\' is {"prev": hash or null, "note": signed chain head}')
    prev = raw.get("prev")
    if prev is not None and not _is_hash(prev):
        raise PayloadError("a push's chain 'prev' is 64 lowercase hexadecimal digits, or null")
    return _hashed(Chain(prev, raw["note"]), ops, auth)


def _hashed(chain: Chain, ops: list[tuple[Op, dict[str, Any]]], auth: DeviceAuth) -> Chain:
    running = chain.prev
    for op, old in ops:
        try:
            running = event_hash(
                op_id=op.op_id,
                device_id=auth.device_id,
                device_seq=op.device_seq,
                hlc=op.hlc,
                actor=op.actor,
                at=op.at,
                table=op.table,
                row_id=op.pk,
                action=op.action,
                fields=op.fields,
                old=old,
                base_version=op.base_version,
                prev=running,
            )
        except CanonicalError as err:
            raise PayloadError(f"change {op.device_seq}: {err}") from None
        chain.hashes.append(running)
        chain.fields.append(orjson.dumps(op.fields))
    return chain


def stored_hash(db: ServerDb, device_id: str, seq: int) -> str | None:
    """The hash the server holds for one of a device's sequence numbers."""
    row = db.one("SELECT hash FROM event WHERE device_id = ? AND device_seq = ?", (device_id, seq))
    return row["hash"] if row else None


def check(
    chain: Chain | None,
    ops: list[tuple[Op, dict[str, Any]]],
    auth: DeviceAuth,
    device: dict[str, Any] | None,
    stored_hash: Any,
) -> None:
    """ChainRefused unless the push extends what the server holds for this device.

    `device`: the device row (last_seq, public_key, chain_seq, chain_head); `stored_hash(seq)`
    the hash the server holds for one of this device's sequence numbers."""
    if not ops:
        return
    if chain is None:
        raise ChainRefused("this push is not signed; update SafeCity on this laptop (its changes are kept)")
    if device is None or not device.get("public_key"):
        raise ChainRefused("this laptop has no key registered with the server; sync again to register it")
    try:
        verifier = Verifier.parse(device["public_key"])
        text, _signers = open_note(chain.note, [verifier])
    except NoteError as err:
        raise ChainRefused(f"the push's signature is not this laptop's: {err}") from None
    lines = text.split("\n")
    if len(lines) != 4 or lines[0] != f"safecity.device/{auth.device_id}" or not lines[1].isdigit():
        raise ChainRefused("the push's signed chain head is not for this laptop")
    chain.seq, chain.head = int(lines[1]), lines[2]
    last_op = ops[-1][0]
    if chain.seq != last_op.device_seq or chain.head != chain.hashes[-1]:
        raise ChainRefused(
            f"the changes sent do not hash to the chain head this laptop signed (change {chain.seq});"
            " they were altered after they were written"
        )
    last_seq = device["last_seq"]
    first_new = next((i for i, (op, _old) in enumerate(ops) if op.device_seq > last_seq), None)
    if first_new is None:  # a retry of changes the server holds: they must be the same changes
        if stored_hash(last_op.device_seq) != chain.head:
            raise ChainRefused(
                f"change {last_op.device_seq} differs from the one this laptop sent before: its record forks"
            )
        return
    before = chain.hashes[first_new - 1] if first_new else chain.prev
    if before != device["chain_head"]:
        op = ops[first_new][0]
        raise ChainRefused(
            f"change {op.device_seq} does not follow the last change the server holds from this laptop"
            f" (number {device['chain_seq']}): a change is missing, or this laptop's record forks"
        )
    for op, _old in ops[first_new:]:
        if op.actor != auth.login:
            raise ChainRefused(f"change {op.device_seq} is signed as {op.actor!r}; this laptop is {auth.login}'s")
        if not op.at:
            raise ChainRefused(f"change {op.device_seq} carries no time it was made")
