"""The district server's storage, behind the narrow interface the HTTP layer uses.

Who calls this: `sync.server.app` (per request) and `safecity admin` (administration). The
interface is what a backend must offer: authenticate a token, apply a push, serve a pull page,
and the admin operations. `SQLiteBackend` is the embedded default; the logic of push and pull
is written once (`sync.server.push`, `sync.server.pull`) over the `ServerDb` primitives.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from schema.demo.district import seed as seed_district
from schema.errors import DomainError
from schema.store.files import FolderStore
from schema.tables import POLICIES
from sync.server import accounts, files, numbers, pull, push
from sync.server.accounts import DeviceAuth
from sync.server.backends.base import Backend, ServerDb
from sync.server.backends.sqlite import SQLiteBackend
from sync.server.files import FileStore, PostgresFiles
from sync.server.transfer import copy_store

FILES_FOLDER = "files"
"""The embedded server's attachment bytes, beside its database under the data folder."""


class DistrictStore:
    """Everything the district server keeps, for one district."""

    def __init__(self, backend: Backend, files: FileStore):
        self.backend = backend
        self.files = files
        """The bytes of attachments (`sync.server.files`)."""

    @classmethod
    def open(cls, target: str | Path, *, serving: bool = False) -> DistrictStore:
        """A data folder (embedded SQLite) or a `postgresql://` URL; `serving` for a running server."""
        if str(target).startswith(("postgresql://", "postgres://")):
            from sync.server.backends.postgres import PostgresBackend

            backend = PostgresBackend(str(target))
            return cls(backend, PostgresFiles(backend.db()))
        return cls(SQLiteBackend(target, serving=serving), FolderStore(Path(target) / FILES_FOLDER))

    @property
    def is_sqlite(self) -> bool:
        return isinstance(self.backend, SQLiteBackend)

    def db(self) -> ServerDb:
        return self.backend.db()

    def close(self) -> None:
        self.backend.close()

    def authenticate(self, token: str | None) -> DeviceAuth | None:
        return accounts.authenticate(self.db(), token)

    def push(self, auth: DeviceAuth, body: Any, *, compact: bool = False) -> dict[str, Any]:
        answer = push.push(self.db(), auth, body, compact=compact)
        self.backend.written()
        return answer

    def pull(
        self, auth: DeviceAuth, *, cursor: int, limit: int, scope_key: str | None, skip_own: bool = False
    ) -> dict[str, Any]:
        return pull.pull(self.db(), auth, cursor=cursor, limit=limit, scope_key=scope_key, skip_own=skip_own)

    def files_wanted(self, auth: DeviceAuth, sha256s: list[str]) -> dict[str, Any]:
        return files.wanted(self.db(), self.files, auth, sha256s)

    def file_upload(self, auth: DeviceAuth, sha256: str, offset: int, piece: bytes) -> dict[str, Any]:
        return files.upload(self.db(), self.files, auth, sha256, offset, piece)

    def file_download(self, auth: DeviceAuth, sha256: str) -> int:
        return files.download(self.db(), self.files, auth, sha256)

    def reserve_numbers(self, auth: DeviceAuth, year: int) -> dict[str, int]:
        block = numbers.reserve(self.db(), auth, year)
        self.backend.written()
        return block

    def seed(self, *, scale: int, today: date, progress: Callable[[str], None] | None = None) -> dict[str, int]:
        """Load the demo district and give every row a change-log position, so laptops pull it."""
        tell = progress or (lambda _text: None)
        if not isinstance(self.backend, SQLiteBackend):  # built in a temporary embedded store, then copied over
            if self.db().one("SELECT 1 AS x FROM area LIMIT 1"):
                raise DomainError("this database already holds a district; seed an empty one")
            with tempfile.TemporaryDirectory() as folder:
                local = DistrictStore.open(folder)
                try:
                    counts = local.seed(scale=scale, today=today, progress=progress)
                    tell("copying the district into PostgreSQL ...")
                    copy_store(local.db(), self.db(), tables=(*POLICIES, "row_meta", "meta"))
                finally:
                    local.close()
            return counts
        db = self.backend.db()
        counts = seed_district(db.conn, scale=scale, today=today, progress=progress)
        with db.transaction():
            pos = db.read_counter()
            for table in POLICIES:
                tell(f"change log: {table}")
                area = "area" if "area" in db.columns(table) else "NULL"
                db.execute(f"UPDATE {table} SET row_version = 1")
                db.execute(
                    "INSERT INTO row_meta (table_name, row_id, pos, area, deleted, stamps)"
                    f" SELECT ?, id, ? + row_number() OVER (ORDER BY rowid), {area}, 0, '{{}}' FROM {table}",
                    (table, pos),
                )
                pos += int(db.rows(f"SELECT count(*) FROM {table}")[0][0])
            db.execute("UPDATE meta SET value = ? WHERE key = 'pos'", (str(pos),))
        return counts
