"""The district office's screens: dashboard, escalations, extensions, listings, assessment.

Supervisors work here (their scope is the whole district); inspectors see the same screens for
their areas and are told, when they try, that a decision is the office's. Figures come from
`schema.office.reports` and `schema.office.assessment`, computed on a connection of the worker's own off
the UI thread, and arrive as a `DashboardLoaded` message.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, ClassVar

from rich.cells import cell_len, set_cell_size
from rich.markup import escape
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Sparkline, Static, Tree

from schema.errors import DomainError
from schema.office import assessment, escalations, extensions, report_html, reports
from schema.periods import current_quarter
from schema.store.connection import connect
from tui.context import in_background, session
from tui.i18n import grade_label, kind_label, status_label, t
from tui.phrases import area_label, user_message
from tui.screens.batch import BatchResult
from tui.screens.forms import FormScreen
from tui.screens.records import RecordsScreen
from tui.widgets.chrome import chrome
from tui.widgets.table import RecordTable

RATE_TARGET = 0.9
"""The rectification rate an area is held to (the assessment's indicator); bars are coloured
against it: green at or above, amber within 20 points, red below that."""


def rate_bars(rows: list[dict[str, Any]], width: int = 24, target: float = RATE_TARGET) -> Text:
    """One bar per area, the furthest behind its target first; `┃` marks the target."""
    text = Text()
    mark = round(target * width)
    for row in sorted(rows, key=lambda r: (float(r["rate"]), -r["found"])):
        share = max(0.0, min(1.0, float(row["rate"])))
        colour = "green" if share >= target else "yellow" if share >= target - 0.2 else "red"
        filled = round(share * width)
        text.append(set_cell_size(str(row["name"]), 16) + " ")
        for cell in range(width):
            if cell == mark:
                text.append("┃", style="bold")
            else:
                text.append("█" if cell < filled else "░", style=colour if cell < filled else "grey35")
        text.append(f" {share:>4.0%}\n")
    return text


class DashboardLoaded(Message):
    """The dashboard's figures, computed off the UI thread."""

    def __init__(self, figures: dict[str, Any]):
        super().__init__()
        self.figures = figures


class DashboardScreen(Screen[None]):
    """This quarter at a glance: key figures, rate per area as bars, 12-month trends, the table."""

    BINDINGS: ClassVar = [
        Binding("h", "export_html", "Export HTML report", id="dashboard.export"),
        Binding("escape", "app.pop_screen", "Back", id="dashboard.back"),
    ]

    def compose(self) -> ComposeResult:
        yield Static(t("dashboard"), id="dash-title", classes="title")
        yield Static("…", id="kpis")
        with Horizontal(id="charts"):
            yield Static(id="bars")
            with Vertical(id="trends"):
                for name in ("found", "closed", "overdue"):
                    yield Static(t(f"trend.{name}"), classes="muted", id=f"scale-{name}")
                    yield Sparkline([0], id=f"spark-{name}", summary_function=max)
                yield Static(id="months", classes="muted")
        yield RecordTable(id="areas", cursor_type="row")
        yield from chrome()

    loaded = False
    """True once the figures have arrived (tests and screenshots wait for it)."""

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        # Fixed widths: the layout must not depend on when the figures arrive.
        table.add_column(t("area"), width=16)
        for figure in reports.FIGURES:
            table.add_column(t(f"fig.{figure}"), width=max(9, cell_len(t(f"fig.{figure}"))))
        self.refresh_data()

    def refresh_data(self) -> None:
        db_path, today = session(self).db_path, session(self).today
        in_background(self, lambda: self.load(db_path, today), group="dashboard", name="the dashboard")

    def load(self, db_path: Path, today: date) -> None:
        """Compute the dashboard's figures on a connection of its own (a worker thread)."""
        conn = connect(db_path)
        try:
            period = current_quarter(today)
            rows = reports.summary(conn, period, today=today)
            self.post_message(
                DashboardLoaded(
                    {
                        "period": period.label,
                        "as_of": period.as_of(today).isoformat(),
                        "rows": rows,
                        "total": reports.totals(rows),
                        "trend": reports.trend(conn, today=today),
                        "listed": len(escalations.list_listings(conn, today=today)),
                        "proposals": len(escalations.propose_escalations(conn, today=today)),
                        "extensions": len(extensions.list_extensions(conn)),
                    }
                )
            )
        finally:
            conn.close()

    def action_export_html(self) -> None:
        db_path, today = session(self).db_path, session(self).today
        in_background(self, lambda: self.export(db_path, today), group="export", name="the HTML report")

    def export(self, db_path: Path, today: date) -> None:
        """Write this quarter's HTML report beside the database, off the UI thread."""
        period = current_quarter(today)
        target = db_path.with_name(f"safecity-report-{period.label}.html")
        conn = connect(db_path)
        try:
            target.write_text(report_html.district_report(conn, period, today=today), encoding="utf-8")
        except (DomainError, OSError) as err:
            self.app.call_from_thread(self.notify, user_message(err), severity="error")
            return
        finally:
            conn.close()
        self.app.call_from_thread(self.notify, f"{t('report_written')} {target}")

    def on_dashboard_loaded(self, message: DashboardLoaded) -> None:
        f = message.figures
        total = f["total"]
        self.query_one("#dash-title", Static).update(f"{t('dashboard')} — {f['period']} ({f['as_of']})")
        self.query_one("#kpis", Static).update(
            f"[b]{t('fig.found')}[/] {total['found']:,}   [b]{t('fig.rate')}[/] {total['rate']:.1%}   "
            f"[b red]{t('kpi.overdue_found')}[/] {total['overdue']:,}   "
            f"[b red]{t('kpi.backlog')}[/] {f['trend'][-1]['overdue']:,}   "
            f"[b]{t('fig.escalations')}[/] {total['escalations']}   "
            f"[b]{t('listed')}[/] {f['listed']}   [b]{t('proposals')}[/] {f['proposals']}   "
            f"[b]{t('extensions_waiting')}[/] {f['extensions']}"
        )
        self.query_one("#bars", Static).update(rate_bars(f["rows"]))
        for name in ("found", "closed", "overdue"):
            values = [m[name] for m in f["trend"]]
            self.query_one(f"#spark-{name}", Sparkline).data = values
            self.query_one(f"#scale-{name}", Static).update(
                f"{t(f'trend.{name}')}  [dim]{t('scale')} 0–{max(values, default=0):,}[/]"
            )
        months = f["trend"]
        self.query_one("#months", Static).update(
            f"{months[0]['month']} … {months[-1]['month']}:  {t('fig.found')} "
            f"{months[-1]['found']}, {t('fig.closed')} {months[-1]['closed']}, "
            f"{t('fig.overdue')} {months[-1]['overdue']}"
        )
        table = self.query_one(DataTable)
        table.clear()
        for r in [*f["rows"], total]:
            cells = [f"{r[x]:.1%}" if x == "rate" else f"{r[x]:,}" for x in reports.FIGURES]
            table.add_row(r["name"], *cells, key=r.get("key"))
        self.loaded = True

    @on(DataTable.RowSelected, "#areas")
    def open_area(self, event: DataTable.RowSelected) -> None:
        """Enter on an area's row: that area's open hazards, in triage (the total row opens none)."""
        code = event.row_key.value
        if not code:
            return
        self.app.action_go("triage")  # type: ignore[attr-defined]
        triage = self.app.screen_stack[1]
        show = getattr(triage, "show_filtered", None)
        if callable(show):
            show(f"area:{code}")


class EscalationsScreen(RecordsScreen):
    """What the ladder proposes today; the office issues (`i`) or dismisses (`x`) each, with a reason,
    or marks several (space) and decides them together (`I`, `X`): one reason, each decision its own
    transaction, and those refused stay marked with the reason in the result."""

    BINDINGS: ClassVar = [
        Binding("i", "decide(True)", "Issue", id="escalations.issue"),
        Binding("x", "decide(False)", "Dismiss", id="escalations.dismiss"),
        Binding("space", "mark", "Mark", id="escalations.mark"),
        Binding("I", "decide_marked(True)", "Issue marked", id="escalations.issue_marked"),
        Binding("X", "decide_marked(False)", "Dismiss marked", id="escalations.dismiss_marked"),
        Binding("escape", "app.pop_screen", "Back", id="escalations.back"),
    ]
    TITLE_KEY = "escalations"
    COLUMNS = ("overdue", "step", "grade", "area", "unit", "description")
    LIMIT = 500

    def load(self) -> list[dict[str, Any]]:
        return escalations.propose_escalations(session(self).conn, today=session(self).today)

    def cells(self, p: dict[str, Any]) -> tuple[Any, ...]:
        return (
            f"+{p['days_overdue']}{t('days')}",
            t(f"step.{p['level']}"),
            grade_label(p["grade"]),
            area_label(p["area"]),
            p["unit_name"],
            p["description"],
        )

    def action_decide(self, issue: bool) -> None:
        p = self.current()
        if p is None:
            return

        def save(values: dict[str, str]) -> str:
            return self._decide(p, issue, values["reason"])

        persons = "; ".join(f"{kind_label(x['kind'])} {x['person']}" for x in p["persons"]) or "-"
        title = f"{t('issue') if issue else t('dismiss')} {t('step.' + p['level'])}: {p['unit_name']} ({persons})"
        self.app.push_screen(FormScreen(title, [("reason", t("reason"), "")], save), self.changed)

    def _decide(self, p: dict[str, Any], issue: bool, reason: str) -> str:
        """Issue or dismiss the step proposed for one hazard (the step as proposed, not a later one)."""
        return escalations.decide_escalation(
            session(self).writer,
            p["hazard_id"],
            issue=issue,
            reason=reason,
            today=session(self).today,
            level=p["level"],
        )

    def action_mark(self) -> None:
        self.toggle_mark()

    def action_decide_marked(self, issue: bool) -> None:
        chosen = [p for p in self.everything if self.record_key(p) in self.marked]
        if not chosen:
            self.notify(t("mark_first"), severity="warning")
            return

        def save(values: dict[str, str]) -> BatchResult:
            done = BatchResult("issue" if issue else "dismiss")
            if not values["reason"].strip():  # asked once for all, not once per proposal
                raise DomainError(f"{t('issue') if issue else t('dismiss')} an escalation needs a reason")
            for p in chosen:
                try:
                    self._decide(p, issue, values["reason"])
                except DomainError as err:
                    done.failed[self.record_key(p)] = f"{p['unit_name']}: {user_message(err)}"
                else:
                    done.applied.append(self.record_key(p))
            return done

        title = f"{t('issue') if issue else t('dismiss')}: {len(chosen)} {t('marked')}"
        self.app.push_screen(FormScreen(title, [("reason", t("reason"), "")], save), self._after_marked)

    def _after_marked(self, result: object) -> None:
        if not isinstance(result, BatchResult):
            return
        self.marked.difference_update(result.applied)
        self.changed(result)
        self.notify(result.summary(), severity="warning" if result.failed else "information", timeout=12)


class ExtensionsScreen(RecordsScreen):
    """Extension requests waiting for the office: `y` approves (the deadline moves), `n` refuses."""

    BINDINGS: ClassVar = [
        Binding("y", "decide(True)", "Approve", id="extensions.approve"),
        Binding("n", "decide(False)", "Refuse", id="extensions.refuse"),
        Binding("escape", "app.pop_screen", "Back", id="extensions.back"),
    ]
    TITLE_KEY = "extensions"
    COLUMNS = ("deadline", "proposed", "area", "unit", "hazard", "reason", "by")

    def load(self) -> list[dict[str, Any]]:
        return extensions.list_extensions(session(self).conn)

    def cells(self, e: dict[str, Any]) -> tuple[Any, ...]:
        return (
            e["old_deadline"] or "-",
            e["proposed_deadline"],
            area_label(e["area"]),
            e["unit_name"],
            e["description"],
            e["reason"],
            e["requested_by"] or "",
        )

    def action_decide(self, approve: bool) -> None:
        request = self.current()
        if request is None:
            return

        def save(values: dict[str, str]) -> str:
            return extensions.decide_extension(
                session(self).writer, request["id"], approve=approve, note=values["note"] or None
            )

        title = (
            f"{t('approve') if approve else t('refuse')}: {request['old_deadline']} → {request['proposed_deadline']}"
        )
        self.app.push_screen(FormScreen(title, [("note", t("note"), "")], save), self._decided)

    def _decided(self, result: Any) -> None:
        self.changed(result)
        if result is not None:
            self.notify(f"{t('decided')}: {result}")


class ListingsScreen(RecordsScreen):
    """Major hazards listed for supervision (挂牌督办) and how their rectification is going."""

    BINDINGS: ClassVar = [Binding("escape", "app.pop_screen", "Back", id="listings.back")]
    TITLE_KEY = "listings"
    COLUMNS = ("status", "deadline", "overdue", "listed", "progress", "fig.escalations", "area", "unit", "description")

    def load(self) -> list[dict[str, Any]]:
        return escalations.list_listings(session(self).conn, today=session(self).today)

    def cells(self, r: dict[str, Any]) -> tuple[Any, ...]:
        return (
            status_label(r["status"]),
            r["deadline"] or "-",
            Text(f"+{r['days_overdue']}{t('days')}", style="bold red") if r["days_overdue"] else "",
            r["published_on"] or "",
            str(r["progress_reports"]),
            ", ".join(t(f"step.{e}") for e in r["escalations"]),
            area_label(r["area"]),
            r["unit_name"],
            r["description"],
        )


class AssessmentScreen(Screen[None]):
    """The indicator tree with this quarter's scores; a selected indicator shows each deduction's evidence."""

    BINDINGS: ClassVar = [Binding("escape", "app.pop_screen", "Back", id="assessment.back")]

    def compose(self) -> ComposeResult:
        yield Static(t("assessment"), id="assess-title", classes="title")
        with Horizontal():
            yield Tree("", id="indicators")
            with VerticalScroll(id="evidence-pane"):
                yield Static(t("select_indicator"), id="evidence")
        yield from chrome()

    def on_mount(self) -> None:
        self.refresh_data()
        self.query_one(Tree).focus()

    def refresh_data(self) -> None:
        app = session(self)
        try:
            self.result = assessment.score(
                app.conn, assessment.load_indicators(), current_quarter(app.today), today=app.today
            )
        except DomainError as err:
            self.query_one("#evidence", Static).update(user_message(err))
            return
        r = self.result
        note = f"  [dim]({t('illustrative')})[/]" if r["illustrative"] else ""
        self.query_one("#assess-title", Static).update(
            f"{t('assessment')} — {r['period']}: {r['score']:g} / {r['points']:g}{note}"
        )
        tree = self.query_one(Tree)
        tree.clear()
        tree.root.set_label(r["title"])
        tree.show_root = False

        def add(parent: Any, node: dict[str, Any]) -> None:
            label = f"{node['code']} {node['name_zh']}  {node['score']:g}/{node['points']:g}"
            if node.get("children"):
                branch = parent.add(label, data=node, expand=True)
                for child in node["children"]:
                    add(branch, child)
            else:
                parent.add_leaf(label, data=node)

        for node in r["indicators"]:
            add(tree.root, node)

    @on(Tree.NodeHighlighted)
    def show_evidence(self, event: Tree.NodeHighlighted[Any]) -> None:
        node = event.node.data
        if not node:
            return
        node = assessment.with_attachments(session(self).conn, node)
        lines = [f"[b]{node['code']} {node['name_zh']}[/] / {node['name_en']}: {node['score']:g} / {node['points']:g}"]
        for d in node.get("deductions", []):
            lines.append(f"\n[b]-{d['points']:g}[/]  {d['rule']}: {d['detail']}")
            for e in d["evidence"][:200]:
                photos = e.get("attachments") or []
                held = (
                    f"  [green]{t('evidence')}: {', '.join(t('role.' + a['role']) for a in photos)}[/]"
                    if photos
                    else ""
                )
                lines.append(f"  {e['table']} {e['id'][:8]}  {escape(e['text'])}{held}")
            if len(d["evidence"]) > 200:
                lines.append(f"  … {len(d['evidence']) - 200} more (safecity assessment show {node['code']})")
        self.query_one("#evidence", Static).update("\n".join(lines))
