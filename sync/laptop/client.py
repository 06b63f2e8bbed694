"""The sync client: push the outbox, pull the changes, over an injected `httpx.Client`.

Who calls this: `safecity init/sync/status` and the TUI's background sync worker. Tests
pass an `httpx.Client` whose transport is the ASGI app, or a fault-injecting one (dropped
requests, lost responses, duplicates, truncated pages); nothing here opens sockets itself.

Retries: network errors and 5xx are retried with exponential backoff and full jitter (the
request is safe to repeat: pushes are idempotent by device sequence, pulls are reads). A 4xx
is never retried: it is the server's answer, and it is shown to the person as it is.
"""

from __future__ import annotations

import gzip
import json
import random
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import Any, Literal

import httpx
import orjson

from schema.calendar import local_today
from schema.store.files import FolderStore, files_beside
from schema.store.transactions import get_meta, set_meta, transaction
from schema.writes import utc_now
from sync.audit.note import Signer
from sync.laptop import chain, numbers, replica
from sync.laptop.errors import ServerUnreachable, SyncError, SyncRefused
from sync.laptop.files import FileSync
from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION, run_length


@dataclass
class SyncSummary:
    """What one sync did (the CLI prints it; `--json` gives these keys)."""

    pushed: int = 0
    """Ops the server applied."""
    pulled: int = 0
    """Rows received and applied locally."""
    conflicts: int = 0
    """Ops that ended in a conflict for a person to resolve."""
    rejected: int = 0
    """Ops the server refused (kept on this laptop with the reason)."""
    superseded: int = 0
    """Ops that lost a last-writer-wins race (kept in the history)."""
    skew_ms: int = 0
    """How far ahead of the server this laptop's clock was (clamped, reported)."""
    moved_out: int = 0
    """Records that left this laptop's areas (the office moved their unit) and were dropped here."""
    files_sent: int = 0
    """Attachment files (photos, thumbnails, documents) the server took from this laptop."""
    files_received: int = 0
    """Attachment files fetched from the server (thumbnails, and full files when configured)."""
    bytes_sent: int = 0
    bytes_received: int = 0
    files_waiting: int = 0
    """Files that could not move this time (not yet on the server, or cut off); tried again next sync."""
    files_error: str = ""
    """Why the files stopped moving, when they did (the edits had synced; nothing is lost)."""
    log_size: int = 0
    """Entries in the district log as of the checkpoint this sync verified."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class SyncClient:
    """Pushes and pulls one laptop database against one district server."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        http: httpx.Client,
        *,
        token: str,
        batch_size: int = 2000,
        page_size: int = 10000,
        attempts: int = 5,
        base_delay: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
        progress: Callable[[SyncSummary], None] | None = None,
        store: FolderStore | None | Literal["beside"] = "beside",
        fetch_full: bool = False,
        file_progress: Callable[[str, int, int], None] | None = None,
    ):
        self.conn = conn
        self.store = files_beside(conn) if store == "beside" else store
        """Where this laptop keeps attachment bytes (None: it moves no files)."""
        self.fetch_full = fetch_full
        """Fetch every full file as it syncs, not only thumbnails (the rest come on demand)."""
        self.file_progress = file_progress
        self.progress = progress
        """Told the running summary after each push batch and pull page (the CLI draws a progress line)."""
        self.http = http
        self.token = token
        self.batch_size = batch_size
        """Ops per push request (one server transaction each)."""
        self.page_size = page_size
        """Rows per pull page (one local transaction each)."""
        self.attempts = attempts
        """Tries per request on network errors and 5xx before giving up."""
        self.base_delay = base_delay
        self.sleep = sleep

    # -- HTTP -----------------------------------------------------------------------------

    def headers(self, *, accept_encoding: str = "gzip") -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            PROTOCOL_HEADER: str(PROTOCOL_VERSION),
            "Accept-Encoding": accept_encoding,
        }

    def exchange(
        self,
        method: str,
        path: str,
        *,
        content: bytes | list[memoryview] | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        accept: tuple[int, ...] = (),
        complete: Callable[[httpx.Response], bool] = lambda _response: True,
    ) -> httpx.Response:
        """One request, retried on network errors, 5xx, 429 (after the wait the server asks for)
        and answers `complete` finds cut short; a 4xx other than those in `accept` is the
        server's answer and raised as SyncRefused, never retried."""
        sent = {**self.headers(), **(headers or {})}
        last_error = ""
        for attempt in range(self.attempts):
            if attempt:
                self.sleep(random.uniform(0, self.base_delay * 2 ** (attempt - 1)))
            try:
                response = self.http.request(method, path, content=content, params=params, headers=sent)  # type: ignore[arg-type]  # httpx sends any bytes-like piece
            except httpx.TransportError as err:
                last_error = describe(err)
                continue
            if response.status_code == 429:  # the server asks this laptop to slow down: wait as told
                last_error = "the server asked this laptop to slow down"
                self.sleep(_retry_after(response))
                continue
            if response.status_code >= 500:
                last_error = f"the server failed ({response.status_code})"
                continue
            if response.status_code >= 400 and response.status_code not in accept:
                self.raise_for(response)
            if not complete(response):
                last_error = "the server's answer was cut short"
                continue
            return response
        raise ServerUnreachable(f"cannot reach the district server at {self.http.base_url}: {last_error}")

    @staticmethod
    def raise_for(response: httpx.Response) -> None:
        raise SyncRefused(_server_message(response))

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        content: bytes | None = None,
        params: dict[str, Any] | None = None,
        complete: Callable[[Any], bool] = lambda _answer: True,
    ) -> Any:
        """A JSON request (`exchange`'s retries). `body` is sent as gzipped JSON; `content` is a
        body already so encoded. An answer that is not whole JSON is retried."""
        if body is not None:
            content = gzip.compress(orjson.dumps(body), 1)
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"} if content is not None else {}
        answers: list[Any] = []

        def parsed(response: httpx.Response) -> bool:
            try:
                answer = orjson.loads(response.content)
            except orjson.JSONDecodeError:
                return False
            answers.append(answer)
            return answer is not None and complete(answer)

        self.exchange(method, path, content=content, headers=headers, params=params, complete=parsed)
        return answers[-1]

    # -- the two halves -------------------------------------------------------------------

    def push(self, summary: SyncSummary) -> None:
        """Send the outbox in batches until it is empty.

        Pipelined, in order: while the server works on batch N, this thread records N-1's
        results and reads and encodes N+1, which leaves as soon as N is answered (never before:
        the server takes a device's sequence numbers in order, and a later batch that committed
        first would make an earlier one look like a retry). Only this thread touches the
        database; the sender thread only talks HTTP. A failure leaves the unanswered ops pending.
        """
        me = replica.device_id(self.conn)
        if (unchained := chain.unhashed(self.conn, me)) is not None:
            chain.rechain(self.conn, me, unchained)  # written before the log: hashed now, in order
        signer = chain.device_signer(self.conn, me) if replica.pending_count(self.conn) else None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="safecity-push") as sender:
            ops = replica.pending_ops(self.conn, self.batch_size)
            if ops:
                replica.mark_sent(self.conn, ops[-1]["device_seq"])
            in_flight = sender.submit(self._send, self._encode(ops, signer, me)) if ops else None
            while in_flight is not None:
                following = replica.pending_ops(self.conn, self.batch_size, after_seq=ops[-1]["device_seq"])
                body = self._encode(following, signer, me) if following else b""
                if following:
                    replica.mark_sent(self.conn, following[-1]["device_seq"])
                answer = in_flight.result()
                in_flight = sender.submit(self._send, body) if following else None
                self._record(ops, answer, summary)
                self._report(summary)
                ops = following

    def _report(self, summary: SyncSummary) -> None:
        if self.progress is not None:
            self.progress(summary)

    @staticmethod
    def _encode(ops: list[dict[str, Any]], signer: Signer | None, me: str) -> bytes:
        """A push body: new rows as runs of columns per table and field names (protocol 2),
        every other op as an object, and the signed chain head (`sync.laptop.chain`). The server
        takes them in sequence order either way."""
        assert signer is not None  # there are ops, so `push` made the key
        body_chain = chain.push_chain(signer, me, ops)
        singles: list[dict[str, Any]] = []
        runs: dict[tuple[str, tuple[str, ...]], list[list[Any]]] = {}
        for op in ops:
            if op["action"] == "create" and not op["old"] and op["base_version"] == 0:
                runs.setdefault((op["table"], tuple(op["fields"])), []).append(
                    [op["op_id"], op["device_seq"], op["hlc"], op["pk"], op["actor"], op["at"], *op["fields"].values()]
                )
            else:
                singles.append({k: v for k, v in op.items() if k not in ("hash", "prev")})
        body = {
            "chain": body_chain,
            "ops": singles,
            "runs": [{"table": table, "fields": names, "rows": rows} for (table, names), rows in runs.items()],
        }
        return gzip.compress(orjson.dumps(body), 1)

    def _send(self, body: bytes) -> Any:
        return self.request("POST", "/v1/push", content=body)

    def _record(self, ops: list[dict[str, Any]], answer: Any, summary: SyncSummary) -> None:
        """Check that the answer is about exactly the ops sent, then record it. New rows applied
        as sent come as runs of sequence numbers (`applied`, protocol 2), the rest one by one."""
        results = answer.get("results", [])
        runs = answer.get("applied") or []
        sent = {op["device_seq"]: op["op_id"] for op in ops}
        covered: set[int] = set()
        for first, last in runs:
            covered.update(range(first, last + 1))
        for result in results:
            if sent.get(result.get("device_seq")) != result.get("op_id"):
                raise SyncError("the server answered a push with results for other changes; try again")
            covered.add(result["device_seq"])
        answered = len(results) + run_length(runs)  # more than covered: an op answered twice
        if covered != sent.keys() or answered != len(ops):
            raise SyncError("the server answered a push with the wrong number of results; try again")
        counts = replica.record_results(
            self.conn, ops, results, int(answer.get("hlc") or 0), applied=runs, log=answer.get("log")
        )
        summary.pushed += counts["applied"]
        summary.conflicts += counts["conflict"]
        summary.rejected += counts["rejected"]
        summary.superseded += counts["superseded"]
        summary.skew_ms = max(summary.skew_ms, int(answer.get("skew_ms") or 0))

    def pull(self, summary: SyncSummary) -> None:
        """Fetch pages after the local cursor until the server has no more.

        Pipelined: page N+1 is fetched (by the fetcher thread, HTTP only) while this thread
        applies page N; each page carries the cursor the next one starts from. The local cursor
        only moves as a page is applied, so stopping anywhere resumes from the last one applied.
        """
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="safecity-pull") as fetcher:
            first = self._pull_params(int(get_meta(self.conn, "cursor", "0") or 0))
            first["log"] = chain.known_size(self.conn)
            next_page = fetcher.submit(self._fetch, first)
            watched = False
            while True:
                page = next_page.result()
                if not watched:  # before anything of a rewritten server's is applied
                    chain.watch(self.conn, page.get("log"))
                    summary.log_size = chain.known_size(self.conn)
                    watched = True
                if page.get("reset"):
                    replica.reset_scope(self.conn, page["scope"])
                    next_page = fetcher.submit(self._fetch, self._pull_params(0))
                    continue
                if page.get("more"):
                    next_page = fetcher.submit(self._fetch, self._pull_params(int(page["cursor"])))
                summary.pulled += replica.apply_page(self.conn, page)
                summary.moved_out += len(page.get("moved", []))
                self._report(summary)
                if not page.get("more"):
                    replica.finish_pull(self.conn)
                    return

    def _pull_params(self, cursor: int) -> dict[str, Any]:
        params = {"cursor": cursor, "limit": self.page_size, "scope": get_meta(self.conn, "scope_key", "")}
        if get_meta(self.conn, "snapshot_complete") == "1":
            params["own"] = "skip"  # our own changes came back in the push results
        return params

    def _fetch(self, params: dict[str, Any]) -> Any:
        return self.request("GET", "/v1/pull", complete=_page_is_whole, params=params)

    def sync(self) -> SyncSummary:
        """Push then pull the edits once, then move the attachment files; records when the
        edits last synced. Files that cannot move now are tried again next time (the summary
        says how many and why): a photo never stops the edits."""
        summary = SyncSummary()
        self.register_key()
        self.push(summary)
        self.pull(summary)
        numbers.keep_numbers_in_stock(self.conn, self.request, local_today())
        with transaction(self.conn):
            set_meta(self.conn, "last_sync", utc_now())
        if self.store is not None:
            files = self.file_sync()
            try:
                files.push()
                files.pull()
            except SyncError as err:
                summary.files_error = str(err)
            finally:
                files.tell(summary)
        return summary

    def file_sync(self) -> FileSync:
        assert self.store is not None
        return FileSync(self, self.store, fetch_full=self.fetch_full, progress=self.file_progress)

    def whoami(self) -> dict[str, Any]:
        return self.request("GET", "/v1/me")

    def register_key(self) -> None:
        """Make sure the server holds this laptop's device key (made at enrolment; for a laptop
        enrolled before the log, made now) and that this laptop knows the district's log key.
        Once both are settled this costs nothing: no request."""
        me = replica.device_id(self.conn)
        signer = chain.device_signer(self.conn, me)
        ours = signer.verifier.text()
        if get_meta(self.conn, chain.KEY_REGISTERED) == ours and get_meta(self.conn, chain.LOG_KEY):
            return
        facts = self.whoami()
        if facts.get("device_key") != ours:
            self.request("POST", "/v1/device/key", body={"key": ours})
        with transaction(self.conn):
            set_meta(self.conn, chain.KEY_REGISTERED, ours)
            if not get_meta(self.conn, chain.LOG_KEY) and facts.get("log_key"):
                set_meta(self.conn, chain.LOG_KEY, str(facts["log_key"]))


def _page_is_whole(page: Any) -> bool:
    """A page holds as many rows as the server counted (a proxy may cut a body short)."""
    if not isinstance(page, dict):
        return False
    if page.get("reset"):
        return True
    received = sum(len(t["rows"]) for t in page.get("tables", {}).values()) + len(page.get("deleted", []))
    return received == page.get("count")


RETRY_AFTER_CAP = 60.0
"""The longest a laptop waits when the server says 429 (a wrong header must not hang a sync)."""


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, min(float(response.headers.get("Retry-After", "1")), RETRY_AFTER_CAP))
    except ValueError:
        return 1.0


def describe(err: httpx.TransportError) -> str:
    if isinstance(err, httpx.ConnectError):
        return "connection refused or no network"
    if isinstance(err, httpx.TimeoutException):
        return "no answer in time"
    return f"the connection broke ({type(err).__name__})"


def _server_message(response: httpx.Response) -> str:
    try:
        message = response.json().get("error")
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        message = None
    if response.status_code == 401:
        return message or "the server did not accept this laptop's token"
    return message or f"the server refused the request ({response.status_code})"
