"""Import of units, responsibility persons and criteria from the office's spreadsheets.

Who calls this: `safecity import units|responsibilities|criteria FILE [--dry-run]`. Offices
keep these lists in Excel: .xlsx, or .csv saved by Excel (UTF-8 with a BOM, or GB18030 on a
Chinese Windows). Headers may be Chinese or English (`单位名称` or `name`). Every row is
checked before anything is written, and every problem is reported with its spreadsheet row
number (the header is row 1) and the column: a dry run lists them all and writes nothing; a
real import with any rejected row writes nothing either, unless told to skip them. What is
written goes through the one write path, in one transaction, so it syncs like any edit.

Units are matched by their unified social credit code (USCC, 统一社会信用代码, checked with its
GB 32100 check character); an existing unit is updated, a new one created. Criteria are
matched by checklist (industry + edition) and code.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from schema.errors import DomainError
from schema.office.reports import FORMULA_STARTS
from schema.office.roles import require_office
from schema.tables import parse_date
from schema.writes import Writer

KINDS = ("units", "responsibilities", "criteria")

HEADERS: dict[str, dict[str, str]] = {
    "units": {
        "统一社会信用代码": "uscc",
        "单位名称": "name",
        "英文名称": "name_en",
        "单位类型": "kind",
        "行业": "industry",
        "街镇": "area",
        "所属街镇": "area",
        "社区": "community",
        "地址": "address",
        "风险等级": "risk_colour",
        "试点单位": "is_pilot",
        "联系人": "contact_name",
        "联系电话": "contact_phone",
    },
    "responsibilities": {
        "统一社会信用代码": "uscc",
        "责任类型": "kind",
        "责任人": "person",
        "单位/部门": "org",
        "部门": "org",
        "电话": "phone",
        "联系电话": "phone",
        "起始日期": "valid_from",
        "截止日期": "valid_to",
    },
    "criteria": {
        "行业": "industry",
        "版本": "edition",
        "检查表名称": "title",
        "编号": "code",
        "检查内容": "text_zh",
        "英文": "text_en",
        "依据": "legal_basis",
        "类别": "category",
        "适用单位": "applies_to",
        "重大隐患": "major_if_failed",
        "整改天数": "default_days",
    },
}
REQUIRED = {
    "units": ("uscc", "name", "kind", "industry", "area"),
    "responsibilities": ("uscc", "kind", "person"),
    "criteria": ("industry", "edition", "code", "text_zh"),
}
_COLOURS = {
    "红": "red",
    "橙": "orange",
    "黄": "yellow",
    "蓝": "blue",
    "重大": "red",
    "较大": "orange",
    "一般": "yellow",
    "低": "blue",
}
_RESPONSIBILITY = {
    "主体责任": "main",
    "属地管理责任": "territorial",
    "属地责任": "territorial",
    "行业监管责任": "sector_supervision",
    "行业监管": "sector_supervision",
    "综合监管责任": "comprehensive_supervision",
    "综合监管": "comprehensive_supervision",
}
_YES = {"是", "yes", "y", "true", "1", "√"}
_NO = {"否", "no", "n", "false", "0", ""}
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_problem(code: str) -> str | None:
    """Why `code` is not a valid unified social credit code (GB 32100-2015), or None."""
    if len(code) != 18:
        return f"must be 18 characters, has {len(code)}"
    if any(c not in _USCC_CHARS for c in code):
        return "may only hold digits and capital letters other than I, O, Z, S, V"
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(code[:17], _USCC_WEIGHTS, strict=True))
    expected = _USCC_CHARS[(31 - total % 31) % 31]
    return None if code[17] == expected else f"check character should be {expected}, not {code[17]}"


@dataclass
class ImportReport:
    kind: str
    rows: int = 0
    create: int = 0
    update: int = 0
    unchanged: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    flagged: list[dict[str, Any]] = field(default_factory=list)
    """Cells a spreadsheet would run as a formula (`=cmd|...`): imported as text, but named, so
    the office can look at where the sheet came from."""
    written: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "rows": self.rows,
            "create": self.create,
            "update": self.update,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "flagged": self.flagged,
            "written": self.written,
        }


_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]*$")
"""A phone number or a negative figure starts with + or -, and is no formula."""


def read_rows(path: str | Path) -> list[dict[str, Any]]:
    """The sheet's rows as dicts keyed by its header (first row), from .csv or .xlsx."""
    path = Path(path)
    if not path.exists():
        raise DomainError(f"no file at {path}")
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as err:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
            raise DomainError(f"{path.name} is not a readable .xlsx workbook ({type(err).__name__})") from None
        try:  # a read-only workbook keeps its file open until closed
            table = [list(r) for r in book.worksheets[0].iter_rows(values_only=True)]
        finally:
            book.close()
    elif suffix == ".csv":
        raw = path.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise DomainError(f"{path.name} is neither UTF-8 nor GB18030 text")
        try:
            table = list(csv.reader(io.StringIO(text)))
        except csv.Error as err:  # a field over the csv module's 131,072 characters, a stray NUL
            raise DomainError(f"{path.name} is not a readable CSV sheet ({err})") from None
    else:
        raise DomainError(f"import reads .csv or .xlsx files; got {path.name}")
    if not table:
        raise DomainError(f"{path.name} is empty")
    header = [str(h).strip() if h is not None else "" for h in table[0]]
    return [dict(zip(header, r, strict=False)) for r in table[1:] if any(v not in (None, "") for v in r)]


