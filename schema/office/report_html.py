"""The self-contained HTML report: tables and charts in one file, no scripts, no network.

Who calls this: `safecity report html`. The page is sent by e-mail and opened on office
computers that may have no internet, so the charts are inline SVG drawn here, and the styles
are in the page. It prints on A4.
"""

from __future__ import annotations

import html
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

from schema.chain import seal, seal_html
from schema.office import assessment, reports
from schema.office.evidence_html import EVIDENCE_CSS, closures_with_evidence
from schema.office.reports import FIGURES
from schema.periods import Period
from schema.store.files import files_beside

TITLE = "滨海新区安全发展示范城市创建 隐患排查治理报告"


def district_report(
    conn: sqlite3.Connection, period: Period, *, today: date, indicators: str | Path | None = None
) -> str:
    """The whole report page for `period`: figures by area, trend, quarterly table, assessment."""
    areas = reports.summary(conn, period, today=today)
    return render(
        title=TITLE,
        period=period.label,
        as_of=period.as_of(today).isoformat(),
        areas=areas,
        total=reports.totals(areas),
        trend=reports.trend(conn, today=today),
        quarterly=reports.quarterly(conn, period.start.year, today=today),
        assessment=assessment.score(conn, assessment.load_indicators(indicators), period, today=today),
        evidence=closures_with_evidence(conn, period, files_beside(conn)),
        seal=seal(conn),
    )


_LABELS = {
    "found": "发现 found",
    "major": "重大 major",
    "rectified": "已整改 rectified",
    "on_time": "按期 on time",
    "overdue": "逾期 overdue",
    "rate": "整改率 rate",
    "escalations": "问责 escalations",
}
_COLOURS = {"found": "#1f6feb", "closed": "#2da44e", "overdue": "#cf222e"}


