"""An in-process district: the real server app and real laptop databases, no sockets.

The server app runs behind Starlette's test transport; each laptop's `SyncClient` talks to it
through `FaultyTransport`, which can drop a request, lose a response after the server
committed, send a request twice, fail with a 5xx, or cut a page short.
"""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import orjson

from schema.hazards import act, add_hazard, edit_hazard
from schema.store.connection import connect
from schema.store.transactions import get_meta
from schema.writes import Writer, local_actor
from sync.audit.keys import head_text
from sync.laptop import chain
from sync.laptop import enrolment as laptop
from sync.laptop.client import SyncClient, SyncSummary
from sync.protocol import PROTOCOL_VERSION
from sync.server.accounts import add_user, set_areas
from sync.server.app import create_app
from sync.server.chain import read_chain
from sync.server.push_body import PayloadError, parse_ops
from sync.server.store import DistrictStore

TODAY = date(2026, 11, 29)


class AppTransport(httpx.BaseTransport):
    """A synchronous transport into an ASGI app: `httpx.ASGITransport` on an event loop of its
    own thread, so it serves callers on any thread, inside a running event loop or not."""

    def __init__(self, app: Any):
        self.inner = httpx.ASGITransport(app=app)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not isinstance(request.stream, httpx.AsyncByteStream):  # a body sent as pieces (file uploads)
            request = httpx.Request(request.method, request.url, headers=request.headers, content=request.read())

        async def send() -> httpx.Response:
            response = await self.inner.handle_async_request(request)
            body = await response.aread()  # decoded: drop the headers that described the encoding
            headers = [(k, v) for k, v in response.headers.items() if k not in ("content-encoding", "content-length")]
            return httpx.Response(response.status_code, headers=headers, content=body, request=request)

        return asyncio.run_coroutine_threadsafe(send(), self.loop).result()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


