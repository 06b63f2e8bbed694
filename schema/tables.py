"""What each synced table is, for the write path and the sync engine.

The columns of a table come from the database itself (the migrations are their one source);
this module adds what the DDL cannot say: which fields are *designated* (a concurrent edit of
them is a conflict for a person, never last-writer-wins), which tables are append-only (they
never conflict), and how a row's area is derived from its parent (so a device cannot claim a row
for an area it does not have). Who may write what is `schema.authority`'s role matrix; the limits
every value must keep (lengths, NULs, plausible dates, JSON shapes) are its too, checked here.

Who calls this: `schema.writes` (validate before writing), `sync.server.merge` and the district
server (validate and decide what an incoming op does).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache, cached_property

from schema.authority import (
    INTEGER_LIMIT,
    JSON_SHAPES,
    LONG_TEXT,
    LONG_TEXT_LIMIT,
    TEXT_LIMIT,
    date_refusal,
    value_refusal,
)
from schema.errors import DomainError
from schema.store.connection import connect


@dataclass(frozen=True)
class Policy:
    """How one table takes part in sync."""

    name: str
    scoped: bool = True
    """Rows carry an `area`; a device receives and may write only rows of its areas."""
    area_from: tuple[str, str] | None = None
    """(parent table, column): the row's area is its parent's, checked on every write."""
    designated: frozenset[str] = field(default_factory=frozenset)
    """Fields whose concurrent edits are kept as conflicts for a person to resolve."""
    append_only: bool = False
    """Rows are created, never edited or deleted, so they never conflict."""
    deletable: bool = False
    """Rows may be deleted (a delete racing an edit is a conflict)."""
    owners: tuple[str, ...] = ()
    """For a row that may belong to rows of several tables (an attachment): the tables its
    parent may be in; `area_from[0]` is then the column that names the parent's table."""

    def parent_of(self, fields: Mapping[str, object]) -> tuple[str, object]:
        """(parent table, parent id) of a row with `fields`, for a table with `area_from`.
        A parent table outside `owners` is refused here, before any SQL names it."""
        assert self.area_from is not None
        table, column = self.area_from
        if self.owners:
            named = fields.get(table)
            if named not in self.owners:
                raise DomainError(f"{self.name}.{table} must be one of {', '.join(self.owners)}; got {named!r}")
            table = str(named)
        return table, fields.get(column)


def _p(
    name: str,
    *designated: str,
    scoped: bool = True,
    area_from: tuple[str, str] | None = None,
    append_only: bool = False,
    deletable: bool = False,
    owners: tuple[str, ...] = (),
) -> Policy:
    return Policy(
        name,
        scoped=scoped,
        area_from=area_from,
        designated=frozenset(designated),
        append_only=append_only,
        deletable=deletable,
        owners=owners,
    )


ATTACHMENT_OWNERS = ("hazard", "progress", "verification", "inspection_result", "rectification_order", "lookback")
"""What evidence may be attached to (the `attachment.owner_table` CHECK lists the same)."""

POLICIES: dict[str, Policy] = {
    p.name: p
    for p in [
        _p("area", scoped=False),
        _p("unit", "risk_colour"),
        _p("responsibility", area_from=("unit", "unit_id"), deletable=True),
        _p("checklist", scoped=False),
        _p("criterion", scoped=False),
        _p("plan"),
        _p("task", "status", "due_on", area_from=("unit", "unit_id"), deletable=True),
        _p("inspection", "status", area_from=("unit", "unit_id")),
        _p("inspection_result", area_from=("inspection", "inspection_id"), append_only=True),
        _p("hazard", "status", "grade", "deadline", "rectifier", area_from=("unit", "unit_id")),
        _p("rectification_order", "deadline", area_from=("unit", "unit_id")),
        _p("progress", area_from=("hazard", "hazard_id"), append_only=True),
        _p("verification", area_from=("hazard", "hazard_id"), append_only=True),
        _p(
            "extension",
            "status",
            "proposed_deadline",
            area_from=("hazard", "hazard_id"),
        ),
        _p("listing", "delisted_on", area_from=("hazard", "hazard_id")),
        _p("escalation", "status", area_from=("hazard", "hazard_id")),
        _p("lookback_review"),
        _p("lookback", "status", "deadline", area_from=("lookback_review", "review_id")),
        _p("assessment", scoped=False),
        _p("holiday", scoped=False),
        _p("conflict", "status", "kept"),
        _p("attachment", area_from=("owner_table", "owner_id"), append_only=True, owners=ATTACHMENT_OWNERS),
        _p("setting", scoped=False),
    ]
}
"""Every table a device may change through ops. `event` is the op log itself."""

