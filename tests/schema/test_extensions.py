"""Extensions: a request moves nothing; only an approval moves the deadline; working days count."""

from __future__ import annotations

import pytest

from schema.errors import DomainError
from schema.office.extensions import decide_extension, request_extension
from schema.rules import LocalRules
from schema.store.transactions import set_meta, transaction
from tests.conftest import TODAY
from tests.schema.test_lifecycle import hazard_in


@pytest.fixture
def rectifying(writer, unit_id) -> str:
    return hazard_in(writer, unit_id, "rectifying")  # deadline 2026-12-20


def test_a_request_does_not_move_the_deadline_and_an_approval_does(writer, rectifying):
    ext = request_extension(writer, rectifying, reason="设备到货延迟", proposed_deadline="2027-01-10", today=TODAY)
    assert writer.get("hazard", rectifying)["deadline"] == "2026-12-20"
    assert decide_extension(writer, ext, approve=True) == "approved"
    assert writer.get("hazard", rectifying)["deadline"] == "2027-01-10"
    actions = [
        r[0]
        for r in writer.conn.execute("SELECT action FROM event WHERE row_id = ? ORDER BY device_seq", (rectifying,))
    ]
    assert actions[-1] == "extend"


def test_a_refusal_needs_a_note_and_keeps_the_deadline(writer, rectifying):
    ext = request_extension(writer, rectifying, reason="资金未到位", proposed_deadline="2027-01-10", today=TODAY)
    with pytest.raises(DomainError, match="note"):
        decide_extension(writer, ext, approve=False)
    assert decide_extension(writer, ext, approve=False, note="理由不充分") == "refused"
    assert writer.get("hazard", rectifying)["deadline"] == "2026-12-20"
    with pytest.raises(DomainError, match="already refused"):
        decide_extension(writer, ext, approve=True)


@pytest.mark.parametrize(
    ("proposed", "message"),
    [
        pytest.param("2026-12-10", "must be after the current one", id="earlier"),
        pytest.param("2027-03-01", "at most 60 days", id="too-far"),
        pytest.param("2027-13-01", "YYYY-MM-DD", id="not-a-date"),
    ],
)
def test_bad_proposals_are_refused(writer, rectifying, proposed, message):
    with pytest.raises(DomainError, match=message):
        request_extension(writer, rectifying, reason="r", proposed_deadline=proposed, today=TODAY)


def test_only_a_hazard_under_rectification_is_extended_and_one_request_at_a_time(writer, unit_id, rectifying):
    with pytest.raises(DomainError, match="reported"):
        request_extension(
            writer, hazard_in(writer, unit_id, "reported"), reason="r", proposed_deadline="2027-01-10", today=TODAY
        )
    request_extension(writer, rectifying, reason="r", proposed_deadline="2027-01-10", today=TODAY)
    with pytest.raises(DomainError, match="still waiting"):
        request_extension(writer, rectifying, reason="r", proposed_deadline="2027-01-11", today=TODAY)


def test_an_overdue_hazard_can_still_be_given_time(writer, district, unit_id):
    hazard = hazard_in(writer, unit_id, "rectifying")
    with transaction(district):
        district.execute("UPDATE hazard SET deadline = '2026-06-01' WHERE id = ?", (hazard,))
    request_extension(writer, hazard, reason="重新采购", proposed_deadline="2027-01-15", today=TODAY)


def test_with_working_day_deadlines_a_swapped_saturday_is_a_deadline_and_a_holiday_is_not(writer, district, rectifying):
    with transaction(district):
        set_meta(district, "rules", LocalRules(working_days=True).to_json())
    # The demo calendar (data, like the real one): 2027-01-01 元旦 is a holiday, Saturday 2027-02-13 a swapped
    # working day (春节调休).
    with pytest.raises(DomainError, match="2027-01-01 is not a working day; the next working day is 2027-01-04"):
        request_extension(writer, rectifying, reason="r", proposed_deadline="2027-01-01", today=TODAY)
    with pytest.raises(DomainError, match="not a working day"):
        request_extension(writer, rectifying, reason="r", proposed_deadline="2027-01-10", today=TODAY)  # a Sunday
    with pytest.raises(DomainError, match="not a working day"):
        request_extension(writer, rectifying, reason="r", proposed_deadline="2027-02-06", today=TODAY)  # 春节 Saturday
    ext = request_extension(
        writer, rectifying, reason="r", proposed_deadline="2027-02-13", today=TODAY
    )  # 调休 Saturday
    decide_extension(writer, ext, approve=True)
    assert writer.get("hazard", rectifying)["deadline"] == "2027-02-13"


def test_an_inspector_laptop_cannot_decide(writer, district, rectifying):
    ext = request_extension(writer, rectifying, reason="r", proposed_deadline="2027-01-10", today=TODAY)
    with transaction(district):
        set_meta(district, "server_url", "http://district.example")
        set_meta(district, "role", "inspector")
    with pytest.raises(DomainError, match="only a supervisor or admin can decide an extension"):
        decide_extension(writer, ext, approve=True)
    assert writer.get("hazard", rectifying)["deadline"] == "2026-12-20"
