"""Importing the office's spreadsheets: every bad row named, a dry run writes nothing, real runs sync."""

from __future__ import annotations

import csv
import gc
import os
from datetime import datetime

import pytest
from openpyxl import Workbook

from schema.errors import DomainError
from schema.office.importer import _USCC_CHARS, _USCC_WEIGHTS, import_file, read_rows, uscc_problem
from schema.store.transactions import set_meta, transaction


def uscc(body: str) -> str:
    """A valid unified social credit code from its first 17 characters."""
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(body, _USCC_WEIGHTS, strict=True))
    return body + _USCC_CHARS[(31 - total % 31) % 31]


GOOD = uscc("91120116MA05K1234")
OTHER = uscc("91120116MA05K5678")
UNIT_HEADER = ["统一社会信用代码", "单位名称", "单位类型", "行业", "所属街镇", "风险等级", "试点单位", "联系电话"]


def write_csv(path, rows, encoding="utf-8-sig"):  # type: ignore[no-untyped-def]
    with open(path, "w", newline="", encoding=encoding) as f:
        csv.writer(f).writerows(rows)
    return path


def industry(district) -> str:  # type: ignore[no-untyped-def]
    return district.execute("SELECT industry FROM checklist ORDER BY industry LIMIT 1").fetchone()[0]


def test_the_uscc_check_character_is_verified():
    assert uscc_problem(GOOD) is None
    assert "check character" in uscc_problem(GOOD[:-1] + ("0" if GOOD[-1] != "0" else "1"))
    assert "18 characters" in uscc_problem("123")
    assert "capital letters" in uscc_problem("91120116MA05K123I" + "0")


def test_a_dry_run_lists_every_rejected_row_and_writes_nothing(writer, district, tmp_path):
    ind = industry(district)
    path = write_csv(
        tmp_path / "units.csv",
        [
            UNIT_HEADER,
            [GOOD, "天津滨海示例化工有限公司", "enterprise", ind, "xinhe", "红", "是", "022-25201234"],
            ["91120116MA05K12340", "坏代码公司", "enterprise", ind, "xinhe", "蓝", "否", ""],
            [OTHER, "", "enterprise", ind, "xinhe", "蓝", "否", ""],
            [uscc("91120116MA05K9999"), "未知街镇公司", "enterprise", ind, "atlantis", "蓝", "否", ""],
            [uscc("91120116MA05K8888"), "颜色错误公司", "enterprise", ind, "xinhe", "紫", "否", ""],
            [GOOD, "重复行", "enterprise", ind, "xinhe", "红", "是", ""],
            [uscc("91120116MA05K7777"), "电话错误公司", "enterprise", ind, "xinhe", "蓝", "否", "call me"],
        ],
    )
    events = district.execute("SELECT count(*) FROM event").fetchone()[0]
    report = import_file(writer, "units", path, dry_run=True)
    reasons = {r["row"]: r["reason"] for r in report.rejected}
    assert report.create == 1 and sorted(reasons) == [3, 4, 5, 6, 7, 8]
    assert "check character" in reasons[3] and "name is empty" in reasons[4] and "atlantis" in reasons[5]
    assert "红/橙/黄/蓝" in reasons[6] and "earlier row" in reasons[7] and "phone" in reasons[8]
    assert district.execute("SELECT count(*) FROM event").fetchone()[0] == events
    with pytest.raises(DomainError, match="6 rows would be rejected.*nothing was imported"):
        import_file(writer, "units", path, dry_run=False)
    assert district.execute("SELECT count(*) FROM unit WHERE uscc = ?", (GOOD,)).fetchone()[0] == 0
    report = import_file(writer, "units", path, dry_run=False, skip_rejected=True)
    unit = district.execute("SELECT * FROM unit WHERE uscc = ?", (GOOD,)).fetchone()
    assert (unit["risk_colour"], unit["is_pilot"], unit["area"]) == ("red", 1, "xinhe")
    assert district.execute("SELECT status FROM event WHERE row_id = ?", (unit["id"],)).fetchone()[0] == "pending"


def test_a_second_import_updates_by_credit_code_and_reports_unchanged_rows(writer, district, tmp_path):
    ind = industry(district)
    first = [
        UNIT_HEADER,
        [GOOD, "甲公司", "enterprise", ind, "xinhe", "蓝", "否", ""],
        [OTHER, "乙公司", "enterprise", ind, "chadian", "黄", "否", ""],
    ]
    import_file(writer, "units", write_csv(tmp_path / "a.csv", first), dry_run=False)
    first[1][1] = "甲公司（更名）"
    report = import_file(writer, "units", write_csv(tmp_path / "b.csv", first, encoding="gb18030"), dry_run=False)
    assert (report.create, report.update, report.unchanged) == (0, 1, 1)
    assert district.execute("SELECT name FROM unit WHERE uscc = ?", (GOOD,)).fetchone()[0] == "甲公司（更名）"


