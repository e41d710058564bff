"""The care calendar: Chinese festivals by the lunar calendar, and birthdays on the solar calendar.

Festival dates come from lunar_python (6tail's lunar library, computed from astronomical data for
1900–2100), never from a hand-written table.
"""

from __future__ import annotations

import calendar
import functools
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext_lazy as _
from lunar_python import Lunar

# (key, lunar month, lunar day, label, tier flag)
FESTIVALS = (
    ("spring_festival", 1, 1, _("Spring Festival"), "care_spring_festival"),
    ("dragon_boat", 5, 5, _("Dragon Boat Festival"), "care_dragon_boat"),
    ("mid_autumn", 8, 15, _("Mid-Autumn Festival"), "care_mid_autumn"),
)
FESTIVAL_LABELS = {key: label for key, _m, _d, label, _flag in FESTIVALS}
FESTIVAL_FLAGS = {key: flag for key, _m, _d, _label, flag in FESTIVALS}


@dataclass(frozen=True)
class Festival:
    key: str
    day: date

    @property
    def label(self):
        return FESTIVAL_LABELS[self.key]


@functools.lru_cache(maxsize=512)
def festival_date(key: str, year: int) -> date:
    """The solar date of a festival in the lunar year that starts in ``year`` (cached: the lunar
    library computes a whole year of new moons and solar terms for each call)."""
    _key, month, day, _label, _flag = next(f for f in FESTIVALS if f[0] == key)
    solar = Lunar.fromYmd(year, month, day).getSolar()
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def festivals_between(start: date, end: date) -> list[Festival]:
    """Festivals falling on a day from ``start`` to ``end`` (both included), in date order."""
    found = []
    # A lunar year starts in late January or February, so a solar year holds festivals of its own lunar
    # year; looking one year back covers a window that starts before the Spring Festival.
    for year in range(start.year - 1, end.year + 1):
        for key, *_rest in FESTIVALS:
            day = festival_date(key, year)
            if start <= day <= end:
                found.append(Festival(key, day))
    return sorted(found, key=lambda festival: festival.day)


def days_between(start: date, end: date) -> list[date]:
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


def month_days_between(start: date, end: date) -> list[str]:
    """The "MM-DD" of every day in the window, for matching birthdays and anniversaries in SQL.

    Someone born on 29 February is greeted on 28 February in a year without a 29 February.
    """
    month_days = []
    for day in days_between(start, end):
        month_days.append(f"{day:%m-%d}")
        if day.month == 2 and day.day == 28 and not calendar.isleap(day.year):
            month_days.append("02-29")
    return month_days


def next_occurrence(month: int, day: int, *, on_or_after: date) -> date:
    """The next date with this month and day on or after a date (29 February → 28 February when the
    year has none)."""
    for year in (on_or_after.year, on_or_after.year + 1):
        if month == 2 and day == 29 and not calendar.isleap(year):
            candidate = date(year, 2, 28)
        else:
            candidate = date(year, month, day)
        if candidate >= on_or_after:
            return candidate
    raise AssertionError("unreachable")  # pragma: no cover
