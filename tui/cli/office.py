"""`safecity order|extension|escalation|listing|lookback ...`: the district office's work.

Every write goes through the office modules of `schema` (rules, then the one write path), so
the CLI, the TUI and the server refuse the same things with the same words. All of it syncs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from schema.errors import DomainError
from schema.office import escalations, extensions, lookback, orders
from schema.rules import ESCALATION_STEPS
from schema.store.files import files_beside
from schema.writes import Writer, local_actor
from tui.cli.main import db_option, emit, json_option, main, open_db, today


def _writer(ctx: click.Context) -> Writer:
    conn = open_db(ctx)
    return Writer(conn, local_actor(conn))


# -- rectification orders ---------------------------------------------------------------------


@main.group()
@db_option
def order() -> None:
    """Rectification orders (责令限期整改指令书): issue, serve, sign, print."""


@order.command("issue")
@db_option
@click.option(
    "--hazard",
    "hazard_ids",
    multiple=True,
    required=True,
    metavar="HAZARD_ID",
    help="A hazard the order covers (repeat for several hazards of one unit).",
)
@click.option("--deadline", metavar="YYYY-MM-DD", help="Rectify by this date (default: the hazards' latest deadline).")
@click.option("--served-to", metavar="NAME", help="Who at the unit receives it.")
@click.option("--requirements", metavar="TEXT", help="What the unit must do meanwhile.")
@json_option
@click.pass_context
def order_issue(
    ctx: click.Context,
    hazard_ids: tuple[str, ...],
    deadline: str | None,
    served_to: str | None,
    requirements: str | None,
    as_json: bool,
) -> None:
    """Issue a numbered order; reported hazards in it are ordered to be rectified."""
    w = _writer(ctx)
    order_id = orders.issue_order(
        w, list(hazard_ids), today=today(), deadline=deadline, served_to=served_to, requirements=requirements
    )
    doc = orders.order_document(w.conn, order_id)
    emit(doc, as_json, f"issued {doc['doc_number']} ({order_id}), rectify by {doc['deadline']}")


@order.command("serve")
@db_option
@click.argument("order_id")
@click.option("--to", "to", required=True, metavar="NAME", help="Who received it.")
@click.option("--on", "on", metavar="YYYY-MM-DD", help="When (default: today).")
@json_option
@click.pass_context
def order_serve(ctx: click.Context, order_id: str, to: str, on: str | None, as_json: bool) -> None:
    """Record that the order was served (送达)."""
    w = _writer(ctx)
    orders.record_served(w, order_id, to=to, on=on or today().isoformat(), today=today())
    emit(orders.order_document(w.conn, order_id), as_json, f"order {order_id} served to {to}")


@order.command("sign")
@db_option
@click.argument("order_id")
@click.option("--by", "by", required=True, metavar="NAME", help="Who signed for the unit.")
@click.option("--on", "on", metavar="YYYY-MM-DD", help="When (default: today).")
@click.option(
    "--receipt",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="The photographed or scanned receipt the unit signed (attached as signed_receipt).",
)
@json_option
@click.pass_context
def order_sign(ctx: click.Context, order_id: str, by: str, on: str | None, receipt: Path | None, as_json: bool) -> None:
    """Record that the unit signed for the order (签收), with the photographed receipt if given:
    both or neither are recorded."""
    w = _writer(ctx)
    with w.transaction():
        orders.record_signed(w, order_id, by=by, on=on or today().isoformat(), today=today())
        if receipt is not None:
            from schema.attachments import attach
            from tui import config

            store = files_beside(w.conn)
            if store is None:
                raise DomainError("attachments need a database file (not one in memory)")
            attach(w, store, order_id, [receipt], "signed_receipt", config.load().photos.attach_settings())
    emit(orders.order_document(w.conn, order_id), as_json, f"order {order_id} signed by {by}")


@order.command("show")
@db_option
@click.argument("order_id")
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, writable=True),
    metavar="FILE",
    help="Also write the printable HTML page to FILE.",
)
@json_option
@click.pass_context
def order_show(ctx: click.Context, order_id: str, html_path: str | None, as_json: bool) -> None:
    """Print an order as the document the unit receives (text, or HTML to a file)."""
    conn = open_db(ctx)
    doc = orders.order_document(conn, order_id)
    if html_path:
        Path(html_path).write_text(orders.render_html(doc, files_beside(conn)), encoding="utf-8")
    emit(doc, as_json, orders.render_text(doc).rstrip() + (f"\n(HTML written to {html_path})" if html_path else ""))


@order.command("list")
@db_option
@click.option("--unit", "unit_id", metavar="UNIT_ID", help="Only this unit's orders.")
@click.option("--area", metavar="CODE", help="Only this town/zone.")
@json_option
@click.pass_context
def order_list(ctx: click.Context, unit_id: str | None, area: str | None, as_json: bool) -> None:
    """List orders, newest number first."""
    rows = orders.list_orders(open_db(ctx), unit_id=unit_id, area=area)
    lines = [
        f"{o['id']}  {o['doc_number']}  by {o['deadline']}  served {o['served_on'] or '-':<10} "
        f"signed {o['signed_on'] or '-':<10} {o['unit_name']}"
        for o in rows
    ]
    emit(rows, as_json, "\n".join(lines + [f"{len(rows)} order(s)"]))


# -- extensions -------------------------------------------------------------------------------


@main.group()
@db_option
def extension() -> None:
    """Extensions (延期): request a later deadline; the office approves or refuses."""


@extension.command("request")
@db_option
@click.argument("hazard_id")
@click.option("--reason", required=True, help="Why more time is needed.")
@click.option("--deadline", "proposed", required=True, metavar="YYYY-MM-DD", help="The proposed new deadline.")
@json_option
@click.pass_context
def extension_request(ctx: click.Context, hazard_id: str, reason: str, proposed: str, as_json: bool) -> None:
    """Ask for a later deadline (the deadline moves only when approved)."""
    w = _writer(ctx)
    ext_id = extensions.request_extension(w, hazard_id, reason=reason, proposed_deadline=proposed, today=today())
    request = next(e for e in extensions.list_extensions(w.conn, status=None, hazard_id=hazard_id) if e["id"] == ext_id)
    emit(request, as_json, f"requested extension {ext_id} to {proposed}; waiting for the office's decision")


@extension.command("decide")
@db_option
@click.argument("extension_id")
@click.argument("decision", type=click.Choice(["approve", "refuse"]))
@click.option("--note", help="The decision's note (required to refuse).")
@json_option
@click.pass_context
def extension_decide(ctx: click.Context, extension_id: str, decision: str, note: str | None, as_json: bool) -> None:
    """Approve (the deadline moves) or refuse an extension request (supervisors)."""
    w = _writer(ctx)
    status = extensions.decide_extension(w, extension_id, approve=decision == "approve", note=note)
    row = w.get("extension", extension_id)
    emit(
        dict(row),
        as_json,
        f"extension {extension_id} {status}"
        + (f": the deadline is now {row['proposed_deadline']}" if status == "approved" else ""),
    )


@extension.command("list")
@db_option
@click.option(
    "--status",
    type=click.Choice(["requested", "approved", "refused", "all"]),
    default="requested",
    show_default=True,
    help="Which requests.",
)
@json_option
@click.pass_context
def extension_list(ctx: click.Context, status: str, as_json: bool) -> None:
    """List extension requests (by default those waiting for a decision)."""
    rows = extensions.list_extensions(open_db(ctx), status=None if status == "all" else status)
    lines = [
        f"{e['id']}  {e['status']:<9} {e['old_deadline']} -> {e['proposed_deadline']}  {e['unit_name']}: {e['reason']}"
        for e in rows
    ]
    emit(rows, as_json, "\n".join(lines + [f"{len(rows)} extension request(s)"]))


# -- escalation and listings ------------------------------------------------------------------


@main.group()
@db_option
def escalation() -> None:
    """Escalation of overdue rectification: proposals, and the office's decisions."""


