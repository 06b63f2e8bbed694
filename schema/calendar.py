"""Deadlines in calendar days or working days.

Rectification deadlines are often set in working days, and China's calendar moves working
days around public holidays: a holiday week is paid for by working a Saturday or Sunday
(调休). That calendar changes every year by State Council notice, so it is data (the
`holiday` table), never code. A day is a working day if the calendar says 'workday', else if
it is not a weekend and the calendar does not say 'holiday'.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from datetime import date, timedelta

from schema.errors import DomainError


def local_today() -> date:
    """Today's date; `SAFECITY_TODAY` (YYYY-MM-DD) pins it for demos and tests."""
    pinned = os.environ.get("SAFECITY_TODAY")
    if pinned:
        try:
            return date.fromisoformat(pinned)
        except ValueError:
            raise DomainError(f"SAFECITY_TODAY must be a date written YYYY-MM-DD; got {pinned!r}") from None
    return date.today()


@dataclass(frozen=True)
class Calendar:
    holidays: frozenset[date] = field(default_factory=frozenset)
    """Days off that would otherwise be working days."""
    workdays: frozenset[date] = field(default_factory=frozenset)
    """Weekend days that are working days by swap (调休)."""

    @classmethod
    def from_db(cls, conn: sqlite3.Connection) -> Calendar:
        rows = conn.execute("SELECT day, kind FROM holiday").fetchall()
        return cls(
            holidays=frozenset(date.fromisoformat(d) for d, k in rows if k == "holiday"),
            workdays=frozenset(date.fromisoformat(d) for d, k in rows if k == "workday"),
        )

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: date, days: int) -> date:
        """The date `days` working days after `start` (start itself does not count)."""
        if days < 0:
            raise ValueError("days must not be negative")
        day = start
        while days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                days -= 1
        return day

    def deadline(self, start: date, days: int, *, working_days: bool) -> date:
        """A deadline `days` after `start`, counted as the local rules say."""
        if working_days:
            return self.add_working_days(start, days)
        return start + timedelta(days=days)
