"""Looking back (回头看) in the terminal app: reviews, their items, and recording findings.

Who calls this: the app's `B` key. The rules (evidence before done, a recurrence is a new hazard
linked to the closed one) live in `schema.office.lookback`; the forms here only collect the fields and
show its refusals inline.
"""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on
from textual.binding import Binding
from textual.widgets import DataTable, Static

from schema.office import lookback
from tui.context import session
from tui.i18n import t
from tui.phrases import area_label
from tui.screens.forms import FormScreen
from tui.screens.records import RecordsScreen


class LookbackScreen(RecordsScreen):
    """Reviews, newest first; `enter` opens one, `n` records a new review."""

    BINDINGS: ClassVar = [
        Binding("n", "new_review", "New review", id="lookback.new_review"),
        Binding("escape", "app.pop_screen", "Back", id="lookback.back"),
    ]
    TITLE_KEY = "lookback"
    COLUMNS = ("reviewed_on", "area", "open_items", "title")

    def load(self) -> list[dict[str, Any]]:
        return lookback.list_reviews(session(self).conn)

    def cells(self, r: dict[str, Any]) -> tuple[Any, ...]:
        return r["reviewed_on"], area_label(r["area"]), f"{r['open_items']}/{r['items']}", r["title"]

    @on(DataTable.RowSelected)
    def open_review(self) -> None:
        review = self.current()
        if review:
            self.app.push_screen(ReviewScreen(review["id"]))

    def action_new_review(self) -> None:
        def save(values: dict[str, str]) -> str:
            return lookback.add_review(
                session(self).writer,
                area=values["area"],
                title=values["title"],
                reviewed_on=values["on"] or session(self).today.isoformat(),
                unit_id=values["unit"] or None,
            )

        fields = [
            ("area", "area code", ""),
            ("title", t("title"), ""),
            ("on", "date (YYYY-MM-DD; empty: today)", ""),
            ("unit", "unit id (optional)", ""),
        ]
        self.app.push_screen(FormScreen(t("lookback"), fields, save), self.changed)


class ReviewScreen(RecordsScreen):
    """One review's items: `n` records a finding, `d` marks one done (with its evidence)."""

    BINDINGS: ClassVar = [
        Binding("n", "new_item", "New item", id="review.new_item"),
        Binding("d", "done", "Done (with evidence)", id="review.done"),
        Binding("escape", "app.pop_screen", "Back", id="review.back"),
    ]
    COLUMNS = ("status", "deadline", "gap", "cause", "measure", "owner")

    def __init__(self, review_id: str):
        super().__init__()
        self.review_id = review_id

    def load(self) -> list[dict[str, Any]]:
        review = lookback.show_review(session(self).conn, self.review_id)
        self.query_one(".title", Static).update(f"{review['title']} — {review['area']}, {review['reviewed_on']}")
        return review["items"]

    def cells(self, i: dict[str, Any]) -> tuple[Any, ...]:
        return i["status"], i["deadline"] or "-", i["gap"], i["cause"] or "", i["measure"] or "", i["owner"] or ""

    def action_new_item(self) -> None:
        def save(values: dict[str, str]) -> dict[str, str]:
            return lookback.add_item(
                session(self).writer,
                self.review_id,
                gap=values["gap"],
                cause=values["cause"] or None,
                measure=values["measure"] or None,
                owner=values["owner"] or None,
                deadline=values["deadline"] or None,
                hazard_id=values["hazard"] or None,
                recurrence=values["recurrence"].lower() in ("y", "yes", "是"),
                today=session(self).today,
            )

        fields = [
            ("gap", "gap (差距)", ""),
            ("cause", "cause (原因)", ""),
            ("measure", "measure (措施)", ""),
            ("owner", "owner", ""),
            ("deadline", "deadline (YYYY-MM-DD)", ""),
            ("hazard", "hazard id (optional)", ""),
            ("recurrence", "recurrence of that closed hazard? (y/n)", "n"),
        ]
        self.app.push_screen(FormScreen(t("lookback"), fields, save), self._item_added)

    def _item_added(self, result: Any) -> None:
        self.changed(result)
        if isinstance(result, dict) and result.get("hazard"):
            self.notify(f"recurrence reported as hazard {result['hazard']}")

    def action_done(self) -> None:
        item = self.current()
        if item is None:
            return

        def save(values: dict[str, str]) -> Any:
            return (
                lookback.update_item(
                    session(self).writer, item["id"], status="done", evidence=values["evidence"] or None
                )
                or True
            )

        self.app.push_screen(
            FormScreen(f"done: {item['gap']}", [("evidence", "evidence", item["evidence"] or "")], save), self.changed
        )
