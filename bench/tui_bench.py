"""Terminal-app speed at 1,000 / 10,000 / 100,000 hazards.

    .venv/bin/python bench/tui_bench.py --sizes 1000 10000 100000 --runs 3

- start: wall time from launching a `python` process that opens the app (headless, 140x40) on
  a seeded laptop database until the first screen of hazard rows has been rendered;
- filter keystroke: from the filter's reload (the key has changed the text) to the
  last visible row drawn by the list afterwards: the query, the count, and drawing the new
  rows. Measured in-process by timestamps in the app, not by the test harness's own waits,
  over a typed sequence of Chinese, English and field filters; median and 95th percentile;
- resident memory of the app process with the first screen up (peak RSS).
Writes bench/out/tui.json and prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TODAY = date(2026, 11, 29)
PROBE = """
import sys, time
from datetime import date
from pathlib import Path
from tui.app import SafeCityApp
from tui.config import Settings
from tui.widgets.hazard_list import HazardList

class Probe(SafeCityApp):
    def on_ready(self):
        self.set_timer(0.01, self.check)

    def check(self):
        rows = self.screen.query(HazardList)
        if rows and rows.first().count and rows.first().row(0):
            self.call_after_refresh(self.done)
        else:
            self.set_timer(0.01, self.check)

    def done(self):
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec from the (larger) parent.
        peak = [l.split()[1] for l in open("/proc/self/status") if l.startswith("VmHWM:")][0]
        print("READY", peak, flush=True)
        self.exit()

Probe(Path(sys.argv[1]), Settings(sync_interval=0), today=date(2026, 11, 29)).run(headless=True, size=(140, 40))
"""
KEYS = [
    "slash",
    *"消防",
    "backspace",
    "backspace",
    *"fire",
    *["backspace"] * 4,
    *"status:rectifying",
    *["backspace"] * 17,
    *"grade:major",
    *["backspace"] * 11,
    *"area:xinhe",
]


def seeded(size: int, folder: Path) -> Path:
    """A seeded laptop database, kept between runs, named after the schema it was made with."""
    import hashlib

    from schema.store.migrations import MIGRATIONS

    schema = hashlib.sha256("".join(MIGRATIONS).encode()).hexdigest()[:10]
    path = folder / f"laptop-{size}-{schema}.db"
    if not path.exists():
        subprocess.run(
            [sys.executable, "-m", "tui", "--db", str(path), "seed", "--scale", str(size)],
            check=True,
            env={**os.environ, "SAFECITY_TODAY": TODAY.isoformat()},
            capture_output=True,
        )
    return path


def start_time(path: Path) -> tuple[float, float]:
    started = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, cwd=ROOT, check=True)
    elapsed = time.perf_counter() - started
    rss_kb = int(out.stdout.split("READY")[1].split()[0])
    return elapsed, rss_kb / 1024


async def keystrokes(path: Path) -> list[float]:
    from tui.app import SafeCityApp
    from tui.config import Settings
    from tui.screens import triage as screens
    from tui.widgets.hazard_list import HazardList

    marks = {"changed": 0.0, "drawn": 0.0}
    changed, render_line = screens.TriageScreen.refresh_data, HazardList.render_line

    def timed_changed(self):  # type: ignore[no-untyped-def]
        marks["changed"] = time.perf_counter()
        return changed(self)

    def timed_render(self, y):  # type: ignore[no-untyped-def]
        strip = render_line(self, y)
        marks["drawn"] = time.perf_counter()
        return strip

    screens.TriageScreen.refresh_data = timed_changed  # type: ignore[method-assign]
    HazardList.render_line = timed_render  # type: ignore[method-assign]
    app = SafeCityApp(path, Settings(sync_interval=0), today=TODAY)
    timings = []
    try:
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.press(KEYS[0])
            for key in KEYS[1:]:
                marks["changed"] = marks["drawn"] = 0.0
                await pilot.press(key)
                await pilot.pause()
                if marks["changed"] and marks["drawn"] > marks["changed"]:
                    timings.append(marks["drawn"] - marks["changed"])
    finally:
        screens.TriageScreen.refresh_data = changed  # type: ignore[method-assign]
        HazardList.render_line = render_line  # type: ignore[method-assign]
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "safecity-bench-tui",
        help="where the seeded databases are kept between runs",
    )
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    results = {}
    for size in args.sizes:
        path = seeded(size, args.cache)
        starts, rss, keys = [], [], []
        for _ in range(args.runs):
            elapsed, mb = start_time(path)
            starts.append(elapsed)
            rss.append(mb)
            keys += asyncio.run(keystrokes(path))
        keys.sort()
        results[size] = {
            "start_s": starts,
            "rss_mb": rss,
            "key_median_ms": statistics.median(keys) * 1000,
            "key_p95_ms": keys[int(len(keys) * 0.95) - 1] * 1000,
        }
        print(f"{size}: {results[size]}", file=sys.stderr)
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "tui.json").write_text(json.dumps(results, indent=2))
    print(
        "| hazards | first screen (s) | filter keystroke median / p95 (ms) | resident memory (MB) |\n|---|---|---|---|"
    )
    for size, r in results.items():
        print(
            f"| {size:,} | {statistics.median(r['start_s']):.2f} ({min(r['start_s']):.2f}-{max(r['start_s']):.2f}) "
            f"| {r['key_median_ms']:.1f} / {r['key_p95_ms']:.1f} | {statistics.median(r['rss_mb']):.0f} |"
        )


if __name__ == "__main__":
    main()
