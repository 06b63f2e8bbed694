"""`safecity inspection ...`: run a supervision inspection from the command line.

The same functions as the TUI's inspection screens (`schema.inspections`), so a scripted
inspection and one walked with the keys obey the same rules and leave the same record: start
(from a unit or a planned task), record each item, raise a hazard from a failed item, finish.
"""

from __future__ import annotations

from typing import Any

import click

from schema.inspections import (
    RESULTS,
    finish_inspection,
    list_inspections,
    raise_hazard,
    record_result,
    show_inspection,
    start_inspection,
)
from schema.rules import GRADES
from schema.writes import Writer, local_actor
from tui.cli.main import db_option, emit, json_option, main, open_db, today

MARKS = {"pass": "✔", "fail": "✘", "na": "–", None: " "}


@main.group()
@db_option
def inspection() -> None:
    """Supervision inspections (监督检查): start, record each checklist item, finish."""


@inspection.command("start")
@db_option
@click.argument("unit_id", required=False)
@click.option("--task", "task_id", metavar="TASK_ID", help="The planned task this inspection carries out.")
@json_option
@click.pass_context
def inspection_start(ctx: click.Context, unit_id: str | None, task_id: str | None, as_json: bool) -> None:
    """Start an inspection of a unit (or resume the one in progress), on its industry's checklist."""
    if unit_id is None and task_id is None:
        raise click.UsageError("name the UNIT_ID to inspect, or --task TASK_ID")
    conn = open_db(ctx)
    inspection_id = start_inspection(Writer(conn, local_actor(conn)), unit_id=unit_id, task_id=task_id)
    _print(show_inspection(conn, inspection_id), as_json, f"inspection {inspection_id}")


@inspection.command("record")
@db_option
@click.argument("inspection_id")
@click.argument("item", metavar="ITEM")
@click.argument("result", type=click.Choice(RESULTS))
@click.option("--note", help="What was seen (kept with the result).")
@json_option
@click.pass_context
def inspection_record(
    ctx: click.Context, inspection_id: str, item: str, result: str, note: str | None, as_json: bool
) -> None:
    """Give checklist ITEM (its code, e.g. WARE-03, or criterion id) a result: pass, fail or na."""
    conn = open_db(ctx)
    row = record_result(Writer(conn, local_actor(conn)), inspection_id, item, result, note=note)
    hint = (
        f"; raise its hazard with 'safecity inspection raise {inspection_id} {row['code']}'" if result == "fail" else ""
    )
    emit(row, as_json, f"item {row['code']}: {result}{hint}")


@inspection.command("raise")
@db_option
@click.argument("inspection_id")
@click.argument("item", metavar="ITEM")
@click.option("--description", help="What is wrong (default: the failed criterion's text).")
@click.option("--location", help="Where at the unit.")
@click.option("--grade", type=click.Choice(GRADES), help="general or major (default: the criterion's).")
@click.option("--deadline", metavar="YYYY-MM-DD", help="Proposed rectification deadline.")
@json_option
@click.pass_context
def inspection_raise(ctx: click.Context, inspection_id: str, item: str, as_json: bool, **fields: Any) -> None:
    """Report the hazard a failed ITEM found, linked to the inspection and its criterion."""
    conn = open_db(ctx)
    hazard_id = raise_hazard(Writer(conn, local_actor(conn)), inspection_id, item, today=today(), **fields)
    emit({"hazard_id": hazard_id, "inspection_id": inspection_id}, as_json, f"reported hazard {hazard_id}")


@inspection.command("finish")
@db_option
@click.argument("inspection_id")
@click.option("--summary", help="The inspection's conclusion (default: the count of items checked and failed).")
@json_option
@click.pass_context
def inspection_finish(ctx: click.Context, inspection_id: str, summary: str | None, as_json: bool) -> None:
    """Finish an inspection (and complete its task); refused while an item has no result."""
    conn = open_db(ctx)
    finished = finish_inspection(Writer(conn, local_actor(conn)), inspection_id, summary)
    _print(finished, as_json, f"inspection {inspection_id} finished")


@inspection.command("list")
@db_option
@click.option("--status", type=click.Choice(["in_progress", "finished"]), help="Only this status.")
@click.option("--unit", "unit_id", metavar="UNIT_ID", help="Only this unit's inspections.")
@click.option("--limit", type=click.IntRange(1), default=200, show_default=True, help="At most this many.")
@json_option
@click.pass_context
def inspection_list(ctx: click.Context, status: str | None, unit_id: str | None, limit: int, as_json: bool) -> None:
    """List inspections on this laptop, newest first, with how far each got."""
    rows = list_inspections(open_db(ctx), status=status, unit_id=unit_id, limit=limit)
    lines = [
        f"{i['id']}  {i['status']:<11} {i['done']:>3}/{i['items']:<3} {(i['started_at'] or '')[:10]}  {i['unit_name']}"
        for i in rows
    ]
    emit(rows, as_json, "\n".join([*lines, f"{len(rows)} inspection(s)"]))


@inspection.command("show")
@db_option
@click.argument("inspection_id")
@json_option
@click.pass_context
def inspection_show(ctx: click.Context, inspection_id: str, as_json: bool) -> None:
    """Show an inspection: every checklist item with its result and note, and the hazards raised."""
    _print(show_inspection(open_db(ctx), inspection_id), as_json, None)


def _print(found: dict[str, Any], as_json: bool, headline: str | None) -> None:
    if as_json:
        emit(found, True)
        return
    lines = [headline] if headline else []
    lines.append(
        f"{found['unit_name']} ({found['unit_id']})  {found['status']}  "
        f"{found['done']}/{found['items']} checked, {found['failed']} failed"
    )
    for item in found["checklist"]:
        note = f"  ({item['note']})" if item["note"] else ""
        lines.append(f"  {MARKS[item['result']]} {item['code']:<6} {item['text_en']}{note}")
    if found["hazards"]:
        lines.append("  hazards raised: " + ", ".join(found["hazards"]))
    click.echo("\n".join(lines))
