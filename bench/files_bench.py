"""Evidence bytes on the wire (issue 17): photos up and down against plain HTTP, a cut upload,
a laptop's memory while moving 1 GB, and a sync with 1,000 photos already everywhere.

A real `safecity serve` process on a loopback port (embedded SQLite, or PostgreSQL with
--database-url), laptops enrolled with `safecity init`. Measured in one run:

1. 200 photos of 3 MB: pushed from one laptop (`FileSync.push`) and pulled full on another
   (`FileSync.pull`, fetch full), against the same bytes PUT to and GOT from a plain Starlette
   server on uvicorn that only writes and serves files (no hashes, no scope, no fsync);
2. a 100 MB upload through a proxy that cuts the connection at five random points: the pieces
   sent against the pieces the file has (at most one more per cut);
3. peak memory (ru_maxrss) of `safecity sync` processes pushing, then pulling in full, 1 GB of photos;
4. `safecity sync` with nothing new on a laptop holding 1,000 photos (and the server too) against
   one holding none: median of 7 runs each, and the file requests it made (none).

Run: .venv/bin/python bench/files_bench.py [--photos 200] [--database-url postgresql://...]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import free_port, peak_rss_mb, wait_healthy  # noqa: E402
from schema.attachments import attach  # noqa: E402
from schema.store.connection import connect  # noqa: E402
from schema.store.files import files_beside  # noqa: E402
from schema.writes import Writer, local_actor  # noqa: E402
from sync.laptop.client import SyncSummary  # noqa: E402
from sync.laptop.enrolment import client_for  # noqa: E402
from sync.protocol import FILE_PIECE  # noqa: E402

SAFECITY = [sys.executable, "-m", "tui"]
ENV = {**os.environ, "SAFECITY_TODAY": "2026-11-29", "SAFECITY_CONFIG": "/nonexistent/safecity.toml"}
MB = 2**20


def cli(*args: str, env: dict[str, str] | None = None) -> Any:
    out = subprocess.run([*SAFECITY, *args, "--json"], capture_output=True, text=True, env=env or ENV)
    if out.returncode != 0:
        raise SystemExit(f"safecity {' '.join(args)} failed: {out.stderr.strip()}")
    return json.loads(out.stdout)


def photos(folder: Path, count: int, size: int) -> list[Path]:
    """`count` distinct JPEGs of about `size` bytes: one photo of noise (it does not compress),
    each copy with bytes of its own after the image's end (a valid JPEG, a distinct file)."""
    from PIL import Image

    folder.mkdir(exist_ok=True)
    base = folder / "base.jpg"
    side = 512
    for _ in range(3):  # noise at quality 95 is about 2 bytes a pixel; two tries land within a few percent
        Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(base, "JPEG", quality=95)
        side = int(side * math.sqrt(size / base.stat().st_size))
    data = base.read_bytes()
    made = []
    for n in range(count):
        path = folder / f"IMG_{n:05d}.jpg"
        path.write_bytes(data + n.to_bytes(8, "big") + os.urandom(8))
        made.append(path)
    base.unlink()
    return made


def laptop(server: dict[str, Any], name: str, token: str, work: Path) -> Path:
    db = work / f"{name}.db"
    cli("--db", str(db), "init", "--server", server["url"], "--token", token)
    return db


def attached(db: Path, files: list[Path], role: str = "before", per_call: int = 50) -> None:
    conn = connect(db)
    hazard = conn.execute("SELECT id FROM hazard WHERE status = 'reported' ORDER BY id LIMIT 1").fetchone()[0]
    w, store = Writer(conn, local_actor(conn)), files_beside(conn)
    assert store is not None
    for start in range(0, len(files), per_call):
        attach(w, store, hazard, files[start : start + per_call], role)
    conn.close()


def plain_server(folder: Path, port: int) -> subprocess.Popen[bytes]:
    code = f"""
import uvicorn
from pathlib import Path
from starlette.applications import Starlette
from starlette.responses import FileResponse, Response
from starlette.routing import Route
root = Path({str(folder)!r}); root.mkdir(parents=True, exist_ok=True)
async def put(request):
    with open(root / request.path_params["name"], "wb") as f:
        async for chunk in request.stream():
            f.write(chunk)
    return Response(status_code=204)
async def get(request):
    return FileResponse(root / request.path_params["name"])
app = Starlette(routes=[Route("/f/{{name}}", put, methods=["PUT"]), Route("/f/{{name}}", get, methods=["GET"])])
uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning")
"""
    return subprocess.Popen([sys.executable, "-c", code])


def plain_copy(files: list[Path], port: int, into: Path) -> tuple[float, float]:
    """Seconds to PUT every file, then to GET every file back to disk, one after another."""
    into.mkdir(exist_ok=True)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        started = time.perf_counter()
        for path in files:
            http.put(f"/f/{path.name}", content=path.read_bytes()).raise_for_status()
        up = time.perf_counter() - started
        started = time.perf_counter()
        for path in files:
            with http.stream("GET", f"/f/{path.name}") as response, (into / path.name).open("wb") as out:
                for piece in response.iter_bytes(MB):
                    out.write(piece)
        down = time.perf_counter() - started
    return up, down


