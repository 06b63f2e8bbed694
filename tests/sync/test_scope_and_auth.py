"""Who may see and change what: areas, roles, tokens."""

from __future__ import annotations

import json

import httpx
import pytest

from schema.errors import DomainError
from sync.laptop import replica
from sync.laptop.client import SyncRefused
from sync.protocol import PROTOCOL_VERSION
from sync.server.accounts import revoke
from tests.sync.test_authority import refused, tampered


def test_an_inspector_receives_only_their_areas_and_the_reference_data(district):
    a = district.laptop("insp.a", areas=("xinhe",))
    areas = {r[0] for r in a.conn.execute("SELECT DISTINCT area FROM hazard")}
    assert areas == {"xinhe"}
    assert a.conn.execute("SELECT count(*) FROM area").fetchone()[0] == 85
    assert a.conn.execute("SELECT count(*) FROM criterion").fetchone()[0] > 80


def test_a_supervisor_receives_the_district(district):
    office = district.laptop("office", role="supervisor", areas=())
    assert office.conn.execute("SELECT count(*) FROM hazard").fetchone()[0] == district.server_count(
        "SELECT count(*) FROM hazard"
    )


def test_a_change_outside_the_inspectors_areas_is_rejected_and_kept_visible(district):
    a = district.laptop("insp.a", areas=("xinhe",))
    foreign_unit = a.copy_unit_from("dagang")  # an old copy, say from before a reassignment
    hazard_id = a.add(foreign_unit, "x")
    summary = a.sync()
    assert summary.rejected == 1
    (reason,) = [r[0] for r in a.conn.execute("SELECT reason FROM event WHERE row_id = ?", (hazard_id,))]
    assert reason == f"no unit with id {foreign_unit} on the server"
    assert district.server_hazard(hazard_id) is None
    assert a.conn.execute("SELECT count(*) FROM hazard WHERE id = ?", (hazard_id,)).fetchone()[0] == 1


def test_reference_data_is_the_offices(district):
    a = district.laptop("insp.a")
    area_id = a.conn.execute("SELECT id FROM area WHERE code = 'xinhe'").fetchone()[0]
    with pytest.raises(DomainError, match="areas are the district's reference data"):  # refused at once
        a.writer.update("area", area_id, {"name_en": "Renamed"})
    assert a.conn.execute("SELECT count(*) FROM event WHERE status = 'pending'").fetchone()[0] == 0
    op = tampered(a, "area", area_id, {"name_en": "Renamed"})  # a modified client sends it anyway
    assert refused(a, op) == "only the district office may do this: areas are the district's reference data"


def test_moving_an_inspector_re_snapshots_and_keeps_pending_work(district):
    a = district.laptop("insp.a", areas=("xinhe",))
    kept = a.add(district.unit_in("xinhe"), "pending when moved")
    district.move("insp.a", ["chadian"])
    summary = a.sync()
    assert summary.rejected == 1  # its xinhe hazard is outside the new areas: kept, with the reason
    areas = {r[0] for r in a.conn.execute("SELECT DISTINCT area FROM hazard")}
    assert areas == {"chadian", "xinhe"}
    assert a.conn.execute("SELECT count(*) FROM hazard WHERE area = 'xinhe'").fetchone()[0] == 1
    assert a.conn.execute("SELECT id FROM hazard WHERE area = 'xinhe'").fetchone()[0] == kept
    assert a.conn.execute("SELECT count(*) FROM hazard WHERE area = 'chadian'").fetchone()[0] == district.server_count(
        "SELECT count(*) FROM hazard WHERE area = 'chadian'"
    )


@pytest.mark.parametrize("token", [None, "wrong-token"])
def test_no_token_or_a_wrong_token_is_401_and_nothing_changes(district, token):
    district.laptop("insp.a")
    headers = {"SafeCity-Protocol": "1", **({"Authorization": f"Bearer {token}"} if token else {})}
    client = httpx.Client(base_url="http://testserver", transport=district.app_transport)
    before = district.server_count("SELECT count(*) FROM event")
    response = client.post("/v1/push", headers=headers, content=json.dumps({"ops": []}))
    assert response.status_code == 401 and "token" in response.json()["error"]
    assert client.get("/v1/pull", headers=headers).status_code == 401
    assert district.server_count("SELECT count(*) FROM event") == before


def test_a_revoked_token_is_refused_and_local_work_is_kept(district):
    a = district.laptop("insp.a")
    a.add(district.unit_in("xinhe"), "x")
    revoke(district.store.db(), "insp.a")
    with pytest.raises(SyncRefused, match="token"):
        a.sync()
    assert a.statuses() == {"pending": 1}


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        pytest.param(b"not json", 400, "not valid JSON", id="not-json"),
        pytest.param(b'{"ops": 3}', 400, "a push is a JSON object with a list 'ops'", id="ops-not-a-list"),
        pytest.param(b'{"ops": [{"op_id": "x"}]}', 400, "op 0: 'device_seq' must be int", id="op-missing-fields"),
    ],
)
def test_malformed_push_is_a_clear_400(district, body, status, message):
    a = district.laptop("insp.a")
    client = httpx.Client(base_url="http://testserver", transport=district.app_transport)
    response = client.post(
        "/v1/push", content=body, headers={"SafeCity-Protocol": "1", "Authorization": f"Bearer {a.client.token}"}
    )
    assert response.status_code == status and message in response.json()["error"]