@escalation.command("proposals")
@db_option
@click.option("--area", metavar="CODE", help="Only this town/zone.")
@json_option
@click.pass_context
def escalation_proposals(ctx: click.Context, area: str | None, as_json: bool) -> None:
    """What the escalation ladder proposes today (computed on this laptop, works offline)."""
    rows = escalations.propose_escalations(open_db(ctx), today=today(), area=area)
    lines = [
        f"{p['hazard_id']}  +{p['days_overdue']}d  {p['level']:<19} {p['grade']:<7} {p['unit_name']}: "
        f"{p['description']}"
        for p in rows
    ]
    emit(rows, as_json, "\n".join(lines + [f"{len(rows)} proposal(s)"]))


def _decide(ctx: click.Context, hazard_id: str, reason: str, level: str | None, as_json: bool, issue: bool) -> None:
    w = _writer(ctx)
    esc_id = escalations.decide_escalation(w, hazard_id, issue=issue, reason=reason, today=today(), level=level)
    row = escalations.list_escalations(w.conn, hazard_id=hazard_id)
    record = next(r for r in row if r["id"] == esc_id)
    persons = "; ".join(f"{p['kind']} {p['person']}" for p in record["persons"]) or "no persons on record"
    emit(
        record,
        as_json,
        f"{record['status']} {record['level']} for hazard {hazard_id} ({record['unit_name']}; {persons})",
    )


