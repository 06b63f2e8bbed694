"""The office's CLI: JSON contracts, printable orders and reports, and one clear line for bad input."""

from __future__ import annotations

import csv

import pytest

from tests.tui.test_cli import data, run


def test_order_issue_show_and_html(district_path, tmp_path):
    db = ("--db", str(district_path))
    hazard = data(*db, "hazard", "list", "--status", "reported", "--grade", "general", "--limit", "1")[0]["id"]
    order = data(*db, "order", "issue", "--hazard", hazard, "--deadline", "2026-12-31")
    assert {"id", "doc_number", "hazard_ids", "deadline", "unit", "hazards"} <= set(order)
    page = tmp_path / "order.html"
    text = run(*db, "order", "show", order["id"], "--html", str(page)).stdout
    assert order["doc_number"] in text and "2026年12月31日" in text
    assert page.read_text(encoding="utf-8").startswith("<!doctype html>")
    assert [o["id"] for o in data(*db, "order", "list")] == [order["id"]]


def test_reports_export_csv_and_a_self_contained_html_page(district_path, tmp_path):
    db = ("--db", str(district_path))
    summary = data(*db, "report", "summary", "--period", "2026Q4", "--csv", str(tmp_path / "s.csv"))
    with open(tmp_path / "s.csv", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert rows[-1]["key"] == "total" and int(rows[-1]["found"]) == summary["total"]["found"]
    quarterly = data(*db, "report", "quarterly", "--year", "2026", "--csv", str(tmp_path / "q.csv"))
    assert quarterly["quarters"] == ["2026Q1", "2026Q2", "2026Q3", "2026Q4"]
    assert len(data(*db, "report", "trend", "--months", "6")) == 6
    run(*db, "report", "html", "--period", "2026Q4", "-o", str(tmp_path / "r.html"))
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<svg" in page and not any(tag in page for tag in ("<script", "src=", "<link", "url("))  # self-contained


def test_assessment_score_show_and_export(district_path, tmp_path):
    db = ("--db", str(district_path))
    result = data(*db, "assessment", "score", "--period", "2026Q4")
    assert result["points"] == 100 and 0 <= result["score"] <= 100 and result["illustrative"]
    node = data(*db, "assessment", "show", "2.1", "--period", "2026Q4")
    assert node["code"] == "2.1" and node["deductions"]
    run(*db, "assessment", "indicators", "--export", str(tmp_path / "mine.toml"))
    edited = (tmp_path / "mine.toml").read_text(encoding="utf-8").replace("points = 20", "points = 40")
    (tmp_path / "mine.toml").write_text(edited, encoding="utf-8")
    mine = data(*db, "assessment", "score", "--period", "2026Q4", "--indicators", str(tmp_path / "mine.toml"))
    assert mine["points"] == 120


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["report", "summary", "--period", "Q9"], "a period is written 2026, 2026Q3 or 2026-09", id="period"
        ),
        pytest.param(["order", "show", "nope"], "no rectification order with id nope", id="unknown-order"),
        pytest.param(["order", "issue", "--hazard", "nope"], "no hazard with id nope", id="unknown-hazard"),
        pytest.param(["extension", "decide", "nope", "approve"], "no extension with id nope", id="unknown-extension"),
        pytest.param(
            ["escalation", "issue", "nope", "--reason", "r"], "no hazard with id nope", id="unknown-escalation"
        ),
        pytest.param(["assessment", "show", "9.9"], "no indicator with code '9.9'", id="unknown-indicator"),
        pytest.param(["assessment", "score", "--indicators", "/nonexistent.toml"], "cannot read", id="no-indicators"),
        pytest.param(["import", "units", "/nonexistent.csv"], "no file at /nonexistent.csv", id="no-file"),
        pytest.param(
            ["lookback", "review", "--area", "atlantis", "--title", "t"],
            "no area with code 'atlantis'",
            id="unknown-area",
        ),
    ],
)
def test_bad_input_is_one_clear_line(district_path, args, message):
    result = run("--db", str(district_path), *args, ok=False)
    assert result.exit_code in (1, 2)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr


def test_import_dry_run_lists_rejects_and_writes_nothing(district_path, tmp_path):
    db = ("--db", str(district_path))
    path = tmp_path / "units.csv"
    path.write_text(
        "统一社会信用代码,单位名称,单位类型,行业,所属街镇\n123,坏公司,enterprise,x,xinhe\n", encoding="utf-8"
    )
    before = len(data(*db, "unit", "list"))
    report = data(*db, "import", "units", str(path), "--dry-run")
    assert report["rejected"][0]["row"] == 2 and not report["written"]
    failed = run(*db, "import", "units", str(path), ok=False)
    assert failed.exit_code == 1 and "nothing was imported" in failed.stderr
    assert len(data(*db, "unit", "list")) == before
