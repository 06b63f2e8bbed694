"""Hostile requests are answered 4xx with a message, never 500 (issue 16, point 2), and a large
body is inflated and parsed off the event loop with its limit enforced while inflating."""

from __future__ import annotations

import gzip
import json
import time

import httpx
import pytest

from sync.protocol import MAX_INFLATED_BYTES, PROTOCOL_VERSION


def client(district) -> httpx.Client:  # type: ignore[no-untyped-def]
    return httpx.Client(base_url="http://testserver", transport=district.app_transport)


def headers(laptop, **more: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"SafeCity-Protocol": str(PROTOCOL_VERSION), "Authorization": f"Bearer {laptop.client.token}", **more}


def an_op(laptop, **changes) -> dict:  # type: ignore[no-untyped-def]
    op = {
        "op_id": "op-1",
        "device_seq": 1,
        "hlc": 1,
        "table": "hazard",
        "pk": "h-1",
        "action": "update",
        "fields": {"rectifier": "x"},
        "old": {},
        "base_version": 1,
    }
    return {**op, **changes}


@pytest.mark.parametrize("cursor", ["9223372036854775808", "-1", "1e3", "²"])
def test_a_cursor_out_of_range_is_a_400(district, cursor):
    laptop = district.laptop("insp.a")
    answer = client(district).get(f"/v1/pull?cursor={cursor}", headers=headers(laptop))
    assert answer.status_code == 400 and "cursor" in answer.json()["error"]


def test_a_protocol_header_of_a_unicode_digit_is_a_400_even_without_a_token(district):
    answer = client(district).get("/v1/me", headers={"SafeCity-Protocol": "²".encode("latin-1")})
    assert answer.status_code == 400 and "SafeCity-Protocol" in answer.json()["error"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"device_seq": 2**63}, "device_seq"),
        ({"base_version": 2**63 + 1}, "base_version"),
        ({"hlc": 2**64}, ""),  # beyond 64 bits: not JSON any parser here reads
        ({"old": {"rectifier": json.loads("[" * 900 + "]" * 900)}}, "old"),
        ({"fields": {"rectifier": {"a": [1, 2]}}}, "texts and numbers only"),
    ],
)
def test_numbers_and_nests_no_laptop_sends_are_a_400(district, changes, message):
    laptop = district.laptop("insp.a")
    before = district.server_count("SELECT count(*) FROM event")
    body = json.dumps({"ops": [an_op(laptop, **changes)]})
    answer = client(district).post(
        "/v1/push", content=body, headers=headers(laptop, **{"Content-Type": "application/json"})
    )
    assert answer.status_code == 400, answer.text
    assert message in answer.json()["error"]
    assert district.server_count("SELECT count(*) FROM event") == before


@pytest.mark.parametrize("value", [2**63, 2**70, -(2**64)])
def test_a_huge_number_in_a_field_is_a_rejected_op_with_a_reason(district, value):
    laptop = district.laptop("insp.a")
    hazard = district.store.db().one(
        "SELECT id, row_version FROM hazard WHERE area = 'xinhe' AND status = 'rectifying' LIMIT 1"
    )
    op = an_op(laptop, pk=hazard["id"], base_version=hazard["row_version"], fields={"funds": value})
    answer = laptop.push_raw({"ops": [op]})
    assert answer.status_code in (200, 400), answer.text
    if answer.status_code == 200:
        (result,) = answer.json()["results"]
        assert result["status"] == "rejected" and ("too large" in result["reason"] or "text" in result["reason"])


def test_a_gzip_bomb_is_refused_while_inflating(district):
    laptop = district.laptop("insp.a")
    bomb = gzip.compress(b" " * (MAX_INFLATED_BYTES + 1024), compresslevel=9)
    assert len(bomb) < 1024 * 1024  # a small request
    answer = client(district).post(
        "/v1/push",
        content=bomb,
        headers=headers(laptop, **{"Content-Encoding": "gzip", "Content-Type": "application/json"}),
    )
    assert answer.status_code == 413 and "inflates to more than" in answer.json()["error"]
    assert client(district).get("/health").status_code == 200  # the server goes on


def test_the_servers_data_is_owner_only(tmp_path):
    import os

    from sync.server.store import DistrictStore

    old = os.umask(0o022)  # the usual umask: files 0644, folders 0755
    try:
        store = DistrictStore.open(tmp_path / "data")
        store.close()
    finally:
        os.umask(old)
    folder = tmp_path / "data"
    assert folder.stat().st_mode & 0o777 == 0o700
    assert all(f.stat().st_mode & 0o077 == 0 for f in folder.iterdir() if f.is_file())


def test_a_body_of_millions_of_tiny_values_is_refused_before_it_is_parsed(district):
    laptop = district.laptop("insp.a")
    swarm = b'{"ops": [' + b"{}," * 2_000_000 + b"{}]}"  # 6 MB that would parse to 2 million objects
    answer = client(district).post(
        "/v1/push",
        content=gzip.compress(swarm),
        headers=headers(laptop, **{"Content-Encoding": "gzip", "Content-Type": "application/json"}),
    )
    assert answer.status_code == 413 and "more values than" in answer.json()["error"]


