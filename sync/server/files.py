"""The district server's side of attachment bytes: which it lacks, taking pieces, serving ranges.

Bytes are named by SHA-256 and stored once (`schema.store.files.FolderStore` for the embedded
server, `PostgresFiles` when several server processes share a PostgreSQL database). A device may
upload or download a file only when an attachment row in its areas names it: the row arrives
first, with the edits, through the ordinary push; the bytes follow by their own requests, so a
photo never holds up the edits behind it. An upload is taken a piece at a time at the offset the
server holds, and becomes the file only when the whole of it hashes to its name.

Who calls this: `sync.server.store.DistrictStore` (for `sync.server.app`'s /v1/files endpoints).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Protocol

from schema.store.files import READ_PIECE, HashMismatch, OffsetMismatch
from sync.server.accounts import DeviceAuth
from sync.server.backends.base import ServerDb
from sync.server.backends.postgres import PgServerDb


class FileStore(Protocol):
    """What the server needs of a store of bytes (a folder, PostgreSQL; an object store could be a third)."""

    def stored(self, sha256s: list[str]) -> set[str]: ...

    def received(self, sha256: str) -> int: ...

    def append(self, sha256: str, offset: int, piece: bytes) -> int: ...

    def put_whole(self, sha256: str, data: bytes) -> None: ...

    def finish(self, sha256: str, size: int) -> None: ...

    def read(self, sha256: str, start: int = 0, end: int | None = None) -> Iterator[bytes]: ...


class NotYours(Exception):
    """No attachment in the device's areas names this file (or none anywhere: the same answer)."""


class NotYetUploaded(Exception):
    """The file is named in the device's areas, but its bytes have not reached the server yet."""


def sizes_in_scope(db: ServerDb, auth: DeviceAuth, sha256s: list[str]) -> dict[str, int]:
    """Of `sha256s`, those an attachment row the device may see names (as its file or its
    thumbnail), with the size the row gives."""
    found: dict[str, int] = {}
    for start in range(0, len(sha256s), 500):
        part = sha256s[start : start + 500]
        marks = ", ".join("?" * len(part))
        for sha256, size, area in db.rows(
            f"SELECT sha256, size, area FROM attachment WHERE sha256 IN ({marks})"
            f" UNION ALL SELECT thumb_sha256, thumb_size, area FROM attachment WHERE thumb_sha256 IN ({marks})",
            [*part, *part],
        ):
            if auth.may_see(area):
                found[sha256] = int(size)
    return found


def wanted(db: ServerDb, files: FileStore, auth: DeviceAuth, sha256s: list[str]) -> dict[str, object]:
    """Which of these files the server lacks (with the bytes it holds of each, to resume from)
    and which are not the device's to send (no attachment in its areas names them)."""
    sizes = sizes_in_scope(db, auth, sha256s)
    stored = files.stored(list(sizes))
    return {
        "missing": {s: files.received(s) for s in sizes if s not in stored},
        "unknown": [s for s in sha256s if s not in sizes],
    }


def upload(
    db: ServerDb, files: FileStore, auth: DeviceAuth, sha256: str, offset: int, piece: bytes
) -> dict[str, object]:
    """Take one piece of a file at `offset`; the file is complete when the last piece arrives and
    the whole hashes to its name. OffsetMismatch says where to go on; HashMismatch that the bytes
    were not the file (what was received is discarded)."""
    size = sizes_in_scope(db, auth, [sha256]).get(sha256)
    if size is None:
        raise NotYours(sha256)
    if files.stored([sha256]):
        return {"received": size, "complete": True}
    if offset + len(piece) > size:
        raise HashMismatch(f"the file is {size:,} bytes; this piece would end at byte {offset + len(piece):,}")
    if offset == 0 and len(piece) == size and not files.received(sha256):  # a photo: one piece, one write
        files.put_whole(sha256, piece)
        return {"received": size, "complete": True}
    held = files.append(sha256, offset, piece)
    if held == size:
        files.finish(sha256, size)
    return {"received": held, "complete": held == size}


def download(db: ServerDb, files: FileStore, auth: DeviceAuth, sha256: str) -> int:
    """The size of a file the device may fetch; NotYours or NotYetUploaded if it may not (yet)."""
    size = sizes_in_scope(db, auth, [sha256]).get(sha256)
    if size is None:
        raise NotYours(sha256)
    if not files.stored([sha256]):
        raise NotYetUploaded(sha256)
    return size


