"""The office's work end to end, through the CLI against a real `safecity serve`, on the demo district.

An overdue major hazard is escalated by the office, extended at the inspector's request, put under
a numbered order, rectified, verified and delisted; the report and the assessment follow.
"""

from __future__ import annotations

import pytest

from tests.conftest import TODAY
from tests.sync.test_end_to_end import cli, cli_json, enroll, server_rows

pytestmark = pytest.mark.slow


def _area_row(db, area: str):  # type: ignore[no-untyped-def]
    return next(
        r for r in cli_json("--db", str(db), "report", "summary", "--period", "2026")["rows"] if r["key"] == area
    )


def _evidence(db, code: str, area: str) -> set[str]:  # type: ignore[no-untyped-def]
    node = cli_json("--db", str(db), "assessment", "show", code, "--period", "2026Q4", "--area", area)
    return {e["id"] for d in node["deductions"] for e in d["evidence"]}


def test_an_overdue_major_hazard_is_escalated_extended_rectified_verified_and_delisted(server, tmp_path):
    office = enroll(server, tmp_path, "office", "supervisor")
    listed = [
        r
        for r in cli_json("--db", str(office), "listing", "list")
        if r["days_overdue"] >= 15 and r["status"] == "rectifying"
    ]
    target = max(listed, key=lambda r: r["days_overdue"])
    hazard, area = target["hazard_id"], target["area"]
    inspector = enroll(server, tmp_path, "inspector", "inspector", area)
    db_o, db_i = ["--db", str(office)], ["--db", str(inspector)]

    before = _area_row(office, area)
    assert hazard in _evidence(office, "2.2", area)  # the overdue major hazard costs points
    accountability_before = cli_json(*db_o, "assessment", "show", "3.2", "--period", "2026Q4", "--area", area)

    # 1. the office escalates it, naming the unit and the persons frozen on the hazard
    proposal = next(p for p in cli_json(*db_o, "escalation", "proposals", "--area", area) if p["hazard_id"] == hazard)
    refused = cli(*db_i, "escalation", "issue", hazard, "--reason", "x", ok=False)
    assert refused.returncode == 1 and "only a supervisor or admin" in refused.stderr
    issued = cli_json(
        *db_o, "escalation", "issue", hazard, "--reason", "逾期未整改，约谈企业主要负责人", "--level", proposal["level"]
    )
    assert issued["status"] == "issued" and issued["persons"] and issued["unit_id"]
    cli(*db_o, "sync")

    # 2. the inspector asks for time; the office approves; the deadline moves only then
    cli(*db_i, "sync")
    assert [e["id"] for e in cli_json(*db_i, "escalation", "list") if e["hazard_id"] == hazard] == [issued["id"]]
    request = cli_json(
        *db_i, "extension", "request", hazard, "--reason", "大型设备更换需停产检修", "--deadline", "2026-12-31"
    )
    assert cli_json(*db_i, "hazard", "show", hazard)["deadline"] == target["deadline"]
    cli(*db_i, "sync")
    cli(*db_o, "sync")
    decided = cli_json(*db_o, "extension", "decide", request["id"], "approve", "--note", "同意延期至年底")
    assert decided["status"] == "approved"
    cli(*db_o, "sync")
    cli(*db_i, "sync")
    assert cli_json(*db_i, "hazard", "show", hazard)["deadline"] == "2026-12-31"

    # 3. a numbered order for the unit, then rectification and verification
    order = cli_json(*db_i, "order", "issue", "--hazard", hazard, "--served-to", "安全科长")
    assert order["doc_number"].startswith("滨新安责改〔2026〕") and order["deadline"] == "2026-12-31"
    assert "责令限期整改指令书" in cli(*db_i, "order", "show", order["id"]).stdout
    cli(*db_i, "hazard", "act", hazard, "submit", "--note", "已更换设备并完成检测")
    cli(*db_i, "sync")
    cli(*db_o, "sync")
    assert cli_json(*db_o, "hazard", "act", hazard, "pass", "--opinion", "复查合格，同意销号")["status"] == "closed"
    cli(*db_o, "sync")
    cli(*db_i, "sync")

    # 4. delisted everywhere; the report and the assessment changed accordingly
    [row] = [r for r in cli_json(*db_i, "listing", "list", "--all") if r["hazard_id"] == hazard]
    assert row["delisted_on"] == TODAY.isoformat() and row["status"] == "closed"
    after = _area_row(office, area)
    assert after["overdue"] == before["overdue"] - 1
    assert after["rectified"] == before["rectified"] + 1
    assert after["escalations"] == before["escalations"] + 1
    assert hazard not in _evidence(office, "2.2", area)
    accountability = cli_json(*db_o, "assessment", "show", "3.2", "--period", "2026Q4", "--area", area)
    assert issued["id"] in {e["id"] for d in accountability["deductions"] for e in d["evidence"]}
    assert accountability["score"] == accountability_before["score"] - 1
    server_state = server_rows(
        server,
        "SELECT h.status, h.deadline, l.delisted_on, o.doc_number FROM hazard h"
        " JOIN listing l ON l.hazard_id = h.id JOIN rectification_order o"
        " ON o.unit_id = h.unit_id WHERE h.id = ?",
        hazard,
    )
    assert server_state == [("closed", "2026-12-31", TODAY.isoformat(), order["doc_number"])]
