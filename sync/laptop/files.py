"""Attachment bytes between a laptop and the district server, apart from the edits.

The edits go first (`SyncClient.push` and `pull`): an attachment's row reaches the server with
them, so a pass that needs its photo is judged on the row, and a photo of 30 MB never holds up
the ops behind it. Then the bytes: the laptop asks once which of the files it has not yet seen
the server take are missing there (and how much of each the server holds), and sends each in
pieces from that offset; a cut resumes where the server's count stops, so at most the piece in
flight is sent again. Downloads are by range into the partial file, so a cut one resumes too.

A laptop fetches thumbnails of what it pulled eagerly and full files on demand (`fetch`), or
all full files when configured (`fetch_full`). With nothing new, this costs no request: which
files are unsent or not held is answered from the local `file_copy` table.

Who calls this: `sync.laptop.client.SyncClient.sync` and `safecity attachment get`.
"""

from __future__ import annotations

import random
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx
import orjson

from schema.attachments import note_held
from schema.store.files import FolderStore, HashMismatch, OffsetMismatch
from schema.store.transactions import transaction
from sync.laptop.errors import ServerUnreachable, SyncError
from sync.protocol import FILE_PIECE, MAX_WANTED, OFFSET_HEADER


class Client(Protocol):
    """What file sync uses of `sync.laptop.client.SyncClient` (named here, not imported: the
    client calls this module)."""

    conn: sqlite3.Connection
    http: httpx.Client
    attempts: int
    base_delay: float

    def sleep(self, seconds: float) -> None: ...

    def headers(self, *, accept_encoding: str = "gzip") -> dict[str, str]: ...

    def request(self, method: str, path: str, *, body: Any = None) -> Any: ...

    def exchange(
        self,
        method: str,
        path: str,
        *,
        content: bytes | list[memoryview] | None = None,
        headers: dict[str, str] | None = None,
        accept: tuple[int, ...] = (),
    ) -> httpx.Response: ...

    def raise_for(self, response: httpx.Response) -> None: ...


class Summary(Protocol):
    files_sent: int
    files_received: int
    bytes_sent: int
    bytes_received: int
    files_waiting: int


UPLOADS_IN_FLIGHT = 2
"""Files uploading at once (on the laptop's threads, over the client's pooled connections)."""


class _ServerFailed(Exception):
    """A 5xx or 429 mid-download: tried again like a cut."""


UNSENT = (
    "SELECT DISTINCT f.sha256, f.size FROM file_copy f JOIN attachment a ON f.sha256 IN (a.sha256, a.thumb_sha256)"
    " WHERE f.sent = 0 AND f.here = 1 AND NOT EXISTS (SELECT 1 FROM event e WHERE e.table_name = 'attachment'"
    " AND e.row_id = a.id AND e.status IN ('pending', 'rejected')) ORDER BY f.sha256"
)
"""Files this laptop holds and has not seen the server take, whose attachment the server has
(its create acknowledged, or pulled from the server)."""


def _not_held(column: str, size: str) -> str:
    return (
        f"SELECT DISTINCT a.{column}, a.{size} FROM attachment a LEFT JOIN file_copy f ON f.sha256 = a.{column}"
        f" WHERE a.{column} IS NOT NULL AND (f.here IS NULL OR f.here = 0) ORDER BY a.{column}"
    )


@dataclass
class Transfer:
    """What moved, for the summary and the progress line."""

    files: int = 0
    bytes: int = 0
    pieces: int = 0
    """Upload requests that carried bytes (a cut costs at most one more than the file's pieces)."""


