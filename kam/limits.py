"""How much input KAM takes: the length of every text, the size of every list, the window of every
date. One home for the bounds: models, forms and serializers take them from here, so a limit changes
in one place and the three layers never disagree.

A model text field is made with ``bounded_text``: its ``max_length`` reaches the form field (with a
``maxlength`` on the textarea) and the serializer field, and its validator refuses longer text in
``full_clean`` (which every service runs), with Django's message naming the limit and the length. A
date a person enters carries a ``DateWindowValidator`` (``BIRTHDAY``, ``PAST_EVENT``, ``PLANNED``).
"""

from __future__ import annotations

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

# Characters.
SHORT_TEXT = 300  # one line: a next step, a note on a rating
LONG_TEXT = 4000  # what a person writes: a visit's summary, a complaint, a resolution (a page)
SYSTEM_TEXT = 2000  # what KAM writes about itself: an error, a snapshot (cut to this length)

# Items in one list input (the contacts of an interaction, ids posted at once).
MAX_LIST_ITEMS = 50


class BoundedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A list of records in a form or a filter: more than ``max_items`` is refused before any lookup;
    the rest is Django's single ``pk__in`` query."""

    def __init__(self, queryset, *, max_items: int = MAX_LIST_ITEMS, **kwargs):
        self.max_items = max_items
        super().__init__(queryset, **kwargs)

    def clean(self, value):
        if value and not isinstance(value, str) and len(value) > self.max_items:
            raise ValidationError(
                _("Choose at most %(limit)d items."), code="too_many", params={"limit": self.max_items}
            )
        return super().clean(value)


def bounded_text(verbose_name, *, max_length: int = LONG_TEXT, **kwargs) -> models.TextField:
    """A ``TextField`` with a length limit that forms, serializers and ``full_clean`` all enforce."""
    return models.TextField(
        verbose_name, max_length=max_length, validators=[MaxLengthValidator(max_length)], **kwargs
    )


def _years_from(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


@deconstructible
class DateWindowValidator:
    """A date (or the local day of a moment) within ``years_back`` before and ``years_ahead`` after
    today: no 9999-12-31 due dates, no visits in the year 1. The one window helper for every date a
    person enters; model fields carry it, so forms, the API, admin and imports all refuse alike."""

    def __init__(self, *, years_back: int, years_ahead: int):
        self.years_back, self.years_ahead = years_back, years_ahead

    def window(self) -> tuple[datetime.date, datetime.date]:
        today = timezone.localdate()
        return _years_from(today, -self.years_back), _years_from(today, self.years_ahead)

    def __call__(self, value) -> None:
        if value is None:
            return
        if isinstance(value, datetime.datetime):
            value = timezone.localdate(value) if timezone.is_aware(value) else value.date()
        earliest, latest = self.window()
        if not earliest <= value <= latest:
            raise ValidationError(
                _("Choose a date between %(earliest)s and %(latest)s."),
                code="date_out_of_window",
                params={"earliest": earliest.isoformat(), "latest": latest.isoformat()},
            )

    def __eq__(self, other):
        return isinstance(other, DateWindowValidator) and (self.years_back, self.years_ahead) == (
            other.years_back,
            other.years_ahead,
        )

    def __hash__(self):
        return hash((self.years_back, self.years_ahead))


# The windows, by kind of date.
BIRTHDAY = DateWindowValidator(years_back=120, years_ahead=0)
PAST_EVENT = DateWindowValidator(years_back=30, years_ahead=1)  # a visit, a complaint, an order (the
# services refine the future side: an interaction at most KAM_INTERACTION_MAX_FUTURE_DAYS ahead)
PLANNED = DateWindowValidator(years_back=30, years_ahead=5)  # a next step, a due date, a target
