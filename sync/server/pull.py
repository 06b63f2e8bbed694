"""Serving a device the changes since its cursor, one page at a time, within its scope.

Who calls this: the server's `/v1/pull` endpoint. `row_meta` holds one entry per row at the
position of its latest change, so "everything since cursor N" is an index range scan, and the
initial snapshot is simply a pull from 0. A page carries whole rows (columnar: the column names
once, then value lists), the tombstones of deleted rows, and the edit events of other devices
(for each record's history). The device applies a page and advances its cursor in one local
transaction, so a pull interrupted anywhere resumes where it stopped.

Scope: an inspector receives rows of their areas and the district's reference data (rows
without an area). The device sends the fingerprint of the scope it holds; when the user's areas
have changed, the answer is `reset` and the device purges and re-snapshots.
"""

from __future__ import annotations

from typing import Any

from schema.tables import POLICIES
from sync.server.accounts import DeviceAuth
from sync.server.backends.base import ServerDb

TABLE_ORDER = (
    "setting",
    "area",
    "holiday",
    "checklist",
    "criterion",
    "unit",
    "responsibility",
    "plan",
    "task",
    "inspection",
    "inspection_result",
    "hazard",
    "rectification_order",
    "progress",
    "verification",
    "extension",
    "listing",
    "escalation",
    "lookback_review",
    "lookback",
    "assessment",
    "attachment",
    "conflict",
    "event",
)
"""Parents before children, so a page applies in an order that makes sense to a reader. Every
synced table must be here (a test checks): a table left out would never reach a laptop."""

MAX_PAGE = 10_000


def pull(
    db: ServerDb, auth: DeviceAuth, *, cursor: int, limit: int, scope_key: str | None, skip_own: bool = False
) -> dict[str, Any]:
    """One page of changes after `cursor` for this device.

    `skip_own`: leave out rows whose latest change is this device's own op. A device asks for
    this only once it holds a complete snapshot: its push results already told it the version
    (or the whole row) its ops produced, so sending those rows again would only cost time.
    """
    # The counter with the clock, before any entry: every position up to it is committed (a push
    # holds the counter until it commits), so a page that ends before `limit` has seen all of it.
    meta = {key: int(value) for key, value in db.rows("SELECT key, value FROM meta WHERE key IN ('hlc', 'pos')")}
    hlc, top = meta.get("hlc", 0), meta.get("pos", 0)
    scope = {"key": auth.scope_key(), "areas": list(auth.areas) if auth.areas is not None else None}
    if scope_key != scope["key"]:
        return {"reset": True, "scope": scope, "cursor": 0, "more": True, "hlc": hlc, "tables": {}, "deleted": []}

    limit = max(1, min(limit, MAX_PAGE))
    # A device's own changes are left out by the query, not after it: right after a large push
    # they are the whole log, and paging through them only to drop them took a request per page.
    # Its own edit events never come back (it wrote them); with `skip_own`, nor its own rows.
    params: list[Any] = [cursor, top, auth.device_id, int(skip_own)]
    where = (
        "pos > ? AND pos <= ? AND NOT (deleted = 0 AND COALESCE(origin, '') = ? AND (table_name = 'event' OR ? = 1))"
    )
    exits = ""
    if auth.areas is not None:
        marks = ", ".join("?" * len(auth.areas))
        where += f" AND (area IS NULL OR area IN ({marks}))"
        params.extend(auth.areas)
        # Rows that left these areas (their unit moved), unless they are back in one of them.
        exits = (
            " UNION ALL SELECT x.table_name, x.row_id, x.pos, 2 AS deleted FROM row_exit x"
            f" WHERE x.pos > ? AND x.pos <= ? AND x.area IN ({marks}) AND NOT EXISTS (SELECT 1 FROM row_meta m"
            f" WHERE m.table_name = x.table_name AND m.row_id = x.row_id AND m.area IN ({marks}))"
        )
        params.extend([cursor, top, *auth.areas, *auth.areas])
    entries = db.rows(
        f"SELECT table_name, row_id, pos, deleted FROM row_meta WHERE {where}{exits} ORDER BY pos LIMIT ?",
        [*params, limit],
    )
    wanted: dict[str, list[str]] = {}
    deleted: list[list[str]] = []
    moved: list[list[str]] = []
    for table, row_id, _pos, is_deleted in entries:
        if is_deleted == 2:  # left these areas: the office moved its unit (dropped like a deletion)
            moved.append([table, row_id])
        if is_deleted:
            deleted.append([table, row_id])
        else:
            wanted.setdefault(table, []).append(row_id)

    tables: dict[str, dict[str, Any]] = {}
    for table in TABLE_ORDER:
        ids = wanted.get(table)
        if not ids or (table not in POLICIES and table != "event"):
            continue
        columns = db.columns(table)
        tables[table] = {"columns": columns, "rows": db.rows_by_id(table, columns, ids)}
    return {
        "cursor": entries[-1][2] if len(entries) == limit else max(cursor, top),
        "more": len(entries) == limit,
        "count": sum(len(t["rows"]) for t in tables.values()) + len(deleted),
        "tables": tables,
        "deleted": deleted,
        "moved": moved,
        "hlc": hlc,
        "scope": scope,
    }