def bar_chart(rows: list[dict[str, Any]], value: str, *, width: int = 640, bar: int = 18) -> str:
    """Horizontal bars of `value` (a share, 0..1) per row, labelled with the row's name."""
    label_w, height = 150, bar * len(rows) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{_LABELS.get(value, value)}">'
    ]
    span = width - label_w - 60
    for i, row in enumerate(rows):
        y = 10 + i * bar
        share = max(0.0, min(1.0, float(row[value])))
        colour = "#2da44e" if share >= 0.9 else "#d29922" if share >= 0.7 else "#cf222e"
        parts.append(
            f'<text x="{label_w - 6}" y="{y + bar * 0.7:.0f}" text-anchor="end" font-size="12">'
            f"{html.escape(str(row['name']))}</text>"
            f'<rect x="{label_w}" y="{y + 2}" width="{span * share:.1f}" height="{bar - 4}" fill="{colour}"/>'
            f'<text x="{label_w + span * share + 4:.1f}" y="{y + bar * 0.7:.0f}" font-size="11">{share:.0%}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    points: list[dict[str, Any]],
    series: tuple[str, ...] = ("found", "closed", "overdue"),
    *,
    width: int = 640,
    height: int = 220,
) -> str:
    """One line per series over the months, with a legend and the month labels."""
    left, bottom, top = 40, 30, 20
    top_value = max([1, *(p[s] for p in points for s in series)])
    step = (width - left - 20) / max(1, len(points) - 1)

    def xy(i: int, v: float) -> str:
        return f"{left + i * step:.1f},{top + (height - top - bottom) * (1 - v / top_value):.1f}"

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" aria-label="trend">',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#888"/>',
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end" font-size="10">{top_value}</text>',
        f'<text x="{left - 4}" y="{height - bottom}" text-anchor="end" font-size="10">0</text>',
    ]
    for s_index, name in enumerate(series):
        line = " ".join(xy(i, p[name]) for i, p in enumerate(points))
        parts.append(f'<polyline fill="none" stroke="{_COLOURS.get(name, "#555")}" stroke-width="2" points="{line}"/>')
        parts.append(
            f'<text x="{left + 10 + s_index * 90}" y="12" font-size="11" fill="{_COLOURS.get(name, "#555")}">'
            f"■ {name}</text>"
        )
    for i, p in enumerate(points):
        if i % 2 == 0 or i == len(points) - 1:
            parts.append(
                f'<text x="{left + i * step:.1f}" y="{height - 10}" text-anchor="middle" font-size="10">'
                f"{p['month'][2:]}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)


def _table(rows: list[dict[str, Any]], total: dict[str, Any] | None = None) -> str:
    head = "".join(f"<th>{_LABELS[f]}</th>" for f in FIGURES)

    def cells(row: dict[str, Any]) -> str:
        return "".join(f"<td>{row[f]:.1%}</td>" if f == "rate" else f"<td>{row[f]:,}</td>" for f in FIGURES)

    body = "".join(f"<tr><th>{html.escape(str(r['name']))}</th>{cells(r)}</tr>" for r in rows)
    foot = f"<tfoot><tr><th>{html.escape(total['name'])}</th>{cells(total)}</tr></tfoot>" if total else ""
    return f"<table><thead><tr><th></th>{head}</tr></thead><tbody>{body}</tbody>{foot}</table>"


def _quarterly_table(q: dict[str, Any]) -> str:
    head = "".join(f"<th colspan=3>{label}</th>" for label in q["quarters"])
    sub = "".join("<th>发现</th><th>整改</th><th>整改率</th>" for _ in q["quarters"])
    body = []
    for row in q["rows"]:
        cells = []
        for label in q["quarters"]:
            f = row["quarters"].get(label)
            cells.append(
                f"<td>{f['found']:,}</td><td>{f['rectified']:,}</td><td>{f['rate']:.1%}</td>"
                if f
                else "<td></td><td></td><td></td>"
            )
        body.append(f"<tr><th>{html.escape(row['name'])}</th>{''.join(cells)}</tr>")
    return (
        f"<table><thead><tr><th rowspan=2></th>{head}</tr><tr>{sub}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def render(
    *,
    title: str,
    period: str,
    as_of: str,
    areas: list[dict[str, Any]],
    total: dict[str, Any],
    trend: list[dict[str, Any]],
    quarterly: dict[str, Any],
    assessment: dict[str, Any] | None = None,
    evidence: str = "",
    seal: dict[str, Any] | None = None,
) -> str:
    esc = html.escape
    score = ""
    if assessment:
        rows = "".join(
            f"<tr><th>{esc(n['code'])} {esc(n['name_zh'])}</th><td>{n['score']:g} / {n['points']:g}</td></tr>"
            for n in assessment["indicators"]
        )
        note = "<p class=note>指标与分值为示意 (illustrative indicator tree)</p>" if assessment["illustrative"] else ""
        score = (
            f"<h2>示范城市评价 Assessment: {assessment['score']:g} / {assessment['points']:g}</h2>{note}"
            f"<table>{rows}</table>"
        )
    return f"""<!doctype html>
<html lang="zh"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; margin: 2em auto; max-width: 980px; color: #1f2328; }}
h1 {{ font-size: 1.6em; margin-bottom: .2em; }} h2 {{ margin-top: 1.6em; font-size: 1.2em; border-bottom: 1px solid #d0d7de; }}
table {{ border-collapse: collapse; font-size: 13px; margin: .5em 0; }}
th, td {{ border: 1px solid #d0d7de; padding: 3px 8px; }} td {{ text-align: right; font-variant-numeric: tabular-nums; }}
thead th {{ background: #f6f8fa; }} tfoot th, tfoot td {{ font-weight: bold; background: #f6f8fa; }}
.kpis {{ display: flex; gap: 1em; }} .kpi {{ border: 1px solid #d0d7de; border-radius: 6px; padding: .6em 1em; }}
.kpi b {{ display: block; font-size: 1.6em; }} .note {{ color: #6e7781; font-size: 12px; }}
@media print {{ body {{ margin: 0; }} h2 {{ break-after: avoid; }} }}
h3 {{ font-size: 1em; margin: .8em 0 .2em; }} h3 small {{ color: #6e7781; font-weight: normal; }}
{EVIDENCE_CSS}
</style></head><body>
<h1>{esc(title)}</h1>
<p class=note>报告期 Period {esc(period)} · 截至 as of {esc(as_of)} · SafeCity</p>
<div class=kpis>
<div class=kpi>发现隐患 found<b>{total["found"]:,}</b></div>
<div class=kpi>整改率 rate<b>{total["rate"]:.1%}</b></div>
<div class=kpi>逾期 overdue<b>{total["overdue"]:,}</b></div>
<div class=kpi>问责 escalations<b>{total["escalations"]:,}</b></div>
</div>
<h2>各街镇整改率 Rectification rate by area</h2>
{bar_chart(areas, "rate")}
<h2>月度趋势 Monthly trend</h2>
{line_chart(trend)}
<h2>分区统计 By area</h2>
{_table(areas, total)}
<h2>季度统计表 Quarterly statistics {quarterly["year"]}</h2>
{_quarterly_table(quarterly)}
{score}
{evidence}
{seal_html(seal) if seal else ""}
</body></html>
"""