def _clean(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _normalise(kind: str, raw: dict[str, Any]) -> dict[str, str]:
    aliases = HEADERS[kind]
    out: dict[str, str] = {}
    for name, value in raw.items():
        key = aliases.get(name, name.strip().lower().replace(" ", "_"))
        out[key] = _clean(value)
    return out


def import_file(
    w: Writer,
    kind: str,
    path: str | Path,
    *,
    dry_run: bool,
    skip_rejected: bool = False,
    progress: Callable[[str], None] | None = None,
) -> ImportReport:
    """Check every row; unless a dry run, write the good ones (all-or-nothing unless `skip_rejected`).
    `progress` hears how far the check and the writing have come (a district's units are tens of
    thousands of rows)."""
    tell = progress or (lambda _text: None)
    if kind not in KINDS:
        raise DomainError(f"import kind must be one of {', '.join(KINDS)}; got {kind!r}")
    if kind == "criteria":
        require_office(w.conn, "import criteria")
    tell(f"reading {Path(path).name} ...")
    raw_rows = read_rows(path)
    known = set(HEADERS[kind].values()) | set(REQUIRED[kind])
    report = ImportReport(kind, rows=len(raw_rows))
    header = _normalise(kind, dict.fromkeys(raw_rows[0])) if raw_rows else {}
    missing = [c for c in REQUIRED[kind] if c not in header]
    if missing:
        raise DomainError(
            f"{Path(path).name} has no column for {', '.join(missing)} "
            f"(expected headers such as {', '.join(k for k, v in HEADERS[kind].items() if v in missing)})"
        )
    check = {"units": _unit, "responsibilities": _responsibility, "criteria": _criterion}[kind]
    planned: list[tuple[str, str | None, dict[str, Any]]] = []
    seen: set[str] = set()
    for number, raw in enumerate(raw_rows, start=2):
        if (number - 2) % 1000 == 0:
            tell(f"checked {number - 2:,} of {len(raw_rows):,} rows")
        row = {k: v for k, v in _normalise(kind, raw).items() if k in known}
        for column, value in row.items():
            if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PHONE.match(value):
                report.flagged.append({"row": number, "column": column, "value": value[:40]})
        try:
            for column in REQUIRED[kind]:
                if not row.get(column):
                    raise DomainError(f"{column} is empty")
            table, existing, values, identity = check(w.conn, row)
            if identity in seen:
                raise DomainError("the same record appears on an earlier row")
            seen.add(identity)
        except DomainError as err:
            report.rejected.append({"row": number, "reason": str(err)})
            continue
        if existing is None:
            report.create += 1
        elif values:
            report.update += 1
        else:
            report.unchanged += 1
        planned.append((table, existing, values))
    if dry_run:
        return report
    if report.rejected and not skip_rejected:
        first = report.rejected[0]
        raise DomainError(
            f"{len(report.rejected)} rows would be rejected (first: row {first['row']}: {first['reason']}); "
            "nothing was imported. Run with --dry-run to see them all, or --skip-rejected"
        )
    with w.transaction():
        for done, (table, existing, values) in enumerate(planned):
            if done % 1000 == 0:
                tell(f"writing {done:,} of {len(planned):,} rows")
            if existing is None:
                w.create(table, values, action="import")
            elif values:
                w.update(table, existing, values, action="import")
    report.written = True
    return report


def _changes(conn: sqlite3.Connection, table: str, row_id: str | None, values: dict[str, Any]) -> dict[str, Any]:
    if row_id is None:
        return values
    current = conn.execute(f"SELECT * FROM {table} WHERE id = ?", (row_id,)).fetchone()
    return {k: v for k, v in values.items() if current[k] != v}


def _flag(value: str, column: str) -> int:
    if value.lower() in _YES:
        return 1
    if value.lower() in _NO:
        return 0
    raise DomainError(f"{column} must be 是/否 (yes/no); got {value!r}")


def _phone(value: str, column: str) -> str | None:
    digits = value.replace("-", "").replace(" ", "")
    if value and not (digits.isdigit() and 7 <= len(digits) <= 12):
        raise DomainError(f"{column} {value!r} is not a phone number")
    return value or None


def _unit(conn: sqlite3.Connection, row: dict[str, str]) -> tuple[str, str | None, dict[str, Any], str]:
    uscc = row["uscc"].upper()
    problem = uscc_problem(uscc)
    if problem:
        raise DomainError(f"USCC {uscc}: {problem}")
    area = conn.execute("SELECT code, parent_code, level FROM area WHERE code = ?", (row["area"],)).fetchone()
    if area is None or area["level"] not in ("town", "community"):
        raise DomainError(f"area {row['area']!r} is not a town, zone or community code")
    industries = {r[0] for r in conn.execute("SELECT DISTINCT industry FROM checklist")}
    if industries and row["industry"] not in industries:
        raise DomainError(f"industry {row['industry']!r} is not one of {', '.join(sorted(industries))}")
    colour = row.get("risk_colour") or "blue"
    colour = _COLOURS.get(colour, colour)
    if colour not in ("red", "orange", "yellow", "blue"):
        raise DomainError(f"risk colour {row.get('risk_colour')!r} must be 红/橙/黄/蓝 (red/orange/yellow/blue)")
    values: dict[str, Any] = {
        "uscc": uscc,
        "name": row["name"],
        "name_en": row.get("name_en") or None,
        "kind": row["kind"],
        "industry": row["industry"],
        "address": row.get("address") or None,
        "risk_colour": colour,
        "is_pilot": _flag(row.get("is_pilot", ""), "is_pilot"),
        "contact_name": row.get("contact_name") or None,
        "contact_phone": _phone(row.get("contact_phone", ""), "contact phone"),
        "area": area["code"] if area["level"] == "town" else area["parent_code"],
        "community": area["code"] if area["level"] == "community" else (row.get("community") or None),
    }
    existing = conn.execute("SELECT id FROM unit WHERE uscc = ?", (uscc,)).fetchone()
    row_id = existing[0] if existing else None
    return "unit", row_id, _changes(conn, "unit", row_id, values), uscc


def _responsibility(conn: sqlite3.Connection, row: dict[str, str]) -> tuple[str, str | None, dict[str, Any], str]:
    unit = conn.execute("SELECT id FROM unit WHERE uscc = ?", (row["uscc"].upper(),)).fetchone()
    if unit is None:
        raise DomainError(f"no unit with USCC {row['uscc']} (import the units first)")
    kind = _RESPONSIBILITY.get(row["kind"], row["kind"])
    if kind not in _RESPONSIBILITY.values():
        raise DomainError(f"responsibility kind {row['kind']!r} must be one of {', '.join(_RESPONSIBILITY)}")
    dates = {c: row.get(c) or None for c in ("valid_from", "valid_to")}
    for column, value in dates.items():
        if value:
            parse_date(value, what=column)
    if dates["valid_from"] and dates["valid_to"] and dates["valid_to"] < dates["valid_from"]:
        raise DomainError(f"valid_to {dates['valid_to']} is before valid_from {dates['valid_from']}")
    values = {
        "unit_id": unit[0],
        "kind": kind,
        "person": row["person"],
        "org": row.get("org") or None,
        "phone": _phone(row.get("phone", ""), "phone"),
        **dates,
    }
    existing = conn.execute(
        "SELECT id FROM responsibility WHERE unit_id = ? AND kind = ? AND person = ?", (unit[0], kind, row["person"])
    ).fetchone()
    row_id = existing[0] if existing else None
    return (
        "responsibility",
        row_id,
        _changes(conn, "responsibility", row_id, values),
        f"{unit[0]}/{kind}/{row['person']}",
    )


def _criterion(conn: sqlite3.Connection, row: dict[str, str]) -> tuple[str, str | None, dict[str, Any], str]:
    if not row["edition"].isdigit():
        raise DomainError(f"edition must be a whole number; got {row['edition']!r}")
    checklist = conn.execute(
        "SELECT id FROM checklist WHERE industry = ? AND edition = ?", (row["industry"], int(row["edition"]))
    ).fetchone()
    if checklist is None:
        raise DomainError(
            f"no checklist for industry {row['industry']!r} edition {row['edition']}; "
            "the office publishes the checklist first"
        )
    days = row.get("default_days") or "30"
    if not days.isdigit() or not 1 <= int(days) <= 365:
        raise DomainError(f"default_days must be a whole number from 1 to 365; got {days!r}")
    values = {
        "checklist_id": checklist[0],
        "code": row["code"],
        "text_zh": row["text_zh"],
        "text_en": row.get("text_en") or row["text_zh"],
        "legal_basis": row.get("legal_basis") or None,
        "category": row.get("category") or None,
        "applies_to": row.get("applies_to") or None,
        "major_if_failed": _flag(row.get("major_if_failed", ""), "major_if_failed"),
        "default_days": int(days),
    }
    existing = conn.execute(
        "SELECT id FROM criterion WHERE checklist_id = ? AND code = ?", (checklist[0], row["code"])
    ).fetchone()
    row_id = existing[0] if existing else None
    return "criterion", row_id, _changes(conn, "criterion", row_id, values), f"{checklist[0]}/{row['code']}"