class PostgresFiles:
    """Bytes in PostgreSQL, as pieces of at most a few MB: every server process, on any machine,
    sees the same files and the same partial uploads, they are backed up with the district's
    data, and a piece is written in one transaction (a killed process leaves the pieces before
    it, never half of one). ODK Central keeps its blobs in PostgreSQL for the same reasons;
    at millions of photos an object store would take this class's place."""

    def __init__(self, db: PgServerDb):
        self.db = db
        with db.transaction():
            db.execute("SELECT pg_advisory_xact_lock(5171)")  # two processes starting at once
            db.execute("CREATE TABLE IF NOT EXISTS file_blob (sha256 TEXT PRIMARY KEY, size BIGINT NOT NULL)")
            db.execute(
                "CREATE TABLE IF NOT EXISTS file_part (sha256 TEXT NOT NULL, start BIGINT NOT NULL,"
                " data BYTEA NOT NULL, PRIMARY KEY (sha256, start))"
            )
            # Photos and PDFs are compressed already: stored out of line without PostgreSQL trying
            # to compress them again (pglz on 3 MB of JPEG costs CPU and saves nothing).
            db.execute("ALTER TABLE file_part ALTER COLUMN data SET STORAGE EXTERNAL")

    def stored(self, sha256s: list[str]) -> set[str]:
        if not sha256s:
            return set()
        return {r[0] for r in self.db.rows("SELECT sha256 FROM file_blob WHERE sha256 = ANY(?)", [sha256s])}

    def received(self, sha256: str) -> int:
        row = self.db.one("SELECT coalesce(sum(length(data)), 0) AS n FROM file_part WHERE sha256 = ?", (sha256,))
        return int(row["n"]) if row else 0

    def append(self, sha256: str, offset: int, piece: bytes) -> int:
        with self.db.transaction():
            self.db.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (sha256,))  # one writer per file
            held = self.received(sha256)
            if held != offset or self.stored([sha256]):
                raise OffsetMismatch(held)
            self._insert(sha256, offset, piece)
        return held + len(piece)

    def _insert(self, sha256: str, start: int, data: bytes) -> None:
        with self.db.connection() as conn:  # %b: the piece goes as binary, not as hex text
            conn.execute("INSERT INTO file_part (sha256, start, data) VALUES (%s, %s, %b)", (sha256, start, data))

    def put_whole(self, sha256: str, data: bytes) -> None:
        if hashlib.sha256(data).hexdigest() != sha256:
            raise HashMismatch(f"the file sent as {sha256[:12]} is not that file ({len(data):,} bytes)")
        with self.db.transaction():
            self.db.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (sha256,))
            if self.stored([sha256]) or self.received(sha256):
                return
            self._insert(sha256, 0, data)
            self.db.execute("INSERT INTO file_blob (sha256, size) VALUES (?, ?)", (sha256, len(data)))

    def _pieces(self, sha256: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, bytes]]:
        position = start
        while end is None or position < end:
            with self.db.connection() as conn, conn.cursor(binary=True) as cursor:  # bytes as they are stored
                cursor.execute(
                    "SELECT start, data FROM file_part WHERE sha256 = %s AND start + length(data) > %s"
                    " ORDER BY start LIMIT 4",
                    (sha256, position),
                )
                rows = cursor.fetchall()
            if not rows:
                return
            for first, data in rows:
                yield int(first), bytes(data)
                position = int(first) + len(data)

    def finish(self, sha256: str, size: int) -> None:
        wrong: HashMismatch | None = None
        with self.db.transaction():
            self.db.execute("SELECT pg_advisory_xact_lock(hashtext(?))", (sha256,))
            if self.stored([sha256]):
                return
            digest, held = hashlib.sha256(), 0
            for _first, data in self._pieces(sha256):
                digest.update(data)
                held += len(data)
            if held != size or digest.hexdigest() != sha256:  # discarded (committed), then refused
                self.db.execute("DELETE FROM file_part WHERE sha256 = ?", (sha256,))
                wrong = HashMismatch(f"the file sent as {sha256[:12]} is not that file ({held:,} bytes)")
            else:
                self.db.execute("INSERT INTO file_blob (sha256, size) VALUES (?, ?)", (sha256, size))
        if wrong is not None:
            raise wrong

    def read(self, sha256: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        for first, data in self._pieces(sha256, start, end):
            piece = data[max(0, start - first) : None if end is None else max(0, end - first)]
            for at in range(0, len(piece), READ_PIECE):
                yield piece[at : at + READ_PIECE]
