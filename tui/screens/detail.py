"""A hazard in full, its lifecycle actions on single keys, and the forms they open.

Every form is a `FormScreen`: it validates through the same rules as the CLI
(`schema.hazards`), shows the refusal under the fields and keeps what was typed, so nothing is
retyped after a mistake. A form closes only after its change is committed with its outbox op.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Label, Static

from schema.errors import DomainError
from schema.hazards import act, add_hazard, edit_hazard
from schema.office.extensions import request_extension
from schema.office.orders import issue_order, order_document, render_text
from schema.queries import show_hazard
from schema.rules import ACTIONS, FIVE_IMPLEMENTATIONS, check_action
from schema.store.files import files_beside
from tui.context import RecordChanged, session
from tui.i18n import action_label, grade_label, kind_label, local_time, shown_value, status_label, t
from tui.phrases import field_label, key_label, user_message
from tui.screens.evidence import EvidenceScreen, caption, open_attach
from tui.screens.forms import FormScreen
from tui.widgets.chrome import chrome
from tui.widgets.picture import Picture

ACTION_KEYS = {"order": "o", "fix_on_spot": "f", "submit": "b", "pass": "p", "fail": "x", "void": "v"}


class ActionScreen(FormScreen):
    """The fields one lifecycle action needs, for one hazard."""

    def __init__(self, hazard: dict[str, Any], action: str):
        spec = ACTIONS[action]
        names = list(spec.requires)
        if action == "order":
            names = ["deadline", "rectifier"]
            if hazard["grade"] == "major":
                names += list(FIVE_IMPLEMENTATIONS)
        fields = [
            (n, field_label(n), str(hazard.get(n) or "") if n in ("deadline", "rectifier") else "") for n in names
        ]
        super().__init__(f"{action_label(action)}: {hazard['description']}", fields, self._apply)
        self.hazard, self.action = hazard, action

    def action_submit(self) -> None:
        """Voiding takes a hazard out of all open work: asked once more before it is done."""
        if self.action != "void" or not self.values().get("reason"):
            super().action_submit()  # nothing to confirm yet: the form says what is missing
        else:
            self.ask(t("confirm.void"), super().action_submit)

    def _apply(self, values: dict[str, str]) -> str:
        params: dict[str, Any] = {k: v for k, v in values.items() if v and k not in FIVE_IMPLEMENTATIONS}
        five = {k: values[k] for k in FIVE_IMPLEMENTATIONS if values.get(k)}
        if five:
            params["five_implementations"] = five
        return act(session(self).writer, self.hazard["id"], self.action, params, today=session(self).today)


class NewHazardScreen(FormScreen):
    """Report a hazard at a unit already chosen (picked from the units, or the inspection's unit);
    from a failed checklist item the criterion and its text come pre-filled."""

    def __init__(
        self,
        unit_id: str,
        description: str = "",
        *,
        inspection_id: str | None = None,
        criterion_id: str | None = None,
        grade: str = "general",
    ):
        fields = [
            ("description", t("description"), description),
            ("location", t("location"), ""),
            ("grade", t("grade"), grade),
            ("deadline", t("proposed_deadline"), ""),
        ]
        grades = [(grade_label(g), g) for g in ("general", "major")]
        super().__init__(t("hazard"), fields, self._apply, choices={"grade": grades})
        self.unit_id, self.inspection_id, self.criterion_id = unit_id, inspection_id, criterion_id

    def on_mount(self) -> None:
        unit = session(self).writer.get("unit", self.unit_id)
        self.query_one(".title", Label).update(f"{t('new_hazard_at')} {unit['name']}")
        super().on_mount()

    def _apply(self, values: dict[str, str]) -> str:
        return add_hazard(
            session(self).writer,
            unit_id=self.unit_id,
            description=values["description"],
            location=values["location"] or None,
            grade=values["grade"] or "general",
            deadline=values["deadline"] or None,
            today=session(self).today,
            inspection_id=self.inspection_id,
            criterion_id=self.criterion_id,
        )


FIELD_WORDS = {"five_implementations": "五落实", "void_reason": "void reason", "closed_at": "closed"}
"""History field names that are not words of their own (the rest are their words, spaced)."""


class DocumentScreen(Screen[None]):
    """A title and a scrolling body of text: a record shown in full."""

    BINDINGS: ClassVar = [Binding("escape", "app.pop_screen", "Back", id="document.back")]

    def compose(self) -> ComposeResult:
        yield Static(id="title", classes="title")
        with VerticalScroll():
            yield Static(id="body")
        yield from chrome()

    def show(self, title: str, lines: list[str]) -> None:
        self.query_one("#title", Static).update(title)
        self.query_one("#body", Static).update("\n".join(lines))


class HazardScreen(DocumentScreen):
    """Every field, the frozen responsibility persons, progress, verifications and history."""

    BINDINGS: ClassVar = [
        Binding("escape", "app.pop_screen", "Back", id="hazard.back"),
        Binding("e", "edit", "Edit", id="hazard.edit"),
        *[
            Binding(key, f"act('{action}')", action.replace("_", " ").capitalize(), id=f"hazard.{action}")
            for action, key in ACTION_KEYS.items()
        ],
        Binding("R", "request_extension", "Request extension", id="hazard.extension"),
        Binding("O", "issue_order", "Order document", id="hazard.order_document"),
        Binding("a", "attach", "Attach photo", id="hazard.attach"),
        Binding("P", "evidence", "Photos", id="hazard.evidence"),
    ]

    def __init__(self, hazard_id: str):
        super().__init__()
        self.hazard_id = hazard_id

    def compose(self) -> ComposeResult:
        yield Static(id="title", classes="title")
        with VerticalScroll():
            yield Static(id="body")
            with Horizontal(id="evidence"):
                yield Vertical(id="before")
                yield Vertical(id="after")
        yield from chrome()

    def show_evidence(self, found: list[dict[str, Any]]) -> None:
        """Before and after side by side, thumbnails where this laptop holds them."""
        store = files_beside(session(self).conn)
        for column, roles in (("before", ("before",)), ("after", ("after", "evidence", "document"))):
            pane = self.query_one(f"#{column}", Vertical)
            pane.remove_children()
            shown = [a for a in found if a["role"] in roles]
            pane.mount(Label(f"[b]{t('role.' + column)}[/] ({len(shown)})"))
            for a in shown:
                path = store.path(a["thumb_sha256"]) if store and a["thumb_here"] else None
                pane.mount(Picture(path, caption(a)))

    def on_mount(self) -> None:
        self.refresh_data()

    def refresh_data(self) -> None:
        app = session(self)
        h = self.hazard = show_hazard(app.conn, self.hazard_id, today=app.today, rules=app.rules)
        overdue = (
            f"  [b red]{t('overdue')} {h['days_overdue']}{t('days')} ({h['escalation_level']})[/]"
            if h["overdue"]
            else ""
        )
        lines = [
            f"[b]{t('status')}[/] {status_label(h['status'])}   [b]{t('grade')}[/] {grade_label(h['grade'])}   "
            f"[b]{t('deadline')}[/] {h['deadline'] or '-'}{overdue}",
            f"[b]{t('unit')}[/] {h['unit_name']}   [b]{t('area')}[/] {h['area']}   [b]{t('location')}[/] {h['location'] or '-'}",
            f"[b]{t('rectifier')}[/] {h['rectifier'] or '-'}   [b]{t('found')}[/] {local_time(h['found_at'])} ({h['found_by']}, {h['source']})",
        ]
        if h["five_implementations"]:
            lines.append(escape(shown_value(h["five_implementations"])))
        if h["void_reason"]:
            lines.append(f"[b]void[/] {h['void_reason']}")
        lines += ["", f"[b]{t('responsibility')}[/]"]
        lines += [
            f"  {kind_label(r['kind'])}: {r['person']} ({r.get('org') or ''})" for r in h["responsibility_snapshot"]
        ] or ["  -"]
        lines += ["", f"[b]{t('progress')}[/]"] + (
            [f"  {local_time(p['at'])} {p['author']}: {p['note']}" for p in h["progress"]] or ["  -"]
        )
        lines += ["", f"[b]{t('verifications')}[/]"] + (
            [f"  {local_time(v['at'])} {v['author']}: {v['result']} — {v['opinion']}" for v in h["verifications"]]
            or ["  -"]
        )
        lines += ["", f"[b]{t('history')}[/]"]
        for e in h["history"]:
            changes = "; ".join(
                f"{FIELD_WORDS.get(k) or k.replace('_', ' ')}: {escape(shown_value(v))[:80]}"
                for k, v in e["fields"].items()
                if k not in ("responsibility_snapshot", "found_at", "found_by", "unit_id", "area")
            )
            lines.append(
                f"  {local_time(e['at'])}  {e['actor']}  {action_label(e['action'])}  {escape('[' + e['sync_status'] + ']')}"
                f"{'  ' + escape(e['reason']) if e['reason'] else ''}\n      {changes}"
            )
        allowed = [
            f"{ACTION_KEYS[a.name]}: {action_label(a.name)}" for a in ACTIONS.values() if h["status"] in a.sources
        ]
        edit = f"e: {key_label('Edit')}   a: {key_label('Attach photo')}   P: {key_label('Photos')}"
        lines += ["", "[dim]" + ("   ".join([*allowed, edit]) if allowed else t("final")) + "[/]"]
        self.show(f"{t('hazard')} — {h['description']}", lines)
        self.show_evidence(h["attachments"])

    def action_attach(self) -> None:
        role = "before" if self.hazard["status"] == "reported" else "after"
        open_attach(self, self.hazard_id, role)

    def action_evidence(self) -> None:
        self.app.push_screen(EvidenceScreen(self.hazard_id, f"{t('evidence')} — {self.hazard['description']}"))

    def action_act(self, action: str) -> None:
        try:
            check_action(
                self.hazard["status"],
                self.hazard["grade"],
                action,
                {p: "x" for p in ACTIONS[action].requires}
                | {"five_implementations": dict.fromkeys(FIVE_IMPLEMENTATIONS, "x")},
            )
        except DomainError as err:
            self.notify(user_message(err), severity="error")
            return
        self.app.push_screen(ActionScreen(self.hazard, action), self._changed)

    def action_edit(self) -> None:
        h = self.hazard
        fields = [(k, field_label(k), str(h.get(k) or "")) for k in ("description", "location", "rectifier", "grade")]

        def save(values: dict[str, str]) -> dict[str, Any]:
            changes: dict[str, object] = {k: v for k, v in values.items() if v != str(h.get(k) or "")}
            return edit_hazard(session(self).writer, self.hazard_id, changes)

        self.app.push_screen(FormScreen(f"{t('hazard')}: {key_label('Edit')}", fields, save), self._changed)

    def action_request_extension(self) -> None:
        def save(values: dict[str, str]) -> str:
            return request_extension(
                session(self).writer,
                self.hazard_id,
                reason=values["reason"],
                proposed_deadline=values["deadline"],
                today=session(self).today,
            )

        fields = [("deadline", field_label("deadline"), ""), ("reason", field_label("reason"), "")]
        self.app.push_screen(FormScreen(t("request_extension"), fields, save), self._changed)

    def action_issue_order(self) -> None:
        """Issue a numbered order for this hazard and show the document the unit receives."""

        def save(values: dict[str, str]) -> str:
            return issue_order(
                session(self).writer,
                [self.hazard_id],
                today=session(self).today,
                deadline=values["deadline"] or None,
                served_to=values["served_to"] or None,
            )

        fields = [("deadline", "deadline (YYYY-MM-DD; empty: the hazard's)", ""), ("served_to", "served to", "")]
        self.app.push_screen(FormScreen(t("issue_order"), fields, save), self._ordered)

    def _ordered(self, order_id: Any) -> None:
        if order_id is None:
            return
        self._changed(order_id)
        text = render_text(order_document(session(self).conn, order_id))
        screen = DocumentScreen()
        self.app.push_screen(screen)
        screen.call_after_refresh(screen.show, t("issue_order"), [escape(line) for line in text.splitlines()])

    def _changed(self, result: Any) -> None:
        if result is not None:
            self.refresh_data()
            self.post_message(RecordChanged())
