"""Every benchmark in one run, side by side with the peers, written to bench/results.md.

    bench/run-all                       # 10,000 and 100,000 hazards, 3 runs each
    bench/run-all --sizes 10000 --runs 3 --database-url postgresql://postgres@127.0.0.1/test

- sync: SafeCity (real server process, CLI laptops; bench/sync_bench.py) and, in the same run,
  the same hazards replicated with PouchDB (bench/peers/pouchdb, installed here when missing),
  with the ratio SafeCity/PouchDB for push, pull and a sync with nothing to do;
- the floor: the same rows inserted straight into SQLite in one transaction;
- tui: first screen and filter-keystroke latency at 1,000 / 10,000 / 100,000 hazards;
- server load: laptops syncing against two server processes (SQLite, and PostgreSQL with
  --database-url).
Each measurement runs --runs times; the median and min-max are reported. A broken invariant (a
hazard missing after a pull, an edit doubled) stops the run with a non-zero exit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import sync_bench, tui_bench  # noqa: E402
from schema.ids import uuid7  # noqa: E402
from sync.server.backends.sqlite import SQLiteBackend  # noqa: E402

PEER = ROOT / "bench" / "peers" / "pouchdb"


def summary(values: list[float], digits: int = 2) -> str:
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}-{max(values):.{digits}f})"


def ensure_peer() -> None:
    if (PEER / "node_modules" / "pouchdb-node").exists():
        return
    if not shutil.which("npm"):
        raise SystemExit("the PouchDB peer needs Node.js and npm (apt-get install nodejs npm)")
    print("installing the PouchDB peer: npm install in bench/peers/pouchdb ...", file=sys.stderr)
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=PEER, check=True)


def pouchdb(hazards: int) -> dict[str, float]:
    out = subprocess.run(["node", "bench.js", "--hazards", str(hazards)], cwd=PEER, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"the PouchDB peer failed: {out.stderr.strip()[-500:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def floor(hazards: int) -> float:
    """Seconds to insert the same hazards straight into the server's SQLite in one transaction."""
    folder = Path(tempfile.mkdtemp(prefix="safecity-floor-"))
    try:
        conn = SQLiteBackend(folder).db().conn
        conn.execute("PRAGMA foreign_keys = OFF")
        rows = [
            (
                uuid7(),
                "unit",
                "xinhe",
                f"消防通道堵塞 fire lane blocked {n}",
                "北门",
                "2026-11-29T08:00:00Z",
                "general",
                "reported",
                "[]",
                1,
            )
            for n in range(hazards)
        ]
        started = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO hazard (id, unit_id, area, description, location, found_at, grade, status,"
            " responsibility_snapshot, row_version) VALUES (?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        conn.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def load(database_url: str | None) -> dict[str, float]:
    args = [
        sys.executable,
        str(ROOT / "bench" / "load_bench.py"),
        "--laptops",
        "200",
        "--edits",
        "50",
        "--servers",
        "2",
        "--spread",
        "5",
    ]
    if database_url:
        args += ["--database-url", database_url]
    out = subprocess.run(args, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"the load benchmark failed: {out.stderr.strip()[-500:]}")
    return json.loads(out.stdout[out.stdout.index("{") :])


def machine() -> str:
    node = (
        subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
        if shutil.which("node")
        else "-"
    )
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores, {memory:.0f} GiB, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, Node {node}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tui-sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--database-url", help="also run the server-load benchmark on PostgreSQL")
    args = parser.parse_args()
    ensure_peer()
    lines = [
        f"# SafeCity benchmarks\n\nMachine: {machine()}. Each figure: median (min-max) of {args.runs} runs.",
        f"Reproduce: `bench/run-all --sizes {' '.join(map(str, args.sizes))} --runs {args.runs}"
        + (" --database-url postgresql://..." if args.database_url else "")
        + "`.\n",
    ]

    for size in args.sizes:
        ours, peer, raw = [], [], []
        for n in range(args.runs):
            work = Path(tempfile.mkdtemp(prefix="safecity-bench-"))
            try:
                ours.append(sync_bench.one_run(work, size))
            finally:
                shutil.rmtree(work, ignore_errors=True)
            peer.append(pouchdb(size))
            raw.append(floor(size))
            print(
                f"{size}: run {n + 1} SafeCity {ours[-1]['push_s']:.2f}/{ours[-1]['pull_s']:.2f}s, "
                f"PouchDB {peer[-1]['push_s']:.2f}/{peer[-1]['pull_s']:.2f}s, floor {raw[-1]:.2f}s",
                file=sys.stderr,
            )

        def col(rows: list[dict[str, float]], key: str) -> list[float]:
            return [r[key] for r in rows]

        def ratio(key: str, ours: list[dict[str, float]] = ours, peer: list[dict[str, float]] = peer) -> float:
            return statistics.median(col(ours, key)) / statistics.median(col(peer, key))

        lines += [
            f"## Sync, {size:,} new hazards\n",
            "| measure | SafeCity | PouchDB | SafeCity / PouchDB |",
            "|---|---|---|---|",
            f"| push (s) | {summary(col(ours, 'push_s'))} | {summary(col(peer, 'push_s'))} | {ratio('push_s'):.2f} |",
            f"| pull into a fresh laptop (s) | {summary(col(ours, 'pull_s'))} | {summary(col(peer, 'pull_s'))} "
            f"| {ratio('pull_s'):.2f} |",
            f"| sync with nothing to do (ms) | {summary(col(ours, 'idle_sync_ms'))} | "
            f"{summary(col(peer, 'idle_sync_ms'))} | {ratio('idle_sync_ms'):.2f} |",
            f"| laptop peak RSS, push / pull (MB) | {statistics.median(col(ours, 'push_mb')):.0f} / "
            f"{statistics.median(col(ours, 'pull_mb')):.0f} | {statistics.median(col(peer, 'client_mb')):.0f} "
            "(one process) | |",
            f"| server peak RSS (MB) | {statistics.median(col(ours, 'server_mb')):.0f} | "
            f"{statistics.median(col(peer, 'server_mb')):.0f} | |",
            f"| 10 edits, laptop with 1,000 / {size:,} hazards (ms) | {statistics.median(col(ours, 'ten_edits_small_ms')):.1f}"
            f" / {statistics.median(col(ours, 'ten_edits_big_ms')):.1f} | | |",
            f"| the floor: the same rows straight into SQLite, one transaction (s) | {summary(raw)} | | |",
            f"\nSafeCity's push is {statistics.median(col(ours, 'push_s')) / statistics.median(raw):.1f}x the floor.\n",
        ]

    tui = {}
    cache = Path(tempfile.gettempdir()) / "safecity-bench-tui"
    cache.mkdir(exist_ok=True)
    for size in args.tui_sizes:
        path = tui_bench.seeded(size, cache)
        starts, rss, keys = [], [], []
        for _ in range(args.runs):
            elapsed, mb = tui_bench.start_time(path)
            starts.append(elapsed)
            rss.append(mb)
            keys += asyncio.run(tui_bench.keystrokes(path))
        keys.sort()
        tui[size] = (starts, rss, statistics.median(keys) * 1000, keys[int(len(keys) * 0.95) - 1] * 1000)
    lines += [
        "## Terminal app\n",
        "| hazards | first screen (s) | filter keystroke median / p95 (ms) | resident memory (MB) |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {size:,} | {summary(s)} | {k50:.1f} / {k95:.1f} | {statistics.median(r):.0f} |"
        for size, (s, r, k50, k95) in tui.items()
    ]

    lines += [
        "\n## Server load: 200 laptops x 50 edits, two server processes, syncs starting over 5 s\n",
        "| backend | errors | edits on the server | edits/s | laptop sync p50 / p99 (ms) |",
        "|---|---|---|---|---|",
    ]
    for url in [None, args.database_url] if args.database_url else [None]:
        r = load(url)
        lines.append(
            f"| {r['backend']} | {r['errors']} | {r['edits_on_server']:,} (distinct {r['distinct']:,}) | "
            f"{r['edits_per_s']:.0f} | {r['p50_s'] * 1000:.0f} / {r['p99_s'] * 1000:.0f} |"
        )

    text = "\n".join(lines) + "\n"
    (ROOT / "bench" / "results.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
