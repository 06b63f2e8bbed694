"""Reading a push body: the ops a device sent, as single ops or as runs of new rows.

Who calls this: `sync.server.app` (`op_count`, before any work: a push over the op limit is a 413)
and `sync.server.push` (`parse_ops`). A body that is not a well-formed push is a `PayloadError`,
answered 400 with its reason, and nothing of it is applied. docs/sync-protocol.md describes the
two forms (protocol 2 carries new rows as `runs`: columns per table and field names).
"""

from __future__ import annotations

from typing import Any

from sync.server.merge import Op


class PayloadError(Exception):
    """The request body is not a valid push (answered 400; nothing is applied)."""


SEQ_LIMIT = 2**53
"""The largest device sequence number or row version a push may carry: larger ones are no
laptop's (and near 2^63 the device's next number would overflow and lock it out)."""
HLC_LIMIT = 2**63 - 1

_PLAIN = frozenset({str, int, float, bool, type(None)})

_OP_FIELDS = {
    "op_id": str,
    "device_seq": int,
    "hlc": int,
    "table": str,
    "pk": str,
    "action": str,
    "fields": dict,
    "base_version": int,
}


def parse_ops(body: Any) -> list[tuple[Op, dict[str, Any]]]:
    """The ops of a push body with their `old` values; PayloadError names what is malformed.

    A body holds `ops`, one object each, and (protocol 2) `runs`: new rows of one table with the
    same fields, sent as columns, `{"table", "fields": [names], "rows": [[op_id, device_seq,
    hlc, pk, actor, at, *values]]}`. A run is the bulk of a large push, a third of its bytes.
    """
    if not isinstance(body, dict) or not isinstance(body.get("ops"), list):
        raise PayloadError("a push is a JSON object with a list 'ops'")
    parsed = []
    for index, raw in enumerate(body["ops"]):
        if type(raw) is not dict:
            raise PayloadError(f"op {index} is not an object")
        get = raw.get
        old = get("old") or {}
        # One test for the usual, well-formed op; `_malformed` says what is wrong with another.
        if not (
            type(get("op_id")) is str
            and type(get("device_seq")) is int
            and type(get("hlc")) is int
            and type(get("table")) is str
            and type(get("pk")) is str
            and type(get("action")) is str
            and type(get("fields")) is dict
            and type(get("base_version")) is int
            and 1 <= raw["device_seq"] <= SEQ_LIMIT
            and 0 <= raw["base_version"] <= SEQ_LIMIT
            and 0 <= raw["hlc"] <= HLC_LIMIT
            and type(old) is dict
        ):
            _malformed(index, raw)
        if not _plain(raw["fields"]) or (old and not _plain(old)):
            raise PayloadError(f"op {index}: 'fields' and 'old' hold texts and numbers only, not lists or objects")
        op = Op(
            raw["op_id"],
            raw["device_seq"],
            raw["hlc"],
            raw["table"],
            raw["pk"],
            raw["action"],
            raw["fields"],
            raw["base_version"],
            str(get("actor") or ""),
            str(get("at") or ""),
        )
        parsed.append((op, old))
    runs = body.get("runs", [])
    if not isinstance(runs, list):
        raise PayloadError("'runs' must be a list")
    for index, run in enumerate(runs):
        parsed.extend(_parse_run(index, run))
    return parsed


def op_count(body: Any) -> int:
    """How many ops a push body carries (for the size limit, before anything is parsed)."""
    if not isinstance(body, dict):
        return 0
    ops = body.get("ops")
    runs = body.get("runs")
    count = len(ops) if isinstance(ops, list) else 0
    if isinstance(runs, list):
        count += sum(len(run["rows"]) for run in runs if isinstance(run, dict) and isinstance(run.get("rows"), list))
    return count


_NOTHING_OLD: dict[str, Any] = {}
"""The `old` of every op of a run (a new row had no values before); never modified."""


def _parse_run(index: int, run: Any) -> list[tuple[Op, dict[str, Any]]]:
    if not (
        type(run) is dict
        and type(run.get("table")) is str
        and type(run.get("fields")) is list
        and type(run.get("rows")) is list
        and all(type(n) is str for n in run["fields"])
    ):
        raise PayloadError(f"run {index} needs 'table', 'fields' (names) and 'rows'")
    table, names, width = run["table"], run["fields"], 6 + len(run["fields"])
    if len(set(names)) != len(names):
        raise PayloadError(f"run {index}: a field is named twice")
    parsed = []
    for number, row in enumerate(run["rows"]):
        if not (
            type(row) is list
            and len(row) == width
            and type(row[0]) is str
            and type(row[1]) is int
            and 1 <= row[1] <= SEQ_LIMIT
            and type(row[2]) is int
            and 0 <= row[2] <= HLC_LIMIT
            and type(row[3]) is str
            and type(row[4]) is str
            and type(row[5]) is str
        ):
            raise PayloadError(
                f"run {index}, row {number}: expected [op_id, device_seq (1 to 2^53), hlc, pk,"
                f" actor, at] and {len(names)} values"
            )
        values = dict(zip(names, row[6:], strict=True))
        if not _plain(values):
            raise PayloadError(f"run {index}, row {number}: values are texts and numbers only, not lists or objects")
        parsed.append(
            (
                Op(
                    row[0],
                    row[1],
                    row[2],
                    table,
                    row[3],
                    "create",
                    values,
                    0,
                    row[4],
                    row[5],
                ),
                _NOTHING_OLD,
            )
        )
    return parsed


def _plain(values: dict[str, Any]) -> bool:
    """Every value a text, a number, true/false or null: a column's value (a nest 900 deep made
    the event log's own JSON writer fail)."""
    return all(type(v) in _PLAIN for v in values.values())


def _malformed(index: int, raw: dict[str, Any]) -> None:
    for name, kind in _OP_FIELDS.items():
        value = raw.get(name)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise PayloadError(f"op {index}: '{name}' must be {kind.__name__}")
    if raw["device_seq"] < 1:
        raise PayloadError(f"op {index}: device_seq starts at 1")
    if raw["device_seq"] > SEQ_LIMIT:
        raise PayloadError(f"op {index}: device_seq is larger than {SEQ_LIMIT}")
    if not 0 <= raw["base_version"] <= SEQ_LIMIT:
        raise PayloadError(f"op {index}: base_version must be from 0 to {SEQ_LIMIT}")
    if not 0 <= raw["hlc"] <= HLC_LIMIT:
        raise PayloadError(f"op {index}: hlc must be from 0 to {HLC_LIMIT}")
    raise PayloadError(f"op {index}: 'old' must be an object")