_LEVEL = click.Choice(ESCALATION_STEPS)


@escalation.command("issue")
@db_option
@click.argument("hazard_id")
@click.option("--reason", required=True, help="Why (goes on the accountability record).")
@click.option("--level", type=_LEVEL, help="The step you expect; refused if the ladder proposes another.")
@json_option
@click.pass_context
def escalation_issue(ctx: click.Context, hazard_id: str, reason: str, level: str | None, as_json: bool) -> None:
    """Issue the proposed escalation of a hazard (supervisors)."""
    _decide(ctx, hazard_id, reason, level, as_json, issue=True)


@escalation.command("dismiss")
@db_option
@click.argument("hazard_id")
@click.option("--reason", required=True, help="Why it is not escalated.")
@click.option("--level", type=_LEVEL, help="The step you expect; refused if the ladder proposes another.")
@json_option
@click.pass_context
def escalation_dismiss(ctx: click.Context, hazard_id: str, reason: str, level: str | None, as_json: bool) -> None:
    """Dismiss the proposed escalation of a hazard, with a reason (supervisors)."""
    _decide(ctx, hazard_id, reason, level, as_json, issue=False)


@escalation.command("list")
@db_option
@click.option("--area", metavar="CODE", help="Only this town/zone.")
@click.option("--status", type=click.Choice(["issued", "dismissed"]), help="Only issued or dismissed.")
@json_option
@click.pass_context
def escalation_list(ctx: click.Context, area: str | None, status: str | None, as_json: bool) -> None:
    """The accountability record: decided escalations, with the unit and persons held to account."""
    rows = escalations.list_escalations(open_db(ctx), area=area, status=status)
    lines = [
        f"{e['decided_at'][:10]}  {e['status']:<9} {e['level']:<19} {e['unit_name']}: "
        + ("; ".join(p["person"] for p in e["persons"]) or "-")
        + f"  ({e['reason']})"
        for e in rows
    ]
    emit(rows, as_json, "\n".join(lines + [f"{len(rows)} escalation(s)"]))


@main.group()
@db_option
def listing() -> None:
    """Major hazards listed for supervision (挂牌督办)."""


@listing.command("list")
@db_option
@click.option("--area", metavar="CODE", help="Only this town/zone.")
@click.option("--all", "include_delisted", is_flag=True, help="Include delisted hazards.")
@json_option
@click.pass_context
def listing_list(ctx: click.Context, area: str | None, include_delisted: bool, as_json: bool) -> None:
    """Listed major hazards with their progress, overdue days and escalations."""
    rows = escalations.list_listings(open_db(ctx), today=today(), area=area, include_delisted=include_delisted)
    lines = [
        f"{r['hazard_id']}  {r['status']:<21} {r['deadline'] or '-':<10} "
        f"{('+' + str(r['days_overdue']) + 'd') if r['days_overdue'] else '':<6} "
        f"{'delisted ' + r['delisted_on'] if r['delisted_on'] else 'listed ' + (r['published_on'] or '')}  "
        f"{r['unit_name']}: {r['description']}"
        for r in rows
    ]
    emit(rows, as_json, "\n".join(lines + [f"{len(rows)} listed hazard(s)"]))


# -- looking back -----------------------------------------------------------------------------


@main.group("lookback")
@db_option
def lookback_group() -> None:
    """Looking back (回头看): reviews of pilot units and areas, and their items."""


