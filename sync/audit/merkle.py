"""The district log's Merkle tree, hashed as RFC 6962 / RFC 9162 say, with its two proofs.

A leaf is `SHA-256(0x00 || entry)`, a node `SHA-256(0x01 || left || right)`; a tree of n leaves
splits at the largest power of two below n. Two proofs let anyone check the log without it:
*inclusion* (this entry is leaf i of the tree whose root a checkpoint signs) and *consistency*
(the tree of size m is a prefix of the tree of size n: nothing before m was rewritten).

`Tree` keeps every complete, aligned subtree's hash (level k holds the subtrees of 2^k leaves),
so a root or a proof costs O(log n) hashes, not O(n): at a million entries a proof is a few
dozen lookups. The checks (`verify_inclusion`, `verify_consistency`) are RFC 9162 §2.1.3.2 and
§2.1.4.2 as written, and need nothing but hashes: an independent verifier can be written from
docs/audit.md.

Who calls this: the district server (appending accepted events, answering proofs), laptops
(checking the checkpoint each pull brings) and `safecity audit`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()
"""The root of the tree of no leaves."""


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


class Tree:
    """Leaf hashes in order, and every complete aligned subtree's hash above them."""

    def __init__(self, leaves: Iterable[bytes] = ()):
        self.levels: list[list[bytes]] = [[]]
        for leaf in leaves:
            self.append(leaf)

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def append(self, leaf: bytes) -> None:
        """Add a leaf hash, completing the subtrees it closes."""
        self.levels[0].append(leaf)
        level, index = 0, len(self.levels[0]) - 1
        while index % 2 == 1:
            below = self.levels[level]
            if level + 1 == len(self.levels):
                self.levels.append([])
            self.levels[level + 1].append(node_hash(below[index - 1], below[index]))
            level, index = level + 1, index // 2

    def _range(self, start: int, count: int) -> bytes:
        """MTH of leaves [start, start + count)."""
        if count == 1:
            return self.levels[0][start]
        if count & (count - 1) == 0 and start % count == 0:  # a complete, aligned subtree: stored
            return self.levels[count.bit_length() - 1][start // count]
        k = _split(count)
        return node_hash(self._range(start, k), self._range(start + k, count - k))

    def root(self, size: int | None = None) -> bytes:
        """The root of the first `size` leaves (all of them by default)."""
        size = self.size if size is None else size
        if not 0 <= size <= self.size:
            raise ValueError(f"the tree has {self.size} leaves, not {size}")
        return EMPTY_ROOT if size == 0 else self._range(0, size)

    def inclusion(self, index: int, size: int | None = None) -> list[bytes]:
        """The audit path of leaf `index` in the tree of the first `size` leaves."""
        size = self.size if size is None else size
        if not 0 <= index < size <= self.size:
            raise ValueError(f"no leaf {index} in a tree of {size}")
        path: list[bytes] = []
        start, count, m = 0, size, index
        while count > 1:
            k = _split(count)
            if m < k:
                path.append(self._range(start + k, count - k))
                count = k
            else:
                path.append(self._range(start, k))
                start, count, m = start + k, count - k, m - k
        return path[::-1]

    def consistency(self, old: int, new: int | None = None) -> list[bytes]:
        """The proof that the tree of `old` leaves is a prefix of the tree of `new`."""
        new = self.size if new is None else new
        if not 0 <= old <= new <= self.size:
            raise ValueError(f"no consistency from {old} to {new} in a tree of {self.size}")
        if old in (0, new):
            return []
        proof: list[bytes] = []
        start, count, m, complete = 0, new, old, True
        while m != count:
            k = _split(count)
            if m <= k:
                proof.append(self._range(start + k, count - k))
                count = k
            else:
                proof.append(self._range(start, k))
                start, count, m, complete = start + k, count - k, m - k, False
        if not complete:
            proof.append(self._range(start, count))
        return proof[::-1]


def verify_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: does `path` prove leaf `index` of the tree of `size` with `root`?"""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 §2.1.4.2: does `proof` show the tree of `old` leaves is a prefix of the one of `new`?"""
    if old > new:
        return False
    if old == new:
        return not proof and old_root == new_root
    if old == 0:
        return not proof and old_root == EMPTY_ROOT
    if not proof:
        return False
    path = list(proof)
    if old & (old - 1) == 0:  # an exact power of two: the old root is itself a node of the new tree
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while not (fn & 1 or fn == 0):
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == new_root and sn == 0
