"""Months ("periods": the first day of a month) as users give them: ``?period=``, ``?month=``, a month
field. One parser and one window for all of them, so a month out of range is a message next to the
field, never a 500 from date arithmetic at the edge of the calendar.

A period lies between ``EARLIEST_PERIOD`` and the current month (in the project's time zone), or up to
``future_months`` ahead where planning for later makes sense (KPI targets).
"""

from __future__ import annotations

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# Nothing in KAM is older: orders, grades and visits start well after this.
EARLIEST_PERIOD = datetime.date(2000, 1, 1)
# How far ahead a plan may reach (KPI targets), in months.
PLANNING_MONTHS = 36

_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})(?:-(\d{1,2}))?\s*$")


def current_period() -> datetime.date:
    return timezone.localdate().replace(day=1)


def months_after(period: datetime.date, months: int) -> datetime.date:
    index = period.year * 12 + period.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def latest_allowed(future_months: int = 0) -> datetime.date:
    return months_after(current_period(), future_months)


def parse_period(value, *, future_months: int = 0) -> datetime.date:
    """A month from ``YYYY-MM`` (or a date in it), within the window; ``ValidationError`` otherwise."""
    if isinstance(value, datetime.date):
        period = value.replace(day=1)
    else:
        match = _MONTH.match(str(value or ""))
        try:
            if match is None:
                raise ValueError
            day = datetime.date(int(match[1]), int(match[2]), int(match[3] or 1))
        except ValueError:
            raise ValidationError(_("Enter a month as YYYY-MM."), code="invalid") from None
        period = day.replace(day=1)
    return check_period(period, future_months=future_months)


def check_period(period: datetime.date, *, future_months: int = 0) -> datetime.date:
    if period < EARLIEST_PERIOD:
        raise ValidationError(
            _("Choose %(earliest)s or a later month."),
            code="too_early",
            params={"earliest": f"{EARLIEST_PERIOD:%Y-%m}"},
        )
    latest = latest_allowed(future_months)
    if period > latest:
        if future_months == 0:
            raise ValidationError(
                _("%(month)s has not begun yet: choose this month or an earlier one."),
                code="future",
                params={"month": f"{period:%Y-%m}"},
            )
        raise ValidationError(
            _("Choose %(latest)s or an earlier month."), code="too_late", params={"latest": f"{latest:%Y-%m}"}
        )
    return period
