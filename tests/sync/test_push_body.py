"""The push body on the wire: ops one by one, new rows as runs of columns (protocol 2), and
what the server answers to a body it cannot take."""

from __future__ import annotations

import gzip

import orjson
import pytest

from sync.laptop import chain, replica
from sync.laptop.client import SyncClient
from sync.protocol import MAX_OPS_PER_PUSH


def test_the_laptop_sends_new_rows_as_runs_and_edits_one_by_one(district):
    a = district.laptop("insp.a")
    hazard_id = a.add(district.unit_in("xinhe"), "消防通道堵塞")
    a.edit(hazard_id, location="北门")  # an edit of the new row, after it in sequence
    signer = chain.device_signer(a.conn, a.device_id)
    body = orjson.loads(gzip.decompress(SyncClient._encode(replica.pending_ops(a.conn, 10), signer, a.device_id)))
    assert [op["action"] for op in body["ops"]] == ["update"]
    (run,) = body["runs"]
    assert run["table"] == "hazard" and len(run["rows"]) == 1 and "description" in run["fields"]
    summary = a.sync()
    assert (summary.pushed, summary.rejected) == (2, 0)
    assert district.server_hazard(hazard_id)["location"] == "北门"  # the run's row came first, then the edit


@pytest.mark.parametrize(
    ("runs", "message"),
    [
        pytest.param("x", "'runs' must be a list", id="not-a-list"),
        pytest.param(
            [{"table": "hazard", "rows": []}], "run 0 needs 'table', 'fields' (names) and 'rows'", id="no-fields"
        ),
        pytest.param(
            [{"table": "hazard", "fields": ["a", "a"], "rows": []}], "run 0: a field is named twice", id="twice"
        ),
        pytest.param(
            [{"table": "hazard", "fields": ["description"], "rows": [["id", 1, 1, "pk", "a"]]}],
            "run 0, row 0: expected [op_id, device_seq (1 to 2^53), hlc, pk, actor, at] and 1 values",
            id="row-too-short",
        ),
        pytest.param(
            [{"table": "hazard", "fields": [], "rows": [["id", True, 1, "pk", "a", "t"]]}],
            "run 0, row 0: expected [op_id, device_seq (1 to 2^53), hlc, pk, actor, at] and 0 values",
            id="sequence-not-a-number",
        ),
    ],
)
def test_a_malformed_run_is_refused_and_nothing_applies(district, runs, message):
    a = district.laptop("insp.a")
    before = district.server_count("SELECT count(*) FROM event")
    response = a.push_raw({"ops": [], "runs": runs})
    assert (response.status_code, response.json()["error"]) == (400, message)
    assert district.server_count("SELECT count(*) FROM event") == before


def test_the_op_limit_counts_the_rows_of_runs(district):
    a = district.laptop("insp.a")
    rows = [[f"op{n}", n + 1, 1, f"pk{n}", "a", "t"] for n in range(MAX_OPS_PER_PUSH + 1)]
    response = a.push_raw({"ops": [], "runs": [{"table": "hazard", "fields": [], "rows": rows}]})
    assert response.status_code == 413
