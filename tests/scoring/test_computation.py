"""Raw values, sub-scores, totals and grades from the data, with the default model."""

import datetime
from decimal import Decimal

import pytest

from scoring.models import Band, Criterion, GradeSnapshot, ScoringModel
from scoring.services import account_rating_set, regrade_period, scoring_model_activate
from tests.factories import AccountFactory

from .conftest import IN_PRIOR_WINDOW, IN_WINDOW, PERIOD, add_order

pytestmark = pytest.mark.django_db


def _snapshot(account):
    return GradeSnapshot.objects.get(account=account, period=PERIOD)


def test_every_criterion_of_the_default_model_from_the_data(world, frozen_today):
    account = world.own_account
    # Credit: four invoices fell due, three paid on time, one paid 10 days late → 75 % on time,
    # 10 days late on average; basis (300 − 10) / 4 = 72.5 → band 70–85 → 60.
    for paid_days in (0, -3, 0, 10):
        add_order(account, amount="50000", profit="10000", paid_days=paid_days)
    # Not yet due at the period start: not counted.
    add_order(account, on=datetime.date(2026, 10, 20), amount="0", profit="0", due_days=30)
    add_order(account, on=IN_PRIOR_WINDOW, amount="160000", profit="30000", paid_days=0)
    account_rating_set(actor=world.manager, account_id=account.pk, kind="relationship", value=4)
    account_rating_set(actor=world.director, account_id=account.pk, kind="strategic_fit", value=2)

    regrade_period(period=PERIOD)

    snapshot = _snapshot(account)
    assert (snapshot.invoices_due, snapshot.on_time_share, snapshot.avg_days_late) == (
        4,
        Decimal("75.00"),
        10,
    )
    assert snapshot.credit_score == Decimal("60")
    assert (snapshot.order_volume, snapshot.gross_profit) == (Decimal("200000.00"), Decimal("40000.00"))
    # Only graded account: percent rank 0.
    assert snapshot.order_volume_score == snapshot.profit_contribution_score == Decimal("0")
    # Growth +25 % → basis 62.5 → band 55–65 → 75.
    assert (snapshot.prior_year_volume, snapshot.growth_pct, snapshot.growth_score) == (
        Decimal("160000.00"),
        Decimal("25.00"),
        Decimal("75"),
    )
    assert (snapshot.relationship_rating, snapshot.relationship_score) == (4, Decimal("75"))
    assert (snapshot.strategic_fit_rating, snapshot.strategic_fit_score) == (2, Decimal("25"))
    # 15×60 + 15×0 + 15×0 + 15×75 + 20×75 + 20×25 = 4025 → 40.25
    assert snapshot.total == Decimal("40.25")
    assert snapshot.grade == snapshot.computed_grade == "C"
    assert snapshot.provisional is False


def _single_rating_model(points):
    """A model graded on the relationship rating alone, each rating earning the given points."""
    model = ScoringModel.objects.create(name="boundaries")
    Criterion.objects.create(
        scoring_model=model, key="relationship", label_en="R", label_zh_hans="R", weight=100
    )
    edges = ["0", "20", "40", "60", "80", "100"]
    for lower, upper, value in zip(edges[:-1], edges[1:], points, strict=True):
        Band.objects.create(
            scoring_model=model, criterion="relationship", lower=lower, upper=upper, points=Decimal(value)
        )
    return model


def test_grade_boundaries_are_exact(world, frozen_today):
    model = _single_rating_model(["59.99", "60.00", "74.99", "75.00", "100"])
    scoring_model_activate(actor=world.admin, scoring_model=model)
    accounts = []
    for rating in (1, 2, 3, 4):
        account = AccountFactory()
        account_rating_set(actor=world.admin, account_id=account.pk, kind="relationship", value=rating)
        accounts.append(account)

    regrade_period(period=PERIOD)

    assert [(_snapshot(a).total, _snapshot(a).grade) for a in accounts] == [
        (Decimal("59.99"), "C"),
        (Decimal("60.00"), "B"),
        (Decimal("74.99"), "B"),
        (Decimal("75.00"), "A"),
    ]
    assert [model.grade_for(Decimal(t)) for t in ("59.99", "60.00", "74.99", "75.00")] == ["C", "B", "B", "A"]


def test_percentile_ties_share_the_lower_rank(world, frozen_today):
    small, tie_one, tie_two, large = (AccountFactory() for _ in range(4))
    for account, amount in ((small, "1000"), (tie_one, "5000"), (tie_two, "5000"), (large, "9000")):
        add_order(account, amount=amount, profit="100", paid_days=0)

    regrade_period(period=PERIOD)

    scores = [_snapshot(a).order_volume_score for a in (small, tie_one, tie_two, large)]
    assert scores == [Decimal("0"), Decimal("33.3333"), Decimal("33.3333"), Decimal("100")]
    # Same gross profit for all: one shared rank.
    assert {_snapshot(a).profit_contribution_score for a in (small, tie_one, large)} == {Decimal("0")}


