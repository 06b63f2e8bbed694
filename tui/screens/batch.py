"""One lifecycle action for every marked hazard: pick the action, see which hazards it will
apply to and why not the others, apply, and be told exactly what happened.

Who opens this: `a` on triage with rows marked (space). The action is picked from the list of
actions (never free text, never pre-filled with a destructive one); the form shows only the
fields that action needs (an order of major hazards asks for the five implementations). Each
hazard is its own transaction, so one refusal does not undo the others; the hazards not acted on
stay marked, with their reasons in the result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.markup import escape
from textual import on
from textual.widgets import Input, Select, Static

from schema.errors import DomainError
from schema.hazards import act
from schema.rules import ACTIONS, FIVE_IMPLEMENTATIONS, check_action
from tui.context import session
from tui.i18n import action_label, t
from tui.phrases import user_message
from tui.screens.forms import FormScreen

PARAMS = ("deadline", "rectifier", "note", "opinion", "reason", *FIVE_IMPLEMENTATIONS)
"""Every parameter an action may take, in the order the form shows them."""


def fields_for(action: str, grades: set[str]) -> set[str]:
    """The parameters the form asks for when `action` is applied to hazards of `grades`."""
    if action == "order":
        return {"deadline", "rectifier", *(FIVE_IMPLEMENTATIONS if "major" in grades else ())}
    return set(ACTIONS[action].requires) if action in ACTIONS else set()


@dataclass
class BatchResult:
    """What a batch did: the hazards acted on, and the others with the reason for each."""

    action: str
    applied: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        text = f"{action_label(self.action)}: {len(self.applied)} / {len(self.applied) + len(self.failed)}"
        if self.failed:
            text += f"; {t('not_applied')}: " + "; ".join(self.failed.values())
        return text


class BatchActionScreen(FormScreen):
    """The batch form: the action, the fields it needs, and a preview of every marked hazard."""

    def __init__(self, hazard_ids: list[str]):
        choices = [(f"— {t('choose_action')} —", ""), *((action_label(a), a) for a in ACTIONS)]
        fields = [("action", t("action"), ""), *((name, t(f"param.{name}"), "") for name in PARAMS)]
        super().__init__(f"{len(hazard_ids)} {t('marked')}", fields, self._apply, choices={"action": choices})
        self.hazard_ids = hazard_ids

    def on_mount(self) -> None:
        self.query_one(".form").mount(Static(id="preview"), before=self.query_one("#form-error"))
        super().on_mount()
        self.hazards = {h: dict(session(self).writer.get("hazard", h)) for h in self.hazard_ids}
        self.preview()

    def _params(self, values: dict[str, str]) -> dict[str, object]:
        shown = fields_for(values["action"], {h["grade"] for h in self.hazards.values()})
        params: dict[str, object] = {k: v for k, v in values.items() if v and k in shown and k in PARAMS}
        five = {k: params.pop(k) for k in FIVE_IMPLEMENTATIONS if k in params}
        if five:
            params["five_implementations"] = five
        return params

    @on(Select.Changed)
    @on(Input.Changed)
    def preview(self) -> None:
        values = self.values()
        action = values["action"]
        shown = fields_for(action, {h["grade"] for h in self.hazards.values()})
        for name in PARAMS:
            for widget in (self.query_one(f"#field-{name}"), self.query_one(f"#label-{name}")):
                widget.display = name in shown
        lines = [f"[b]{t('preview')}[/]"]
        params = self._params(values)
        for hazard in self.hazards.values():
            if not action:
                verdict = ""
            else:
                try:
                    check_action(hazard["status"], hazard["grade"], action, params)
                    verdict = f"[green]{t('allowed')}[/]"
                except DomainError as err:
                    verdict = f"[red]{t('refused')}: {escape(user_message(err))}[/]"
            lines.append(f"  {escape(hazard['description'][:30])}  {verdict}")
        self.query_one("#preview", Static).update("\n".join(lines))

    def _apply(self, values: dict[str, str]) -> BatchResult:
        action = values["action"]
        if action not in ACTIONS:
            raise DomainError(t("choose_action_first"))
        params = self._params(values)
        result = BatchResult(action)
        writer, today = session(self).writer, session(self).today
        for hazard_id, hazard in self.hazards.items():
            try:
                act(writer, hazard_id, action, dict(params), today=today)
            except DomainError as err:
                result.failed[hazard_id] = f"{hazard['description'][:20]}: {user_message(err)}"
            else:
                result.applied.append(hazard_id)
        if not result.applied:
            raise DomainError(result.summary())  # nothing applied: the form stays, with every reason
        return result


def batch_outcome(result: Any) -> BatchResult | None:
    """The form's result as a `BatchResult` (None when it was cancelled)."""
    return result if isinstance(result, BatchResult) else None
