"""What every screen shows at the bottom: the sync status line and the keys.

Who uses this: every full screen's `compose` (`yield from chrome()`). The status line keeps
itself current: it watches the app's `status_text`, which the app recomputes after a sync and
after any `RecordChanged`, so the same figures show on every screen at the same moment.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Footer, Static
from textual.widgets._footer import FooterKey

from tui.phrases import key_label


class StatusLine(Static):
    """Always visible: online/offline, pending changes, last sync, conflicts, rejected."""

    def on_mount(self) -> None:
        if hasattr(self.app, "status_text"):
            self.watch(self.app, "status_text", self._show, init=True)

    def _show(self, text: str) -> None:
        self.update(text)


class Keys(Footer):
    """Textual's footer, with each key's description in the app's language (the bindings are
    declared once, in English, on their classes)."""

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                widget.description = key_label(widget.description)
            yield widget


def chrome() -> ComposeResult:
    """The status line and the footer, docked at the bottom."""
    with Vertical(classes="chrome"):
        yield StatusLine()
        yield Keys()
