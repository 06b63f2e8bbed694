"""The table every list of records uses: the same keys on every list, as in lazygit or k9s.

Who uses this: the inspections, checklist, units, conflicts and rejected screens and the office's
lists (the triage list has its own virtual widget with the same keys, `widgets.hazard_list`).
Textual's DataTable moves with the arrows only; inspectors expect `j`/`k` and `g`/`G` too.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import DataTable


class RecordTable(DataTable[object]):
    """A DataTable of records with vi-style movement."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Down", id="table.down", show=False),
        Binding("k", "cursor_up", "Up", id="table.up", show=False),
        Binding("g", "scroll_top", "First row", id="table.first", show=False),
        Binding("G", "scroll_bottom", "Last row", id="table.last", show=False),
    ]
