"""The app's dialogs: a form that may refuse, and a yes/no confirmation.

Who uses this: every screen that writes (a hazard's actions, a new hazard, notes, decisions).
A form validates through the same rules as the CLI, shows the refusal under its fields (wrapped,
never cut at the dialog's edge) and keeps what was typed. What a tired inspector does to a form
is part of its design:
- Enter on a field moves to the next, and on the last one saves; Enter pressed again while the
  saved form is closing does nothing (it used to save a second time, or end the app).
- Esc on a form holding something typed asks before throwing it away.
- A question over the form is asked once (`ask`): the second Enter or Esc of a hurried double
  press reaches the form before the question is on screen, and asking again would leave a
  question behind that the answer's closing of the form then took instead of the form.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select

from schema.errors import DomainError
from tui.context import RecordChanged, session
from tui.i18n import t
from tui.phrases import user_message

Choices = Sequence[tuple[str, str]]
"""A field's allowed values as (label, value) pairs: the field is a picker, not free text."""


class FormScreen(ModalScreen[Any]):
    """Fields, a submit that may refuse, and the refusal shown inline."""

    BINDINGS: ClassVar = [
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
        Binding("ctrl+s", "submit", "Save", id="form.save"),
    ]

    def __init__(
        self,
        title: str,
        fields: list[tuple[str, str, str]],
        submit: Callable[[dict[str, str]], Any],
        *,
        choices: dict[str, Choices] | None = None,
    ):
        super().__init__()
        self.form_title, self.fields, self.submit_values = title, fields, submit
        self.choices = choices or {}
        self.closing = False
        """Set once the form saved or was cancelled: keys still arriving are ignored."""
        self.asking = False
        """Set while a question over this form waits for its answer: submit and cancel wait too."""
        self._initial: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        with Vertical(classes="form"):
            yield Label(self.form_title, classes="title")
            for name, label, value in self.fields:
                yield Label(label, classes="muted", id=f"label-{name}")
                if name in self.choices:
                    options = self.choices[name]
                    start = value if any(v == value for _l, v in options) else options[0][1]
                    yield Select(options, value=start, allow_blank=False, id=f"field-{name}")
                else:
                    yield Input(value=value, id=f"field-{name}")
            yield Label("", id="form-error", classes="error")
            yield Label(t("form.keys"), classes="muted")

    def on_mount(self) -> None:
        self._initial = self.values()
        widgets = self.query("Input, Select")
        if widgets:
            widgets.first().focus()

    def values(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for name, _label, _value in self.fields:
            widget = self.query_one(f"#field-{name}")
            value = widget.value if isinstance(widget, Input | Select) else ""
            found[name] = str(value).strip() if value is not Select.BLANK else ""
        return found

    @on(Input.Submitted)
    def next_or_submit(self, event: Input.Submitted) -> None:
        """Enter: the next field shown (a form may hide fields its choice does not need), or save
        on the last one."""
        widgets = [w for w in self.query("Input, Select") if w.display or w is event.input]
        index = widgets.index(event.input)
        if index + 1 < len(widgets):
            widgets[index + 1].focus()
        else:
            self.action_submit()

    def ask(self, question: str, then: Callable[[], None]) -> None:
        """Ask `question` over this form, once, and run `then` if the answer is yes."""
        if self.asking or self.closing:
            return

        def answered(yes: bool | None) -> None:
            self.asking = False
            if yes and not self.closing:
                then()

        self.asking = True
        self.app.push_screen(ConfirmScreen(question), answered)

    def action_submit(self) -> None:
        if self.closing or self.asking:
            return  # Enter pressed twice: the first one saved, or asked
        try:
            result = self.submit_values(self.values())
        except DomainError as err:
            self.query_one("#form-error", Label).update(user_message(err))
            return
        self.closing = True
        session(self).form_saved()
        self.app.post_message(RecordChanged())  # to the app: this screen is about to close
        self.dismiss(result)

    def action_cancel(self) -> None:
        if self.closing or self.asking:
            return
        if self.values() == self._initial:
            self._close()
            return
        self.ask(t("form.discard"), self._close)

    def _close(self) -> None:
        self.closing = True
        self.dismiss(None)


class ConfirmScreen(ModalScreen[bool]):
    """A question answered with y or n (or Esc); asked once, answered once. Enter is not yes: the
    questions guard what cannot be taken back, and a hurried Enter must not answer them."""

    BINDINGS: ClassVar = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str):
        super().__init__()
        self.question = question
        self.answered = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="form"):
            yield Label(self.question, classes="title")
            yield Label(t("confirm.keys"), classes="muted")

    def action_answer(self, yes: bool) -> None:
        if not self.answered:
            self.answered = True
            self.dismiss(yes)
