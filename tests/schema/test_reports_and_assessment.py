"""Reports count what the definitions say; the assessment deducts with evidence; both follow the records."""

from __future__ import annotations

import pytest

from schema.errors import DomainError
from schema.hazards import act
from schema.office import assessment, reports
from schema.office.escalations import decide_escalation
from schema.periods import parse_period
from schema.store.transactions import transaction
from schema.writes import Writer
from tests.conftest import TODAY
from tests.schema.test_lifecycle import PARAMS, hazard_in

Q4 = parse_period("2026Q4")


def xinhe(conn, period=Q4):  # type: ignore[no-untyped-def]
    return next(r for r in reports.summary(conn, period, today=TODAY) if r["key"] == "xinhe")


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026Q3", "2026-07-01", "2026-09-30"),
        ("2026-q1", "2026-01-01", "2026-03-31"),
        ("2026-02", "2026-02-01", "2026-02-28"),
        ("2026", "2026-01-01", "2026-12-31"),
    ],
)
def test_periods_are_written_as_people_write_them(text, start, end):
    p = parse_period(text)
    assert (p.start.isoformat(), p.end.isoformat()) == (start, end)


def test_a_bad_period_says_how_to_write_one():
    with pytest.raises(DomainError, match="2026Q3"):
        parse_period("Q3 2026")


def test_the_summary_follows_each_hazard_through_its_lifecycle(writer, district, unit_id):
    before = xinhe(district)
    hazard = hazard_in(writer, unit_id, "rectifying")
    after_found = xinhe(district)
    assert after_found["found"] == before["found"] + 1 and after_found["rectified"] == before["rectified"]
    with transaction(district):
        district.execute("UPDATE hazard SET deadline = '2026-11-20' WHERE id = ?", (hazard,))
    assert xinhe(district)["overdue"] == before["overdue"] + 1
    decide_escalation(writer, hazard, issue=True, reason="逾期", today=TODAY)
    assert xinhe(district)["escalations"] == before["escalations"] + 1
    act(writer, hazard, "submit", PARAMS["submit"], today=TODAY)
    act(writer, hazard, "pass", PARAMS["pass"], today=TODAY)
    done = xinhe(district)
    assert (done["overdue"], done["rectified"], done["on_time"]) == (
        before["overdue"],
        before["rectified"] + 1,
        before["on_time"],
    )  # closed late: not on time
    assert done["rate"] == round(done["rectified"] / done["found"], 3)
    total = reports.totals(reports.summary(district, Q4, today=TODAY))
    assert (
        total["found"]
        == district.execute(
            "SELECT count(*) FROM hazard WHERE status != 'void' AND found_at >= '2026-10-01'"
        ).fetchone()[0]
    )


def test_void_hazards_are_not_counted(writer, district, unit_id):
    before = xinhe(district)["found"]
    hazard_in(writer, unit_id, "void")
    assert xinhe(district)["found"] == before


def test_quarterly_and_trend_and_csv(district):
    table = reports.quarterly(district, 2026, today=TODAY)
    assert table["quarters"] == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    assert (
        sum(r["quarters"]["2026Q4"]["found"] for r in table["rows"] if "2026Q4" in r["quarters"])
        == reports.totals(reports.summary(district, Q4, today=TODAY))["found"]
    )
    trend = reports.trend(district, today=TODAY, months=6)
    assert [t["month"] for t in trend] == ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    text = reports.to_csv(reports.summary(district, Q4, today=TODAY))
    assert text.startswith("\ufeffkey,name,found") and "新河街道" in text


def test_reports_refuse_a_community(district):
    with pytest.raises(DomainError, match="per town or zone"):
        reports.summary(
            district,
            Q4,
            today=TODAY,
            area=district.execute("SELECT code FROM area WHERE level = 'community' LIMIT 1").fetchone()[0],
        )


def test_every_deduction_names_its_evidence_and_follows_the_records(writer, district, unit_id):
    tree = assessment.load_indicators()
    assert tree.illustrative
    hazard = hazard_in(writer, unit_id, "rectifying", grade="major")
    with transaction(district):
        district.execute("UPDATE hazard SET deadline = '2026-11-01' WHERE id = ?", (hazard,))
    node = assessment.find(assessment.score(district, tree, Q4, today=TODAY, area="xinhe"), "2.2")
    [major_overdue] = [d for d in node["deductions"] if d["rule"] == "overdue_hazards"]
    assert hazard in {e["id"] for e in major_overdue["evidence"]}
    assert major_overdue["points"] == min(10, 2 * len(major_overdue["evidence"]))
    accountability = assessment.find(assessment.score(district, tree, Q4, today=TODAY, area="xinhe"), "3.2")
    decide_escalation(writer, hazard, issue=True, reason="约谈", today=TODAY, level="summons")
    after = assessment.find(assessment.score(district, tree, Q4, today=TODAY, area="xinhe"), "3.2")
    assert after["score"] == accountability["score"] - 1
    assert after["deductions"][0]["evidence"][0]["table"] == "escalation"


def test_self_assessed_indicators_take_the_offices_score(district):
    tree = assessment.load_indicators()
    w = Writer(district, writer_actor())
    assert assessment.find(assessment.score(district, tree, Q4, today=TODAY), "5.1")["score"] == 0
    with pytest.raises(DomainError, match="between 0 and 10"):
        assessment.record_self_score(w, tree, period=Q4, code="5.1", score_value=11, evidence="e")
    with pytest.raises(DomainError, match="computed from the records"):
        assessment.record_self_score(w, tree, period=Q4, code="2.1", score_value=5, evidence="e")
    assessment.record_self_score(w, tree, period=Q4, code="5.1", score_value=8.5, evidence="满意度调查 86%")
    node = assessment.find(assessment.score(district, tree, Q4, today=TODAY), "5.1")
    assert node["score"] == 8.5 and node["deductions"][0]["evidence"][0]["text"] == "满意度调查 86%"


def writer_actor():  # type: ignore[no-untyped-def]
    from schema.writes import Actor

    return Actor("office", "device-office")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("[[indicator]\n", "not valid TOML", id="toml"),
        pytest.param('[[indicator]]\ncode = "1"\n[[indicator]]\ncode = "1"\n', "appears twice", id="duplicate"),
        pytest.param('[[indicator]]\ncode = "1.1"\nparent = "9"\npoints = 5\n', "parent '9'", id="orphan"),
        pytest.param(
            '[[indicator]]\ncode = "1"\npoints = 5\n[[indicator.deduction]]\nrule = "vibes"\n',
            "unknown rule",
            id="rule",
        ),
        pytest.param('[[indicator]]\ncode = "1"\npoints = -5\n', "0 or more", id="points"),
    ],
)
def test_an_edited_indicator_file_with_a_mistake_is_refused_clearly(tmp_path, content, message):
    path = tmp_path / "indicators.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DomainError, match=message):
        assessment.load_indicators(path)


@pytest.mark.parametrize("name", ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1"])
def test_a_name_a_spreadsheet_would_run_is_written_as_text(name):
    import csv
    import io

    from schema.office.reports import to_csv

    text = to_csv([{"key": "u1", "name": name, "found": -3}], ("key", "name", "found"))
    (row,) = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))[1:]
    assert row == ["u1", "'" + name, "-3"]  # the name shown as text; a number stays a number