def test_an_old_or_new_client_is_told_what_to_do(district):
    a = district.laptop("insp.a")
    client = httpx.Client(base_url="http://testserver", transport=district.app_transport)
    auth = {"Authorization": f"Bearer {a.client.token}"}
    assert client.get("/v1/me", headers={**auth, "SafeCity-Protocol": "0"}).status_code == 426
    assert client.get("/v1/me", headers={**auth, "SafeCity-Protocol": "99"}).status_code == 426
    assert client.get("/v1/me", headers=auth).status_code == 400


def test_health_and_openapi_are_public(district):
    client = httpx.Client(base_url="http://testserver", transport=district.app_transport)
    assert client.get("/health").json() == {"status": "ok", "protocol": PROTOCOL_VERSION}
    assert "/v1/push" in client.get("/openapi.json").json()["paths"]


def test_an_oversized_body_is_refused(district):
    a = district.laptop("insp.a")
    client = httpx.Client(base_url="http://testserver", transport=district.app_transport)
    response = client.post(
        "/v1/push",
        content=b"x",
        headers={"SafeCity-Protocol": "1", "Authorization": f"Bearer {a.client.token}", "Content-Length": str(2**30)},
    )
    assert response.status_code == 413


def test_a_refused_op_between_applied_ones_gets_its_own_result(district):
    """Push results are recorded as runs of applied ops; a refusal in the middle breaks the run."""
    a = district.laptop("insp.a", areas=("xinhe",))
    foreign_unit = a.copy_unit_from("dagang")
    home = district.unit_in("xinhe")
    ids = [a.add(home, "first"), a.add(home, "second"), a.add(foreign_unit, "refused"), a.add(home, "fourth")]
    summary = a.sync()
    assert (summary.pushed, summary.rejected) == (3, 1)
    statuses = [a.conn.execute("SELECT status FROM event WHERE row_id = ?", (i,)).fetchone()[0] for i in ids]
    assert statuses == ["applied", "applied", "rejected", "applied"]
    assert "pending" not in a.statuses()
    assert [a.hazard(i)["row_version"] for i in ids] == [1, 1, 1, 1]
    assert [district.server_hazard(i)["row_version"] for i in (ids[0], ids[1], ids[3])] == [1, 1, 1]


def test_a_retried_push_of_a_refused_edit_brings_no_row_from_outside_the_areas(district):
    """Found by the model: the stored answer to a refused op used to carry the server's row, so a
    duplicated push wrote a hazard of another town onto the laptop (and failed on its unit)."""
    a = district.laptop("insp.a", areas=("chadian",))
    hazard_id = a.conn.execute(
        "SELECT id FROM hazard WHERE area = 'chadian' AND status IN ('reported', 'rectifying')"
    ).fetchone()[0]
    a.edit(hazard_id, location="东门")
    district.move("insp.a", ["xinhe"])
    assert a.sync().rejected == 1  # and the reset forgot chadian, but kept this hazard: its edit was refused
    a.edit(hazard_id, location="西门")
    a.transport.plan = ["duplicate"]  # the push arrives twice: the second is answered from stored results
    summary = a.sync()
    assert summary.rejected == 1
    assert a.hazard(hazard_id)["location"] == "西门"
    assert "pending" not in a.statuses()
    assert district.server_hazard(hazard_id)["location"] != "西门"


def _push_as(laptop, protocol: int) -> dict:  # type: ignore[no-untyped-def]
    response = laptop.push_raw({"ops": replica.pending_ops(laptop.conn, 100)}, protocol)
    assert response.status_code == 200
    return response.json()


def _laptop_with_a_refusal_among_new_hazards(district):  # type: ignore[no-untyped-def]
    a = district.laptop("insp.a", areas=("xinhe",))
    foreign_unit = a.copy_unit_from("dagang")
    home = district.unit_in("xinhe")
    for description in ("first", "second"):
        a.add(home, description)
    refused = a.add(foreign_unit, "refused")
    a.add(home, "fourth")
    return a, refused


def test_new_rows_applied_as_sent_are_answered_as_runs_of_sequence_numbers(district):
    a, _refused = _laptop_with_a_refusal_among_new_hazards(district)
    seqs = [r[0] for r in a.conn.execute("SELECT device_seq FROM event WHERE status = 'pending' ORDER BY device_seq")]
    answer = _push_as(a, PROTOCOL_VERSION)
    assert answer["applied"] == [[seqs[0], seqs[1]], [seqs[3], seqs[3]]]
    assert [(r["device_seq"], r["status"]) for r in answer["results"]] == [(seqs[2], "rejected")]


def test_a_client_of_protocol_1_still_gets_one_result_per_op(district):
    a, _refused = _laptop_with_a_refusal_among_new_hazards(district)
    answer = _push_as(a, 1)
    assert "applied" not in answer
    assert [r["status"] for r in answer["results"]] == ["applied", "applied", "rejected", "applied"]
    assert [r.get("version") for r in answer["results"]] == [1, 1, None, 1]
