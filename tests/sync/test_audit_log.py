"""The record no one can rewrite unseen (issue 18): tests that play the rewriting administrator.

An event row edited, deleted or reordered in the server's database is named by `audit verify`
and raises the alarm on the next pull of every laptop (through the server's self-audit when only
rows were touched, through the laptops' consistency check when the tree was rebuilt and the
checkpoints re-signed too); a forged device chain is refused at push; a hazard's exported proof
verifies on its own and fails when any byte of it changes. On SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from schema.chain import hash_of_row, leaf_hash_hex
from schema.errors import DomainError
from schema.store.transactions import get_meta
from sync.audit.keys import head_text
from sync.audit.note import Signer
from sync.audit.proof import ProofError, check
from sync.laptop import chain, replica
from sync.laptop.audit import verify as verify_laptop
from sync.laptop.chain import LOG_ALARM, LogRewritten
from sync.server.audit import SelfAudit, verify
from sync.server.log import StoredTree, leaves_of, log_size, sign_checkpoint
from sync.server.proofs import prove
from tests.sync.harness import District, Laptop


def _work(district: District) -> tuple[Laptop, Laptop, list[str]]:
    """Two inspectors' laptops, each with a week of edits synced: enough events for the log
    to have complete blocks of 256 leaves (stored tree nodes) and a partial one."""
    a = district.laptop("insp.a", areas=("xinhe",))
    b = district.laptop("insp.b", areas=("xinhe",))
    a.sync()
    b.sync()
    unit = district.unit_in("xinhe")
    made = [a.add(unit, f"消防通道堵塞 {n}") for n in range(150)]
    a.sync()
    b.sync()
    for n, hazard in enumerate(made[:140]):
        b.edit(hazard, description=f"消防通道堵塞，已复查 {n}")
    b.sync()
    a.sync()
    return a, b, made


def _tamper(district: District, sql: str, *params: Any) -> None:
    db = district.store.db()
    with db.transaction():
        db.execute(sql, params)


def _self_audit(district: District) -> SelfAudit:
    district.store.self_audit = SelfAudit(district.store.db, 3600)
    district.store.self_audit.run_once()
    return district.store.self_audit


def _alarmed(laptop: Laptop) -> str:
    with pytest.raises(LogRewritten) as raised:
        laptop.sync()
    assert get_meta(laptop.conn, LOG_ALARM), "the laptop keeps the alarm for its status line and `status`"
    return str(raised.value)


def test_a_log_as_it_was_made_verifies_on_the_server_and_on_every_laptop(district):
    a, b, _made = _work(district)
    report = verify(district.store.db())
    assert report.ok, report.text()
    assert report.entries == log_size(district.store.db()) == 290
    assert report.devices == 2 and report.heads >= 2 and report.checkpoints >= 2
    for laptop in (a, b):
        mine = verify_laptop(laptop.conn)
        assert mine.ok, mine.text()
    assert _self_audit(district).result()["broken"] is None  # type: ignore[index]
    a.sync()  # a clean self-audit raises no alarm


def test_an_edited_event_row_is_named_by_verify_and_by_every_laptops_next_pull(district):
    a, b, made = _work(district)
    # The administrator makes it look as if the hazard was described otherwise when it was found.
    target = district.store.db().one("SELECT log_index FROM event WHERE row_id = ? AND action = 'create'", (made[3],))
    assert target is not None
    _tamper(
        district,
        "UPDATE event SET fields = replace(fields, '消防通道堵塞 3', '无隐患') WHERE log_index = ?",
        target["log_index"],
    )
    report = verify(district.store.db())
    assert not report.ok and report.first is not None
    assert report.first.index == target["log_index"] and "changed after it was written" in report.first.text
    _self_audit(district)
    for laptop in (a, b):
        assert "own audit" in _alarmed(laptop)
    first = verify_laptop(a.conn).first  # and `audit verify` on the laptop says so
    assert first is not None and "rewritten" in first.text


def test_a_deleted_event_row_is_named_by_verify_and_by_every_laptops_next_pull(district):
    a, b, _made = _work(district)
    _tamper(district, "DELETE FROM event WHERE log_index = 200")
    report = verify(district.store.db())
    assert report.first is not None and report.first.index == 200 and "missing" in report.first.text
    # The device whose change was taken out no longer has an unbroken chain either.
    assert any("does not follow" in p.text for p in report.problems)
    _self_audit(district)
    for laptop in (a, b):
        _alarmed(laptop)


def test_reordered_event_rows_are_named_by_verify_and_by_every_laptops_next_pull(district):
    a, b, _made = _work(district)
    for sql in (
        "UPDATE event SET log_index = -1 WHERE log_index = 10",
        "UPDATE event SET log_index = 10 WHERE log_index = 11",
        "UPDATE event SET log_index = 11 WHERE log_index = -1",
    ):
        _tamper(district, sql)
    report = verify(district.store.db())
    assert report.first is not None and report.first.index in (10, 11)
    _self_audit(district)
    for laptop in (a, b):
        _alarmed(laptop)


def test_a_consistent_rewrite_with_a_rebuilt_tree_and_resigned_checkpoints_is_caught_by_every_laptop(district):
    """The administrator holds the district key: edits an event, rehashes it, rebuilds the whole
    tree and signs new checkpoints. The server's own audit of such a log could pass its tree;
    the laptops remember the checkpoint they saw, and the new one does not extend it."""
    a, b, made = _work(district)
    db = district.store.db()
    size = log_size(db)
    row = _rewrite(district, made[0], size, keep="")
    for laptop in (a, b):
        assert "does not extend" in _alarmed(laptop)
    # The device's chain gives the rewrite away to `audit verify` as well: its next change names
    # the hash the rewritten event had.
    report = verify(db)
    assert report.first is not None and report.first.index == row["log_index"] + 1
    assert "before it was changed" in report.first.text


def _rewrite(district: District, hazard: str, size: int, *, keep: str) -> dict[str, Any]:
    """The administrator with the district key: the hazard's creation rewritten and rehashed,
    the tree rebuilt from the rows and the checkpoints re-signed (`keep`: which stored
    checkpoints to delete, as a WHERE clause; the co-signed ones cannot be re-signed)."""
    db = district.store.db()
    row = db.one("SELECT * FROM event WHERE row_id = ? AND action = 'create'", (hazard,))
    assert row is not None
    fields = orjson.loads(row["fields"])
    fields["description"] = "无隐患"
    forged = {**row, "fields": orjson.dumps(fields).decode()}
    with db.transaction():
        db.execute(
            "UPDATE event SET fields = ?, hash = ? WHERE id = ?", (forged["fields"], hash_of_row(forged), row["id"])
        )
        db.execute("DELETE FROM log_node")
        db.execute(f"DELETE FROM log_checkpoint{keep}")
        tree = StoredTree(db, 0)
        db.many("INSERT INTO log_node (level, idx, hash) VALUES (?, ?, ?)", tree.append_leaves(leaves_of(db, 0, size)))
        sign_checkpoint(db, district.store.log_keys, tree, "2026-11-30T10:00:00Z")
    return row


# A forged device chain is refused at push, and the laptop keeps its changes.


def _pending_body(laptop: Laptop, *, skip: int = 0, signer: Signer | None = None) -> dict[str, Any]:
    ops = replica.pending_ops(laptop.conn, 100)[skip:]
    key = signer or chain.device_signer(laptop.conn, laptop.device_id)
    singles = [{k: v for k, v in op.items() if k not in ("hash", "prev")} for op in ops]
    return {"chain": chain.push_chain(key, laptop.device_id, ops), "ops": singles}


def test_a_push_with_a_gap_in_its_chain_is_refused_and_nothing_is_lost(district):
    a, _b, made = _work(district)
    for n in range(3):
        a.edit(made[n], description=f"复查 {n}")
    answer = a.push_raw(_pending_body(a, skip=1), sign=False)
    assert answer.status_code == 409 and "a change is missing" in answer.json()["error"]
    assert a.sync().pushed == 3  # the laptop's own sync still sends all three, in order
    assert verify(district.store.db()).ok


def test_a_push_signed_with_another_key_is_refused(district):
    a, _b, made = _work(district)
    a.edit(made[0], description="复查")
    answer = a.push_raw(_pending_body(a, signer=Signer.generate(f"device-{a.device_id}")), sign=False)
    assert answer.status_code == 409 and "signature is not this laptop's" in answer.json()["error"]
    assert a.sync().pushed == 1


def test_a_push_that_forks_the_chain_is_refused(district):
    a, _b, made = _work(district)
    a.edit(made[0], description="复查")
    sent = replica.pending_ops(a.conn, 1)[0]
    a.sync()
    # Change the same numbered change after the server holds it: a fork of this device's record.
    other = {**sent, "fields": {"description": "无隐患"}}
    digest = hash_of_row(
        {
            "id": other["op_id"],
            "device_id": a.device_id,
            "device_seq": other["device_seq"],
            "hlc": other["hlc"],
            "actor": other["actor"],
            "at": other["at"],
            "table_name": other["table"],
            "row_id": other["pk"],
            "action": other["action"],
            "fields": orjson.dumps(other["fields"]),
            "old": orjson.dumps(other["old"]),
            "base_version": other["base_version"],
            "prev": other["prev"],
        }
    )
    key = chain.device_signer(a.conn, a.device_id)
    body = {
        "chain": {"prev": other["prev"], "note": key.sign(head_text(a.device_id, other["device_seq"], digest))},
        "ops": [{k: v for k, v in other.items() if k not in ("hash", "prev")}],
    }
    answer = a.push_raw(body, sign=False)
    assert answer.status_code == 409 and "forks" in answer.json()["error"]
    # A new change that does not follow the one the server holds is refused too.
    a.edit(made[1], description="复查")
    fork = _pending_body(a)
    fork["chain"] = chain.push_chain(key, a.device_id, [{**replica.pending_ops(a.conn, 1)[0], "prev": digest}])
    answer = a.push_raw(fork, sign=False)
    assert answer.status_code == 409
    assert verify(district.store.db()).ok


# A hazard's history as a proof anyone can check.


def test_an_exported_proof_verifies_on_its_own_and_fails_when_any_byte_changes(district):
    a, b, made = _work(district)
    b.edit(made[5], description="已整改")
    b.sync()
    data = prove(district.store.db(), made[5])
    key = district.store.log_keys.verifier.text()
    proven = check(data, key)
    assert [e.body["pk"] for e in proven.events] == [made[5]] * 3
    assert proven.checkpoint.size == log_size(district.store.db())
    for position in range(len(data)):
        changed = bytearray(data)
        changed[position] ^= 0x01
        with pytest.raises(ProofError):
            check(bytes(changed), key)
    with pytest.raises(ProofError, match="another district key"):
        check(data, Signer.generate("safecity-district").verifier.text())


def test_the_printed_order_and_report_carry_the_leaf_of_what_they_show_and_the_checkpoint(district):
    """The HTML order cites its own event's leaf, the one `audit prove` proves; the report the
    checkpoint this laptop verified. Before a sync the order says it is not yet in the log."""
    from schema.chain import seal
    from schema.office import orders, report_html
    from schema.periods import parse_period
    from tests.conftest import TODAY
    from tests.sync.test_office_sync import rectifying

    a = district.laptop("insp.a")
    hazard = rectifying(a, district.unit_in("xinhe"))
    order_id = orders.issue_order(a.writer, [hazard], today=TODAY)
    unsent = orders.render_html(orders.order_document(a.conn, order_id))
    assert "not yet in the district log" in unsent
    a.sync()
    page = orders.render_html(orders.order_document(a.conn, order_id))
    stamp = seal(a.conn, order_id)
    assert stamp["leaf"] and stamp["leaf"] in page and stamp["checkpoint"]["root"] in page
    proof = orjson.loads(prove(district.store.db(), hazard))
    [entry] = [e for e in proof["events"] if e["event"]["pk"] == order_id]
    assert entry["index"] == stamp["log_index"] and stamp["checkpoint"]["size"] == log_size(district.store.db())
    verdict = entry["verdict"]
    assert stamp["leaf"] == leaf_hash_hex(entry["hash"], verdict["status"], verdict["reason"], verdict["received"])
    report = report_html.district_report(a.conn, parse_period("2026Q4"), today=TODAY)
    assert stamp["checkpoint"]["root"] in report and f"{stamp['checkpoint']['size']} 条" in report


def test_a_laptop_knows_where_each_of_its_events_is_in_the_log_refused_ones_included(district):
    """The laptop records the log place and arrival of every event it pushed (what its printed
    documents cite) from the push answer: the same as the server's, for a push that mixes new
    rows applied as sent, edits, and a change the server refused."""
    import json

    from schema.office import orders
    from schema.store.transactions import set_meta, transaction
    from tests.conftest import TODAY
    from tests.sync.test_office_sync import rectifying

    a = district.laptop("insp.a")
    unit = district.unit_in("xinhe")
    made = [a.add(unit, f"配电箱未接地 {n}") for n in range(30)]
    hazard = rectifying(a, unit)
    with transaction(a.conn):  # a number block this device was never given: the order is refused
        set_meta(a.conn, orders.BLOCKS_KEY, json.dumps([{"year": 2026, "first": 9001, "last": 9010, "next": 9001}]))
    orders.issue_order(a.writer, [hazard], today=TODAY)
    for n, h in enumerate(made[:10]):
        a.edit(h, description=f"已复查 {n}")
    assert a.sync().rejected == 1
    mine = a.conn.execute(
        "SELECT id, log_index, received_at, status FROM event WHERE device_id = ? ORDER BY device_seq", (a.device_id,)
    ).fetchall()
    held = {
        r[0]: (r[1], r[2], r[3])
        for r in district.store.db().rows(
            "SELECT id, log_index, received_at, status FROM event WHERE device_id = ?", (a.device_id,)
        )
    }
    assert len(mine) == len(held) > 40
    assert all(tuple(row[1:]) == held[row[0]] for row in mine)


def test_the_office_cosigns_the_log_and_a_laptop_enrolled_after_a_rewrite_still_sees_it(district):
    """The office keeps a second key off the server and co-signs checkpoints from its laptop.
    A server whose district key was stolen can sign a rewritten log, but not the office's
    signature: even a laptop enrolled after the rewrite, which never saw the old log, finds
    that the log shown does not extend the checkpoint the office co-signed."""
    from sync.laptop.errors import SyncError
    from sync.server.log import set_cosigner

    a, _b, made = _work(district)
    office = district.laptop("office", role="supervisor", areas=())
    key = Signer.generate("safecity-office")
    db = district.store.db()
    set_cosigner(db, key.verifier.text())
    with pytest.raises(DomainError, match="not replaced"):
        set_cosigner(db, Signer.generate("safecity-office").verifier.text())
    office.sync()
    answer = office.client.request("POST", "/v1/log/cosign", body={"note": chain.cosign(office.conn, key)})
    assert answer["cosigned"] == log_size(db) == 290
    assert verify(db).ok
    with pytest.raises(SyncError, match="only the district office co-signs"):
        a.client.request("POST", "/v1/log/cosign", body={"note": chain.cosign(office.conn, key)})
    with pytest.raises(SyncError, match="not a co-signed checkpoint|co-signer"):
        wrong = Signer.generate("safecity-office")
        office.client.request("POST", "/v1/log/cosign", body={"note": chain.cosign(office.conn, wrong)})
    proof = prove(db, made[1], cosigned=True)  # a proof under the co-signed checkpoint: both keys check it
    assert check(proof, district.store.log_keys.verifier.text(), cosigner=key.verifier.text()).events

    for n in range(10):  # the work goes on past the co-signed checkpoint
        a.edit(made[n], description=f"复查 {n}")
    a.sync()
    with pytest.raises(ProofError, match="not signed by both"):  # the latest is not co-signed yet
        check(prove(db, made[1]), district.store.log_keys.verifier.text(), cosigner=key.verifier.text())
    # The rewrite, with the district key: an event changed, the tree rebuilt, the latest checkpoint
    # re-signed; the co-signed one cannot be re-signed, so it stays as the office signed it.
    size = log_size(db)
    _rewrite(district, made[0], size, keep=" WHERE cosigned = 0")
    with pytest.raises(LogRewritten, match="does not extend the 290 entries the office co-signed"):
        district.laptop("insp.late", areas=("xinhe",))  # enrolled after the rewrite: it saw nothing before
    assert not verify(db).ok
