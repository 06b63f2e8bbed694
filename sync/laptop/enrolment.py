"""A laptop's enrolment with the district server, its token, and its sync status.

Who calls this: the CLI (`init`, `sync`, `status`) and the TUI. The device token is kept in
a file beside the database (`<db>.token`) created readable and writable by its owner only
(0600), never inside the database, so copying a database to a colleague does not copy the
right to sync as you.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from schema.calendar import local_today
from schema.errors import DomainError
from schema.store.transactions import get_meta, set_meta, transaction
from schema.writes import utc_now
from sync.laptop import chain, numbers, replica
from sync.laptop.client import SyncClient, SyncSummary


def token_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".token")


def save_token(db_path: Path, token: str) -> None:
    path = token_path(db_path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token)
    os.chmod(path, 0o600)  # also when the file existed with wider permissions


def load_token(db_path: Path) -> str:
    path = token_path(db_path)
    try:
        return path.read_text().strip()
    except OSError:
        raise DomainError(f"no device token at {path}; run 'safecity init --server URL --token TOKEN'") from None


def http_client(url: str) -> httpx.Client:
    if not url.startswith(("http://", "https://")):
        raise DomainError(f"the server address must start with http:// or https://; got {url!r}")
    return httpx.Client(base_url=url.rstrip("/"), timeout=httpx.Timeout(60, connect=5))


def client_for(
    conn: sqlite3.Connection,
    db_path: Path,
    http: httpx.Client | None = None,
    progress: Callable[[SyncSummary], None] | None = None,
    *,
    fetch_full: bool = False,
    file_progress: Callable[[str, int, int], None] | None = None,
) -> SyncClient:
    """A sync client for an enrolled laptop database (`fetch_full`: fetch every full attachment
    file as it syncs, not only thumbnails)."""
    url = get_meta(conn, "server_url")
    if url is None:
        raise DomainError("this database is not enrolled; run 'safecity init --server URL --token TOKEN'")
    return SyncClient(
        conn,
        http or http_client(url),
        token=load_token(db_path),
        progress=progress,
        fetch_full=fetch_full,
        file_progress=file_progress,
    )


def enroll(
    conn: sqlite3.Connection,
    db_path: Path,
    url: str,
    token: str,
    http: httpx.Client | None = None,
    progress: Callable[[SyncSummary], None] | None = None,
) -> tuple[dict[str, Any], SyncSummary]:
    """Bind this database to a server and device token, then take the initial snapshot."""
    enrolled = get_meta(conn, "server_url")
    if enrolled and enrolled != url.rstrip("/"):
        raise DomainError(f"this database is enrolled with {enrolled}; use a new file for another server")
    if not enrolled and conn.execute("SELECT count(*) FROM event").fetchone()[0]:
        raise DomainError("this database has changes made before enrolment; init a new database file")
    client = SyncClient(conn, http or http_client(url), token=token, progress=progress)
    me = client.whoami()
    if get_meta(conn, "device_id") not in (None, me["device_id"]):
        raise DomainError("this database belongs to another device token; init a new database file")
    with transaction(conn):
        for key, value in (
            ("server_url", url.rstrip("/")),
            ("device_id", me["device_id"]),
            ("login", me["login"]),
            ("role", me["role"]),
            ("areas", json.dumps(me["areas"])),
        ):
            set_meta(conn, key, value)
        if me.get("log_key"):  # the district's log key, taken at enrolment: every checkpoint must verify with it
            set_meta(conn, chain.LOG_KEY, me["log_key"])
    save_token(db_path, token)
    os.chmod(db_path, 0o600)
    client.register_key()  # the device key, made now beside the database, registered with the server
    summary = SyncSummary()
    client.pull(summary)
    numbers.keep_numbers_in_stock(conn, client.request, local_today())  # orders can be issued offline from now on
    with transaction(conn):
        set_meta(conn, "last_sync", utc_now())
    return me, summary


def status(conn: sqlite3.Connection) -> dict[str, Any]:
    """What a person wants to know before and after a sync (the keys are a stable contract)."""
    me = get_meta(conn, "device_id", "")
    return {
        "server": get_meta(conn, "server_url"),
        "login": get_meta(conn, "login"),
        "pending": replica.pending_count(conn),
        "last_sync": get_meta(conn, "last_sync"),
        "conflicts": conn.execute("SELECT count(*) FROM conflict WHERE status = 'open'").fetchone()[0],
        "rejected": conn.execute(
            "SELECT count(*) FROM event WHERE status = 'rejected' AND device_id = ?", (me,)
        ).fetchone()[0],
        "cursor": int(get_meta(conn, "cursor", "0") or 0),
        "log_size": chain.known_size(conn),
        "log_alarm": chain.alarm(conn),
    }


def rejected_ops(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """This laptop's refused changes, with the server's reason (never dropped)."""
    rows = conn.execute(
        "SELECT id, table_name, row_id, action, fields, reason, at FROM event"
        " WHERE status = 'rejected' AND device_id = ? ORDER BY device_seq",
        (get_meta(conn, "device_id", ""),),
    ).fetchall()
    return [{**dict(r), "fields": json.loads(r["fields"])} for r in rows]
