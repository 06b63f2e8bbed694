"""The table rules checked a column at a time (a push's thousands of new rows) agree with the
same rules checked row by row: never a row let through that the row check would refuse."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from schema.errors import DomainError
from schema.tables import reference_info, valid_rows, validate_fields

INFO = reference_info("hazard")
COLUMNS = ["unit_id", "description", "found_at", "status", "grade", "deadline", "funds", "stop_production", "photo"]
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 2),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["reported", "closed", "lost", "major", "general", "2026-12-31", "2026-02-30", "31/12/2026", "x"]),
    st.lists(st.integers(), max_size=1),
)


def _passes(row: dict[str, object]) -> bool:
    try:
        validate_fields(INFO, "hazard", row, creating=True, derived=frozenset({"area"}))
    except DomainError:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(columns=st.sets(st.sampled_from(COLUMNS), min_size=1), data=st.data())
def test_rows_passing_column_by_column_pass_row_by_row(columns, data):
    names = sorted(columns)
    rows = data.draw(st.lists(st.fixed_dictionaries({name: VALUES for name in names}), min_size=1, max_size=5))
    if valid_rows(INFO, frozenset(names), rows, derived=frozenset({"area"})):
        assert all(_passes(row) for row in rows)


def test_well_formed_new_hazards_pass_column_by_column():
    rows = [
        {
            "unit_id": f"u{n}",
            "description": "消防通道堵塞",
            "found_at": "2026-11-29T08:00:00Z",
            "status": "reported",
            "deadline": "2026-12-31",
            "funds": n * 1.5,
            "stop_production": 0,
        }
        for n in range(3)
    ]
    assert valid_rows(INFO, frozenset(rows[0]), rows, derived=frozenset({"area"}))
    assert all(_passes(row) for row in rows)


def test_one_bad_row_sends_the_set_to_the_row_check():
    good = {
        "unit_id": "u1",
        "description": "d",
        "found_at": "t",
        "deadline": "2026-12-31",
        "grade": "major",
        "stop_production": 0,
    }
    for name, wrong in (
        ("deadline", "2026-02-30"),
        ("grade", "huge"),
        ("description", None),
        ("stop_production", "yes"),
    ):
        rows = [good, {**good, name: wrong}, good]
        assert not valid_rows(INFO, frozenset(good), rows, derived=frozenset({"area"}))
    assert not valid_rows(
        INFO,
        frozenset({"description", "found_at"}),
        [{"description": "d", "found_at": "t"}],
        derived=frozenset({"area"}),
    )  # unit_id is required
