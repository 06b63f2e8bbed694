"""The district server's storage, behind the narrow interface the HTTP layer uses.

Who calls this: `sync.server.app` (per request) and `safecity admin` (administration). The
interface is what a backend must offer: authenticate a token, apply a push, serve a pull page,
and the admin operations. `SQLiteBackend` is the embedded default; the logic of push and pull
is written once (`sync.server.push`, `sync.server.pull`) over the `ServerDb` primitives.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from schema.demo.district import seed as seed_district
from schema.errors import DomainError, StoreError
from schema.ids import uuid7
from schema.store.files import FolderStore
from schema.tables import POLICIES
from sync.audit import keys
from sync.server import accounts, files, log, numbers, pull, push
from sync.server.accounts import DeviceAuth
from sync.server.audit import SelfAudit
from sync.server.backends.base import Backend, ServerDb
from sync.server.backends.sqlite import SQLiteBackend
from sync.server.files import FileStore, PostgresFiles
from sync.server.log import LogKeys
from sync.server.transfer import copy_store

FILES_FOLDER = "files"
"""The embedded server's attachment bytes, beside its database under the data folder."""


KEY_FILE = "district.key"
"""The embedded server's log key, beside its database under the data folder."""


def default_key_path(target: str | Path) -> Path:
    """Where the district's log key is kept: in the data folder of an embedded server; for
    PostgreSQL, $SAFECITY_DISTRICT_KEY, else one file per database under the user's data folder,
    shared by every server process of this machine (copy it to the others')."""
    text = str(target)
    if not text.startswith(("postgresql://", "postgres://")):
        return Path(target) / KEY_FILE
    if os.environ.get("SAFECITY_DISTRICT_KEY"):
        return Path(os.environ["SAFECITY_DISTRICT_KEY"])
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    name = hashlib.sha256(re.sub(r"//([^:/@]+):[^@]*@", r"//\1@", text).encode()).hexdigest()[:16]
    return base / "safecity" / f"district-{name}.key"


class DistrictStore:
    """Everything the district server keeps, for one district."""

    def __init__(self, backend: Backend, files: FileStore, key_path: Path):
        self.backend = backend
        self.files = files
        """The bytes of attachments (`sync.server.files`)."""
        self.key_path = key_path
        self._log_keys: LogKeys | None = None
        self.self_audit: SelfAudit | None = None
        """The running server's repeated audit of its rows (`start_self_audit`), if it runs one."""

    @classmethod
    def open(cls, target: str | Path, *, serving: bool = False, key_path: Path | None = None) -> DistrictStore:
        """A data folder (embedded SQLite) or a `postgresql://` URL; `serving` for a running server;
        `key_path`: the district's log key (`default_key_path` when not given)."""
        key = key_path or default_key_path(target)
        if str(target).startswith(("postgresql://", "postgres://")):
            from sync.server.backends.postgres import PostgresBackend

            backend = PostgresBackend(str(target))
            return cls(backend, PostgresFiles(backend.db()), key)
        return cls(SQLiteBackend(target, serving=serving), FolderStore(Path(target) / FILES_FOLDER), key)

    @property
    def log_keys(self) -> LogKeys:
        """The district's log key and origin, made on first use. The first key to sign is the
        district's (its public half is kept in `meta`): a server process with another key is
        refused rather than allowed to sign a log laptops would take for rewritten."""
        if self._log_keys is None:
            signer = keys.load_or_create(self.key_path, log.KEY_NAME)
            db = self.db()
            with db.transaction():
                db.execute(
                    "INSERT INTO meta (key, value) VALUES ('log_key', ?) ON CONFLICT (key) DO NOTHING",
                    (signer.verifier.text(),),
                )
                db.execute(
                    "INSERT INTO meta (key, value) VALUES ('log_origin', ?) ON CONFLICT (key) DO NOTHING",
                    (f"safecity.log/{uuid7()}",),
                )
                known = {r["key"]: r["value"] for r in db.all("SELECT key, value FROM meta WHERE key LIKE 'log_%'")}
            if known["log_key"] != signer.verifier.text():
                raise StoreError(
                    f"the district key {self.key_path} is not the key that signs this district's log"
                    f" ({known['log_key']}); copy the district key of the first server here"
                )
            self._log_keys = LogKeys(signer, known["log_origin"])
        return self._log_keys

    def start_self_audit(self, every: float) -> SelfAudit:
        """Audit the stored log now and every `every` seconds, in a thread; pulls report it."""
        self.self_audit = SelfAudit(self.db, every)
        self.self_audit.start()
        return self.self_audit

    @property
    def is_sqlite(self) -> bool:
        return isinstance(self.backend, SQLiteBackend)

    def db(self) -> ServerDb:
        return self.backend.db()

    def close(self) -> None:
        if self.self_audit:
            self.self_audit.stop()
        self.backend.close()

    def authenticate(self, token: str | None) -> DeviceAuth | None:
        return accounts.authenticate(self.db(), token)

    def push(self, auth: DeviceAuth, body: Any, *, compact: bool = False) -> dict[str, Any]:
        answer = push.push(self.db(), auth, body, keys=self.log_keys, compact=compact)
        self.backend.written()
        return answer

    def pull(
        self,
        auth: DeviceAuth,
        *,
        cursor: int,
        limit: int,
        scope_key: str | None,
        skip_own: bool = False,
        log_from: int | None = None,
    ) -> dict[str, Any]:
        """A pull page; with `log_from` (the size of the laptop's last checkpoint) it carries the
        district log's latest checkpoint and the consistency proof from that size."""
        page = pull.pull(self.db(), auth, cursor=cursor, limit=limit, scope_key=scope_key, skip_own=skip_own)
        if log_from is not None:
            page["log"] = log.log_answer(self.db(), log_from)
            if self.self_audit:
                page["log"]["audit"] = self.self_audit.result()
        return page

    def register_key(self, auth: DeviceAuth, key: str) -> bool:
        return accounts.register_key(self.db(), auth, key)

    def cosign(self, auth: DeviceAuth, note: str) -> int:
        """The office's co-signature on a checkpoint (from the office's laptop, which keeps the key)."""
        if not auth.is_office:
            raise accounts.NotOffice("only the district office co-signs the log")
        return log.cosign(self.db(), self.log_keys.verifier, note)

    def log_facts(self, auth: DeviceAuth) -> dict[str, Any]:
        """What `/v1/me` tells a laptop about the log: the district's key, and this device's."""
        row = self.db().one("SELECT public_key, chain_seq, chain_head FROM device WHERE id = ?", (auth.device_id,))
        return {
            "log_key": self.log_keys.verifier.text(),
            "log_origin": self.log_keys.origin,
            "log_cosigner": log.cosigner_key(self.db()),
            "device_key": row["public_key"] if row else None,
            "chain_seq": row["chain_seq"] if row else 0,
            "chain_head": row["chain_head"] if row else None,
        }

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