def test_responsibility_persons_from_xlsx_with_excel_dates(writer, district, tmp_path):
    unit = district.execute("SELECT uscc, id FROM unit WHERE uscc IS NOT NULL LIMIT 1").fetchone()
    book = Workbook()
    sheet = book.active
    sheet.append(["统一社会信用代码", "责任类型", "责任人", "部门", "联系电话", "起始日期", "截止日期"])
    sheet.append([unit["uscc"], "主体责任", "王建国", "总经理", "13800001111", datetime(2026, 1, 1), None])
    sheet.append([unit["uscc"], "监管", "李四", "", "", None, None])
    sheet.append(["NOSUCHUNIT", "属地管理责任", "赵六", "", "", None, None])
    sheet.append([unit["uscc"], "属地管理责任", "周七", "", "", datetime(2026, 6, 1), datetime(2026, 1, 1)])
    path = tmp_path / "persons.xlsx"
    book.save(path)
    report = import_file(writer, "responsibilities", path, dry_run=True)
    reasons = {r["row"]: r["reason"] for r in report.rejected}
    assert report.create == 1 and sorted(reasons) == [3, 4, 5]
    assert "主体责任" in reasons[3] and "import the units first" in reasons[4] and "before valid_from" in reasons[5]
    import_file(writer, "responsibilities", path, dry_run=False, skip_rejected=True)
    row = district.execute("SELECT * FROM responsibility WHERE person = '王建国'").fetchone()
    assert (row["unit_id"], row["kind"], row["valid_from"]) == (unit["id"], "main", "2026-01-01")


def test_criteria_need_the_office_and_an_existing_checklist(writer, district, tmp_path):
    checklist = district.execute("SELECT industry, edition FROM checklist LIMIT 1").fetchone()
    path = write_csv(
        tmp_path / "criteria.csv",
        [
            ["行业", "版本", "编号", "检查内容", "依据", "重大隐患", "整改天数"],
            [checklist["industry"], checklist["edition"], "X-01", "应急照明完好", "GB 51309", "否", "15"],
            [checklist["industry"], "99", "X-02", "无此版本", "", "否", "15"],
            [checklist["industry"], checklist["edition"], "X-03", "天数错误", "", "是", "400"],
        ],
    )
    report = import_file(writer, "criteria", path, dry_run=False, skip_rejected=True)
    assert report.create == 1 and [r["row"] for r in report.rejected] == [3, 4]
    assert district.execute("SELECT default_days FROM criterion WHERE code = 'X-01'").fetchone()[0] == 15
    with transaction(district):
        set_meta(district, "server_url", "http://district.example")
        set_meta(district, "role", "inspector")
    with pytest.raises(DomainError, match="only a supervisor or admin can import criteria"):
        import_file(writer, "criteria", path, dry_run=True)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        pytest.param("units.txt", b"x", "reads .csv or .xlsx", id="suffix"),
        pytest.param("units.csv", b"", "is empty", id="empty"),
        pytest.param("units.csv", "名称\n甲\n".encode(), "no column for uscc", id="headers"),
        pytest.param("units.xlsx", b"not a zip", "not a readable .xlsx", id="broken-xlsx"),
        pytest.param("units.csv", b"\xff\xfe\x00\xd8\x00", "neither UTF-8 nor GB18030", id="encoding"),
    ],
)
def test_files_that_are_not_sheets_are_refused_in_one_line(writer, tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DomainError, match=message):
        import_file(writer, "units", path, dry_run=True)


def _open_paths() -> list[str]:
    paths = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            paths.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            pass  # the descriptor listdir itself used
    return paths


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to list open files")
def test_a_workbook_is_closed_once_read(tmp_path):
    """A read-only workbook keeps its file open until closed: left to the garbage collector it
    is a leaked handle in a long-running app (and a ResourceWarning in whatever runs next)."""
    book = Workbook()
    book.active.append(["统一社会信用代码", "单位名称"])
    book.active.append(["91120116MA05JXXX0X", "甲公司"])
    path = tmp_path / "units.xlsx"
    book.save(path)
    gc.disable()  # the workbook sits in a reference cycle: only closing it frees the file now
    try:
        assert read_rows(path) == [{"统一社会信用代码": "91120116MA05JXXX0X", "单位名称": "甲公司"}]
        assert str(path) not in _open_paths()
    finally:
        gc.enable()
        gc.collect()


def test_a_long_import_tells_how_far_it_has_come(writer, district, tmp_path):
    ind = industry(district)
    rows = [UNIT_HEADER] + [
        [uscc(f"91120116MA{n:07d}"), f"公司{n}", "enterprise", ind, "xinhe", "蓝", "否", ""] for n in range(2500)
    ]
    heard: list[str] = []
    report = import_file(writer, "units", write_csv(tmp_path / "many.csv", rows), dry_run=False, progress=heard.append)
    assert report.create == 2500
    assert heard[0] == "reading many.csv ..."
    assert "checked 2,000 of 2,500 rows" in heard and "writing 2,000 of 2,500 rows" in heard


def test_a_dry_run_flags_cells_a_spreadsheet_would_run_as_formulas(writer, district, tmp_path):
    ind = industry(district)
    path = write_csv(
        tmp_path / "units.csv",
        [
            UNIT_HEADER,
            [GOOD, "=cmd|' /C calc'!A0", "enterprise", ind, "xinhe", "蓝", "否", "022-25201234"],
        ],
    )
    report = import_file(writer, "units", path, dry_run=True)
    assert report.flagged == [{"row": 2, "column": "name", "value": "=cmd|' /C calc'!A0"}]
    assert report.create == 1 and not report.rejected