class CuttingProxy:
    """Forwards loopback TCP to the server and cuts the connection each time the bytes sent
    upstream pass the next of `cuts` (byte counts, ascending)."""

    def __init__(self, upstream: int, cuts: list[int]):
        self.upstream, self.cuts, self.sent, self.cut = upstream, list(cuts), 0, 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.upstream))
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, upstream: bool) -> None:
        try:
            while data := source.recv(65536):
                if upstream:
                    with self.lock:
                        self.sent += len(data)
                        cutting = bool(self.cuts) and self.sent >= self.cuts[0]
                        if cutting:
                            self.cuts.pop(0)
                            self.cut += 1
                    if cutting:
                        break
                target.sendall(data)
        except OSError:
            pass
        for s in (source, target):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        self.listener.close()


def sync_process(db: Path, env: dict[str, str]) -> tuple[float, float, dict[str, Any]]:
    """`safecity sync` in a child process: (seconds, peak resident MB, its summary).

    The peak is the child's VmHWM, read every 10 ms while it runs: `ru_maxrss` of a child is no
    use here, since Linux carries the parent's peak across fork and exec (this process holds
    far more than a laptop does)."""
    started = time.perf_counter()
    child = subprocess.Popen([*SAFECITY, "--db", str(db), "sync", "--json"], stdout=subprocess.PIPE, env=env)
    peak = [0.0]

    def watch() -> None:
        while child.poll() is None:
            try:
                peak[0] = max(peak[0], peak_rss_mb(child.pid))
            except (FileNotFoundError, ProcessLookupError, ValueError):
                return
            time.sleep(0.01)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out, _ = child.communicate()
    seconds = time.perf_counter() - started
    watcher.join()
    if child.returncode != 0:
        raise SystemExit(f"sync of {db.name} failed")
    return seconds, peak[0], json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--photo-mb", type=float, default=3.0)
    parser.add_argument("--big-mb", type=int, default=100)
    parser.add_argument("--memory-gb", type=float, default=1.0)
    parser.add_argument("--noop-photos", type=int, default=1000)
    parser.add_argument("--database-url", help="serve from PostgreSQL instead of a data folder")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="safecity-files-"))
    where = ["--database-url", args.database_url] if args.database_url else ["--data", str(work / "server")]
    try:
        cli("admin", *where, "seed", "--scale", "300")
        tokens = {
            name: cli("admin", *where, "user", "add", name, "--role", role, *area)["token"]
            for name, role, area in [
                ("wang", "inspector", ["--area", "xinhe"]),
                ("li", "inspector", ["--area", "xinhe"]),
                ("zhou", "inspector", ["--area", "xinhe"]),
                ("chen", "supervisor", []),
                ("sun", "supervisor", []),
            ]
        }
        port = free_port()
        server = subprocess.Popen(
            [*SAFECITY, "serve", *where, "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=ENV,
        )
        plain_port = free_port()
        plain = plain_server(work / "plain", plain_port)
        try:
            wait_healthy(port)
            info = {"url": f"http://127.0.0.1:{port}"}
            rows: list[tuple[str, str]] = []

            # 1. 200 photos of 3 MB, up and down, beside plain HTTP.
            files = photos(work / "photos", args.photos, int(args.photo_mb * MB))
            total = sum(p.stat().st_size for p in files)
            up_db, down_db = laptop(info, "wang", tokens["wang"], work), laptop(info, "chen", tokens["chen"], work)
            attached(up_db, files)
            conn = connect(up_db)
            client = client_for(conn, up_db)
            client.push(SyncSummary())  # the rows; the bytes are what is timed
            files_up = client.file_sync()
            started = time.perf_counter()
            files_up.push()
            ours_up = time.perf_counter() - started
            conn.close()
            conn = connect(down_db)
            client = client_for(conn, down_db, fetch_full=True)
            client.pull(SyncSummary())
            files_down = client.file_sync()
            started = time.perf_counter()
            files_down.pull()
            ours_down = time.perf_counter() - started
            store = files_beside(conn)
            assert store is not None
            for path in files:
                sha = hashlib.sha256(path.read_bytes()).hexdigest()
                assert store.has(sha), f"{path.name} did not arrive"
            conn.close()
            deadline = time.monotonic() + 20
            while socket.socket().connect_ex(("127.0.0.1", plain_port)) != 0 and time.monotonic() < deadline:
                time.sleep(0.1)
            plain_up, plain_down = plain_copy(files, plain_port, work / "plain-down")
            rows += [
                (
                    f"{args.photos} photos x {args.photo_mb:g} MB ({total / MB:,.0f} MB): push / plain PUT (s)",
                    f"{ours_up:.2f} / {plain_up:.2f} = {ours_up / plain_up:.2f}x ({total / MB / ours_up:,.0f} MB/s)",
                ),
                (
                    f"{args.photos} photos: pull full / plain GET (s)",
                    f"{ours_down:.2f} / {plain_down:.2f} = {ours_down / plain_down:.2f}x ({total / MB / ours_down:,.0f} MB/s)",
                ),
                (
                    "photos' thumbnails moved too (files / MB)",
                    f"{files_up.sent.files - args.photos} / {(files_up.sent.bytes - total) / MB:.1f}",
                ),
            ]
            shutil.rmtree(work / "plain-down")
            shutil.rmtree(work / "plain")

            # 2. A 100 MB upload cut at five random points.
            big = work / "register.pdf"
            with big.open("wb") as f:
                f.write(b"%PDF-1.7\n")
                for _ in range(args.big_mb):
                    f.write(os.urandom(MB))
            size = big.stat().st_size
            cut_db = laptop(info, "li", tokens["li"], work)
            conn = connect(cut_db)
            hazard = conn.execute("SELECT id FROM hazard WHERE status = 'reported' ORDER BY id LIMIT 1").fetchone()[0]
            store = files_beside(conn)
            assert store is not None
            attach(Writer(conn, local_actor(conn)), store, hazard, [big], "document")
            client = client_for(conn, cut_db)
            client.push(SyncSummary())
            cuts = sorted(random.sample(range(1, size), 5))
            proxy = CuttingProxy(port, cuts)
            puts = []  # every PUT that left the laptop, retries included
            client.http = httpx.Client(
                base_url=f"http://127.0.0.1:{proxy.port}",
                timeout=60,
                event_hooks={"request": [lambda request: puts.append(1) if request.method == "PUT" else None]},
            )
            client.sleep = lambda _s: None
            files_cut = client.file_sync()
            files_cut.push()
            proxy.close()
            needed = math.ceil(size / FILE_PIECE)
            sha = hashlib.sha256(big.read_bytes()).hexdigest()
            assert files_cut.sent.files == 1, "the cut upload did not finish"
            check = connect(cut_db)
            assert check.execute("SELECT sent FROM file_copy WHERE sha256 = ?", (sha,)).fetchone()[0] == 1
            check.close()
            conn.close()
            rows.append(
                (
                    f"{size / MB:.0f} MB upload cut {proxy.cut} times: pieces sent / pieces in the file",
                    f"{len(puts)} / {needed} (+{len(puts) - needed}, at most {proxy.cut} allowed)",
                )
            )

            # 3. Peak memory of laptops moving 1 GB of photos.
            many = photos(work / "gigabyte", int(args.memory_gb * 1024 / args.photo_mb), int(args.photo_mb * MB))
            moved = sum(p.stat().st_size for p in many)
            mem_up = laptop(info, "zhou", tokens["zhou"], work)
            attached(mem_up, many)
            seconds_up, rss_up, summary_up = sync_process(mem_up, ENV)
            full_config = work / "full.toml"
            full_config.write_text('[photos]\nfetch = "full"\n')
            mem_down = laptop(info, "sun", tokens["sun"], work)
            seconds_down, rss_down, summary_down = sync_process(mem_down, {**ENV, "SAFECITY_CONFIG": str(full_config)})
            assert summary_up["files_error"] == "" and summary_down["files_error"] == ""
            rows += [
                (
                    f"`safecity sync` pushing {moved / MB:,.0f} MB of photos: peak memory (MB), time (s)",
                    f"{rss_up:.0f}, {seconds_up:.1f}",
                ),
                (
                    f"`safecity sync` pulling all photos in full ({summary_down['bytes_received'] / MB:,.0f} MB): peak memory (MB), time (s)",
                    f"{rss_down:.0f}, {seconds_down:.1f}",
                ),
            ]
            shutil.rmtree(work / "gigabyte")

            # 4. A sync with nothing new: 1,000 photos on both sides, or none.
            small = photos(work / "small", args.noop_photos, 20_000)

            def hangu_laptop(name: str) -> Path:
                token = cli("admin", *where, "user", "add", name, "--role", "inspector", "--area", "hangu")["token"]
                return laptop(info, name, token, work)

            holder = hangu_laptop("noop-holder")
            attached(holder, small)
            sync_process(holder, ENV)
            empty = hangu_laptop("noop-empty")
            sync_process(empty, ENV)
            with_photos = [sync_process(holder, ENV)[0] for _ in range(7)]
            without = [sync_process(empty, ENV)[0] for _ in range(7)]
            summary = sync_process(holder, ENV)[2]
            rows.append(
                (
                    f"sync with nothing new: {args.noop_photos:,} photos on both sides / none (s, median of 7)",
                    f"{statistics.median(with_photos):.3f} / {statistics.median(without):.3f}"
                    f" (files moved: {summary['files_sent'] + summary['files_received']})",
                )
            )
        finally:
            server.terminate()
            plain.terminate()
            server.wait()
            plain.wait()
        print(f"server: {'PostgreSQL' if args.database_url else 'embedded SQLite'}; {os.cpu_count()} cores")
        print("| measure | value |")
        print("|---|---|")
        for name, value in rows:
            print(f"| {name} | {value} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
