"""Concurrent edits: designated fields become conflicts for a person; ordinary fields go to the later writer."""

from __future__ import annotations

import pytest

from schema.errors import DomainError
from sync.laptop.conflicts import list_conflicts, resolve


@pytest.fixture
def pair(district):
    a = district.laptop("insp.a")
    office = district.laptop("office", role="supervisor", areas=())
    hazard_id = a.add(district.unit_in("xinhe"), "消防通道堵塞")
    a.act(hazard_id, "order", deadline="2026-12-20")
    a.sync()
    office.sync()
    return a, office, hazard_id


def test_concurrent_deadline_changes_make_a_conflict_seen_on_both_sides(district, pair):
    a, office, hazard_id = pair
    a.act(hazard_id, "submit", note="cleared")
    a.act(hazard_id, "fail", opinion="not yet", deadline="2026-12-31")
    office.act(hazard_id, "submit", note="cleared")
    office.act(hazard_id, "fail", opinion="still blocked", deadline="2027-01-15")
    office.sync()
    summary = a.sync()
    assert summary.conflicts >= 1
    office.sync()
    (mine,) = [c for c in list_conflicts(a.conn) if c["field"] == "deadline"]
    assert (mine["base"], mine["mine"], mine["theirs"]) == ("2026-12-20", "2026-12-31", "2027-01-15")
    assert (mine["mine_by"], mine["theirs_by"]) == ("insp.a", "office")
    (theirs,) = [c for c in list_conflicts(office.conn) if c["field"] == "deadline"]
    assert (theirs["mine"], theirs["theirs"]) == ("2027-01-15", "2026-12-31")
    # Nobody's value was silently overwritten: the server kept the first, the second waits for a person.
    assert district.server_hazard(hazard_id)["deadline"] == "2027-01-15"
    assert a.hazard(hazard_id)["deadline"] == "2027-01-15"


def test_resolving_keeps_mine_syncs_and_is_audited(district, pair):
    a, office, hazard_id = pair
    a.edit(hazard_id, rectifier="王伟")
    office.edit(hazard_id, rectifier="李娜")
    office.sync()
    a.sync()
    (conflict,) = list_conflicts(a.conn)
    resolve(a.writer, conflict["id"], "mine", "王伟 is on site")
    a.sync()
    office.sync()
    assert district.server_hazard(hazard_id)["rectifier"] == "王伟"
    assert office.hazard(hazard_id)["rectifier"] == "王伟"
    assert list_conflicts(office.conn) == []
    (done,) = list_conflicts(office.conn, include_resolved=True)
    assert (done["kept"], done["reason"]) == ("mine", "王伟 is on site")
    actions = [
        r[0] for r in office.conn.execute("SELECT action FROM event WHERE row_id = ? ORDER BY hlc", (hazard_id,))
    ]
    assert actions[-1] == "resolve"


def test_resolving_keeps_theirs(district, pair):
    a, office, hazard_id = pair
    a.edit(hazard_id, grade="major")
    office.edit(hazard_id, rectifier="x")  # a different field: no conflict
    office.sync()
    a.sync()
    assert list_conflicts(a.conn) == []
    a.edit(hazard_id, rectifier="y")
    office.edit(hazard_id, rectifier="z")
    office.sync()
    a.sync()
    (conflict,) = list_conflicts(a.conn)
    resolve(a.writer, conflict["id"], "theirs", None)
    a.sync()
    assert district.server_hazard(hazard_id)["rectifier"] == "z"
    with pytest.raises(DomainError, match="already resolved"):
        resolve(a.writer, conflict["id"], "mine", None)


def test_ordinary_fields_go_to_the_later_writer_and_the_loser_stays_in_history(district, pair):
    a, office, hazard_id = pair
    a.edit(hazard_id, location="north gate")  # earlier clock
    office.edit(hazard_id, location="south gate")  # later clock
    office.sync()
    summary = a.sync()
    assert summary.conflicts == 0 and summary.superseded == 1
    assert a.hazard(hazard_id)["location"] == "south gate"
    assert district.server_count("SELECT count(*) FROM event WHERE status = 'superseded'") == 1


def test_same_value_from_both_sides_is_not_a_conflict(district, pair):
    a, office, hazard_id = pair
    a.edit(hazard_id, grade="major")
    office.edit(hazard_id, grade="major")
    office.sync()
    assert a.sync().conflicts == 0


def test_an_edit_of_a_closed_hazard_is_rejected_and_kept(district, pair):
    a, office, hazard_id = pair
    office.act(hazard_id, "submit", note="done")
    office.act(hazard_id, "pass", opinion="ok")
    office.sync()
    a.edit(hazard_id, description="more detail")
    summary = a.sync()
    assert summary.rejected == 1
    (reason,) = [r[0] for r in a.conn.execute("SELECT reason FROM event WHERE status = 'rejected'")]
    assert "closed" in reason
    assert a.hazard(hazard_id)["status"] == "closed"


def test_delete_racing_an_edit_is_a_conflict(district):
    a = district.laptop("insp.a")
    office = district.laptop("office", role="supervisor", areas=())
    unit_id = district.unit_in("xinhe")
    person = a.writer.create("responsibility", {"unit_id": unit_id, "kind": "main", "person": "李明"})
    a.sync()
    office.sync()
    office.writer.update("responsibility", person, {"phone": "022-25201234"})
    office.sync()
    a.writer.delete("responsibility", person)
    assert a.sync().conflicts == 1
    assert district.server_count("SELECT count(*) FROM responsibility WHERE id = ?", person) == 1


def test_append_only_records_never_conflict(district, pair):
    a, office, hazard_id = pair
    a.writer.create("progress", {"hazard_id": hazard_id, "note": "half done", "at": "2026-11-29T10:00:00Z"})
    office.writer.create("progress", {"hazard_id": hazard_id, "note": "checked", "at": "2026-11-29T10:05:00Z"})
    office.sync()
    assert a.sync().conflicts == 0
    office.sync()
    notes = {r[0] for r in office.conn.execute("SELECT note FROM progress WHERE hazard_id = ?", (hazard_id,))}
    assert notes == {"half done", "checked"}
