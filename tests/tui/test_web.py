"""`safecity web`: the office opens the same app in a browser, tested in headless Chromium.

The browser loads the page from a real `safecity web` process on a free loopback port, the app
starts behind it on the same database, and keys typed in the browser drive it: the command
palette's language switch writes the settings file, which only the real app behind the page can
do. Needs Debian's chromium (.ci/run installs it and sets SAFECITY_REQUIRE_BROWSER=1).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.sync.test_end_to_end import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def browser_or_skip() -> str:
    if CHROMIUM is None:
        if os.environ.get("SAFECITY_REQUIRE_BROWSER") == "1":
            pytest.fail("SAFECITY_REQUIRE_BROWSER=1 but there is no chromium on PATH")
        pytest.skip("the browser test needs Debian's chromium (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture
def web(district_path: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A `safecity web` process serving the seeded district; yields (url, settings file)."""
    port = free_port()
    settings = tmp_path / "config.toml"
    env = {**os.environ, "SAFECITY_CONFIG": str(settings)}
    server = subprocess.Popen(
        [sys.executable, "-m", "tui", "--db", str(district_path), "web", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(100):
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail(f"safecity web did not answer on {url} (exit code {server.poll()})")
        yield url, settings
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_page_is_served_with_the_apps_title(web):
    url, _settings = web
    page = httpx.get(url, timeout=5)
    assert page.status_code == 200 and "<div>SafeCity</div>" in page.text and "/ws" in page.text


async def test_keys_typed_in_the_browser_drive_the_real_app(web):
    from playwright.async_api import async_playwright

    url, settings = web
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=browser_or_skip(), args=["--no-sandbox"])
        try:
            page = await browser.new_page(viewport={"width": 1400, "height": 900})
            await page.goto(url)
            for _ in range(100):  # the app process starts behind the page and draws its first screen
                if settings.exists() or await page.locator("canvas, .xterm-screen").count():
                    break
                await page.wait_for_timeout(100)
            await page.wait_for_timeout(1500)
            await page.mouse.click(700, 450)  # focus the terminal
            await page.keyboard.press(":")  # the command palette
            await page.wait_for_timeout(500)
            await page.keyboard.type("Language")
            await page.wait_for_timeout(500)
            await page.keyboard.press("Enter")
            for _ in range(50):
                if settings.exists():
                    break
                await page.wait_for_timeout(100)
        finally:
            await browser.close()
    assert settings.read_text().strip() == 'language = "zh"'
