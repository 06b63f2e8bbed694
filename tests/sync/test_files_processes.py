"""Evidence survives what users do to processes: a server killed with -9 mid-upload, a laptop
killed with -9 mid-upload. After a resume every attachment is on the server exactly once, byte
for byte, on both backends (issue 17). Real `safecity serve` and `safecity sync` processes."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from sync.server.store import DistrictStore
from tests.sync.test_end_to_end import SAFECITY, Server, cli, cli_json, enroll

pytestmark = pytest.mark.slow

DOCUMENTS = 6
DOCUMENT_BYTES = 24 * 2**20


def documents(folder: Path) -> list[Path]:
    made = []
    for n in range(DOCUMENTS):
        path = folder / f"register-{n}.pdf"
        path.write_bytes(b"%PDF-1.7\n" + os.urandom(DOCUMENT_BYTES))
        made.append(path)
    return made


def bytes_on_server(server: Server) -> int:
    """Bytes of attachments the server holds, whole or partial (read as the server writes them)."""
    if str(server.target).startswith("postgresql://"):
        import psycopg

        with psycopg.connect(str(server.target), autocommit=True) as conn:
            exists = conn.execute("SELECT to_regclass('file_part')").fetchone()
            if not exists or exists[0] is None:
                return 0
            row = conn.execute("SELECT coalesce(sum(length(data)), 0) FROM file_part").fetchone()
            return int(row[0]) if row else 0
    root = Path(server.target) / "files"
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) if root.exists() else 0


def wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("waited too long")
        time.sleep(0.01)


def attached(server: Server, tmp_path: Path) -> tuple[Path, list[Path]]:
    db = enroll(server, tmp_path, "wang", "inspector", "xinhe")
    hazard = cli_json("--db", str(db), "hazard", "list", "--status", "reported", "--limit", "1")[0]["id"]
    files = documents(tmp_path)
    cli("--db", str(db), "attach", hazard, *map(str, files), "--role", "document")
    return db, files


def every_file_once(server: Server, db: Path, files: list[Path]) -> None:
    store = DistrictStore.open(server.target)
    try:
        rows = store.db().rows("SELECT sha256 FROM attachment")
        assert sorted(r[0] for r in rows) == sorted(hashlib.sha256(f.read_bytes()).hexdigest() for f in files)
        assert store.db().rows("SELECT count(*) FROM event WHERE table_name = 'attachment'")[0][0] == len(files)
        for f in files:
            sha256 = hashlib.sha256(f.read_bytes()).hexdigest()
            assert store.files.stored([sha256]) == {sha256}
            assert hashlib.sha256(b"".join(store.files.read(sha256))).hexdigest() == sha256
    finally:
        store.close()
    status = cli_json("--db", str(db), "status")
    assert status["pending"] == 0


def test_a_server_killed_mid_upload_takes_the_rest_after_a_restart(server, tmp_path):
    db, files = attached(server, tmp_path)
    sync = subprocess.Popen([*SAFECITY, "--db", str(db), "sync", "--json"], stdout=subprocess.PIPE, text=True)
    wait_for(lambda: bytes_on_server(server) > 0)
    server.kill()
    out, _ = sync.communicate(timeout=120)
    summary = json.loads(out)
    assert sync.returncode == 0 and summary["pushed"] == len(files)  # the edits synced before the bytes
    assert "cannot reach the district server" in summary["files_error"]
    assert bytes_on_server(server) < len(files) * DOCUMENT_BYTES

    server.start()
    summary = cli_json("--db", str(db), "sync")
    assert summary["files_error"] == "" and summary["files_waiting"] == 0
    every_file_once(server, db, files)


def test_a_laptop_killed_mid_upload_sends_only_the_rest_when_it_syncs_again(server, tmp_path):
    db, files = attached(server, tmp_path)
    sync = subprocess.Popen([*SAFECITY, "--db", str(db), "sync"], stdout=subprocess.DEVNULL)
    wait_for(lambda: bytes_on_server(server) > 0)
    sync.send_signal(signal.SIGKILL)
    sync.wait()
    before = bytes_on_server(server)
    assert 0 < before < len(files) * DOCUMENT_BYTES

    summary = cli_json("--db", str(db), "sync")
    assert summary["files_error"] == ""
    assert summary["bytes_sent"] <= len(files) * (DOCUMENT_BYTES + 9) - before + 4 * 2**20  # at most one piece again
    every_file_once(server, db, files)
