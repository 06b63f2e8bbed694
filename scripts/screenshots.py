"""Screenshots for docs/office.md: the terminal app's office screens and the HTML report.

Run: .venv/bin/python scripts/screenshots.py   (needs Debian's chromium: apt install chromium)

The terminal screens are Textual's own SVG screenshots of the running app (the exact cells a
terminal shows), rendered to PNG by headless Chromium together with the HTML report page.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from schema.demo.district import seed  # noqa: E402
from schema.store.connection import connect  # noqa: E402
from tui.app import SafeCityApp  # noqa: E402
from tui.config import Settings  # noqa: E402

TODAY = date(2026, 11, 29)
OUT = ROOT / "docs" / "img"


async def terminal(db: Path, name: str, keys: list[str], language: str = "en") -> Path:
    app = SafeCityApp(db, Settings(language=language, sync_interval=0), today=TODAY)
    async with app.run_test(size=(140, 42)) as pilot:
        await pilot.press(*keys)
        await app.workers.wait_for_complete()
        while not getattr(app.screen, "loaded", True):  # the dashboard's figures come from a worker
            await pilot.pause(0.05)
        await pilot.pause(0.3)
        svg = app.save_screenshot(filename=f"{name}.svg", path=str(OUT.parent / "build"))
    return Path(svg)


def chromium_png(source: Path, target: Path, size: str) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        sys.exit("error: headless Chromium is needed: apt install chromium")
    subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--window-size={size}",
            f"--screenshot={target}",
            source.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    print(f"wrote {target.relative_to(ROOT)}")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT.parent / "build").mkdir(exist_ok=True)
    os.environ["SAFECITY_TODAY"] = TODAY.isoformat()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "demo.db"
        conn = connect(db)
        seed(conn, scale=3000, today=TODAY)
        conn.close()
        shots = [
            ("dashboard", ["D"], "en"),
            ("dashboard-zh", ["D"], "zh"),
            ("escalations", ["E"], "en"),
            ("assessment", ["A", "down", "down", "down", "down", "down"], "zh"),
        ]
        for name, keys, language in shots:
            svg = asyncio.run(terminal(db, name, keys, language))
            chromium_png(svg, OUT / f"{name}.png", "1480,1000")
        report = Path(folder) / "report.html"
        subprocess.run(
            [sys.executable, "-m", "tui", "--db", str(db), "report", "html", "--period", "2026Q4", "-o", str(report)],
            check=True,
        )
        chromium_png(report, OUT / "report.png", "1100,2400")
    shutil.rmtree(OUT.parent / "build", ignore_errors=True)


if __name__ == "__main__":
    main()