def test_new_account_is_provisional_and_graded_on_what_exists(world, frozen_today):
    new = AccountFactory()
    add_order(new, on=datetime.date(2026, 7, 1), paid_days=0)
    established = AccountFactory()
    add_order(established, paid_days=0)
    add_order(established, on=IN_PRIOR_WINDOW, paid_days=0)
    for account in (new, established):
        account_rating_set(actor=world.admin, account_id=account.pk, kind="relationship", value=5)
        account_rating_set(actor=world.admin, account_id=account.pk, kind="strategic_fit", value=5)

    regrade_period(period=PERIOD)

    snapshot = _snapshot(new)
    assert snapshot.provisional is True
    assert snapshot.growth_pct is None and snapshot.growth_score is None
    # 15×100 (credit) + 15×0 + 15×0 + 20×100 + 20×100 over the 85 weight points with data.
    assert snapshot.total == (Decimal(5500) / 85).quantize(Decimal("0.01"))
    assert _snapshot(established).provisional is False


def test_account_without_any_data_is_not_graded(world, frozen_today):
    old_only = AccountFactory()
    add_order(old_only, on=datetime.date(2023, 1, 5), paid_days=0)  # older than 24 months
    regrade_period(period=PERIOD)
    assert not GradeSnapshot.objects.filter(account__in=[world.own_account, old_only]).exists()


def test_unpaid_overdue_invoice_counts_as_late_until_the_period_starts(world, frozen_today):
    account = world.own_account
    add_order(account, on=datetime.date(2026, 9, 1), due_days=30, paid_days=None)  # due 2026-10-01
    regrade_period(period=PERIOD)
    snapshot = _snapshot(account)
    assert (snapshot.on_time_share, snapshot.avg_days_late, snapshot.credit_score) == (
        Decimal("0.00"),
        Decimal("31.00"),
        Decimal("0"),
    )


def test_rerun_keeps_one_snapshot_per_account_and_period(world, frozen_today):
    accounts = [AccountFactory() for _ in range(3)]
    for account in accounts:
        add_order(account, paid_days=0)
    first = regrade_period(period=PERIOD)
    second = regrade_period(period=PERIOD)

    assert first.status == second.status == "succeeded"
    assert GradeSnapshot.objects.filter(period=PERIOD).count() == 3
    assert set(GradeSnapshot.objects.values_list("run_id", flat=True)) == {second.pk}
    assert second.accounts_graded == 3


def test_previous_grade_comes_from_last_month(world, frozen_today):
    account = world.own_account
    add_order(account, on=IN_WINDOW, paid_days=0)
    regrade_period(period=datetime.date(2026, 10, 1))
    regrade_period(period=PERIOD)
    october = GradeSnapshot.objects.get(account=account, period=datetime.date(2026, 10, 1))
    assert _snapshot(account).previous_grade == october.grade
    assert october.previous_grade == ""


def test_missing_rating_is_left_out_without_making_the_grade_provisional(world, frozen_today):
    account = world.own_account
    add_order(account, paid_days=0)
    add_order(account, on=IN_PRIOR_WINDOW, paid_days=0)
    regrade_period(period=PERIOD)
    snapshot = _snapshot(account)
    assert snapshot.relationship_score is None and snapshot.strategic_fit_score is None
    assert snapshot.provisional is False
    # credit 100, volume 0, profit 0, growth flat (basis 50 → 50): (1500 + 750) / 60 weight points
    assert snapshot.total == Decimal("37.50")


def test_past_months_are_graded_on_the_ratings_of_their_time(world, frozen_today):
    """Back-grading September uses the rating in force then; November (running) uses today's."""
    account = world.own_account
    add_order(account, on=datetime.date(2025, 12, 10), paid_days=0)
    set_rating = account_rating_set
    set_rating(
        actor=world.manager,
        account_id=account.pk,
        kind="relationship",
        value=2,
        rated_on=datetime.date(2026, 8, 20),
    )
    set_rating(
        actor=world.manager,
        account_id=account.pk,
        kind="relationship",
        value=5,
        rated_on=datetime.date(2026, 10, 5),
    )
    set_rating(actor=world.manager, account_id=account.pk, kind="relationship", value=4)  # today, 11-15

    july, september, october = (datetime.date(2026, month, 1) for month in (7, 9, 10))
    for period in (july, september, october, PERIOD):
        regrade_period(period=period)

    def rating(period):
        return GradeSnapshot.objects.get(account=account, period=period).relationship_rating

    assert rating(july) is None  # not rated yet in July
    assert rating(september) == 2
    assert rating(october) == 5
    assert rating(PERIOD) == 4


def test_deleting_an_account_deletes_its_snapshots(world, frozen_today):
    """Snapshots carry no database foreign key (it cost 14 s per 1M-account re-grade): Django deletes them."""
    doomed, kept = AccountFactory(), world.own_account
    for account in (doomed, kept):
        add_order(account, paid_days=0)
    regrade_period(period=PERIOD)
    doomed.orders.all().delete()  # orders are protected: an account with orders cannot go
    doomed.delete()
    assert list(GradeSnapshot.objects.values_list("account_id", flat=True)) == [kept.pk]
