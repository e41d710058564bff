"""Service plans derived from the effective grade and the history, in frozen Shanghai time."""

import datetime

import pytest

from accounts.models import Account
from scoring.models import GradeOverride
from service_tiers.selectors import account_service_plan
from tests.factories import AccountFactory, SatisfactionSurveyFactory
from tests.service_tiers.conftest import at, snapshot, visit

D = datetime.date


def plan_of(account):
    return account_service_plan(account=account)


def test_an_account_without_a_grade_is_served_as_c_and_says_so(world, freeze):
    freeze(2026, 5, 10)
    result = plan_of(world.own_account)
    assert result["tier"].key == "C"
    assert result["ungraded"] is True


def test_next_revisit_is_due_one_cadence_after_the_last_visit_or_meeting(world, freeze):
    freeze(2026, 5, 10)
    snapshot(world.own_account, D(2026, 5, 1), "A")
    visit(world.own_account, at(2026, 4, 1), kind="meeting")
    visit(world.own_account, at(2026, 4, 20), kind="call")  # a call is not a revisit
    result = plan_of(world.own_account)
    assert result["tier"].key == "A"
    assert result["plan"]["revisit_due_on"] == D(2026, 5, 1)
    assert result["revisit_overdue"] is True


@pytest.mark.parametrize(
    ("grade", "last_visit", "due"),
    [
        ("A", at(2024, 1, 31), D(2024, 3, 1)),  # across a leap February: 31 Jan + 30 days
        ("A", at(2023, 1, 31), D(2023, 3, 2)),  # the same without a leap day
        ("B", at(2024, 12, 31), D(2025, 3, 1)),  # across the year end: 60 days
        ("C", at(2024, 2, 29), D(2024, 5, 29)),  # from a leap day: 90 days
    ],
)
def test_revisit_due_dates_over_month_ends_and_leap_days(world, freeze, grade, last_visit, due):
    freeze(last_visit.year, last_visit.month, last_visit.day, 12)
    snapshot(world.own_account, D(last_visit.year, last_visit.month, 1), grade)
    visit(world.own_account, last_visit)
    assert plan_of(world.own_account)["plan"]["revisit_due_on"] == due


def test_a_late_evening_visit_counts_on_its_shanghai_day(world, freeze):
    freeze(2026, 2, 1)
    snapshot(world.own_account, D(2026, 1, 1), "A")
    # 23:30 in Shanghai is 15:30 UTC the same day; 00:30 on 1 February is still 31 January in UTC.
    visit(world.own_account, at(2026, 1, 31, 23, 30))
    assert plan_of(world.own_account)["plan"]["last_visit_on"] == D(2026, 1, 31)
    visit(world.own_account, at(2026, 2, 1, 0, 30))
    assert plan_of(world.own_account)["plan"]["last_visit_on"] == D(2026, 2, 1)
    assert plan_of(world.own_account)["plan"]["revisit_due_on"] == D(2026, 3, 3)


@pytest.mark.parametrize(
    ("grade", "last_sent", "due"),
    [
        ("A", D(2025, 11, 30), D(2026, 2, 28)),  # three months from a month end: clamped to February
        ("A", D(2023, 11, 29), D(2024, 2, 29)),  # a leap year keeps the 29th
        ("B", D(2024, 8, 31), D(2025, 2, 28)),  # six months
        ("C", D(2024, 2, 29), D(2025, 2, 28)),  # a year after a leap day
    ],
)
def test_next_survey_is_due_one_cadence_after_the_last_one_sent(world, freeze, grade, last_sent, due):
    freeze(last_sent.year, last_sent.month, last_sent.day)
    snapshot(world.own_account, last_sent.replace(day=1), grade)
    SatisfactionSurveyFactory(account=world.own_account, sent_on=last_sent)
    assert plan_of(world.own_account)["plan"]["survey_due_on"] == due


