"""Many laptops syncing at once against several server processes (loopback only, bounded).

    .venv/bin/python bench/load_bench.py --laptops 200 --edits 50 --servers 2 \\
        --database-url postgresql://postgres@127.0.0.1:5432/test

Starts `--servers` `safecity serve` processes on free loopback ports over one database (a fresh
PostgreSQL schema, or an SQLite folder without --database-url), enrolls `--laptops` inspectors
spread over the 21 towns (each laptop a real SQLite file, half pointed at each server), lets each
record `--edits` new hazards offline, then starts the laptops' syncs, all in the same instant or
evenly over `--spread` seconds (threads, one per laptop; bounded by --laptops and a 120 s limit).
All laptops run in this one process, on the same cores as the servers and the database, so a
laptop's own work (applying what it pulls) is slower here than on a laptop of its own. Reports throughput and the
50th/99th percentile of a laptop's sync (push + pull). Exits non-zero on any error, or if any
edit is missing or present twice on the server.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import free_port, wait_healthy  # noqa: E402
from schema.demo.data import AREAS  # noqa: E402
from schema.store.connection import connect  # noqa: E402
from schema.writes import Writer, local_actor  # noqa: E402
from sync.laptop import enrolment as laptop  # noqa: E402
from sync.laptop.client import SyncSummary  # noqa: E402
from sync.server.accounts import add_user  # noqa: E402
from sync.server.store import DistrictStore  # noqa: E402

SAFECITY = [sys.executable, "-m", "tui"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--laptops", type=int, default=200)
    parser.add_argument("--edits", type=int, default=50)
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--database-url", help="PostgreSQL (a fresh schema is made and dropped); default SQLite")
    parser.add_argument(
        "--spread",
        type=float,
        default=0.0,
        help="seconds over which the laptops' syncs start, evenly (0: all in the same instant)",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="safecity-load-"))
    schema = None
    target: str = str(work / "server")
    if args.database_url:
        import psycopg

        schema = f"load_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(args.database_url, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        target = f"{args.database_url}{'&' if '?' in args.database_url else '?'}options=-csearch_path%3D{schema}"
    store = DistrictStore.open(target)
    store.seed(scale=0, today=__import__("datetime").date(2026, 11, 29))
    tokens = [
        add_user(store.db(), f"insp{n:03d}", "inspector", [AREAS[n % len(AREAS)][0]])["token"]
        for n in range(args.laptops)
    ]
    store.close()
    where = ["--database-url", target] if args.database_url else ["--data", target]
    ports = [free_port() for _ in range(args.servers)]
    logs = [open(work / f"server{p}.log", "w") for p in ports]  # noqa: SIM115
    servers = [
        subprocess.Popen([*SAFECITY, "serve", *where, "--port", str(p)], stdout=subprocess.DEVNULL, stderr=log)
        for p, log in zip(ports, logs, strict=True)
    ]
    try:
        for port in ports:
            wait_healthy(port)
        clients = []
        for n, token in enumerate(tokens):
            path = work / f"laptop{n:03d}.db"
            conn = connect(path)
            laptop.enroll(conn, path, f"http://127.0.0.1:{ports[n % len(ports)]}", token)
            writer = Writer(conn, local_actor(conn))
            unit_id = conn.execute("SELECT id FROM unit ORDER BY id LIMIT 1").fetchone()[0]
            with writer.transaction():
                for e in range(args.edits):
                    writer.create(
                        "hazard",
                        {"unit_id": unit_id, "description": f"load {n}-{e}", "found_at": "2026-11-29T08:00:00Z"},
                    )
            clients.append(laptop.client_for(conn, path))
        print(f"{args.laptops} laptops enrolled, {args.laptops * args.edits} edits waiting", file=sys.stderr)

        errors: list[str] = []
        starts = iter(range(args.laptops))
        lock = threading.Lock()

        pushes: list[float] = []

        def sync(client):  # type: ignore[no-untyped-def]
            with lock:
                index = next(starts)
            time.sleep(max(0.0, t0 + index * args.spread / args.laptops - time.perf_counter()))
            began = time.perf_counter()
            try:
                summary = SyncSummary()
                client.push(summary)
                pushes.append(time.perf_counter() - began)
                client.pull(summary)
                if summary.pushed != args.edits or summary.rejected:
                    errors.append(f"pushed {summary.pushed}, rejected {summary.rejected}")
            except Exception as err:  # noqa: BLE001 - every failure counts, whatever its kind
                errors.append(str(err))
            return time.perf_counter() - began

        began = t0 = time.perf_counter() + 1.0  # every thread is up before the first sync starts
        with ThreadPoolExecutor(max_workers=args.laptops) as pool:
            durations = sorted(pool.map(sync, clients, timeout=120))
        wall = time.perf_counter() - began
        result_spread = args.spread
        check = DistrictStore.open(target)
        total, distinct = check.db().rows(
            "SELECT count(*), count(DISTINCT description) FROM hazard WHERE description LIKE 'load %'"
        )[0]
        check.close()
        result = {
            "laptops": args.laptops,
            "edits_each": args.edits,
            "servers": args.servers,
            "spread_s": result_spread,
            "backend": "postgres" if args.database_url else "sqlite",
            "errors": len(errors),
            "edits_on_server": total,
            "distinct": distinct,
            "wall_s": wall,
            "edits_per_s": args.laptops * args.edits / wall,
            "p50_s": statistics.median(durations),
            "p99_s": durations[max(0, int(len(durations) * 0.99) - 1)],
            "push_p50_s": statistics.median(pushes),
        }
        for log in logs:
            log.flush()
        served = sorted(
            json.loads(line)["ms"]
            for p in ports
            for line in (work / f"server{p}.log").read_text().splitlines()
            if line.startswith("{") and '"/v1/push"' in line
        )
        result["server_push_ms_p50"] = statistics.median(served)
        result["server_push_ms_p99"] = served[max(0, int(len(served) * 0.99) - 1)]
        pulls = sorted(
            json.loads(line)["ms"]
            for p in ports
            for line in (work / f"server{p}.log").read_text().splitlines()
            if line.startswith("{") and '"/v1/pull"' in line
        )
        result["server_pulls"] = len(pulls)
        result["server_pull_ms_p50"] = statistics.median(pulls)
        result["server_pull_ms_p99"] = pulls[max(0, int(len(pulls) * 0.99) - 1)]
        (ROOT / "bench" / "out").mkdir(exist_ok=True)
        (ROOT / "bench" / "out" / "load.json").write_text(json.dumps(result, indent=2))
        print(json.dumps(result, indent=2))
        expected = args.laptops * args.edits
        if errors or total != expected or distinct != expected:
            print(
                f"FAILED: {len(errors)} errors ({errors[:3]}), {total} edits on the server, {distinct} distinct,"
                f" {expected} expected",
                file=sys.stderr,
            )
            sys.exit(1)
    finally:
        for server in servers:
            server.kill()
            server.wait()
        shutil.rmtree(work, ignore_errors=True)
        if schema:
            import psycopg

            with psycopg.connect(args.database_url, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA {schema} CASCADE")


if __name__ == "__main__":
    main()
