"""`safecity report|assessment|import ...`: figures, scores and spreadsheets.

Reports and scores are computed on the local database, so they work offline; what they show
is as fresh as the last sync. Definitions of every figure are in `schema.office.reports`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.cells import set_cell_size

from schema.office import assessment, importer, report_html, reports
from schema.periods import Period, current_quarter, parse_period
from schema.writes import Writer, local_actor
from tui.cli.main import Progress, db_option, emit, json_option, main, open_db, today

_PERIOD = click.option("--period", metavar="PERIOD", help="2026, 2026Q3 or 2026-09 (default: this quarter).")
_AREA = click.option("--area", metavar="CODE", help="One town/zone (default: the whole district).")
_INDICATORS = click.option(
    "--indicators",
    "indicators_path",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="The indicator tree to score against (default: the shipped one).",
)


def _period(text: str | None) -> Period:
    return parse_period(text) if text else current_quarter(today())


@main.group()
@db_option
def report() -> None:
    """Reports per area and per unit, the quarterly table, trends; CSV, JSON or HTML."""


@report.command("summary")
@db_option
@_PERIOD
@_AREA
@click.option("--by", type=click.Choice(["area", "unit"]), default="area", show_default=True, help="One row per.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), metavar="FILE", help="Also write CSV to FILE.")
@json_option
@click.pass_context
def report_summary(
    ctx: click.Context, period: str | None, area: str | None, by: str, csv_path: str | None, as_json: bool
) -> None:
    """Found, rectified (on time), overdue, rate and escalations per area or unit."""
    p = _period(period)
    rows = reports.summary(open_db(ctx), p, today=today(), by=by, area=area)
    total = reports.totals(rows)
    if csv_path:
        Path(csv_path).write_text(reports.to_csv([*rows, total]), encoding="utf-8")
    lines = [f"{'':<22}{'found':>7}{'major':>7}{'rectif.':>9}{'on time':>9}{'overdue':>9}{'rate':>8}{'escal.':>8}"]
    lines += [
        f"{set_cell_size(r['name'], 22)}{r['found']:>7}{r['major']:>7}{r['rectified']:>9}{r['on_time']:>9}"
        f"{r['overdue']:>9}{r['rate']:>8.1%}{r['escalations']:>8}"
        for r in [*rows, total]
    ]
    emit(
        {"period": p.label, "as_of": p.as_of(today()).isoformat(), "by": by, "rows": rows, "total": total},
        as_json,
        "\n".join([f"period {p.label} (as of {p.as_of(today())})", *lines]),
    )


@report.command("quarterly")
@db_option
@click.option("--year", type=click.IntRange(2000, 2100), help="The year (default: this year).")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False), metavar="FILE", help="Also write CSV to FILE.")
@json_option
@click.pass_context
def report_quarterly(ctx: click.Context, year: int | None, csv_path: str | None, as_json: bool) -> None:
    """The quarterly statistics table (季度统计表): per area and quarter."""
    table = reports.quarterly(open_db(ctx), year or today().year, today=today())
    flat = [
        {"key": r["key"], "name": r["name"], "quarter": q, **f} for r in table["rows"] for q, f in r["quarters"].items()
    ]
    if csv_path:
        Path(csv_path).write_text(reports.to_csv(flat, ("key", "name", "quarter", *reports.FIGURES)), encoding="utf-8")
    lines = [f"{'':<22}" + "".join(f"{q:>22}" for q in table["quarters"])]
    for r in table["rows"]:
        cells = "".join(
            f"{f['found']:>8}{f['rectified']:>7}{f['rate']:>7.0%}" if (f := r["quarters"].get(q)) else f"{'':>22}"
            for q in table["quarters"]
        )
        lines.append(f"{set_cell_size(r['name'], 22)}{cells}")
    emit(table, as_json, "\n".join([f"{table['year']}: found / rectified / rate per quarter", *lines]))


@report.command("trend")
@db_option
@_AREA
@click.option("--months", type=click.IntRange(2, 36), default=12, show_default=True, help="How many months back.")
@json_option
@click.pass_context
def report_trend(ctx: click.Context, area: str | None, months: int, as_json: bool) -> None:
    """Per month: hazards found, closed, and overdue at the month's end."""
    rows = reports.trend(open_db(ctx), today=today(), months=months, area=area)
    top = max([1, *(r["found"] for r in rows)])
    lines = [
        f"{r['month']}  found {r['found']:>6}  closed {r['closed']:>6}  overdue {r['overdue']:>6}  "
        + "█" * round(30 * r["found"] / top)
        for r in rows
    ]
    emit(rows, as_json, "\n".join(lines))


