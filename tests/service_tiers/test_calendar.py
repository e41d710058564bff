"""The care calendar: festivals by the lunar calendar, birthdays (29 February too), anniversaries."""

import datetime

import pytest

from service_tiers.calendar import festival_date, festivals_between, month_days_between, next_occurrence
from service_tiers.selectors import care_events
from tests.factories import ContactFactory, OrderFactory
from tests.service_tiers.conftest import snapshot

D = datetime.date


@pytest.mark.parametrize(
    ("key", "year", "day"),
    [
        ("spring_festival", 2024, D(2024, 2, 10)),
        ("spring_festival", 2025, D(2025, 1, 29)),
        ("spring_festival", 2026, D(2026, 2, 17)),
        ("dragon_boat", 2025, D(2025, 5, 31)),
        ("dragon_boat", 2026, D(2026, 6, 19)),
        ("mid_autumn", 2024, D(2024, 9, 17)),
        ("mid_autumn", 2025, D(2025, 10, 6)),
        ("mid_autumn", 2026, D(2026, 9, 25)),
    ],
)
def test_festival_dates_follow_the_lunar_calendar(key, year, day):
    assert festival_date(key, year) == day


def test_festivals_in_a_window_spanning_the_new_year():
    found = festivals_between(D(2024, 12, 20), D(2025, 2, 10))
    assert [(festival.key, festival.day) for festival in found] == [("spring_festival", D(2025, 1, 29))]


def test_a_29_february_birthday_is_greeted_on_28_february_in_other_years():
    assert "02-29" in month_days_between(D(2026, 2, 25), D(2026, 3, 3))
    assert "02-29" in month_days_between(D(2028, 2, 29), D(2028, 2, 29))
    assert next_occurrence(2, 29, on_or_after=D(2026, 1, 1)) == D(2026, 2, 28)
    assert next_occurrence(2, 29, on_or_after=D(2027, 12, 1)) == D(2028, 2, 29)


def test_care_events_respect_the_tier_programme(world, freeze):
    freeze(2026, 9, 21)
    snapshot(world.own_account, D(2026, 9, 1), "A")
    ContactFactory(account=world.own_account, name="刘芳", birthday=D(1980, 9, 23))
    ContactFactory(account=world.own_account, name="陈强", birthday=D(1976, 2, 29))
    OrderFactory(account=world.own_account, order_date=D(2021, 9, 26))
    snapshot(world.foreign_account, D(2026, 9, 1), "C")  # C: Spring Festival only
    ContactFactory(account=world.foreign_account, name="赵敏", birthday=D(1990, 9, 22))

    events = care_events(
        scope=[world.own_account.pk, world.foreign_account.pk], start=D(2026, 9, 21), end=D(2026, 9, 27)
    )
    summary = [(event["kind"], event["account_id"], event["day"]) for event in events]
    assert summary == [
        ("birthday", world.own_account.pk, D(2026, 9, 23)),
        ("festival", world.own_account.pk, D(2026, 9, 25)),  # Mid-Autumn
        ("anniversary", world.own_account.pk, D(2026, 9, 26)),
    ]
    leap = care_events(scope=[world.own_account.pk], start=D(2027, 2, 26), end=D(2027, 3, 4))
    assert [(event["kind"], event["day"]) for event in leap] == [("birthday", D(2027, 2, 28))]
