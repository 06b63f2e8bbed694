"""The district log on the server: every event it takes, in commit order, as a Merkle tree.

Who calls this: `sync.server.push` (each push appends its events' leaves and signs a
checkpoint, inside its transaction), `sync.server.pull` (each pull's checkpoint and
consistency proof), `sync.audit.proofs` and `sync.audit.verify`.

Storage: a leaf is not stored. It is recomputed from its event row (`schema.chain.leaf_entry`:
the device's event hash and the server's verdict), which is what makes an edited row visible:
the tree was built from what the row said when it was written. The tree keeps only the nodes
of complete, aligned subtrees of 256 leaves and more (`log_node`, level >= TILE); below that a
block's 256 leaves are rehashed from their rows when a proof needs them (a millisecond or two).
At a million events that is 7,800 stored nodes instead of two million.

Several server processes on PostgreSQL: the push that appends holds the change-log counter for
its transaction (`ServerDb.read_counter`), so leaves are appended by one transaction at a time,
in commit order, and `log_size` in `meta` always agrees with the rows and nodes committed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from schema.chain import leaf_entry
from schema.errors import DomainError
from sync.audit.merkle import Tree, leaf_hash, node_hash
from sync.audit.note import Checkpoint, NoteError, Signer, Verifier, open_note, split
from sync.server.backends.base import ServerDb

TILE = 8
"""Subtrees of 2^TILE leaves and more are stored; smaller ones are rehashed from rows."""
BLOCK = 1 << TILE

KEY_NAME = "safecity-district"


def leaves_of(db: ServerDb, start: int, end: int) -> list[bytes]:
    """The leaf hashes of log entries [start, end), from their event rows."""
    rows = db.rows(
        "SELECT hash, status, reason, received_at FROM event WHERE log_index >= ? AND log_index < ? ORDER BY log_index",
        (start, end),
    )
    return [leaf_hash(leaf_entry(*row)) for row in rows]


def log_size(db: ServerDb) -> int:
    row = db.one("SELECT value FROM meta WHERE key = 'log_size'")
    return int(row["value"]) if row else 0


class StoredTree(Tree):
    """The district log's tree of `size` leaves, read from `log_node` and the event rows."""

    def __init__(self, db: ServerDb, size: int):
        super().__init__()
        self.db = db
        self._size = size
        self._nodes: dict[tuple[int, int], bytes] = {}
        self._blocks: dict[int, Tree] = {}

    @property
    def size(self) -> int:
        return self._size

    def block(self, number: int) -> Tree:
        """The tree of block `number`'s leaves (its first 256, or fewer in the last block)."""
        if number not in self._blocks:
            start = number * BLOCK
            self._blocks[number] = Tree(leaves_of(self.db, start, min(start + BLOCK, self._size)))
        return self._blocks[number]

    def node(self, level: int, index: int) -> bytes:
        key = (level, index)
        if key not in self._nodes:
            row = self.db.one("SELECT hash FROM log_node WHERE level = ? AND idx = ?", key)
            if row is None:
                raise LookupError(f"the district log has no node {level}/{index}: its tree is incomplete")
            self._nodes[key] = bytes.fromhex(row["hash"])
        return self._nodes[key]

    def _range(self, start: int, count: int) -> bytes:
        if count >= BLOCK and count & (count - 1) == 0 and start % count == 0:
            return self.node(count.bit_length() - 1, start // count)
        if count <= BLOCK and start // BLOCK == (start + count - 1) // BLOCK:
            number = start // BLOCK
            return self.block(number)._range(start - number * BLOCK, count)
        return super()._range(start, count)

    def append(self, leaf: bytes) -> None:
        raise TypeError("a stored tree grows through `append_leaves`")

    def append_leaves(self, leaves: Sequence[bytes]) -> list[tuple[int, int, str]]:
        """Add leaves after the last; returns the new stored nodes (level, index, hex), for the
        caller to write in its transaction. The leaves' event rows must be written already or
        in the same transaction (the last block's earlier leaves are read from them).

        A block that fills is hashed a level at a time (its 256 leaves to one root), not leaf by
        leaf: a 100,000-event push fills 390 of them."""
        old = self._size
        number = old // BLOCK
        pending = list(self.block(number).levels[0]) if old % BLOCK else []
        new: list[tuple[int, int, str]] = []
        at = 0
        while at < len(leaves):
            take = min(BLOCK - len(pending), len(leaves) - at)
            pending += leaves[at : at + take]
            at += take
            if len(pending) == BLOCK:
                self._blocks.pop(number, None)
                self._add(TILE, number, _block_root(pending), new)
                number, pending = number + 1, []
        if pending:
            self._blocks[number] = Tree(pending)
        self._size = old + len(leaves)
        return new

    def _add(self, level: int, index: int, digest: bytes, new: list[tuple[int, int, str]]) -> None:
        """Store a completed node and the parents it completes."""
        self._nodes[(level, index)] = digest
        new.append((level, index, digest.hex()))
        while index % 2 == 1:
            digest = node_hash(self.node(level, index - 1), digest)
            level, index = level + 1, index // 2
            self._nodes[(level, index)] = digest
            new.append((level, index, digest.hex()))


def _block_root(leaves: list[bytes]) -> bytes:
    """The root of a complete block (a power of two of leaves), a level at a time."""
    level = leaves
    while len(level) > 1:
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


@dataclass(frozen=True)
class LogKeys:
    """The district's signing key, and the name its checkpoints carry."""

    signer: Signer
    origin: str

    @property
    def verifier(self) -> Verifier:
        return self.signer.verifier


def sign_checkpoint(db: ServerDb, keys: LogKeys, tree: StoredTree, now: str) -> str:
    """Sign the tree's current size and root; stored, and returned as a signed note."""
    note = keys.signer.sign(Checkpoint(keys.origin, tree.size, tree.root()).text())
    db.execute(
        "INSERT INTO log_checkpoint (size, note, signed_at) VALUES (?, ?, ?)"
        " ON CONFLICT (size) DO UPDATE SET note = excluded.note, signed_at = excluded.signed_at, cosigned = 0",
        (tree.size, note, now),
    )
    return note


def append(db: ServerDb, keys: LogKeys, start: int, leaves: Sequence[bytes], now: str) -> int:
    """Append a push's leaves (their event rows written already, in this transaction) to the log
    of `start` entries and sign the new checkpoint; returns the first one's index."""
    if not leaves:
        return start
    tree = StoredTree(db, start)
    nodes = tree.append_leaves(leaves)
    if nodes:
        db.many("INSERT INTO log_node (level, idx, hash) VALUES (?, ?, ?)", nodes)
    db.execute(
        "INSERT INTO meta (key, value) VALUES ('log_size', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (str(tree.size),),
    )
    sign_checkpoint(db, keys, tree, now)
    return start


def latest_checkpoint(db: ServerDb) -> str | None:
    row = db.one("SELECT note FROM log_checkpoint ORDER BY size DESC LIMIT 1")
    return row["note"] if row else None


def checkpoint_of(note: str, verifier: Verifier) -> Checkpoint:
    """The checkpoint a note signed by `verifier` holds (NoteError when it is not so signed)."""
    text, _signers = open_note(note, [verifier])
    return Checkpoint.parse(text)


def log_answer(db: ServerDb, known: int) -> dict[str, object]:
    """What a pull carries about the log for a laptop that holds a checkpoint of size `known`:
    the latest signed checkpoint and the proof that the tree of `known` is a prefix of it; with
    an office co-signer, also the latest checkpoint it co-signed and the proof from that one."""
    note = latest_checkpoint(db)
    if note is None:
        return {"checkpoint": None, "size": 0, "from": known, "consistency": []}
    size = int(note.split("\n", 2)[1])
    answer: dict[str, object] = {"checkpoint": note, "size": size, "from": known}
    tree = StoredTree(db, size)
    if known <= size:
        answer["consistency"] = [h.hex() for h in tree.consistency(known, size)]
    key = cosigner_key(db)
    if key:
        answer["cosigner"] = key
        cosigned = db.one("SELECT size, note FROM log_checkpoint WHERE cosigned = 1 ORDER BY size DESC LIMIT 1")
        if cosigned and int(cosigned["size"]) <= size:
            answer["cosigned"] = cosigned["note"]
            answer["cosigned_consistency"] = [h.hex() for h in tree.consistency(int(cosigned["size"]), size)]
    return answer


COSIGNER = "log_cosigner"
"""Server meta: the office's co-signing key (a verifier key's text), kept off the server."""


def cosigner_key(db: ServerDb) -> str | None:
    row = db.one("SELECT value FROM meta WHERE key = ?", (COSIGNER,))
    return row["value"] if row else None


def set_cosigner(db: ServerDb, key: str) -> str:
    """Name the office's co-signing key (its public half). Once named it is not replaced: a
    server that could swap it could co-sign its own rewrite."""
    try:
        verifier = Verifier.parse(key)
    except NoteError as err:
        raise DomainError(f"not a co-signing key: {err}") from None
    with db.transaction():
        held = cosigner_key(db)
        if held and held != verifier.text():
            raise DomainError(f"the district's log already has a co-signer ({held}); it is not replaced")
        db.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", (COSIGNER, verifier.text())
        )
    return verifier.text()


def cosign(db: ServerDb, district: Verifier, note: str) -> int:
    """Store the office's co-signature on a checkpoint the server signed; returns its size.
    The note must be that checkpoint, signed by the district key and by the named co-signer."""
    key = cosigner_key(db)
    if not key:
        raise DomainError("this district's log has no co-signer; an administrator names one first")
    try:
        text, signers = open_note(note, [district, Verifier.parse(key)])
        point = Checkpoint.parse(text)
    except NoteError as err:
        raise DomainError(f"not a co-signed checkpoint of this log: {err}") from None
    if len(signers) != 2:
        raise DomainError("a co-signed checkpoint carries the district's signature and the co-signer's")
    with db.transaction():
        stored = db.one("SELECT note FROM log_checkpoint WHERE size = ?", (point.size,))
        if stored is None or split(stored["note"])[0] != text:
            raise DomainError(f"the server signed no such checkpoint of {point.size} entries")
        db.execute("UPDATE log_checkpoint SET note = ?, cosigned = 1 WHERE size = ?", (note, point.size))
    return point.size
