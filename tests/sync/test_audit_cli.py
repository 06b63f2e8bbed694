"""`safecity audit` as a district would use it, against a real server process (issue 18).

The server's data is checked with `audit verify`, a hazard's history exported with `audit prove`
and checked with `audit verify-proof` and nothing else; an administrator then edits an event row
behind the running server's back: its self-audit finds it, and the next `safecity sync` of a
laptop fails loudly while `safecity status` shows the alarm.
"""

from __future__ import annotations

import json
import sqlite3
import time

import psycopg
import pytest

from tests.sync.test_end_to_end import Server, cli, cli_json, enroll, free_port

pytestmark = pytest.mark.slow


def test_audit_verify_prove_and_verify_proof_then_a_row_edited_behind_the_servers_back(tmp_path, server_target):
    server = Server(server_target, tmp_path, free_port(), "--self-audit", "0.3")
    server.admin("seed", "--scale", "100")
    server.start()
    try:
        a = enroll(server, tmp_path, "insp.xinhe", "inspector", "xinhe")
        unit = cli_json("--db", str(a), "unit", "list", "--area", "xinhe", "--limit", "1")[0]["id"]
        hazard = cli_json("--db", str(a), "hazard", "add", "--unit", unit, "--description", "配电室积水")["id"]
        cli("--db", str(a), "hazard", "edit", hazard, "--description", "配电室积水，未设挡水板")
        cli("--db", str(a), "sync")

        checked = json.loads(cli("audit", "verify", *server.where, "--json").stdout)
        assert checked["ok"] and checked["entries"] == 2 and checked["first_problem"] is None
        assert json.loads(cli("--db", str(a), "audit", "verify", "--json").stdout)["ok"]

        proof = tmp_path / "hazard.proof.json"
        made = json.loads(cli("audit", "prove", hazard, "-o", str(proof), *server.where, "--json").stdout)
        assert made["events"] == 2
        key = cli("audit", "key", *server.where).stdout.strip()
        assert key == cli("--db", str(a), "audit", "key").stdout.strip()  # the laptop learned it at enrolment
        shown = cli("audit", "verify-proof", str(proof), "--key", key)
        assert "the proof verifies: 2 events" in shown.stdout and "配电室积水，未设挡水板" not in shown.stdout
        changed = tmp_path / "changed.proof.json"
        changed.write_bytes(proof.read_bytes().replace("配电室积水".encode(), "配电室干燥".encode(), 1))
        refused = cli("audit", "verify-proof", str(changed), "--key", key, ok=False)
        assert refused.returncode == 1 and "does NOT verify" in refused.stdout and "Traceback" not in refused.stderr

        # The office co-signs with a key the server never holds; a proof under that checkpoint
        # checks with both keys.
        office = enroll(server, tmp_path, "office", "supervisor")
        office_key = cli("audit", "keygen", "-o", str(tmp_path / "office.key")).stdout.strip()
        assert server.admin("cosigner", office_key)["cosigner"] == office_key
        cli("--db", str(office), "sync")
        assert (
            "co-signed the district log at 2 entries"
            in cli("--db", str(office), "audit", "cosign", "--key", str(tmp_path / "office.key")).stdout
        )
        inspector = cli("--db", str(a), "audit", "cosign", "--key", str(tmp_path / "office.key"), ok=False)
        assert inspector.returncode != 0 and "only the district office" in inspector.stderr
        cli("audit", "prove", hazard, "-o", str(proof), "--cosigned", *server.where)
        both = cli("audit", "verify-proof", str(proof), "--key", key, "--cosigner", office_key)
        assert "the proof verifies: 2 events" in both.stdout

        # The administrator edits the row: the hazard was "found" a day later than it was.
        tamper = "UPDATE event SET at = '2026-11-29T08:00:00Z' WHERE row_id = %s AND action = 'create'"
        if str(server_target).startswith("postgresql://"):
            with psycopg.connect(str(server_target), autocommit=True) as conn:
                conn.execute(tamper, (hazard,))
        else:
            with sqlite3.connect(server_target / "district.db") as conn:
                conn.execute(tamper.replace("%s", "?"), (hazard,))
        broken = cli("audit", "verify", *server.where, ok=False)
        assert broken.returncode == 1 and "first bad entry: entry 0" in broken.stdout

        time.sleep(1.5)  # the running server's self-audit comes round
        failed = cli("--db", str(a), "sync", ok=False)
        assert failed.returncode != 0 and "rewritten" in failed.stderr and "Traceback" not in failed.stderr
        status = cli("--db", str(a), "status")
        assert status.stdout.startswith("ALARM: the district server's record was rewritten")
        assert json.loads(cli("--db", str(a), "status", "--json").stdout)["log_alarm"]
    finally:
        server.kill()


def test_audit_commands_refuse_bad_input_with_a_clear_message(tmp_path):
    missing = cli("audit", "verify", "--data", str(tmp_path / "nowhere"), ok=False)
    assert missing.returncode == 1 and "not a district server's data folder" in missing.stderr
    assert not (tmp_path / "nowhere").exists()  # an audit makes nothing
    garbage = tmp_path / "x.json"
    garbage.write_text("not a proof")
    bad_key = cli("audit", "verify-proof", str(garbage), "--key", "nonsense+00+AAAA", ok=False)
    assert bad_key.returncode == 1 and "not a district key" in bad_key.stdout
    for args in (["audit", "prove", "h1", "-o", str(tmp_path / "p")], ["audit", "verify-proof", str(garbage)]):
        done = cli(*args, ok=False)
        assert done.returncode == 2 and "Traceback" not in done.stderr
