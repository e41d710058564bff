"""The account page's grade panel: breakdown, history, rating and override forms, permissions."""

import datetime

import pytest
from django.urls import reverse

from scoring.models import AccountRating, AccountRatingChange, GradeOverride, GradeSnapshot
from scoring.services import regrade_period

from .conftest import IN_PRIOR_WINDOW, PERIOD, add_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def graded(world, frozen_today):
    add_order(world.own_account, paid_days=0)
    add_order(world.own_account, on=IN_PRIOR_WINDOW, paid_days=0)
    regrade_period(period=datetime.date(2026, 10, 1))
    regrade_period(period=PERIOD)
    return GradeSnapshot.objects.get(account=world.own_account, period=PERIOD)


def test_account_page_shows_grade_breakdown_and_history(client, world, graded):
    client.force_login(world.manager)
    response = client.get(reverse("accounts:detail", args=[world.own_account.pk]))
    assert response.status_code == 200
    html = response.text
    assert 'data-testid="grade-breakdown"' in html
    assert "Credit status" in html and "Strategic fit" in html
    assert str(graded.total) in html
    assert "2026-10" in html and "2026-11" in html  # history
    # A manager may rate the relationship, not strategic fit, and may not override.
    assert 'data-testid="rating-form-relationship"' in html
    assert 'data-testid="rating-form-strategic_fit"' not in html
    assert 'data-testid="override-grade"' not in html


def test_panel_in_chinese(client, world, graded):
    client.force_login(world.director)
    response = client.get(
        reverse("accounts:detail", args=[world.own_account.pk]), headers={"accept-language": "zh-hans"}
    )
    assert "信用状况" in response.text and "战略重要性" in response.text


def test_panel_query_count_does_not_grow_with_history(client, world, graded, django_assert_max_num_queries):
    client.force_login(world.director)
    url = reverse("scoring:rating", args=[world.own_account.pk])
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for month in range(3, 10):
        regrade_period(period=datetime.date(2026, month, 1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_manager_rates_the_relationship(client, world, graded):
    client.force_login(world.manager)
    response = client.post(
        reverse("scoring:rating", args=[world.own_account.pk]),
        {"kind": "relationship", "value": "4", "rated_on": "2026-11-14", "note": "季度拜访"},
    )
    assert response.status_code == 302
    assert AccountRating.objects.get(account=world.own_account, kind="relationship").value == 4
    change = AccountRatingChange.objects.get(account=world.own_account)
    assert (change.changed_by, change.old_value, change.new_value) == (world.manager, None, 4)


def test_rating_with_htmx_returns_the_panel(client, world, graded):
    client.force_login(world.manager)
    response = client.post(
        reverse("scoring:rating", args=[world.own_account.pk]),
        {"kind": "relationship", "value": "5"},
        headers={"hx-request": "true"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<article id="grade-panel"')
    # The new rating shows at once, with the day the score will count it.
    assert "Relationship rated 5 / 5. The score counts it from the next monthly grading" in response.text
    assert 'data-testid="pending-rating-relationship"' in response.text
    assert "(now 5 / 5, counted from" in response.text


def test_bad_rating_shows_errors_and_saves_nothing(client, world, graded):
    client.force_login(world.manager)
    response = client.post(
        reverse("scoring:rating", args=[world.own_account.pk]),
        {"kind": "relationship", "value": "9", "rated_on": "2026-11-30"},
    )
    assert response.status_code == 200
    assert 'data-field="value"' in response.text
    response = client.post(
        reverse("scoring:rating", args=[world.own_account.pk]),
        {"kind": "relationship", "value": "3", "rated_on": "2026-11-30"},
    )
    assert "cannot be dated in the future" in response.text
    assert not AccountRating.objects.exists()


def test_manager_cannot_rate_strategic_fit(client, world, graded):
    client.force_login(world.manager)
    response = client.post(
        reverse("scoring:rating", args=[world.own_account.pk]), {"kind": "strategic_fit", "value": "5"}
    )
    assert response.status_code == 403
    assert not AccountRating.objects.exists()


@pytest.mark.parametrize("role", ["other_manager", "other_director"])
def test_foreign_account_is_404_for_ratings_and_overrides(client, world, graded, role):
    client.force_login(getattr(world, role))
    rating = client.post(
        reverse("scoring:rating", args=[world.own_account.pk]), {"kind": "strategic_fit", "value": "5"}
    )
    override = client.post(
        reverse("scoring:override", args=[world.own_account.pk]),
        {"grade": "A", "reason": "x", "expires_on": "2026-12-31"},
    )
    assert (rating.status_code, override.status_code) == (404, 404)
    assert not AccountRating.objects.exists() and not GradeOverride.objects.exists()


def test_director_overrides_and_the_page_shows_both_grades(client, world, graded):
    client.force_login(world.director)
    target = "B" if graded.computed_grade != "B" else "A"
    response = client.post(
        reverse("scoring:override", args=[world.own_account.pk]),
        {"grade": target, "reason": "集团战略客户", "expires_on": "2026-12-31"},
    )
    assert response.status_code == 302
    page = client.get(reverse("accounts:detail", args=[world.own_account.pk])).text
    assert 'data-testid="override"' in page and "集团战略客户" in page
    assert f"computed grade {graded.computed_grade}" in page


def test_override_without_reason_is_refused(client, world, graded):
    client.force_login(world.director)
    response = client.post(
        reverse("scoring:override", args=[world.own_account.pk]),
        {"grade": "A", "reason": "", "expires_on": "2026-12-31"},
    )
    assert response.status_code == 200 and 'data-field="reason"' in response.text
    assert not GradeOverride.objects.exists()


def test_manager_cannot_override(client, world, graded):
    client.force_login(world.manager)
    response = client.post(
        reverse("scoring:override", args=[world.own_account.pk]),
        {"grade": "A", "reason": "x", "expires_on": "2026-12-31"},
    )
    assert response.status_code == 403
