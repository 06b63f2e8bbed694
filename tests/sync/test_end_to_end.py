"""A real `safecity serve` process on a real port and two laptops driven through the CLI.

Offline edits on both laptops, a conflicting deadline change, sync, `conflicts resolve`, sync
again: all three agree. Then `kill -9` of the server in the middle of a large push, and of a
laptop in the middle of its sync: after a restart, every hazard is on the server exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from schema.store.connection import connect
from schema.writes import Writer, local_actor
from sync.server.store import DistrictStore

pytestmark = pytest.mark.slow
SAFECITY = [sys.executable, "-m", "tui"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([*SAFECITY, *args], capture_output=True, text=True, timeout=300)
    if ok:
        assert done.returncode == 0, done.stderr
    return done


def cli_json(*args: str):  # type: ignore[no-untyped-def]
    return json.loads(cli(*args, "--json").stdout)


class Server:
    """A `safecity serve` process on a free loopback port, over SQLite (a folder) or PostgreSQL."""

    def __init__(self, target: str | Path, folder: Path, port: int, *extra: str):
        self.target, self.folder, self.port, self.process = target, folder, port, None
        self.extra = extra
        """More `serve` options."""
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = folder / "server.log"
        self.where = (
            ["--database-url", str(target)] if str(target).startswith("postgresql://") else ["--data", str(target)]
        )

    def admin(self, *args: str):  # type: ignore[no-untyped-def]
        return cli_json("admin", *self.where, *args)

    def start(self) -> None:
        self.log = open(self.log_path, "a")  # noqa: SIM115
        self.process = subprocess.Popen(
            [*SAFECITY, "serve", *self.where, "--port", str(self.port), *self.extra], stdout=self.log, stderr=self.log
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self.log.close()


def enroll(server: Server, tmp_path: Path, login: str, role: str, *areas: str) -> Path:
    area_args = [a for code in areas for a in ("--area", code)]
    user = server.admin("user", "add", login, "--role", role, *area_args)
    db = tmp_path / f"{login}.db"
    cli("--db", str(db), "init", "--server", server.url, "--token", user["token"])
    assert os.stat(db.with_name(db.name + ".token")).st_mode & 0o777 == 0o600
    return db


def server_rows(server: Server, sql: str, *params: object) -> list[tuple]:
    store = DistrictStore.open(server.target)
    try:
        return store.db().rows(sql, params)
    finally:
        store.close()


def test_two_laptops_a_conflict_resolved_and_everyone_agrees(server, tmp_path):
    a = enroll(server, tmp_path, "insp.xinhe", "inspector", "xinhe")
    b = enroll(server, tmp_path, "office", "supervisor")
    waiting = cli_json("--db", str(a), "hazard", "list", "--area", "xinhe", "--status", "awaiting_verification")[0][
        "id"
    ]
    unit_id = cli_json("--db", str(a), "unit", "list", "--area", "xinhe", "--limit", "1")[0]["id"]

    # Offline on both: a new hazard on one, the same hazard re-deadlined differently on both.
    new = cli_json("--db", str(a), "hazard", "add", "--unit", unit_id, "--description", "配电室积水")["id"]
    cli("--db", str(a), "hazard", "act", waiting, "fail", "--opinion", "未整改", "--deadline", "2026-12-20")
    cli("--db", str(b), "hazard", "act", waiting, "fail", "--opinion", "仍有隐患", "--deadline", "2027-01-10")

    assert cli_json("--db", str(a), "sync")["pushed"] == 3  # new hazard, verification, hazard change
    assert cli_json("--db", str(b), "sync")["conflicts"] == 1
    cli("--db", str(a), "sync")
    (conflict,) = cli_json("--db", str(b), "conflicts")
    assert (conflict["field"], conflict["mine"], conflict["theirs"]) == ("deadline", "2027-01-10", "2026-12-20")
    assert cli_json("--db", str(a), "conflicts")[0]["mine"] == "2026-12-20"

    cli("--db", str(b), "conflicts", "resolve", conflict["id"], "--keep", "theirs", "--reason", "inspector is on site")
    cli("--db", str(b), "sync")
    cli("--db", str(a), "sync")
    on_a = cli_json("--db", str(a), "hazard", "show", waiting)
    on_b = cli_json("--db", str(b), "hazard", "show", waiting)
    (on_server,) = server_rows(server, "SELECT deadline, status FROM hazard WHERE id = ?", waiting)
    assert on_a["deadline"] == on_b["deadline"] == on_server[0] == "2026-12-20"
    assert cli_json("--db", str(a), "conflicts") == cli_json("--db", str(b), "conflicts") == []
    assert cli_json("--db", str(b), "hazard", "show", new)["description"] == "配电室积水"
    assert cli_json("--db", str(a), "status")["pending"] == 0


def make_hazards(db: Path, count: int) -> None:
    conn = connect(db)
    writer = Writer(conn, local_actor(conn))
    unit_id = conn.execute("SELECT id FROM unit ORDER BY id LIMIT 1").fetchone()[0]
    with writer.transaction():
        for n in range(count):
            writer.create(
                "hazard", {"unit_id": unit_id, "description": f"bulk {n}", "found_at": "2026-11-29T08:00:00Z"}
            )
    conn.close()


def wait_for_pushes(server: Server, count: int) -> None:
    log = server.log_path
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if log.exists() and log.read_text().count('"path": "/v1/push"') >= count:
            return
        time.sleep(0.02)
    raise AssertionError("the push never started")


def assert_each_hazard_once(server: Server, laptop: Path, expected: int) -> None:
    """Every bulk hazard of the laptop is on the server exactly once, and nothing is left pending."""
    (count, distinct) = server_rows(
        server, "SELECT count(*), count(DISTINCT description) FROM hazard WHERE description LIKE 'bulk %'"
    )[0]
    assert count == distinct == expected
    assert cli_json("--db", str(laptop), "status")["pending"] == 0


def test_kill_9_of_the_server_mid_push_then_every_hazard_exactly_once(server, tmp_path):
    a = enroll(server, tmp_path, "office", "supervisor")
    make_hazards(a, 12_000)
    sync = subprocess.Popen(
        [*SAFECITY, "--db", str(a), "sync"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    wait_for_pushes(server, 2)
    server.kill()  # some batches committed, the rest never arrive
    out, err = sync.communicate(timeout=120)
    assert sync.returncode == 3 and "cannot reach the district server" in err and "kept" in err
    committed = server_rows(server, "SELECT count(*) FROM hazard WHERE description LIKE 'bulk %'")[0][0]
    assert 0 < committed < 12_000

    server.start()
    assert cli_json("--db", str(a), "sync")["rejected"] == 0
    assert_each_hazard_once(server, a, 12_000)


def test_kill_9_of_a_laptop_mid_sync_then_every_hazard_exactly_once(server, tmp_path):
    a = enroll(server, tmp_path, "office", "supervisor")
    make_hazards(a, 12_000)
    sync = subprocess.Popen([*SAFECITY, "--db", str(a), "sync"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_pushes(server, 2)
    sync.send_signal(signal.SIGKILL)
    sync.wait()
    cli("--db", str(a), "sync")
    assert_each_hazard_once(server, a, 12_000)


def test_sync_with_no_server_says_so_and_keeps_the_edits(tmp_path, server):
    a = enroll(server, tmp_path, "office", "supervisor")
    unit_id = cli_json("--db", str(a), "unit", "list", "--limit", "1")[0]["id"]
    cli("--db", str(a), "hazard", "add", "--unit", unit_id, "--description", "x")
    server.kill()
    done = cli("--db", str(a), "sync", ok=False)
    assert done.returncode == 3
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: cannot reach the district server")
    assert "1 change(s) kept" in done.stderr
    assert cli_json("--db", str(a), "status")["pending"] == 1
