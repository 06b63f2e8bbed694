"""What a hostile push costs the district server, and the other devices (issue 16).

A real `safecity serve` process on a loopback port, seeded with a small district. One device
sends, over and over, the worst bodies a token allows: a maximal gzip bomb (MAX_BODY_BYTES of
gzip inflating past MAX_INFLATED_BYTES), and a body of millions of tiny JSON values that would
parse into gigabytes. Meanwhile another device pulls, as a laptop does; its latency is measured
before and during the attack, with the server's peak memory (VmHWM).

Run: .venv/bin/python bench/bomb_bench.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import free_port, peak_rss_mb, wait_healthy  # noqa: E402
from sync.protocol import MAX_INFLATED_BYTES, PROTOCOL_VERSION  # noqa: E402

SAFECITY = [sys.executable, "-m", "tui"]
ENV = {**os.environ, "SAFECITY_TODAY": "2026-11-29"}


def token(*args: str) -> str:
    out = subprocess.run([*SAFECITY, *args, "--json"], capture_output=True, text=True, env=ENV, check=True)
    return str(json.loads(out.stdout)["token"])


def bomb() -> bytes:
    """Zeros inflating to a little more than the server accepts (the largest a stream gives)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b"\0" * (1 << 20)
    parts = [compressor.compress(chunk) for _ in range(MAX_INFLATED_BYTES // len(chunk) + 4)]
    return b"".join(parts) + compressor.flush()


def swarm() -> bytes:
    """Valid JSON of millions of empty objects: small gzip, gigabytes once parsed."""
    return gzip.compress(b'{"ops": [' + b"{}," * 30_000_000 + b"{}]}", compresslevel=6)


def latency_ms(client: httpx.Client, headers: dict[str, str], scope: str) -> float:
    """One page of a laptop's snapshot (200 rows), as the victim's laptop asks for it."""
    started = time.perf_counter()
    client.get("/v1/pull", params={"cursor": 0, "limit": 200, "scope": scope}, headers=headers).raise_for_status()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="safecity-bomb-"))
    where = ("--data", str(work / "server"))
    subprocess.run([*SAFECITY, "admin", *where, "seed", "--scale", "3000"], env=ENV, check=True, capture_output=True)
    attacker = token("admin", *where, "user", "add", "attacker", "--role", "inspector", "--area", "xinhe")
    victim = token("admin", *where, "user", "add", "victim", "--role", "inspector", "--area", "xinhe")
    port = free_port()
    server = subprocess.Popen(
        [*SAFECITY, "serve", *where, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=ENV
    )
    try:
        wait_healthy(port)
        base = f"http://127.0.0.1:{port}"
        proto = {"SafeCity-Protocol": str(PROTOCOL_VERSION)}
        victim_headers = {**proto, "Authorization": f"Bearer {victim}"}
        bodies = {"gzip bomb": bomb(), "tiny-value swarm": swarm()}
        with httpx.Client(base_url=base, timeout=60) as client:
            scope = str(client.get("/v1/me", headers=victim_headers).json()["scope_key"])
            quiet = [latency_ms(client, victim_headers, scope) for _ in range(30)]
        rss_before = peak_rss_mb(server.pid)
        answers: dict[str, set[int]] = {name: set() for name in bodies}
        sent = dict.fromkeys(bodies, 0)
        stop = time.monotonic() + args.seconds

        def attack(name: str, body: bytes) -> None:
            headers = {**proto, "Authorization": f"Bearer {attacker}", "Content-Encoding": "gzip"}
            with httpx.Client(base_url=base, timeout=60) as hostile:
                while time.monotonic() < stop:
                    answers[name].add(hostile.post("/v1/push", content=body, headers=headers).status_code)
                    sent[name] += 1

        threads = [threading.Thread(target=attack, args=item) for item in bodies.items()]
        for thread in threads:
            thread.start()
        during = []
        with httpx.Client(base_url=base, timeout=60) as client:
            while time.monotonic() < stop:
                during.append(latency_ms(client, victim_headers, scope))
                time.sleep(0.05)  # a laptop paging its snapshot, within its rate limit
        for thread in threads:
            thread.join()
        print(f"bodies: {', '.join(f'{n} {len(b) / 2**20:.1f} MiB gzip' for n, b in bodies.items())}")
        print(f"answers: {', '.join(f'{n} x{sent[n]} -> {sorted(s)}' for n, s in answers.items())}")
        print("| measure | value |")
        print("|---|---|")
        print(f"| victim's pull, quiet: median / max (ms) | {statistics.median(quiet):.1f} / {max(quiet):.1f} |")
        print(
            f"| victim's pull, under attack: median / p99 / max (ms) | {statistics.median(during):.1f} / "
            f"{statistics.quantiles(during, n=100)[-1]:.1f} / {max(during):.1f} ({len(during)} pulls) |"
        )
        print(f"| server peak RSS before / after the attack (MB) | {rss_before:.0f} / {peak_rss_mb(server.pid):.0f} |")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
