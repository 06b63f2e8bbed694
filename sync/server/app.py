"""The district server's HTTP face: an ASGI app (Starlette) served by uvicorn.

Who calls this: `safecity serve` (uvicorn on a real port) and tests (the same app behind
`httpx.ASGITransport`, or a fault-injecting transport). Endpoints:

    GET  /health         liveness and protocol version (no token)
    GET  /openapi.json   this API, described (no token)
    GET  /v1/me          the device's user, role and areas
    POST /v1/push        apply a batch of ops (gzip JSON body); answers one result per op
    GET  /v1/pull        a page of changes after ?cursor=N within the device's scope
    POST /v1/numbers     reserve a block of rectification-order numbers for the device
    POST /v1/files/wanted  which of these attachment files the server lacks (and how much it holds)
    PUT  /v1/files/{sha256}  one piece of an attachment's bytes, at the offset the server holds
    GET  /v1/files/{sha256}  an attachment's bytes (a Range from where a cut download stopped)

Every /v1 request needs `Authorization: Bearer <device token>` (401 otherwise, nothing
changes) and the `SafeCity-Protocol` header (426 if this server cannot serve it). Bodies are
size-limited before and after inflating. Each request is logged as one JSON line.
Database work runs in the thread pool, never on the event loop.
"""

from __future__ import annotations

import json
import logging
import math
import time
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import anyio
import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from schema.errors import DomainError
from schema.evidence import SHA256
from schema.store.files import HashMismatch, OffsetMismatch
from sync.protocol import (
    COMPACT_RESULTS_SINCE,
    MAX_BODY_BYTES,
    MAX_FILE_PIECE,
    MAX_INFLATED_BYTES,
    MAX_OPS_PER_PUSH,
    MAX_WANTED,
    OFFSET_HEADER,
    OLDEST_SUPPORTED,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    run_length,
)
from sync.server.accounts import DeviceAuth, KeyTaken, NotOffice
from sync.server.chain import ChainRefused
from sync.server.files import NotYetUploaded, NotYours
from sync.server.openapi import OPENAPI
from sync.server.push_body import SEQ_LIMIT, PayloadError, op_count
from sync.server.store import DistrictStore

log = logging.getLogger("safecity.server")


