"""`safecity hazard ...`, `safecity unit list`, `safecity task list`: the local records.

Every write goes through `schema.hazards` (rules, then the one write path), so what the CLI
refuses, the TUI and the server refuse with the same words.
"""

from __future__ import annotations

from typing import Any

import click

from schema.hazards import act, add_hazard, edit_hazard, local_rules
from schema.queries import HazardFilter, list_hazards, list_tasks, list_units, show_hazard
from schema.rules import ACTIONS, FIVE_IMPLEMENTATIONS, GRADES, STATUSES
from schema.writes import Writer, local_actor
from tui.cli.main import db_option, emit, json_option, main, open_db, today

GRADE = click.Choice(GRADES)
DATE = click.STRING  # parsed by the rules, which name the field in their message


@main.group()
@db_option
def hazard() -> None:
    """Report, edit, rectify and verify hazards (隐患)."""


@hazard.command("add")
@db_option
@click.option("--unit", "unit_id", required=True, metavar="UNIT_ID", help="The responsible unit's id.")
@click.option("--description", required=True, help="What is wrong, in words the unit understands.")
@click.option("--grade", type=GRADE, default="general", show_default=True, help="general (一般) or major (重大).")
@click.option("--deadline", type=DATE, metavar="YYYY-MM-DD", help="Proposed rectification deadline.")
@click.option("--rectifier", help="Who will rectify it (person).")
@click.option("--location", help="Where at the unit.")
@click.option(
    "--source",
    type=click.Choice(["inspection", "self_inspection", "grid_report", "complaint"]),
    default="inspection",
    show_default=True,
    help="How it was found.",
)
@json_option
@click.pass_context
def hazard_add(
    ctx: click.Context,
    unit_id: str,
    description: str,
    grade: str,
    deadline: str | None,
    rectifier: str | None,
    location: str | None,
    source: str,
    as_json: bool,
) -> None:
    """Report a new hazard at a unit; freezes the unit's responsibility persons on it."""
    conn = open_db(ctx)
    writer = Writer(conn, local_actor(conn))
    hazard_id = add_hazard(
        writer,
        unit_id=unit_id,
        description=description,
        grade=grade,
        deadline=deadline,
        rectifier=rectifier,
        location=location,
        source=source,
        today=today(),
    )
    _print_hazard(conn, hazard_id, as_json, f"reported hazard {hazard_id}")


@hazard.command("edit")
@db_option
@click.argument("hazard_id")
@click.option("--description", help="New description.")
@click.option("--location", help="New location.")
@click.option("--rectifier", help="New rectification person.")
@click.option("--grade", type=GRADE, help="Change the grade (until closed).")
@json_option
@click.pass_context
def hazard_edit(ctx: click.Context, hazard_id: str, as_json: bool, **changes: Any) -> None:
    """Change what a hazard says (the deadline moves only through its lifecycle)."""
    conn = open_db(ctx)
    old = edit_hazard(Writer(conn, local_actor(conn)), hazard_id, changes)
    _print_hazard(conn, hazard_id, as_json, f"changed {', '.join(old) or 'nothing'} of hazard {hazard_id}")


_ACTION_HELP = "; ".join(f"{name.replace('_', '-')}: {a.help}" for name, a in ACTIONS.items())


@hazard.command("act")
@db_option
@click.argument("hazard_id")
@click.argument("action", type=click.Choice([a.replace("_", "-") for a in ACTIONS]))
@click.option("--deadline", type=DATE, metavar="YYYY-MM-DD", help="order/fail: the rectification deadline.")
@click.option("--rectifier", help="order: who rectifies.")
@click.option("--note", help="fix-on-spot/submit: what was done.")
@click.option("--opinion", help="pass/fail: the verifier's opinion.")
@click.option("--reason", help="void: why (not a hazard, duplicate).")
@click.option("--duplicate-of", metavar="HAZARD_ID", help="void: the hazard this one duplicates.")
@click.option("--responsibility", help="order major: 五落实 responsibility.")
@click.option("--measures", help="order major: 五落实 measures.")
@click.option("--funds", help="order major: 五落实 funds.")
@click.option("--time-limit", help="order major: 五落实 time limit.")
@click.option("--contingency-plan", help="order major: 五落实 contingency plan.")
@click.option("--authority", help="order major: who lists it for supervision (挂牌督办).")
@json_option
@click.pass_context
def hazard_act(ctx: click.Context, hazard_id: str, action: str, as_json: bool, **options: Any) -> None:
    """Move a hazard through its lifecycle: order, fix-on-spot, submit, pass, fail, void."""
    conn = open_db(ctx)
    params = {k: v for k, v in options.items() if k not in FIVE_IMPLEMENTATIONS and v is not None}
    five = {k: options[k] for k in FIVE_IMPLEMENTATIONS if options.get(k)}
    if five:
        params["five_implementations"] = five
    status = act(Writer(conn, local_actor(conn)), hazard_id, action.replace("-", "_"), params, today=today())
    _print_hazard(conn, hazard_id, as_json, f"hazard {hazard_id} is now {status}")


