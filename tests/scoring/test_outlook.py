"""What it would take to reach the next grade, checked by applying the suggested change and re-grading.

The default model (credit 15 bands, order volume 15 and profit 15 percentile, growth 15 bands,
relationship 20 and strategic fit 20 bands; A ≥ 75, B ≥ 60). Period 2026-10, today 2026-10-15.
Ten accounts with one order each of 10,000 … 100,000 in 2026-06 (profit 20 %), all paid on time, no
prior-year orders (so no growth data), ratings 3. The ``subject`` is the 6th (60,000) with ratings 4:
credit 100, order volume and profit percentile 55.56 (5 of 9 below), relationship and strategic fit 75:
(1500 + 833.33 + 833.33 + 1500 + 1500) / 85 = 72.55 → B, 207.9 weighted points short of 74.995.
Relationship 4 → 5 (+500) or strategic fit 4 → 5 would do it; so would orders ranking above the 7th
other account (80,000): +20,000.01. It falls to C with relationship 1 (−1,500 of a 1,067-point margin).
"""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from scoring.models import GradeSnapshot
from scoring.outlook import grade_movers, grade_outlook
from scoring.services import account_rating_set, active_scoring_model, regrade_period
from tests.factories import AccountFactory, OrderFactory

SHANGHAI = datetime.timezone(datetime.timedelta(hours=8))
NOW = datetime.datetime(2026, 10, 15, 10, 0, tzinfo=SHANGHAI)
PERIOD = datetime.date(2026, 10, 1)


@pytest.fixture
def graded(world):
    with time_machine.travel(NOW, tick=False):
        accounts = [
            AccountFactory(name=f"账户{n:02d}", owner=world.manager, region=world.east) for n in range(1, 11)
        ]
        for n, account in enumerate(accounts, start=1):
            amount = Decimal(n * 10000)
            OrderFactory(
                account=account,
                order_date=datetime.date(2026, 6, 1),
                amount=amount,
                gross_profit=amount / 5,
                due_date=datetime.date(2026, 7, 1),
                paid_date=datetime.date(2026, 6, 20),
            )
        subject = accounts[5]
        for account in accounts:
            value = 4 if account == subject else 3
            account_rating_set(actor=world.director, account_id=account.pk, kind="strategic_fit", value=value)
            account_rating_set(actor=world.manager, account_id=account.pk, kind="relationship", value=value)
        regrade_period(period=PERIOD)
        yield subject, accounts


def outlook_of(account):
    return grade_outlook(
        snapshot=GradeSnapshot.objects.get(account=account, period=PERIOD),
        scoring_model=active_scoring_model(),
    )


def regraded(account):
    with time_machine.travel(NOW, tick=False):
        regrade_period(period=PERIOD)
    return GradeSnapshot.objects.get(account=account, period=PERIOD)


def test_the_outlook_names_the_grade_and_what_each_criterion_needs(graded):
    subject, _accounts = graded
    snapshot = GradeSnapshot.objects.get(account=subject, period=PERIOD)
    outlook = outlook_of(subject)
    assert outlook.grade == snapshot.computed_grade == "B"
    assert outlook.next_grade == "A"
    assert {move.key for move in outlook.up} >= {"relationship", "strategic_fit", "order_volume"}
    order_move = next(move for move in outlook.up if move.key == "order_volume")
    assert order_move.estimate is True
    relationship = next(move for move in outlook.up if move.key == "relationship")
    assert relationship.estimate is False
    assert order_move.change == ("amount", Decimal("20000.01"))
    assert relationship.change == ("rating", 5)
    assert outlook.points_needed == Decimal("2.45")  # 207.9 / 85, rounded up
    assert outlook.grade_below == "C" and outlook.margin == Decimal("12.55")


@pytest.mark.parametrize("kind", ["relationship", "strategic_fit"])
def test_applying_the_suggested_rating_lifts_the_account_to_the_next_grade(graded, world, kind):
    subject, _accounts = graded
    move = next(move for move in outlook_of(subject).up if move.key == kind)
    what, rating = move.change
    assert what == "rating"
    with time_machine.travel(NOW, tick=False):
        account_rating_set(actor=world.director, account_id=subject.pk, kind=kind, value=rating - 1)
    assert regraded(subject).computed_grade == "B"  # one point less is not enough: it is the smallest
    with time_machine.travel(NOW, tick=False):
        account_rating_set(actor=world.director, account_id=subject.pk, kind=kind, value=rating)
    assert regraded(subject).computed_grade == "A"


def test_adding_the_suggested_orders_lifts_the_account_and_a_cent_less_does_not(graded):
    subject, _accounts = graded
    move = next(move for move in outlook_of(subject).up if move.key == "order_volume")
    what, amount = move.change
    assert what == "amount" and amount > 0
    with time_machine.travel(NOW, tick=False):
        order = OrderFactory(
            account=subject,
            order_date=datetime.date(2026, 9, 20),
            amount=amount - Decimal("0.01"),
            gross_profit=Decimal(0),
            due_date=datetime.date(2026, 10, 20),
        )
    assert regraded(subject).computed_grade == "B"
    order.amount = amount
    order.save(update_fields=["amount"])
    assert regraded(subject).computed_grade == "A"


def test_the_margin_is_what_it_may_lose_and_the_drop_named_makes_it_fall(graded, world):
    subject, _accounts = graded
    outlook = outlook_of(subject)
    relationship = next(move for move in outlook.down if move.key == "relationship")
    _what, rating = relationship.change
    with time_machine.travel(NOW, tick=False):
        account_rating_set(actor=world.manager, account_id=subject.pk, kind="relationship", value=rating)
    assert regraded(subject).computed_grade == "C"


def test_the_account_page_shows_the_outlook_marked_as_estimates(client, world, graded):
    subject, _accounts = graded
    client.force_login(world.manager)
    text = client.get(reverse("accounts:detail", args=[subject.pk])).content.decode()
    assert "To reach A (score 75.00)" in text
    assert "Relationship 4 → 5" in text
    assert "estimate" in text


def test_the_api_gives_the_same_outlook_to_who_may_see_the_account(client, world, graded):
    subject, _accounts = graded
    client.force_login(world.manager)
    answer = client.get(reverse("api:account-grade-outlook", args=[subject.pk])).json()
    assert answer["grade"] == "B" and answer["next_grade"] == "A"
    assert any(move["criterion"] == "relationship" and move["estimate"] is False for move in answer["up"])
    client.force_login(world.other_manager)
    assert client.get(reverse("api:account-grade-outlook", args=[subject.pk])).status_code == 404


def test_directors_see_the_accounts_closest_to_moving(client, world, graded):
    _subject, accounts = graded
    movers = grade_movers(
        accounts=type(accounts[0]).objects.visible_to(world.director),
        period=PERIOD,
        scoring_model=active_scoring_model(),
    )
    gaps = [snapshot.gap for snapshot in movers["up"]]
    assert gaps == sorted(gaps)
    client.force_login(world.director)
    response = client.get(reverse("segmentation:grade_movers"), {"period": "2026-10"})
    assert response.status_code == 200
    assert accounts[5].name in response.content.decode()
    client.force_login(world.other_director)
    response = client.get(reverse("segmentation:grade_movers"), {"period": "2026-10"})
    assert accounts[5].name not in response.content.decode()