BAD_REQUESTS = [
    ("get", "/v1/me", {}, None),
    ("get", "/v1/pull?cursor=9223372036854775808", {}, None),
    ("get", "/v1/pull?limit=0", {}, None),
    ("post", "/v1/push", {}, b""),
    ("post", "/v1/push", {}, b"[]"),
    ("post", "/v1/push", {}, b'{"ops": [{"op_id": 1}]}'),
    ("post", "/v1/push", {"Content-Encoding": "gzip"}, b"not gzip"),
    ("post", "/v1/numbers", {}, b'{"year": "x"}'),
    ("post", "/v1/numbers", {}, b""),
]


@pytest.mark.parametrize(("method", "path", "extra", "body"), BAD_REQUESTS)
@pytest.mark.parametrize("token", [True, False], ids=["token", "no-token"])
@pytest.mark.parametrize("protocol", [str(PROTOCOL_VERSION), "99", "x"], ids=["ours", "newer", "garbage"])
def test_every_answer_to_a_bad_request_is_in_the_api_document(district, method, path, extra, body, token, protocol):
    """The API document (/openapi.json) lists every status the server answers, and none is a 500."""
    laptop = district.laptop("insp.a")
    sent = {"SafeCity-Protocol": protocol, **extra}
    if token:
        sent["Authorization"] = f"Bearer {laptop.client.token}"
    http = client(district)
    answer = http.request(method.upper(), path, content=body, headers=sent)
    document = http.get("/openapi.json").json()
    documented = document["paths"][path.split("?")[0]][method]["responses"]
    assert answer.status_code < 500 and str(answer.status_code) in documented, (answer.status_code, answer.text)
    if answer.status_code >= 400:
        assert answer.json()["error"]


def test_the_request_log_names_the_client_address(district, caplog):
    laptop = district.laptop("insp.a")
    with caplog.at_level("INFO", logger="safecity.server"):
        client(district).get("/v1/me", headers=headers(laptop))
    (line,) = [json.loads(r.getMessage()) for r in caplog.records if '"/v1/me"' in r.getMessage()]
    assert line["client"] == "127.0.0.1" and line["login"] == "insp.a" and line["status"] == 200


def test_a_device_that_hammers_the_server_is_told_to_wait_and_the_laptop_waits(district):
    from sync.server.app import RateLimit

    limits = RateLimit(per_second=1, burst=3)
    assert [limits.wait("d", now=0.0) for _ in range(4)] == [0.0, 0.0, 0.0, 1.0]
    assert limits.wait("d", now=1.0) == 0.0 and limits.wait("other", now=1.0) == 0.0
    laptop = district.laptop("insp.a")
    from sync.server.app import create_app
    from tests.sync.harness import AppTransport

    strict = AppTransport(create_app(district.store, rate=RateLimit(per_second=0.5, burst=2)))
    try:
        http = httpx.Client(base_url="http://testserver", transport=strict)
        answers = [http.get("/v1/me", headers=headers(laptop)) for _ in range(3)]
        assert [a.status_code for a in answers] == [200, 200, 429]
        assert answers[-1].headers["Retry-After"] == "2" and "wait" in answers[-1].json()["error"]
    finally:
        strict.close()
    quick = AppTransport(create_app(district.store, rate=RateLimit(per_second=5, burst=1)))
    try:
        waited: list[float] = []
        laptop.client.http = httpx.Client(base_url="http://testserver", transport=quick)

        def wait(seconds: float) -> None:
            waited.append(seconds)
            time.sleep(seconds)

        laptop.client.sleep = wait
        hazard = laptop.add(district.unit_in("xinhe"), "限速之后")  # a push, then a pull: two requests
        laptop.client.sync()  # told to wait, it waits as told, and the sync completes
        assert 1.0 in waited
        assert district.server_hazard(hazard) is not None
    finally:
        quick.close()


@pytest.mark.slow
@pytest.mark.parametrize(("trusted", "logged"), [(False, "127.0.0.1"), (True, "203.0.113.7")])
def test_the_log_takes_a_forwarded_client_only_from_a_trusted_proxy(tmp_path, trusted, logged):
    from tests.sync.test_end_to_end import Server, free_port

    server = Server(tmp_path / "server", tmp_path, free_port(), *(["--trusted-proxy", "127.0.0.1"] if trusted else []))
    server.admin("seed", "--scale", "0")
    server.start()
    try:
        httpx.get(f"{server.url}/health", headers={"X-Forwarded-For": "203.0.113.7"})
        httpx.get(f"{server.url}/openapi.json")  # by now the line of the first is written
        time.sleep(0.2)
    finally:
        server.kill()
    lines = [json.loads(line) for line in server.log_path.read_text().splitlines() if line.startswith("{")]
    assert [line["client"] for line in lines if line["path"] == "/health"][-1] == logged


@pytest.mark.slow
def test_a_connection_that_never_finishes_its_headers_is_closed(tmp_path):
    """Half-open connections held a server's slots indefinitely (slowloris); now each request's
    headers have `--header-timeout` seconds, and a complete request is unaffected."""
    import socket

    from tests.sync.test_end_to_end import Server, free_port

    server = Server(tmp_path / "server", tmp_path, free_port(), "--header-timeout", "1")
    server.admin("seed", "--scale", "0")
    server.start()
    try:
        with socket.create_connection(("127.0.0.1", server.port)) as slow:
            slow.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
            slow.settimeout(5)
            started = time.monotonic()
            assert slow.recv(1024) == b""  # closed by the server
            assert time.monotonic() - started < 4
        assert httpx.get(f"{server.url}/health").status_code == 200
    finally:
        server.kill()