def test_a_regrade_changes_the_plan_at_once_and_the_page_says_what_changed(client, world, freeze):
    freeze(2026, 6, 5)
    visit(world.own_account, at(2026, 5, 1))
    snapshot(world.own_account, D(2026, 5, 1), "C", total="55.00")
    assert plan_of(world.own_account)["plan"]["revisit_due_on"] == D(2026, 7, 30)

    snapshot(world.own_account, D(2026, 6, 1), "A", total="80.00")  # the June re-grade
    result = plan_of(world.own_account)
    assert result["tier"].key == "A"
    assert result["plan"]["revisit_due_on"] == D(2026, 5, 31)
    assert result["change"].previous_tier.key == "C"
    assert any("90 days → 30 days" in line for line in result["change"].changes)

    client.force_login(world.manager)
    page = client.get(f"/accounts/{world.own_account.pk}/")
    assert 'data-testid="service-plan"' in page.text
    assert "C (ordinary account) → A (key account)" in page.text


def test_a_directors_override_sets_the_tier(world, freeze):
    freeze(2026, 6, 5)
    snapshot(world.own_account, D(2026, 6, 1), "C")
    GradeOverride.objects.create(
        account=world.own_account,
        grade="A",
        reason="战略客户",
        expires_on=D(2026, 6, 30),
        author=world.director,
    )
    assert plan_of(world.own_account)["tier"].key == "A"
    freeze(2026, 7, 1)  # the override ended yesterday
    assert plan_of(world.own_account)["tier"].key == "C"


def test_blacklisted_accounts_get_the_blacklist_tier_and_no_revisits(world, freeze):
    freeze(2026, 6, 5)
    account = AccountFactory(owner=world.manager, region=world.east, status=Account.Status.BLACKLISTED)
    snapshot(account, D(2026, 6, 1), "A")
    result = plan_of(account)
    assert result["tier"].key == "blacklist"
    assert result["plan"]["revisit_due_on"] is None
    assert result["plan"]["survey_due_on"] is None


def test_prospects_have_no_revisit_plan(world, freeze):
    freeze(2026, 6, 5)
    account = AccountFactory(owner=world.manager, region=world.east, status=Account.Status.PROSPECT)
    assert plan_of(account)["plan"]["revisit_due_on"] is None


def test_account_page_plan_panel_keeps_a_fixed_number_of_queries(client, world, django_assert_num_queries):
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from tests.factories import ComplaintFactory, ContactFactory

    client.force_login(world.manager)
    url = f"/accounts/{world.own_account.pk}/"
    visit(world.own_account, at(2026, 1, 1))
    ComplaintFactory(account=world.own_account)
    ContactFactory(account=world.own_account, birthday=D(1980, 1, 1))
    client.get(url)
    reset_queries()  # a request resets the log: start from an empty one
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for day in range(1, 6):
        visit(world.own_account, at(2026, 1, day))
        ComplaintFactory(account=world.own_account)
        ContactFactory(account=world.own_account, birthday=D(1980, 1, day))
    with django_assert_num_queries(len(few)):
        assert client.get(url).status_code == 200


def test_an_account_not_graded_in_the_latest_month_keeps_the_tier_of_its_own_latest_grade(world, freeze):
    freeze(2026, 11, 5)
    snapshot(world.own_account, D(2026, 8, 1), "C")
    snapshot(world.own_account, D(2026, 9, 1), "A")  # its latest: not graded in October
    snapshot(world.foreign_account, D(2026, 10, 1), "B")  # the latest graded month
    plans = {
        row["account_id"]: row
        for row in _plan_rows(Account.objects.filter(pk__in=[world.own_account.pk, world.foreign_account.pk]))
    }
    assert (plans[world.own_account.pk]["tier_key"], plans[world.own_account.pk]["graded_period"]) == (
        "A",
        D(2026, 9, 1),
    )
    assert plans[world.foreign_account.pk]["tier_key"] == "B"


def _plan_rows(scope):
    from django.db import connection

    from service_tiers.plans import plan_sql

    sql, params = plan_sql(scope, today=D(2026, 11, 5))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = [column.name for column in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