class FileSync:
    """Moves attachment bytes for one laptop database, over its `SyncClient`'s connection."""

    def __init__(
        self,
        client: Client,
        store: FolderStore,
        *,
        piece: int = FILE_PIECE,
        fetch_full: bool = False,
        progress: Callable[[str, int, int], None] | None = None,
    ):
        self.client = client
        self.conn: sqlite3.Connection = client.conn
        self.store = store
        self.piece = piece
        self.fetch_full = fetch_full
        self.progress = progress or (lambda _what, _done, _total: None)
        """Told (what, bytes done, bytes in all) as pieces move: the CLI draws a bar, the TUI a status line."""
        self.sent = Transfer()
        self.received = Transfer()
        self._counting = threading.Lock()
        self._buffers = threading.local()
        self.waiting = 0
        """Files that could not move this time (not yet on the server, or refused); tried again next sync."""

    # -- up --------------------------------------------------------------------------------

    def unsent(self) -> list[tuple[str, int]]:
        return [(r[0], int(r[1])) for r in self.conn.execute(UNSENT)]

    def push(self) -> None:
        unsent = self.unsent()
        total = sum(size for _sha, size in unsent)
        for start in range(0, len(unsent), MAX_WANTED):
            part = unsent[start : start + MAX_WANTED]
            answer = self.client.request("POST", "/v1/files/wanted", body={"sha256": [s for s, _ in part]})
            missing: dict[str, int] = answer.get("missing", {})
            unknown = set(answer.get("unknown", []))
            self.waiting += len(unknown)
            with transaction(self.conn):
                for sha256, size in part:
                    if sha256 not in missing and sha256 not in unknown:
                        note_held(self.conn, sha256, size, sent=True)  # the server has it already
            todo = [(sha256, size, int(missing[sha256])) for sha256, size in part if sha256 in missing]
            # Two files in flight: while the server hashes and writes one, the next is on the wire.
            # Only this thread writes the database; the senders only read files and talk HTTP.
            with ThreadPoolExecutor(max_workers=UPLOADS_IN_FLIGHT, thread_name_prefix="safecity-files") as senders:
                sending = [senders.submit(self._upload, sha256, size, offset, total) for sha256, size, offset in todo]
                try:
                    for future in sending:
                        sha256, size = future.result()
                        with transaction(self.conn):
                            note_held(self.conn, sha256, size, sent=True)
                        self.sent.files += 1
                except BaseException:
                    for future in sending:  # the server is gone: the rest wait for the next sync
                        future.cancel()
                    raise

    def _upload(self, sha256: str, size: int, offset: int, total: int) -> tuple[str, int]:
        path = self.store.path(sha256)
        # Each piece is read into the sending thread's one buffer, never a new bytes object: httpx
        # keeps every request it sent in a reference cycle (a response and its stream) until the
        # collector runs, which the CLI keeps rare, so pieces piled up (157 MB to send 75 MB).
        view: memoryview | None = getattr(self._buffers, "view", None)
        if view is None:
            view = self._buffers.view = memoryview(bytearray(self.piece))
        with path.open("rb") as f:
            while offset < size:
                f.seek(offset)
                length = f.readinto(view)
                response = self.client.exchange(
                    "PUT",
                    f"/v1/files/{sha256}",
                    content=[view[:length]],
                    headers={
                        OFFSET_HEADER: str(offset),
                        "Content-Type": "application/octet-stream",
                        "Content-Length": str(length),
                    },
                    accept=(409,),
                )
                held = int(orjson.loads(response.content).get("received", offset))
                with self._counting:  # a piece whose answer was lost counts once the server says it took it
                    self.sent.pieces += 1
                    self.sent.bytes += max(0, held - offset)
                offset = held
                self.progress("photos: sent", self.sent.bytes, total)
        return sha256, size

    # -- down ------------------------------------------------------------------------------

    def not_held(self) -> list[tuple[str, int]]:
        wanted = [(r[0], int(r[1])) for r in self.conn.execute(_not_held("thumb_sha256", "thumb_size"))]
        if self.fetch_full:
            wanted += [(r[0], int(r[1])) for r in self.conn.execute(_not_held("sha256", "size"))]
        return wanted

    def pull(self) -> None:
        wanted = self.not_held()
        total = sum(size for _sha, size in wanted)
        for sha256, size in wanted:
            if self.fetch(sha256, size, total=total) is None:
                self.waiting += 1

    def fetch(self, sha256: str, size: int, *, total: int | None = None) -> Path | None:
        """The file, downloaded if this laptop lacks it (resuming a cut download); None when the
        server does not have it yet (the laptop that took it has not sent it)."""
        if self.store.has(sha256):
            return self.store.path(sha256)
        failures = 0
        while True:
            offset = self.store.received(sha256)
            try:
                done = self._download(sha256, offset, size, total or size)
            except (httpx.TransportError, _ServerFailed) as err:
                failures += 1
                if failures >= self.client.attempts:
                    raise ServerUnreachable(
                        f"cannot reach the district server at {self.client.http.base_url} to fetch a file ({err})"
                    ) from None
                if self.store.received(sha256) > offset:
                    failures = 0  # it moved on: a cut, not a dead server
                self.client.sleep(random.uniform(0, self.client.base_delay * 2 ** (failures - 1)))
                continue
            if not done:
                return None
            try:
                self.store.finish(sha256, size)
            except HashMismatch:
                raise SyncError(f"the server sent file {sha256[:12]} with other bytes; it was discarded") from None
            with transaction(self.conn):
                note_held(self.conn, sha256, size, sent=True)
            self.received.files += 1
            return self.store.path(sha256)

    def _download(self, sha256: str, offset: int, size: int, total: int) -> bool:
        headers: dict[str, Any] = self.client.headers(accept_encoding="identity")
        if offset:
            headers["Range"] = f"bytes={offset}-"
        with self.client.http.stream("GET", f"/v1/files/{sha256}", headers=headers) as response:
            if response.status_code in (404, 409):
                response.read()
                return False
            if response.status_code >= 500 or response.status_code == 429:
                raise _ServerFailed(f"the server answered {response.status_code}")
            if response.status_code >= 400:
                response.read()
                self.client.raise_for(response)
            for piece in response.iter_bytes(1 << 20):
                try:
                    offset = self.store.append(sha256, offset, piece)
                except OffsetMismatch as err:  # another download of the same file got ahead
                    offset = err.received
                    break
                self.received.bytes += len(piece)
                self.progress("photos: received", self.received.bytes, total)
        return True

    def tell(self, summary: Summary) -> None:
        summary.files_sent = self.sent.files
        summary.files_received = self.received.files
        summary.bytes_sent = self.sent.bytes
        summary.bytes_received = self.received.bytes
        summary.files_waiting = self.waiting
