"""Reporting periods as people write them: a year, a quarter, a month.

Who calls this: reports and assessment (`safecity report ... --period 2026Q3`). A period is a
closed range of dates; its *as-of* day is its end, or today while it is still running, so a
report of the current quarter counts what is overdue today, not at a future quarter's end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from schema.errors import DomainError

_PATTERN = re.compile(r"^(\d{4})(?:-?Q([1-4])|-(\d{2}))?$", re.IGNORECASE)


@dataclass(frozen=True)
class Period:
    label: str
    start: date
    end: date

    def as_of(self, today: date) -> date:
        return min(self.end, today)


def parse_period(text: str) -> Period:
    """'2026', '2026Q3' (or '2026-Q3'), '2026-09'; else DomainError with the accepted forms."""
    match = _PATTERN.match(text.strip())
    if not match:
        raise DomainError(f"a period is written 2026, 2026Q3 or 2026-09; got {text!r}")
    year = int(match[1])
    if match[2]:
        quarter = int(match[2])
        start = date(year, 3 * quarter - 2, 1)
        end = _month_end(year, 3 * quarter)
        return Period(f"{year}Q{quarter}", start, end)
    if match[3]:
        month = int(match[3])
        if not 1 <= month <= 12:
            raise DomainError(f"month must be 01 to 12; got {text!r}")
        return Period(f"{year}-{month:02d}", date(year, month, 1), _month_end(year, month))
    return Period(str(year), date(year, 1, 1), date(year, 12, 31))


def current_quarter(today: date) -> Period:
    return parse_period(f"{today.year}Q{(today.month - 1) // 3 + 1}")


def months_back(today: date, count: int) -> list[Period]:
    """The last `count` months, oldest first, ending with this month."""
    year, month = today.year, today.month
    periods = []
    for _ in range(count):
        periods.append(parse_period(f"{year}-{month:02d}"))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return periods[::-1]


def _month_end(year: int, month: int) -> date:
    first_next = date(year + month // 12, month % 12 + 1, 1)
    return first_next - timedelta(days=1)
