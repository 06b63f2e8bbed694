"""The bytes of attachments: a content-addressed folder beside the database.

A file is stored once under its SHA-256 (`ab/abcdef...`), however many attachments name it, and
never changes: a name is its content. Bytes arrive whole (attaching on the laptop) or in pieces
(an upload to the server, a download to a laptop) into `partial/<sha256>`, appended only at the
offset already held, so a cut transfer resumes where it stopped and a second writer of the same
file waits its turn (an exclusive lock on the partial file). A partial file becomes the file only
when its length and its SHA-256 are the ones promised, then it is flushed to disk and renamed
into place: a crash leaves either the whole file or a partial one to resume, never a wrong one.

Who calls this: `schema.attachments` (the laptop), `sync.laptop.files` (downloads) and the
embedded district server (`sync.server.files`, which also offers a PostgreSQL store with the same
methods for deployments of several processes).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from schema.errors import DomainError

READ_PIECE = 1 << 20
"""Bytes read at a time when hashing or serving a file (memory stays flat for any size)."""


class OffsetMismatch(DomainError):
    """A piece was offered at an offset other than the bytes held; `received` says where to go on."""

    def __init__(self, received: int):
        super().__init__(f"this file continues at byte {received:,}")
        self.received = received


class HashMismatch(DomainError):
    """The whole file arrived but is not the one its name promised; the partial file is discarded."""


def files_beside(conn: sqlite3.Connection) -> FolderStore | None:
    """The store beside a laptop's database file (`safecity.db` -> `safecity.files/`); None for
    a database in memory."""
    row = conn.execute("PRAGMA database_list").fetchone()
    if not row or not row[2]:
        return None
    path = Path(row[2])
    return FolderStore(path.with_name(path.stem + ".files"))


def sha256_of(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as f:
        while piece := f.read(READ_PIECE):
            digest.update(piece)
            size += len(piece)
    return digest.hexdigest(), size


class FolderStore:
    """Files by SHA-256 in a folder, owner-only like the database beside it."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        (self.root / "partial").mkdir(mode=0o700, parents=True, exist_ok=True)
        self.root.chmod(0o700)

    def path(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def stored(self, sha256s: list[str]) -> set[str]:
        return {s for s in sha256s if self.has(s)}

    def size(self, sha256: str) -> int | None:
        try:
            return self.path(sha256).stat().st_size
        except FileNotFoundError:
            return None

    def put_bytes(self, data: bytes) -> str:
        """Store `data` (whole, as attaching makes it); returns its SHA-256."""
        sha256 = hashlib.sha256(data).hexdigest()
        if not self.has(sha256):
            self._place(sha256, lambda f: f.write(data))
        return sha256

    def put_file(self, source: Path) -> tuple[str, int]:
        """Copy a file in (hashing as it is read); returns (SHA-256, size)."""
        sha256, size = sha256_of(source)
        if not self.has(sha256):

            def copy(f: BinaryIO) -> None:
                with source.open("rb") as src:
                    while piece := src.read(READ_PIECE):
                        f.write(piece)

            self._place(sha256, copy)
        return sha256, size

    def _place(self, sha256: str, write: Callable[[BinaryIO], object]) -> None:
        target = self.path(sha256)
        target.parent.mkdir(mode=0o700, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.root / "partial", prefix=".put-")
        try:
            with os.fdopen(fd, "wb") as f:
                write(f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    # -- pieces (uploads to the server, downloads to a laptop) ---------------------------

    def _partial(self, sha256: str) -> Path:
        return self.root / "partial" / sha256

    def received(self, sha256: str) -> int:
        """Bytes of `sha256` held so far (its whole size once stored)."""
        size = self.size(sha256)
        if size is not None:
            return size
        try:
            return self._partial(sha256).stat().st_size
        except FileNotFoundError:
            return 0

    def put_whole(self, sha256: str, data: bytes) -> None:
        """Store a file that arrived in one piece, if it hashes to its name (HashMismatch if not):
        checked in memory and written once, not appended and read back."""
        if self.has(sha256):
            return
        if hashlib.sha256(data).hexdigest() != sha256:
            raise HashMismatch(f"the file sent as {sha256[:12]} is not that file ({len(data):,} bytes)")
        self._place(sha256, lambda f: f.write(data))

    def append(self, sha256: str, offset: int, piece: bytes) -> int:
        """Add `piece` at `offset`, which must be the bytes held; returns the bytes now held.
        OffsetMismatch (with where to go on) otherwise: a retried piece the first try delivered."""
        if self.has(sha256):
            raise OffsetMismatch(self.received(sha256))
        with self._partial(sha256).open("ab") as f:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
            held = f.seek(0, os.SEEK_END)
            if held != offset:
                raise OffsetMismatch(held)
            f.write(piece)
            return held + len(piece)

    def finish(self, sha256: str, size: int) -> None:
        """Make the partial file the file, if it is `size` bytes with this SHA-256; HashMismatch
        (and the partial file discarded) if it is not."""
        if self.has(sha256):
            return
        partial = self._partial(sha256)
        with partial.open("rb") as f:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
            digest, held = hashlib.sha256(), 0
            while piece := f.read(READ_PIECE):
                digest.update(piece)
                held += len(piece)
            if held != size or digest.hexdigest() != sha256:
                partial.unlink(missing_ok=True)
                raise HashMismatch(
                    f"the file sent as {sha256[:12]} is not that file ({held:,} bytes, SHA-256 {digest.hexdigest()[:12]})"
                )
            os.fsync(f.fileno())
            target = self.path(sha256)
            target.parent.mkdir(mode=0o700, exist_ok=True)
            os.replace(partial, target)

    def read(self, sha256: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """The bytes from `start` up to `end` (exclusive; None: to the end), piece by piece."""
        with self.path(sha256).open("rb") as f:
            f.seek(start)
            left = (end if end is not None else 1 << 62) - start
            while left > 0 and (piece := f.read(min(READ_PIECE, left))):
                left -= len(piece)
                yield piece
