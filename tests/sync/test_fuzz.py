"""Schemathesis against a real `safecity serve` (issue 16): a few hundred requests generated
from /openapi.json, valid and invalid, with an inspector's token; no answer may be a 5xx, and
every answer must be one the document lists."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.specs.openapi import checks as openapi_checks

from sync.protocol import PROTOCOL_VERSION

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(tmp_path_factory):  # type: ignore[no-untyped-def]
    from tests.sync.test_end_to_end import Server, free_port

    root = tmp_path_factory.mktemp("fuzz")
    server = Server(root / "server", root, free_port())
    server.admin("seed", "--scale", "200")
    token = server.admin("user", "add", "fuzz.inspector", "--role", "inspector", "--area", "xinhe")["token"]
    server.start()
    yield server, token
    server.kill()
    log = (root / "server.log").read_text(encoding="utf-8", errors="replace") if (root / "server.log").exists() else ""
    statuses = [line.split('"status": ')[1][:3] for line in log.splitlines() if '"status": ' in line]
    counts = {code: statuses.count(code) for code in sorted(set(statuses))}
    print(
        f"\nschemathesis: {len(statuses)} requests, {sum(s.startswith('5') for s in statuses)} answered 5xx: {counts}"
    )


@pytest.fixture(scope="module")
def api(live):  # type: ignore[no-untyped-def]
    server, _token = live
    return schemathesis.openapi.from_url(f"{server.url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api")


@schema.parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_the_document_allows_or_forbids_makes_the_server_fail(case, live):  # type: ignore[no-untyped-def]
    _server, token = live
    headers = {"Authorization": f"Bearer {token}"}
    if not case.headers or "SafeCity-Protocol" not in case.headers:
        headers["SafeCity-Protocol"] = str(PROTOCOL_VERSION)
    case.call_and_validate(headers=headers, checks=CHECKS)


CHECKS = [
    checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_headers_conformance,
    openapi_checks.response_schema_conformance,
]
"""Zero 5xx, and every answer one the document lists, in its type. Not schemathesis's two
strictness checks: a protocol the document allows but this server no longer serves is a 426,
which they do not count as a refusal."""
