"""Reads of account plans: one account's plan with its progress, and the director's summary of a scope.

Progress, one rule for the page and the summary (``objectives_with_progress`` + ``progress_of``):

* revenue / gross profit: the account's orders from 1 January of the plan's year to the due date (or
  today, if earlier); on track when at least the target's share of the time elapsed, i.e. the target ×
  (days since 1 January ÷ days from 1 January to the due date);
* relationship: the account's current relationship rating; share of wallet: the figure the team
  recorded last. Both are on track until their due date, and after it only when they reached the target.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, DecimalField, F, OuterRef, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Least
from django.utils import timezone

from accounts.models import Account, Order
from scoring.models import AccountRating, Grade, GradeSnapshot
from scoring.selectors import effective_grades

from .models import AccountPlan, PlanAction, PlanObjective

HUNDRED = Decimal(100)
SUMMARY_ROWS = 50
PLANNED_GRADES = (Grade.A, Grade.B)
MONEY = DecimalField(max_digits=18, decimal_places=2)


@dataclass(frozen=True)
class Progress:
    value: Decimal | None
    percent: Decimal | None  # of the target
    expected_percent: Decimal | None  # where it should be by now (revenue, gross profit)
    on_track: bool
    measured: bool  # computed from orders or ratings (not recorded by hand)


def objectives_with_progress(objectives: QuerySet, *, today: datetime.date) -> QuerySet:
    """Objectives annotated with ``measured_value``: one statement however many objectives."""

    def order_sum(field):
        orders = (
            Order.objects.filter(
                account_id=OuterRef("plan__account_id"),
                order_date__year=OuterRef("plan__year"),
                order_date__lte=Least(OuterRef("due_on"), Value(today)),
            )
            .order_by()
            .values("account_id")
            .annotate(total=Sum(field))
            .values("total")
        )
        return Coalesce(Subquery(orders, output_field=MONEY), Value(Decimal(0)), output_field=MONEY)

    rating = Subquery(
        AccountRating.objects.filter(
            account_id=OuterRef("plan__account_id"), kind=AccountRating.Kind.RELATIONSHIP
        ).values("value")[:1]
    )
    return objectives.annotate(
        measured_value=Case(
            When(kind=PlanObjective.Kind.REVENUE, then=order_sum("amount")),
            When(kind=PlanObjective.Kind.GROSS_PROFIT, then=order_sum("gross_profit")),
            When(kind=PlanObjective.Kind.RELATIONSHIP, then=rating),
            default=F("recorded_value"),
            output_field=MONEY,
        )
    )


def _percent(part, whole) -> Decimal | None:
    if part is None or not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def progress_of(objective: PlanObjective, *, year: int, today: datetime.date) -> Progress:
    value = objective.measured_value
    percent = _percent(value, objective.target)
    measured = objective.kind in PlanObjective.MEASURED
    if objective.kind in (PlanObjective.Kind.REVENUE, PlanObjective.Kind.GROSS_PROFIT):
        start = datetime.date(year, 1, 1)
        span = max((objective.due_on - start).days, 1)
        elapsed = min(max((today - start).days, 0), span)
        expected = (HUNDRED * elapsed / span).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        reached = percent if percent is not None else Decimal(0)
        return Progress(value, percent, expected, reached >= expected or value >= objective.target, measured)
    reached = value is not None and value >= objective.target
    return Progress(value, percent, None, reached or today <= objective.due_on, measured)


def account_plan(*, account: Account, year: int | None = None) -> dict:
    """The account's plan for the year (this year by default) with each objective's progress, its actions
    and reviews; and whether the account should have one (effective grade A or B). Fixed query count."""
    today = timezone.localdate()
    year = year or today.year
    plan = AccountPlan.objects.filter(account=account, year=year).select_related("created_by").first()
    objectives, actions, reviews = [], [], []
    if plan is not None:
        rows = objectives_with_progress(PlanObjective.objects.filter(plan=plan), today=today)
        objectives = [(objective, progress_of(objective, year=year, today=today)) for objective in rows]
        actions = list(plan.actions.select_related("owner"))
        reviews = list(plan.reviews.select_related("reviewer"))
    return {
        "plan": plan,
        "year": year,
        "objectives": objectives,
        "actions": actions,
        "reviews": reviews,
        "today": today,
    }


def plans_summary(*, user, accounts: QuerySet | None = None, period=None) -> dict:
    """For a director's scope (the visible accounts, optionally narrowed): A and B accounts without a
    plan this year, overdue actions and objectives off track, each counted with the first rows."""
    today = timezone.localdate()
    year = today.year
    scope = accounts if accounts is not None else Account.objects.visible_to(user)
    if period is None:
        period = GradeSnapshot.objects.order_by("-period").values_list("period", flat=True).first()
    graded = effective_grades(user=user, period=period).filter(
        effective_grade__in=PLANNED_GRADES, account__in=scope.order_by().values("pk")
    )
    missing = graded.exclude(account__plans__year=year).order_by("account__name", "account_id")
    overdue = (
        PlanAction.objects.filter(
            plan__account__in=scope.order_by().values("pk"),
            status__in=PlanAction.OPEN_STATUSES,
            due_on__lt=today,
        )
        .select_related("plan__account", "owner")
        .order_by("due_on", "pk")
    )
    objectives = objectives_with_progress(
        PlanObjective.objects.filter(plan__account__in=scope.order_by().values("pk"), plan__year=year)
        .select_related("plan__account")
        .order_by("due_on", "pk"),
        today=today,
    )
    off_track = [
        (objective, progress)
        for objective in objectives
        if not (progress := progress_of(objective, year=year, today=today)).on_track
    ]
    return {
        "year": year,
        "missing_count": missing.count(),
        "missing": list(missing[:SUMMARY_ROWS]),
        "overdue_count": overdue.count(),
        "overdue": list(overdue[:SUMMARY_ROWS]),
        "off_track_count": len(off_track),
        "off_track": off_track[:SUMMARY_ROWS],
    }