class HTTPError(Exception):
    def __init__(self, status: int, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status
        self.message = message


def _error(status: int, message: str, retry_after: float | None = None) -> JSONResponse:
    headers = {"Retry-After": str(max(1, math.ceil(retry_after)))} if retry_after is not None else None
    return JSONResponse({"error": message}, status_code=status, headers=headers)


@dataclass
class RateLimit:
    """Requests per device: a token bucket of `burst`, refilled at `per_second`. A laptop's sync
    is a handful of requests (a large one pages quickly, well under the burst); a device that
    hammers the server is answered 429 with the seconds to wait, and the client waits."""

    per_second: float = 20.0
    burst: float = 200.0
    buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    """device id -> (tokens left, when counted)"""

    def wait(self, device: str, now: float | None = None, *, cost: float = 1.0) -> float:
        """Seconds until this device may ask again (0: go ahead, and `cost` tokens are spent;
        a piece of a file costs a fraction: 200 photos are 200 requests or more, all useful)."""
        now = time.monotonic() if now is None else now
        tokens, then = self.buckets.get(device, (self.burst, now))
        tokens = min(self.burst, tokens + (now - then) * self.per_second)
        if tokens < cost:
            self.buckets[device] = (tokens, now)
            return (cost - tokens) / self.per_second
        self.buckets[device] = (tokens - cost, now)
        return 0.0


class _Fast(JSONResponse):
    """JSON without spaces or ASCII escaping: pages are large, Chinese is common."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def create_app(store: DistrictStore, *, rate: RateLimit | None = None) -> Starlette:
    """The server app over `store`. The caller owns the store and closes it."""
    limits = rate or RateLimit()

    async def authorize(request: Request, cost: float = 1.0) -> DeviceAuth:
        version = request.headers.get(PROTOCOL_HEADER, "")
        if not (version.isascii() and version.isdigit() and len(version) <= 4):  # "²" is a digit to isdigit
            raise HTTPError(400, f"missing {PROTOCOL_HEADER} header (a whole number, such as {PROTOCOL_VERSION})")
        if int(version) > PROTOCOL_VERSION:
            raise HTTPError(426, f"this server speaks sync protocol {PROTOCOL_VERSION}; update the district server")
        if int(version) < OLDEST_SUPPORTED:
            raise HTTPError(
                426,
                "this SafeCity is too old for the district server; please update SafeCity "
                "(your pending changes are kept)",
            )
        header = request.headers.get("Authorization", "")
        token = header[7:] if header.startswith("Bearer ") else None
        auth = await run_in_threadpool(store.authenticate, token)
        if auth is not None and (delay := limits.wait(auth.device_id, cost=cost)) > 0:
            raise HTTPError(429, "too many requests from this device; wait and try again", retry_after=delay)
        if auth is None:
            raise HTTPError(401, "the server did not accept this laptop's token (missing, wrong or revoked)")
        request.state.auth = auth
        request.state.protocol = int(version)
        return auth

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "protocol": PROTOCOL_VERSION})

    async def openapi(request: Request) -> Response:
        return JSONResponse(OPENAPI)

    async def me(request: Request) -> Response:
        auth = await authorize(request)
        return JSONResponse(
            {
                "device_id": auth.device_id,
                "login": auth.login,
                "role": auth.role,
                "areas": list(auth.areas) if auth.areas is not None else None,
                "scope_key": auth.scope_key(),
                "protocol": PROTOCOL_VERSION,
                **await run_in_threadpool(store.log_facts, auth),
            }
        )

    async def text_field(request: Request, name: str, limit: int, hint: str) -> str:
        """The one text field a small JSON request body carries (400 with `hint` otherwise)."""
        body = await _read_json(request)
        value = body.get(name) if isinstance(body, dict) else None
        if not isinstance(value, str) or len(value) > limit:
            raise HTTPError(400, hint)
        return value

    async def device_key(request: Request) -> Response:
        auth = await authorize(request)
        key = await text_field(
            request, "key", 512, 'give the device\'s public key as {"key": "device-<id>+<keyid>+<base64>"}'
        )
        try:
            registered = await run_in_threadpool(store.register_key, auth, key)
        except KeyTaken as err:
            raise HTTPError(409, str(err)) from None
        except DomainError as err:
            raise HTTPError(400, str(err)) from None
        return JSONResponse({"registered": registered, "key": key.strip()})

    async def log_cosign(request: Request) -> Response:
        auth = await authorize(request)
        note = await text_field(request, "note", 4096, 'give the co-signed checkpoint as {"note": "<signed note>"}')
        try:
            size = await run_in_threadpool(store.cosign, auth, note)
        except NotOffice as err:
            raise HTTPError(403, str(err)) from None
        except DomainError as err:
            raise HTTPError(409, str(err)) from None
        return JSONResponse({"cosigned": size})

    async def push_ops(request: Request) -> Response:
        auth = await authorize(request)
        body = await _read_json(request)
        if op_count(body) > MAX_OPS_PER_PUSH:
            raise HTTPError(413, f"at most {MAX_OPS_PER_PUSH} ops per push")
        compact = request.state.protocol >= COMPACT_RESULTS_SINCE
        try:
            answer = await run_in_threadpool(store.push, auth, body, compact=compact)
        except PayloadError as err:
            raise HTTPError(400, str(err)) from None
        except ChainRefused as err:
            raise HTTPError(409, str(err)) from None
        request.state.ops = len(answer["results"]) + run_length(answer.get("applied", ()))
        return _Fast(answer)

    async def pull_page(request: Request) -> Response:
        auth = await authorize(request)
        try:
            cursor = int(request.query_params.get("cursor", "0"))
            limit = int(request.query_params.get("limit", "5000"))
        except ValueError:
            raise HTTPError(400, "cursor and limit must be whole numbers") from None
        if not (0 <= cursor <= SEQ_LIMIT and 1 <= limit <= SEQ_LIMIT):
            raise HTTPError(400, f"cursor must be from 0 to {SEQ_LIMIT} and limit from 1 to {SEQ_LIMIT}")
        log_from = request.query_params.get("log")
        if log_from is not None and not (log_from.isascii() and log_from.isdigit() and int(log_from) <= SEQ_LIMIT):
            raise HTTPError(400, f"log is the size of the laptop's last checkpoint, from 0 to {SEQ_LIMIT}")
        page = await run_in_threadpool(
            store.pull,
            auth,
            cursor=cursor,
            limit=limit,
            scope_key=request.query_params.get("scope"),
            skip_own=request.query_params.get("own") == "skip",
            log_from=int(log_from) if log_from is not None else None,
        )
        return _Fast(page)

    async def reserve_numbers(request: Request) -> Response:
        auth = await authorize(request)
        body = await _read_json(request)
        year = body.get("year") if isinstance(body, dict) else None
        if not isinstance(year, int) or not 2000 <= year <= 2100:
            raise HTTPError(400, 'give the year to reserve order numbers for, e.g. {"year": 2026}')
        block = await run_in_threadpool(store.reserve_numbers, auth, year)
        return JSONResponse(block)

    async def files_wanted(request: Request) -> Response:
        auth = await authorize(request)
        body = await _read_json(request)
        hashes = body.get("sha256") if isinstance(body, dict) else None
        if not isinstance(hashes, list) or not all(isinstance(h, str) and SHA256.fullmatch(h) for h in hashes):
            raise HTTPError(400, 'give the files as {"sha256": ["<64 hexadecimal digits>", ...]}')
        if len(hashes) > MAX_WANTED:
            raise HTTPError(413, f"ask about at most {MAX_WANTED:,} files at once")
        return _Fast(await run_in_threadpool(store.files_wanted, auth, list(dict.fromkeys(hashes))))

    def file_name(request: Request) -> str:
        sha256 = request.path_params["sha256"]
        if not SHA256.fullmatch(sha256):
            raise HTTPError(400, "a file is named by its SHA-256: 64 lowercase hexadecimal digits")
        return str(sha256)

    async def file_upload(request: Request) -> Response:
        auth = await authorize(request, cost=FILE_REQUEST_COST)
        sha256 = file_name(request)
        offset_text = request.headers.get(OFFSET_HEADER, "")
        if not (offset_text.isascii() and offset_text.isdigit() and int(offset_text) <= SEQ_LIMIT):
            raise HTTPError(400, f"give the piece's offset in the {OFFSET_HEADER} header (a whole number)")
        chunks, size = [], 0
        async for chunk in _stream(request):
            size += len(chunk)
            if size > MAX_FILE_PIECE:
                raise HTTPError(413, f"send a file in pieces of at most {MAX_FILE_PIECE // 2**20} MiB")
            chunks.append(chunk)
        if not size:
            raise HTTPError(400, "the piece is empty")
        try:
            answer = await run_in_threadpool(store.file_upload, auth, sha256, int(offset_text), b"".join(chunks))
        except NotYours:
            raise HTTPError(404, "no attachment in your areas names this file; push the attachment first") from None
        except OffsetMismatch as err:
            return JSONResponse({"error": str(err), "received": err.received}, status_code=409)
        except HashMismatch as err:
            raise HTTPError(422, str(err)) from None
        request.state.ops = size
        return JSONResponse(answer)

    async def file_download(request: Request) -> Response:
        auth = await authorize(request, cost=FILE_REQUEST_COST)
        sha256 = file_name(request)
        try:
            size = await run_in_threadpool(store.file_download, auth, sha256)
        except NotYours:
            raise HTTPError(404, "no attachment in your areas names this file") from None
        except NotYetUploaded:
            raise HTTPError(
                409, "this file has not reached the server yet; the laptop that took it will send it"
            ) from None
        start = _range_start(request.headers.get("range"), size)
        headers = {"Content-Length": str(size - start), "Accept-Ranges": "bytes", "ETag": f'"{sha256}"'}
        if start:
            headers["Content-Range"] = f"bytes {start}-{size - 1}/{size}"
        return StreamingResponse(
            store.files.read(sha256, start),
            status_code=206 if start else 200,
            headers=headers,
            media_type="application/octet-stream",
        )

    def guarded(endpoint: Any) -> Any:
        async def handler(request: Request) -> Response:
            try:
                return await endpoint(request)
            except HTTPError as err:
                return _error(err.status, err.message, err.retry_after)

        return handler

    routes = [
        Route("/health", guarded(health)),
        Route("/openapi.json", guarded(openapi)),
        Route("/v1/me", guarded(me)),
        Route("/v1/push", guarded(push_ops), methods=["POST"]),
        Route("/v1/device/key", guarded(device_key), methods=["POST"]),
        Route("/v1/log/cosign", guarded(log_cosign), methods=["POST"]),
        Route("/v1/pull", guarded(pull_page)),
        Route("/v1/numbers", guarded(reserve_numbers), methods=["POST"]),
        Route("/v1/files/wanted", guarded(files_wanted), methods=["POST"]),
        Route("/v1/files/{sha256}", guarded(file_upload), methods=["PUT"]),
        Route("/v1/files/{sha256}", guarded(file_download), methods=["GET"]),
    ]

    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("request failed", exc_info=exc)
        return _error(500, "the district server failed; the request can be retried")

    # Level 1: pages are megabytes of repetitive JSON; level 9 (the default) costs the server
    # several times the CPU for a few percent less on the wire.
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(RequestLog),
            Middleware(
                GZipMiddleware,
                minimum_size=1024,
                compresslevel=1,
                exclude_content_types=("text/event-stream", "application/octet-stream"),  # photos are compressed
            ),
        ],
        exception_handlers={500: server_error},
    )
    app.state.store = store
    return app


FILE_REQUEST_COST = 0.1
"""Of the rate limit's tokens, what one piece of a file costs."""


def _range_start(header: str | None, size: int) -> int:
    """Where a download resumes: `Range: bytes=N-` (the only form a laptop sends)."""
    if not header:
        return 0
    spec = header.strip().removeprefix("bytes=")
    first, dash, last = spec.partition("-")
    if not dash or last or not (first.isascii() and first.isdigit()) or int(first) >= max(size, 1):
        raise HTTPError(416, f"ask for a range as bytes=N- with N below {size}")
    return int(first)


async def _stream(request: Request) -> AsyncIterator[bytes]:
    """The body as it arrives; a laptop that went away mid-body is a 400 for the log (nobody
    reads the answer), not a failure of the server: a cut upload is resumed from what was held."""
    try:
        async for chunk in request.stream():
            yield chunk
    except ClientDisconnect:
        raise HTTPError(400, "the client went away before its request arrived whole") from None


async def _read_json(request: Request) -> Any:
    """The body, read with its size capped, then inflated and parsed in a worker thread: a large
    or hostile body (a gzip bomb) never holds the event loop, so other devices' requests go on."""
    declared = request.headers.get("content-length")
    if declared and declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HTTPError(413, f"the request is larger than {MAX_BODY_BYTES // 2**20} MiB")
    chunks, size = [], 0
    async for chunk in _stream(request):
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise HTTPError(413, f"the request is larger than {MAX_BODY_BYTES // 2**20} MiB")
        chunks.append(chunk)
    gzipped = request.headers.get("content-encoding", "").lower() == "gzip"
    async with _DECODING:
        return await run_in_threadpool(_decode, b"".join(chunks), gzipped)


_DECODING = anyio.Semaphore(2)
"""Bodies inflated and parsed at once, per process: a burst of large pushes queues here, not in
memory."""


def _decode(raw: bytes, gzipped: bool) -> Any:
    """Inflate (the limit enforced while inflating) and parse one request body.

    Each refusal drops the large buffer before it raises: an exception's traceback keeps its
    frame's locals, and the server's collector runs rarely (`tui.cli.main`), so five refused
    bombs had kept 800 MB alive."""
    refusal: HTTPError | None = None
    if gzipped:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            raw = inflater.decompress(raw, MAX_INFLATED_BYTES)
            if inflater.unconsumed_tail:
                refusal = HTTPError(413, f"the request inflates to more than {MAX_INFLATED_BYTES // 2**20} MiB")
        except zlib.error:
            refusal = HTTPError(400, "the request body is not valid gzip")
        del inflater
    # Before parsing, a count of what parsing would build: 100 MiB of `{},{},...` is 35 million
    # objects, gigabytes of memory. No push of MAX_OPS_PER_PUSH ops comes near these (a few
    # objects, lists and a few dozen commas an op, with room for texts that hold them).
    if refusal is None and (
        raw.count(b"{") + raw.count(b"[") > 40 * MAX_OPS_PER_PUSH or raw.count(b",") > 400 * MAX_OPS_PER_PUSH
    ):
        refusal = HTTPError(413, f"the request holds more values than {MAX_OPS_PER_PUSH:,} ops can")
    if refusal is None:
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            refusal = HTTPError(400, "the request body is not valid JSON (or nests too deep)")
    del raw
    raise refusal


class RequestLog:
    """One structured log line per request: method, path, status, duration, who, how much."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            state = scope.get("state", {})
            auth = state.get("auth")
            log.info(
                json.dumps(
                    {
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "ms": round((time.perf_counter() - started) * 1000, 1),
                        "client": (scope.get("client") or [None])[0],
                        "login": auth.login if auth else None,
                        "device": auth.device_id if auth else None,
                        "ops": state.get("ops"),
                    }
                )
            )