hazard_act.help = (hazard_act.help or "") + "\n\nActions: " + _ACTION_HELP


@hazard.command("list")
@db_option
@click.option("--status", type=click.Choice(["open", *STATUSES]), help="Only this status ('open': not closed or void).")
@click.option("--area", metavar="CODE", help="Only this area (town/zone or community code).")
@click.option("--unit", "unit_id", metavar="UNIT_ID", help="Only this unit.")
@click.option("--grade", type=GRADE, help="Only this grade.")
@click.option("--overdue", is_flag=True, help="Only hazards past their deadline under rectification.")
@click.option("--search", metavar="TEXT", help="Full-text search (Chinese or English).")
@click.option("--limit", type=click.IntRange(1), help="At most this many (most urgent first).")
@json_option
@click.pass_context
def hazard_list(ctx: click.Context, as_json: bool, limit: int | None, **filters: Any) -> None:
    """List hazards, most urgent first (overdue, then major, then nearest deadline)."""
    conn = open_db(ctx)
    rows = list_hazards(conn, HazardFilter(**filters), today=today(), rules=local_rules(conn), limit=limit)
    lines = [
        f"{h['id']}  {h['status']:<21} {h['grade']:<7} {h['deadline'] or '-':<10} "
        f"{('+' + str(h['days_overdue']) + 'd') if h['overdue'] else '':<6} {h['area']:<14} {h['description']}"
        for h in rows
    ]
    emit(rows, as_json, "\n".join(lines + [f"{len(rows)} hazard(s)"]))


@hazard.command("show")
@db_option
@click.argument("hazard_id")
@json_option
@click.pass_context
def hazard_show(ctx: click.Context, hazard_id: str, as_json: bool) -> None:
    """Show one hazard with its responsibility persons and full history."""
    conn = open_db(ctx)
    _print_hazard(conn, hazard_id, as_json, None)


def _print_hazard(conn: Any, hazard_id: str, as_json: bool, headline: str | None) -> None:
    h = show_hazard(conn, hazard_id, today=today(), rules=local_rules(conn))
    if as_json:
        emit(h, True)
        return
    lines = [headline] if headline else []
    lines += [
        f"{h['description']}",
        f"  id {h['id']}  unit {h['unit_name']} ({h['unit_id']})  area {h['area']}",
        f"  status {h['status']}  grade {h['grade']}  deadline {h['deadline'] or '-'}"
        + (f"  OVERDUE {h['days_overdue']} days ({h['escalation_level']})" if h["overdue"] else ""),
        f"  rectifier {h['rectifier'] or '-'}  location {h['location'] or '-'}  found {h['found_at']} by {h['found_by']}",
        "  responsibility: " + "; ".join(f"{r['kind']} {r['person']}" for r in h["responsibility_snapshot"]),
    ]
    if h["attachments"]:
        lines.append("  evidence:")
        for a in h["attachments"]:
            held = "" if a["here"] else " (on the server; 'safecity attachment get' fetches it)"
            lines.append(
                f"    {a['role']:<8} {a['original_name'] or a['id']}  sha256 {a['sha256'][:12]}  {a['id']}{held}"
            )
    for e in h["history"]:
        lines.append(f"  {e['at']}  {e['actor']:<18} {e['action']:<12} {', '.join(e['fields'])} [{e['sync_status']}]")
    click.echo("\n".join(lines))


@main.group()
@db_option
def unit() -> None:
    """Responsible units (责任单位)."""


@unit.command("list")
@db_option
@click.option("--area", metavar="CODE", help="Only units of this area.")
@click.option("--search", metavar="TEXT", help="Search names, addresses, credit codes.")
@click.option("--limit", type=click.IntRange(1), help="At most this many.")
@json_option
@click.pass_context
def unit_list(ctx: click.Context, area: str | None, search: str | None, limit: int | None, as_json: bool) -> None:
    """List responsible units with their risk colour and open hazards."""
    rows = list_units(open_db(ctx), area=area, search=search, limit=limit)
    lines = [f"{u['id']}  {u['risk_colour']:<6} {u['area']:<14} {u['open_hazards']:>3} open  {u['name']}" for u in rows]
    emit(rows, as_json, "\n".join(lines + [f"{len(rows)} unit(s)"]))


@main.group()
@db_option
def task() -> None:
    """Inspection tasks assigned by plans."""


@task.command("list")
@db_option
@click.option("--area", metavar="CODE", help="Only tasks in this town/zone.")
@click.option(
    "--status", type=click.Choice(["planned", "in_progress", "done", "wont_do", "missed"]), help="Only this status."
)
@click.option("--limit", type=click.IntRange(1), help="At most this many.")
@json_option
@click.pass_context
def task_list(ctx: click.Context, area: str | None, status: str | None, limit: int | None, as_json: bool) -> None:
    """List inspection tasks by due date."""
    rows = list_tasks(open_db(ctx), area=area, status=status, limit=limit)
    lines = [f"{t['id']}  {t['due_on']}  {t['status']:<11} {t['area']:<14} {t['unit_name']}" for t in rows]
    emit(rows, as_json, "\n".join(lines + [f"{len(rows)} task(s)"]))