class FaultyTransport(httpx.BaseTransport):
    """Passes requests to the app, applying the next planned fault, if any, to each."""

    def __init__(self, inner: httpx.BaseTransport):
        self.inner = inner
        self.plan: list[str] = []
        self.offline = False
        self.requests = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        if self.offline:
            raise httpx.ConnectError("offline", request=request)
        fault = self.plan.pop(0) if self.plan else None
        if fault == "drop":
            raise httpx.ConnectError("dropped", request=request)
        if fault == "500":
            return httpx.Response(500, json={"error": "injected"}, request=request)
        response = self._send(request)
        if fault == "lose":  # the server committed; the answer never arrives
            raise httpx.ReadError("connection lost after the server answered", request=request)
        if fault == "duplicate":
            response = self._send(request)
        if fault == "truncate":
            body = response.read()
            return httpx.Response(response.status_code, content=body[: len(body) // 2], request=request)
        if fault == "drop_rows":  # valid JSON, but a page missing half its rows
            page = json.loads(response.read())
            for table in page.get("tables", {}).values():
                table["rows"] = table["rows"][: len(table["rows"]) // 2]
            return httpx.Response(response.status_code, json=page, request=request)
        return response

    def _send(self, request: httpx.Request) -> httpx.Response:
        return self.inner.handle_request(request)


class Laptop:
    """One inspector's laptop: a real SQLite file and a sync client with a faulty link."""

    def __init__(self, district: District, name: str, token: str):
        self.district = district
        self.path = district.root / f"{name}.db"
        self.conn = connect(self.path)
        self.transport = FaultyTransport(district.app_transport)
        self.http = httpx.Client(base_url="http://testserver", transport=self.transport)
        laptop.enroll(self.conn, self.path, "http://testserver", token, http=self.http)
        self.client = SyncClient(self.conn, self.http, token=token, sleep=lambda _s: None, batch_size=50, page_size=200)
        self.writer = Writer(self.conn, local_actor(self.conn))

    @property
    def device_id(self) -> str:
        return get_meta(self.conn, "device_id") or ""

    def sync(self) -> SyncSummary:
        return self.client.sync()

    def hazard(self, hazard_id: str) -> dict[str, Any]:
        return dict(self.writer.get("hazard", hazard_id))

    def add(self, unit_id: str, description: str, **kw: Any) -> str:
        return add_hazard(self.writer, unit_id=unit_id, description=description, today=TODAY, **kw)

    def edit(self, hazard_id: str, **changes: Any) -> None:
        edit_hazard(self.writer, hazard_id, changes)

    def act(self, hazard_id: str, action: str, **params: Any) -> str:
        return act(self.writer, hazard_id, action, params, today=TODAY)

    def copy_unit_from(self, area: str) -> str:
        """Put a copy of a unit of `area` on this laptop (as if from before a reassignment)."""
        unit = self.district.store.db().one("SELECT * FROM unit WHERE id = ?", (self.district.unit_in(area),))
        assert unit is not None
        self.conn.execute(
            f"INSERT INTO unit ({', '.join(unit)}) VALUES ({', '.join('?' * len(unit))})", list(unit.values())
        )
        return unit["id"]

    def push_raw(self, body: dict[str, Any], protocol: int = PROTOCOL_VERSION, *, sign: bool = True) -> httpx.Response:
        """POST `body` to /v1/push as this laptop, past the sync client. `sign`: as a modified
        client that holds this laptop's key would, the ops are chained from the head the server
        holds and the head signed (a body that is not a push is sent as it is)."""
        if sign and "chain" not in body:
            who = {"actor": get_meta(self.conn, "login"), "at": "2026-11-30T09:00:00Z"}
            if isinstance(body.get("ops"), list):
                body = {**body, "ops": [{**who, **op} if isinstance(op, dict) else op for op in body["ops"]]}
            body = {**body, "chain": self.chain_for(body)}
        client = httpx.Client(base_url="http://testserver", transport=self.district.app_transport)
        return client.post(
            "/v1/push",
            json=body,
            headers={"SafeCity-Protocol": str(protocol), "Authorization": f"Bearer {self.client.token}"},
        )

    def chain_for(self, body: dict[str, Any]) -> dict[str, Any] | None:
        """The chain a client holding this laptop's key would send with `body`."""
        try:  # the body as the server reads it (orjson: integers beyond 64 bits become floats)
            ops = sorted(parse_ops(orjson.loads(json.dumps(body))), key=lambda pair: pair[0].device_seq)
        except PayloadError:
            return None
        if not ops:
            return None
        held = self.district.store.db().one("SELECT chain_head FROM device WHERE id = ?", (self.device_id,))
        auth = self.district.store.authenticate(self.client.token)
        assert auth is not None
        try:
            hashes = read_chain({"chain": {"prev": held and held["chain_head"], "note": ""}}, ops, auth)
        except PayloadError:
            return None
        assert hashes is not None
        signer = chain.device_signer(self.conn, self.device_id)
        note = signer.sign(head_text(self.device_id, ops[-1][0].device_seq, hashes.hashes[-1]))
        return {"prev": held and held["chain_head"], "note": note}

    def statuses(self) -> dict[str, int]:
        return dict(
            self.conn.execute(
                "SELECT status, count(*) FROM event WHERE device_id = ? GROUP BY status", (self.device_id,)
            ).fetchall()
        )

    def close(self) -> None:
        self.http.close()
        self.conn.close()


class District:
    """The district server (real app, real SQLite store) and its laptops."""

    def __init__(self, root: Path, scale: int = 60, target: str | Path | None = None):
        self.root = root
        self.store = DistrictStore.open(target or root / "server")
        self.store.seed(scale=scale, today=TODAY)
        self.app = create_app(self.store)
        self.app_transport = AppTransport(self.app)
        self.laptops: list[Laptop] = []

    def user(self, login: str, role: str = "inspector", areas: tuple[str, ...] = ("xinhe",)) -> str:
        return add_user(self.store.db(), login, role, list(areas))["token"]

    def laptop(self, login: str, role: str = "inspector", areas: tuple[str, ...] = ("xinhe",)) -> Laptop:
        device = Laptop(self, login, self.user(login, role, areas))
        self.laptops.append(device)
        return device

    def move(self, login: str, areas: list[str]) -> None:
        set_areas(self.store.db(), login, areas)

    def server_hazard(self, hazard_id: str) -> dict[str, Any] | None:
        return self.store.db().one("SELECT * FROM hazard WHERE id = ?", (hazard_id,))

    def server_count(self, sql: str, *params: Any) -> int:
        return self.store.db().rows(sql, params)[0][0]

    def unit_in(self, area: str) -> str:
        return self.store.db().rows("SELECT id FROM unit WHERE area = ? ORDER BY id LIMIT 1", (area,))[0][0]

    def close(self) -> None:
        for device in self.laptops:
            device.close()
        self.app_transport.close()
        self.store.close()
