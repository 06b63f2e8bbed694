"""Where the app's keys lead: the named screens (`t`, `i`, `u`, ...) and every binding id.

Who calls this: the app (`action_go`, the keymap check at start) and the help screen. Screens are
imported when first asked for, so starting the app loads only the screens it shows.
"""

from __future__ import annotations

from textual.binding import Binding
from textual.screen import Screen

from tui.screens.triage import TriageScreen
from tui.widgets.hazard_list import HazardList
from tui.widgets.table import RecordTable


def _screens() -> dict[str, type[Screen[None]]]:
    from tui.screens.inspection import InspectionsScreen
    from tui.screens.misc import ConflictsScreen, RejectedScreen
    from tui.screens.office.lookback import LookbackScreen
    from tui.screens.office.work import (
        AssessmentScreen,
        DashboardScreen,
        EscalationsScreen,
        ExtensionsScreen,
        ListingsScreen,
    )
    from tui.screens.units import UnitsScreen

    return {
        "triage": TriageScreen,
        "inspections": InspectionsScreen,
        "units": UnitsScreen,
        "conflicts": ConflictsScreen,
        "rejected": RejectedScreen,
        "dashboard": DashboardScreen,
        "escalations": EscalationsScreen,
        "extensions": ExtensionsScreen,
        "listings": ListingsScreen,
        "assessment": AssessmentScreen,
        "lookback": LookbackScreen,
    }


class _Registry(dict[str, type[Screen[None]]]):
    def __missing__(self, key: str) -> type[Screen[None]]:
        self.update(_screens())
        return self[key]


SCREENS = _Registry()


def binding_classes(*more: type[object]) -> list[type[object]]:
    """Every class that declares keys: the screens, the lists, and `more` (the app passes its own
    class, which this module cannot import: the app imports it)."""
    from tui.screens.detail import ActionScreen, DocumentScreen, HazardScreen, NewHazardScreen
    from tui.screens.evidence import AttachScreen, EvidenceScreen
    from tui.screens.forms import ConfirmScreen, FormScreen
    from tui.screens.inspection import InspectionRunScreen
    from tui.screens.misc import HelpScreen
    from tui.screens.office.lookback import ReviewScreen
    from tui.screens.records import RecordsScreen
    from tui.screens.units import UnitPickerScreen, UnitScreen

    return [
        *more,
        HazardList,
        RecordTable,
        DocumentScreen,
        HazardScreen,
        ActionScreen,
        NewHazardScreen,
        InspectionRunScreen,
        UnitScreen,
        UnitPickerScreen,
        HelpScreen,
        ReviewScreen,
        FormScreen,
        ConfirmScreen,
        RecordsScreen,
        AttachScreen,
        EvidenceScreen,
        *_screens().values(),
    ]


def all_binding_ids(*more: type[object]) -> set[str]:
    """Every binding id a keymap may name: every screen's and widget's, and those of `more`."""
    return {
        b.id for cls in binding_classes(*more) for b in getattr(cls, "BINDINGS", []) if isinstance(b, Binding) and b.id
    }
