"""Sync speed and memory, measured on real parts: a `safecity serve` process on a loopback port,
laptops as real SQLite files, pushes and pulls run as `safecity` processes.

    .venv/bin/python bench/sync_bench.py --hazards 100000 --runs 3

Measures, each run on fresh databases (the median and min-max are reported):
- push: N new hazards from one laptop (`safecity sync` process), wall time and its peak RSS;
- pull: the same N hazards into a fresh laptop (`safecity init` process), wall time, peak RSS;
- the server process's peak RSS;
- a sync with nothing to do (in-process, the SyncClient over HTTP);
- ten hazard edits on laptops holding 1,000 and N hazards (in-process, the write path).
Exits non-zero if an invariant fails (a hazard missing after the pull, an edit not pushed).
Writes bench/out/sync.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import free_port, peak_rss_mb, wait_healthy  # noqa: E402
from schema.hazards import edit_hazard  # noqa: E402
from schema.store.connection import connect  # noqa: E402
from schema.writes import Writer, local_actor  # noqa: E402
from sync.laptop import enrolment as laptop  # noqa: E402

SAFECITY = [sys.executable, "-m", "tui"]
ENV = {**os.environ, "SAFECITY_TODAY": "2026-11-29"}


def run(*args: str) -> dict:
    out = subprocess.run([*SAFECITY, *args, "--json"], capture_output=True, text=True, env=ENV, check=True)
    return json.loads(out.stdout)


def timed_process(*args: str) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one `safecity` process.

    The peak comes from /usr/bin/time, a small parent: Linux carries ru_maxrss across exec, so
    a child forked straight from this (large) process would report this process's memory too.
    """
    report = Path(tempfile.mkstemp(prefix="safecity-rss-")[1])
    timer = ["/usr/bin/time", "-f", "%M", "-o", str(report)] if Path("/usr/bin/time").exists() else []
    started = time.perf_counter()
    done = subprocess.run([*timer, *SAFECITY, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=ENV)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"safecity {' '.join(args)} failed: {done.stderr.decode()[-500:]}")
    peak_kb = float(report.read_text().split()[-1]) if timer else float("nan")
    report.unlink()
    return elapsed, peak_kb / 1024


def make_hazards(db: Path, count: int) -> None:
    conn = connect(db)
    writer = Writer(conn, local_actor(conn))
    units = [r[0] for r in conn.execute("SELECT id FROM unit ORDER BY id")]
    with writer.transaction():
        for n in range(count):
            writer.create(
                "hazard",
                {
                    "unit_id": units[n % len(units)],
                    "location": "北门",
                    "description": f"消防通道堵塞 fire lane blocked {n}",
                    "found_at": "2026-11-29T08:00:00Z",
                },
            )
    conn.close()


def one_run(work: Path, hazards: int, database_url: str | None = None) -> dict[str, float]:
    where = ["--database-url", database_url] if database_url else ["--data", str(work / "server")]
    run("admin", *where, "seed", "--scale", "0")
    tokens = [run("admin", *where, "user", "add", "office", "--role", "supervisor")["token"]]
    tokens += [run("admin", *where, "token", "add", "office")["token"] for _ in range(2)]
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [*SAFECITY, "serve", *where, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV
    )
    try:
        wait_healthy(port)
        a, b, c = work / "a.db", work / "b.db", work / "c.db"
        run("--db", str(a), "init", "--server", url, "--token", tokens[0])
        make_hazards(a, hazards)
        push_s, push_mb = timed_process("--db", str(a), "sync")
        pull_s, pull_mb = timed_process("--db", str(b), "init", "--server", url, "--token", tokens[1])
        conn_b = connect(b)
        got = conn_b.execute(
            "SELECT count(*) FROM hazard WHERE description LIKE '消防通道堵塞 fire lane blocked %'"
        ).fetchone()[0]
        if got != hazards:
            raise SystemExit(f"invariant failed: {got} of {hazards} hazards arrived")
        client = laptop.client_for(conn_b, b)
        client.sync()
        idle = []
        for _ in range(20):
            started = time.perf_counter()
            client.sync()
            idle.append(time.perf_counter() - started)
        edits_big = ten_edits(conn_b)
        run("--db", str(c), "init", "--server", url, "--token", tokens[2])
        make_hazards(c, 1000)
        edits_small = ten_edits(connect(c))
        client.sync()
        if laptop.status(conn_b)["pending"]:
            raise SystemExit("invariant failed: edits still pending after sync")
        return {
            "push_s": push_s,
            "push_mb": push_mb,
            "pull_s": pull_s,
            "pull_mb": pull_mb,
            "server_mb": peak_rss_mb(server.pid),
            "idle_sync_ms": statistics.median(idle) * 1000,
            "ten_edits_small_ms": edits_small * 1000,
            "ten_edits_big_ms": edits_big * 1000,
        }
    finally:
        server.kill()
        server.wait()


def ten_edits(conn) -> float:  # type: ignore[no-untyped-def]
    writer = Writer(conn, local_actor(conn))
    ids = [r[0] for r in conn.execute("SELECT id FROM hazard WHERE status = 'reported' ORDER BY id DESC LIMIT 10")]
    started = time.perf_counter()
    for n, hazard_id in enumerate(ids):
        edit_hazard(writer, hazard_id, {"location": f"东门 {n}"})
    return time.perf_counter() - started


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hazards", type=int, default=100_000, help="hazards to push and pull")
    parser.add_argument("--runs", type=int, default=3, help="repetitions (median reported)")
    parser.add_argument("--database-url", help="run the server on PostgreSQL (a fresh schema per run)")
    args = parser.parse_args()
    runs = []
    for n in range(args.runs):
        work = Path(tempfile.mkdtemp(prefix="safecity-bench-"))
        schema = None
        try:
            url = None
            if args.database_url:
                import psycopg

                schema = f"bench_{n}_{os.getpid()}"
                with psycopg.connect(args.database_url, autocommit=True) as conn:
                    conn.execute(f"CREATE SCHEMA {schema}")
                url = f"{args.database_url}{'&' if '?' in args.database_url else '?'}options=-csearch_path%3D{schema}"
            runs.append(one_run(work, args.hazards, url))
            print(f"run {n + 1}: " + ", ".join(f"{k} {v:.2f}" for k, v in runs[-1].items()), file=sys.stderr)
        finally:
            shutil.rmtree(work, ignore_errors=True)
            if schema:
                import psycopg

                with psycopg.connect(args.database_url, autocommit=True) as conn:
                    conn.execute(f"DROP SCHEMA {schema} CASCADE")
    keys = runs[0].keys()
    result = {"hazards": args.hazards, "runs": args.runs, **{k: [r[k] for r in runs] for k in keys}}
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / ("sync-postgres.json" if args.database_url else "sync.json")).write_text(json.dumps(result, indent=2))
    labels = {
        "push_s": f"push {args.hazards:,} new hazards (s)",
        "push_mb": "push: laptop peak RSS (MB)",
        "pull_s": f"pull {args.hazards:,} into a fresh laptop (s)",
        "pull_mb": "pull: laptop peak RSS (MB)",
        "server_mb": "server peak RSS (MB)",
        "idle_sync_ms": "sync with nothing to do (ms)",
        "ten_edits_small_ms": "10 edits, laptop with 1,000 hazards (ms)",
        "ten_edits_big_ms": f"10 edits, laptop with {args.hazards:,} hazards (ms)",
    }
    print("| measure | median (min-max) |\n|---|---|")
    for key in keys:
        print(f"| {labels[key]} | {summary(result[key])} |")


if __name__ == "__main__":
    main()