@report.command("html")
@db_option
@_PERIOD
@_INDICATORS
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Where to write the HTML page.",
)
@json_option
@click.pass_context
def report_html_command(
    ctx: click.Context, period: str | None, indicators_path: str | None, output: str, as_json: bool
) -> None:
    """A self-contained HTML report with charts (no network needed to open it)."""
    p = _period(period)
    page = report_html.district_report(open_db(ctx), p, today=today(), indicators=indicators_path)
    Path(output).write_text(page, encoding="utf-8")
    emit({"output": output, "period": p.label, "bytes": len(page.encode())}, as_json, f"wrote {output}")


# -- assessment -------------------------------------------------------------------------------


@main.group("assessment")
@db_option
def assessment_group() -> None:
    """Assessment against the model-city indicator tree, with the evidence behind every deduction."""


def _print_tree(nodes: list[dict[str, Any]], depth: int = 0) -> list[str]:
    lines = []
    for n in nodes:
        lines.append(
            f"{'  ' * depth}{n['code']:<5} {set_cell_size(n['name_zh'], 20)} {n['score']:>6g} / {n['points']:g}"
        )
        for d in n.get("deductions", []):
            if d["points"] or d["rule"] == "self_assessed":
                lines.append(f"{'  ' * (depth + 1)}- {d['points']:g}  {d['detail']}")
        lines += _print_tree(n.get("children", []), depth + 1)
    return lines


@assessment_group.command("score")
@db_option
@_PERIOD
@_AREA
@_INDICATORS
@json_option
@click.pass_context
def assessment_score(
    ctx: click.Context, period: str | None, area: str | None, indicators_path: str | None, as_json: bool
) -> None:
    """Score the district (or one area) for a period."""
    result = assessment.score(
        open_db(ctx), assessment.load_indicators(indicators_path), _period(period), today=today(), area=area
    )
    head = (
        f"{result['title']}: {result['score']:g} / {result['points']:g}  ({result['period']}, as of {result['as_of']})"
    )
    emit(result, as_json, "\n".join([head, *_print_tree(result["indicators"])]))


@assessment_group.command("show")
@db_option
@click.argument("code")
@_PERIOD
@_AREA
@_INDICATORS
@json_option
@click.pass_context
def assessment_show(
    ctx: click.Context, code: str, period: str | None, area: str | None, indicators_path: str | None, as_json: bool
) -> None:
    """Drill down into one indicator: each deduction and every record behind it."""
    conn = open_db(ctx)
    result = assessment.score(
        conn, assessment.load_indicators(indicators_path), _period(period), today=today(), area=area
    )
    node = assessment.with_attachments(conn, assessment.find(result, code))
    lines = [f"{node['code']} {node['name_zh']} / {node['name_en']}: {node['score']:g} / {node['points']:g}"]
    for d in node.get("deductions", []):
        lines.append(f"  -{d['points']:g}  {d['rule']}: {d['detail']}")
        for e in d["evidence"]:
            lines.append(f"      {e['table']} {e['id']}  {e['text']}")
            lines += [
                f"        evidence {a['role']} {a['original_name'] or ''} sha256 {a['sha256'][:12]} ({a['id']})"
                for a in e.get("attachments", [])
            ]
    emit(node, as_json, "\n".join(lines))