SYNC_COLUMNS = frozenset({"id", "row_version"})
"""Columns managed by the sync engine, never set by a user's edit."""

_DATE_COLUMNS = re.compile(r"(_on|^deadline|^proposed_deadline|^day|^valid_from|^valid_to|_deadline)$")
_ENUM = re.compile(r"CHECK\s*\(\s*(\w+)\s+IN\s*\(([^)]*)\)", re.IGNORECASE)
_ENUM_COMPARED = re.compile(r"CHECK\s*\(\s*(\w+)\s*=\s*'[^']*'(?:\s+OR\s+\1\s*=\s*'[^']*')+\s*\)", re.IGNORECASE)
"""The same list written as comparisons (migration 3): `CHECK (x = 'a' OR x = 'b')`."""


def policy(table: str) -> Policy:
    try:
        return POLICIES[table]
    except KeyError:
        raise DomainError(f"unknown table {table!r}") from None


@cache
def _table_info(sql: str, pragma: tuple[tuple[str, int, object, str], ...]) -> TableInfo:
    enums = {col: tuple(v.strip().strip("'") for v in values.split(",")) for col, values in _ENUM.findall(sql)}
    enums.update({m[1]: tuple(re.findall(r"'([^']*)'", m[0])) for m in _ENUM_COMPARED.finditer(sql)})
    columns = tuple(name for name, _, _, _ in pragma)
    return TableInfo(
        columns=columns,
        required=frozenset(name for name, notnull, default, _ in pragma if notnull and default is None),
        numbers={name: kind.upper() for name, _, _, kind in pragma if kind.upper() in ("INTEGER", "REAL")},
        enums=enums,
        dates=frozenset(c for c in columns if _DATE_COLUMNS.search(c)),
        settable=frozenset(columns) - SYNC_COLUMNS,
    )


@dataclass(frozen=True)
class FieldRule:
    """What `validate_fields` checks of one settable column, gathered once per table."""

    required: bool
    number: str | None
    allowed: tuple[str, ...] | None
    date: bool


@dataclass(frozen=True)
class TableInfo:
    columns: tuple[str, ...]
    required: frozenset[str]
    """NOT NULL columns without a default: a new row must name them."""
    enums: dict[str, tuple[str, ...]]
    dates: frozenset[str] = frozenset()
    """Columns holding a YYYY-MM-DD date."""
    settable: frozenset[str] = frozenset()
    """Columns an edit may set (all but the sync engine's own)."""
    numbers: dict[str, str] = field(default_factory=dict)
    """Numeric columns and their type (INTEGER or REAL): text is refused there, on every backend."""

    @cached_property
    def rules(self) -> dict[str, FieldRule]:
        """Settable column -> its rule: one lookup per field on the write path (a push checks
        every field of every op)."""
        return {
            name: FieldRule(
                name in self.required, self.numbers.get(name), self.enums.get(name) or None, name in self.dates
            )
            for name in self.settable
        }


def table_info(conn: sqlite3.Connection, table: str) -> TableInfo:
    """Columns, required columns and allowed values of `table`, read from its DDL."""
    row = conn.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()
    if row is None:
        raise DomainError(f"unknown table {table!r}")
    pragma = tuple((r[1], r[3], r[4], r[2]) for r in conn.execute(f"PRAGMA table_info({table})"))
    return _table_info(row[0], pragma)


@cache
def reference_info(table: str) -> TableInfo:
    """`table_info` of the schema this code creates, cached per table: every database the code
    opens is migrated to it, so the write path and the server need not ask SQLite per write."""
    return table_info(_reference_db(), table)


@cache
def _reference_db() -> sqlite3.Connection:
    return connect(":memory:")