@lookback_group.command("review")
@db_option
@click.option("--area", required=True, metavar="CODE", help="The town/zone reviewed.")
@click.option("--unit", "unit_id", metavar="UNIT_ID", help="The unit reviewed, if one.")
@click.option("--title", required=True, help="What the review was.")
@click.option("--on", "on", metavar="YYYY-MM-DD", help="When (default: today).")
@click.option("--summary", help="Its conclusions.")
@json_option
@click.pass_context
def lookback_review(
    ctx: click.Context, area: str, unit_id: str | None, title: str, on: str | None, summary: str | None, as_json: bool
) -> None:
    """Record a look-back review."""
    w = _writer(ctx)
    review_id = lookback.add_review(
        w, area=area, title=title, reviewed_on=on or today().isoformat(), unit_id=unit_id, summary=summary
    )
    emit(lookback.show_review(w.conn, review_id), as_json, f"recorded review {review_id}")


@lookback_group.command("item")
@db_option
@click.argument("review_id")
@click.option("--gap", required=True, help="The gap found (差距).")
@click.option("--cause", help="Its cause (原因).")
@click.option("--measure", help="The measure set (措施).")
@click.option("--owner", help="Who carries it out.")
@click.option("--deadline", metavar="YYYY-MM-DD", help="By when.")
@click.option("--hazard", "hazard_id", metavar="HAZARD_ID", help="The hazard it concerns.")
@click.option("--criterion", "criterion_id", metavar="CRITERION_ID", help="The criterion it concerns.")
@click.option("--recurrence", is_flag=True, help="The (closed) hazard came back: report a new hazard linked to it.")
@json_option
@click.pass_context
def lookback_item(ctx: click.Context, review_id: str, as_json: bool, recurrence: bool, **fields: Any) -> None:
    """Record what a review found; a recurrence reports a new hazard linked to the closed one."""
    w = _writer(ctx)
    made = lookback.add_item(w, review_id, today=today(), recurrence=recurrence, **fields)
    emit(
        made,
        as_json,
        f"recorded item {made['item']}"
        + (f"; reported recurrence as hazard {made['hazard']}" if "hazard" in made else ""),
    )


@lookback_group.command("update")
@db_option
@click.argument("item_id")
@click.option("--status", type=click.Choice(lookback.ITEM_STATUSES), help="open, in_progress or done.")
@click.option("--evidence", help="Evidence the measure was carried out (required for done).")
@click.option("--measure", help="A changed measure.")
@json_option
@click.pass_context
def lookback_update(
    ctx: click.Context, item_id: str, status: str | None, evidence: str | None, measure: str | None, as_json: bool
) -> None:
    """Update a look-back item's status, evidence or measure."""
    w = _writer(ctx)
    old = lookback.update_item(w, item_id, status=status, evidence=evidence, measure=measure)
    emit(dict(w.get("lookback", item_id)), as_json, f"changed {', '.join(old) or 'nothing'} of item {item_id}")


@lookback_group.command("list")
@db_option
@click.option("--area", metavar="CODE", help="Only this town/zone.")
@json_option
@click.pass_context
def lookback_list(ctx: click.Context, area: str | None, as_json: bool) -> None:
    """List look-back reviews with their open items."""
    rows = lookback.list_reviews(open_db(ctx), area=area)
    lines = [
        f"{r['id']}  {r['reviewed_on']}  {r['area']:<14} {r['open_items']}/{r['items']} open  {r['title']}"
        for r in rows
    ]
    emit(rows, as_json, "\n".join(lines + [f"{len(rows)} review(s)"]))


@lookback_group.command("show")
@db_option
@click.argument("review_id")
@json_option
@click.pass_context
def lookback_show(ctx: click.Context, review_id: str, as_json: bool) -> None:
    """Show a review with all its items."""
    r = lookback.show_review(open_db(ctx), review_id)
    lines = [f"{r['title']} ({r['area']}, {r['reviewed_on']}, {r['reviewer']})"]
    lines += [
        f"  {i['id']}  {i['status']:<11} {i['deadline'] or '-':<10} gap: {i['gap']}; cause: {i['cause'] or '-'}; "
        f"measure: {i['measure'] or '-'}; owner: {i['owner'] or '-'}"
        for i in r["items"]
    ]
    emit(r, as_json, "\n".join(lines))