@assessment_group.command("self")
@db_option
@click.argument("code")
@_PERIOD
@_INDICATORS
@click.option("--score", "score_value", type=float, required=True, help="The self score.")
@click.option("--evidence", required=True, help="What the score rests on.")
@json_option
@click.pass_context
def assessment_self(
    ctx: click.Context,
    code: str,
    period: str | None,
    indicators_path: str | None,
    score_value: float,
    evidence: str,
    as_json: bool,
) -> None:
    """Enter the office's score of a self-assessed indicator (supervisors)."""
    conn = open_db(ctx)
    p = _period(period)
    row_id = assessment.record_self_score(
        Writer(conn, local_actor(conn)),
        assessment.load_indicators(indicators_path),
        period=p,
        code=code,
        score_value=score_value,
        evidence=evidence,
    )
    emit(
        {"id": row_id, "period": p.label, "code": code, "score": score_value},
        as_json,
        f"recorded {score_value:g} for {code} in {p.label}",
    )


@assessment_group.command("indicators")
@db_option
@_INDICATORS
@click.option(
    "--export",
    "export_path",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Write the indicator file to FILE, to edit and pass back with --indicators.",
)
@json_option
@click.pass_context
def assessment_indicators(
    ctx: click.Context, indicators_path: str | None, export_path: str | None, as_json: bool
) -> None:
    """Show the indicator tree (or export the file the office edits)."""
    tree = assessment.load_indicators(indicators_path)
    if export_path:
        Path(export_path).write_text(tree.source, encoding="utf-8")

    def walk(nodes: list[assessment.Indicator], depth: int = 0) -> list[str]:
        out = []
        for n in nodes:
            rules = ", ".join(d["rule"] for d in n.deductions)
            out.append(
                f"{'  ' * depth}{n.code:<5} {n.name_zh} / {n.name_en}"
                + (f"  [{n.points:g} pts: {rules}]" if n.points is not None else "")
            )
            out += walk(n.children, depth + 1)
        return out

    data = {
        "title": tree.title,
        "illustrative": tree.illustrative,
        "indicators": [
            {
                "code": i.code,
                "parent": i.parent,
                "name_zh": i.name_zh,
                "name_en": i.name_en,
                "points": i.points,
                "deductions": i.deductions,
            }
            for i in tree.by_code.values()
        ],
    }
    note = " (illustrative: check against the standard in force)" if tree.illustrative else ""
    emit(
        data,
        as_json,
        "\n".join([tree.title + note, *walk(tree.roots)] + ([f"exported to {export_path}"] if export_path else [])),
    )


# -- import -----------------------------------------------------------------------------------


@main.command("import")
@db_option
@click.argument("kind", type=click.Choice(importer.KINDS))
@click.argument("path", type=click.Path(dir_okay=False), metavar="FILE")
@click.option("--dry-run", is_flag=True, help="Check every row and list what would be rejected; write nothing.")
@click.option("--skip-rejected", is_flag=True, help="Import the good rows even if some are rejected.")
@json_option
@click.pass_context
def import_command(ctx: click.Context, kind: str, path: str, dry_run: bool, skip_rejected: bool, as_json: bool) -> None:
    """Import units, responsibility persons or criteria from a .csv or .xlsx sheet."""
    conn = open_db(ctx)
    progress = Progress()
    try:
        result = importer.import_file(
            Writer(conn, local_actor(conn)),
            kind,
            path,
            dry_run=dry_run,
            skip_rejected=skip_rejected,
            progress=progress.show,
        )
    finally:
        progress.done()
    lines = [f"row {r['row']}: {r['reason']}" for r in result.rejected]
    lines += [
        f"row {f['row']}: {f['column']} starts like a spreadsheet formula ({f['value']!r}); kept as text, check the sheet's source"
        for f in result.flagged
    ]
    verb = "would create" if dry_run else "created"
    lines.append(
        f"{result.rows} rows: {verb} {result.create}, {'would update' if dry_run else 'updated'} "
        f"{result.update}, unchanged {result.unchanged}, rejected {len(result.rejected)}"
        + (" (dry run: nothing written)" if dry_run else "")
    )
    emit(result.as_dict(), as_json, "\n".join(lines))