def validate_fields(
    info: TableInfo, table: str, fields: dict[str, object], *, creating: bool, derived: frozenset[str] = frozenset()
) -> None:
    """Refuse unknown columns, missing required ones, values outside a CHECK list, bad dates.

    Raises DomainError naming the table, the field and the rule.
    """
    rules = info.rules
    for name, value in fields.items():
        rule = rules.get(name)
        if rule is None:
            raise DomainError(f"{table} has no field {name!r} that can be set")
        if value is None:
            if rule.required:
                raise DomainError(f"{table}.{name} is required")
            continue
        if not isinstance(value, (str, int, float)):
            raise DomainError(f"{table}.{name} must be text or a number, not {type(value).__name__}")
        refusal = value_refusal(table, name, value)
        if refusal:
            raise DomainError(refusal)
        if not rule.number and not isinstance(value, str):
            raise DomainError(f"{table}.{name} must be text; got {value!r}")
        if rule.number and (isinstance(value, str) or (rule.number == "INTEGER" and isinstance(value, float))):
            raise DomainError(
                f"{table}.{name} must be {'a whole number' if rule.number == 'INTEGER' else 'a number'}; got {value!r}"
            )
        if rule.allowed and value not in rule.allowed:
            raise DomainError(f"{table}.{name} must be one of {', '.join(rule.allowed)}; got {value!r}")
        if rule.date:
            refusal = date_refusal(table, name, parse_date(str(value), what=f"{table}.{name}"))
            if refusal:
                raise DomainError(refusal)
    if creating:
        missing = info.required - fields.keys() - SYNC_COLUMNS - derived
        if missing:
            raise DomainError(f"a new {table} needs {', '.join(sorted(missing))}")


def valid_rows(
    info: TableInfo, columns: frozenset[str], rows: list[dict[str, object]], *, derived: frozenset[str] = frozenset()
) -> bool:
    """True when every one of `rows` (new rows of one table, all setting `columns`) passes
    `validate_fields`: the same rules, checked a column at a time over the whole set.

    A push is mostly thousands of new rows alike; this costs a fraction of checking each row.
    False means at least one row may break a rule: check those rows one by one, which names it.
    """
    rules = info.rules
    if info.required - columns - SYNC_COLUMNS - derived:
        return False
    for name in columns:
        rule = rules.get(name)
        if rule is None:
            return False
        values = [row[name] for row in rows]
        kinds = set(map(type, values))
        if not kinds <= _PLAIN_TYPES or (type(None) in kinds and rule.required):
            return False
        if rule.number and (str in kinds or (rule.number == "INTEGER" and float in kinds)):
            return False
        if not rule.number and kinds & {int, float}:
            return False
        distinct = set(values) - {None}
        if rule.allowed and not distinct <= set(rule.allowed):
            return False
        if not _within_limits(info, name, kinds, distinct):
            return False
        if rule.date:
            try:
                for value in distinct:
                    if date_refusal("", name, parse_date(str(value))):
                        return False
            except DomainError:
                return False
    return True


def _within_limits(info: TableInfo, name: str, kinds: set[type], distinct: set[object]) -> bool:
    """`value_refusal` over a whole column at once: lengths, NULs, number sizes, JSON shapes."""
    if bool in kinds:
        return False
    if str in kinds:
        texts = [v for v in distinct if isinstance(v, str)]
        limit = LONG_TEXT_LIMIT if name in LONG_TEXT else TEXT_LIMIT
        if max(map(len, texts)) > limit or any("\x00" in v for v in texts):
            return False
        if name in JSON_SHAPES and any(value_refusal("", name, v) for v in texts):
            return False
    numbers = [v for v in distinct if isinstance(v, (int, float))]
    return not numbers or (-INTEGER_LIMIT <= min(numbers) and max(numbers) <= INTEGER_LIMIT)


_PLAIN_TYPES = frozenset({str, int, float, type(None)})


def parse_date(text: str, *, what: str = "date") -> date:
    """A `YYYY-MM-DD` date, or DomainError saying which field was wrong and how."""
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except (ValueError, TypeError):
        raise DomainError(f"{what} must be a date written YYYY-MM-DD; got {text!r}") from None
