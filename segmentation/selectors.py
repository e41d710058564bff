"""Reads for the directors' dashboard: accounts grouped by grade, region, industry and owner.

Every figure starts from ``Account.objects.visible_to(user)`` narrowed by the dashboard filters
(``dashboard_accounts``) and is one aggregate query in PostgreSQL; Python only arranges the handful of
grouped rows into tables. The page therefore runs a fixed number of queries whatever the data size.

Definitions (shown on the page too):

* period P: a graded month (first day), as in ``scoring``; the comparison period defaults to P − 1.
* grade: the effective grade of the account's snapshot for the period (a director's override wins).
* revenue and gross profit of a period: the order amount and gross profit of the 12 months before P,
  as recorded in the grade snapshot (the figures the grade was computed from).
* monthly revenue: orders by calendar month over the 24 months before P.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    Count,
    DecimalField,
    F,
    FilteredRelation,
    Max,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, NullIf, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, Complaint, Interaction, Order, Region, Team
from accounts.roles import is_administrator
from scoring.computation import add_months
from scoring.models import Grade, GradeSnapshot
from service_tiers import rules
from service_tiers.selectors import service_compliance as tier_compliance

from . import cube
from .models import (
    AccountNeed,
    AccountSegment,
    CrossSellRefresh,
    CrossSellSuggestion,
    KpiMetric,
    KpiTarget,
    NeedTag,
    SavedSegment,
)

ZERO = Decimal("0.00")
HUNDRED = Decimal("100")
CENT = Decimal("0.01")
GRADES = [Grade.A, Grade.B, Grade.C]
NOT_GRADED = "none"  # a migration matrix row/column: no snapshot in that period
TREND_MONTHS = 24
RISK_LIST_LENGTH = 50
MONEY = DecimalField(max_digits=18, decimal_places=2)

DIMENSIONS = {
    "region": (_("Region"), "account__region_id", "account__region__name"),
    "industry": (_("Industry"), "account__industry", None),
    "owner": (_("Account manager"), "account__owner_id", "account__owner__username"),
}


@dataclass(frozen=True)
class DashboardFilters:
    period: datetime.date
    compare: datetime.date
    region: Region | None = None
    team: Team | None = None
    industry: str = ""
    owner: object | None = None
    grade: str = ""


def percent(part, whole) -> Decimal | None:
    """part / whole in percent, two places, half up; None when there is no whole."""
    if not whole:
        return None
    return (Decimal(part) * HUNDRED / Decimal(whole)).quantize(CENT, rounding=ROUND_HALF_UP)


def latest_period() -> datetime.date:
    """The latest graded month, or the current month when nothing is graded yet."""
    latest = GradeSnapshot.objects.aggregate(latest=Max("period"))["latest"]
    return latest or timezone.localdate().replace(day=1)


def dashboard_accounts(*, user, filters: DashboardFilters) -> QuerySet:
    """The accounts the figures are about: what the user may see, narrowed by the filters."""
    accounts = Account.objects.visible_to(user)
    if filters.region is not None:
        accounts = accounts.filter(region=filters.region)
    if filters.team is not None:
        accounts = accounts.filter(
            owner_id__in=Team.members.through.objects.filter(team=filters.team).values("user_id")
        )
    if filters.industry:
        accounts = accounts.filter(industry=filters.industry)
    if filters.owner is not None:
        accounts = accounts.filter(owner=filters.owner)
    if filters.grade:
        accounts = accounts.filter(
            pk__in=GradeSnapshot.objects.filter(period=filters.period, grade=filters.grade).values(
                "account_id"
            )
        )
    return accounts


def aggregate_cells(*, accounts: QuerySet, filters: DashboardFilters):
    """The whole cells the aggregate tables can answer for (see cube.py), or None for the exact path.
    A grade filter selects accounts by their grade, which the cells do not know."""
    if filters.grade:
        return None
    return cube.whole_cells(accounts=accounts)


def _snapshots(accounts: QuerySet, **where) -> QuerySet:
    return GradeSnapshot.objects.filter(account_id__in=accounts.values("pk"), **where)


def _money(value) -> Decimal:
    return (value or ZERO).quantize(CENT)


# --- Grade distribution ----------------------------------------------------------------------------


def grade_distribution(*, accounts: QuerySet, filters: DashboardFilters, cells=None) -> dict:
    """Accounts and revenue per grade in the period (the 80/20 picture) and in the comparison period."""
    if cells is not None:
        rows = cube.grade_rows(
            cells=cells, periods=[filters.period, filters.compare], group=["period", "grade"]
        )
    else:
        rows = _snapshot_rows(accounts, filters=filters)
    figures = {(row["period"], row["grade"]): row for row in rows}
    return _distribution(figures, filters)


def _snapshot_rows(accounts, *, filters):
    return (
        _snapshots(accounts, period__in=[filters.period, filters.compare])
        .values("period", "grade")
        .annotate(
            accounts=Count("pk"),
            revenue=Sum(Coalesce("order_volume", ZERO, output_field=MONEY)),
            gross_profit=Sum(Coalesce("gross_profit", ZERO, output_field=MONEY)),
        )
        .order_by()
    )


def _distribution(figures: dict, filters: DashboardFilters) -> dict:
    def period_totals(period):
        cells = [figures.get((period, grade), {}) for grade in GRADES]
        return (
            sum(cell.get("accounts", 0) for cell in cells),
            sum((_money(cell.get("revenue")) for cell in cells), ZERO),
            sum((_money(cell.get("gross_profit")) for cell in cells), ZERO),
        )

    total_accounts, total_revenue, total_profit = period_totals(filters.period)
    before_accounts, before_revenue, _before_profit = period_totals(filters.compare)
    grades = []
    for grade in GRADES:
        now = figures.get((filters.period, grade), {})
        before = figures.get((filters.compare, grade), {})
        accounts_share = percent(now.get("accounts", 0), total_accounts)
        revenue_share = percent(_money(now.get("revenue")), total_revenue)
        before_accounts_share = percent(before.get("accounts", 0), before_accounts)
        before_revenue_share = percent(_money(before.get("revenue")), before_revenue)
        grades.append(
            {
                "grade": grade,
                "label": Grade(grade).label,
                "accounts": now.get("accounts", 0),
                "accounts_share": accounts_share,
                "revenue": _money(now.get("revenue")),
                "revenue_share": revenue_share,
                "gross_profit": _money(now.get("gross_profit")),
                "previous_accounts": before.get("accounts", 0),
                "previous_revenue": _money(before.get("revenue")),
                "previous_revenue_share": before_revenue_share,
                "accounts_change": now.get("accounts", 0) - before.get("accounts", 0),
                "revenue_change": _money(now.get("revenue")) - _money(before.get("revenue")),
                "revenue_share_change": (
                    revenue_share - before_revenue_share
                    if revenue_share is not None and before_revenue_share is not None
                    else None
                ),
                "accounts_share_change": (
                    accounts_share - before_accounts_share
                    if accounts_share is not None and before_accounts_share is not None
                    else None
                ),
            }
        )
    return {
        "grades": grades,
        "total_accounts": total_accounts,
        "total_revenue": total_revenue,
        "total_gross_profit": total_profit,
        "previous_total_accounts": before_accounts,
        "previous_total_revenue": before_revenue,
    }


# --- Grade migration -------------------------------------------------------------------------------


def _with_both_periods(accounts: QuerySet, filters: DashboardFilters, *conditions: Q) -> QuerySet:
    """The accounts graded in the period or the comparison period, with both snapshots joined once.
    Every condition goes into the same ``filter()``: a second call would join the snapshots again."""
    return accounts.annotate(
        now=FilteredRelation("grade_snapshots", condition=Q(grade_snapshots__period=filters.period)),
        before=FilteredRelation("grade_snapshots", condition=Q(grade_snapshots__period=filters.compare)),
    ).filter(Q(now__id__isnull=False) | Q(before__id__isnull=False), *conditions)


def pairs_answer(filters: DashboardFilters) -> bool:
    """Whether the per-account aggregates (cube.AccountCube: each period with the month before) can
    answer for these filters: the comparison period is the month before, and no snapshot changed since
    the refresh. Otherwise the lists are computed from the snapshots."""
    return filters.compare == add_months(filters.period, -1) and cube.cube_fresh()


def _with_pair(accounts: QuerySet, filters: DashboardFilters, *conditions: Q) -> QuerySet:
    """The accounts with their row of the per-account aggregates for the period (graded in the period
    or the month before), in one ``filter()`` as above."""
    return accounts.annotate(
        pair=FilteredRelation("dashboard_figures", condition=Q(dashboard_figures__period=filters.period)),
    ).filter(Q(pair__period__isnull=False), *conditions)


def _no_grade(field: str):
    """The aggregates write "not graded" as an empty grade; the snapshots' path gives None."""
    return NullIf(field, Value(""))


def grade_migration(*, accounts: QuerySet, filters: DashboardFilters, cells=None) -> dict:
    """The from × to matrix between the comparison period and the period, with revenue per cell."""
    if cells is not None and filters.compare == add_months(filters.period, -1):
        rows = cube.grade_rows(cells=cells, periods=[filters.period], group=["from_grade", "to_grade"])
    else:
        rows = _migration_rows(accounts, filters)
    return _matrix(rows)


def _migration_rows(accounts, filters):
    return (
        _with_both_periods(accounts, filters)
        .values(from_grade=F("before__grade"), to_grade=F("now__grade"))
        .annotate(
            accounts=Count("pk"),
            revenue=Sum(Coalesce("now__order_volume", ZERO, output_field=MONEY)),
            previous_revenue=Sum(Coalesce("before__order_volume", ZERO, output_field=MONEY)),
        )
        .order_by()
    )


def _matrix(rows) -> dict:
    keys = [*GRADES, NOT_GRADED]
    cells = {(row["from_grade"] or NOT_GRADED, row["to_grade"] or NOT_GRADED): row for row in rows}
    rank = {grade: index for index, grade in enumerate(GRADES)}
    matrix, up, down, same = [], 0, 0, 0
    for from_grade in keys:
        line = []
        for to_grade in keys:
            cell = cells.get((from_grade, to_grade), {})
            count = cell.get("accounts", 0)
            if from_grade in rank and to_grade in rank:
                if rank[to_grade] < rank[from_grade]:
                    up += count
                    direction = "up"
                elif rank[to_grade] > rank[from_grade]:
                    down += count
                    direction = "down"
                else:
                    same += count
                    direction = "same"
            else:
                direction = "other"
            line.append(
                {
                    "from": from_grade,
                    "to": to_grade,
                    "accounts": count,
                    "revenue": _money(cell.get("revenue")),
                    "previous_revenue": _money(cell.get("previous_revenue")),
                    "direction": direction,
                }
            )
        matrix.append({"from": from_grade, "cells": line})
    return {"keys": keys, "rows": matrix, "up": up, "down": down, "same": same}


def migration_accounts(
    *,
    accounts: QuerySet,
    filters: DashboardFilters,
    from_grade: str = "",
    to_grade: str = "",
    pairs: bool | None = None,
) -> QuerySet:
    """The accounts behind a matrix cell (or a grade, or all graded ones), largest revenue first.

    ``pairs``: whether the per-account aggregates answer (``pairs_answer``; computed when not given)."""
    if pairs is None:
        pairs = pairs_answer(filters)
    if pairs:
        conditions = [
            Q(**{f"pair__{field}": "" if grade == NOT_GRADED else grade})
            for field, grade in (("previous_grade", from_grade), ("grade", to_grade))
            if grade
        ]
        queryset = _with_pair(accounts, filters, *conditions).annotate(
            grade_now=_no_grade("pair__grade"),
            grade_before=_no_grade("pair__previous_grade"),
            total_now=F("pair__total"),
            total_before=F("pair__previous_total"),
            revenue=F("pair__revenue"),
            previous_revenue=F("pair__previous_revenue"),
            gross_profit=F("pair__gross_profit"),
        )
    else:
        conditions = []
        for alias, grade in (("before", from_grade), ("now", to_grade)):
            if grade == NOT_GRADED:
                conditions.append(Q(**{f"{alias}__id__isnull": True}))
            elif grade:
                conditions.append(Q(**{f"{alias}__grade": grade}))
        queryset = _with_both_periods(accounts, filters, *conditions).annotate(
            grade_now=F("now__grade"),
            grade_before=F("before__grade"),
            total_now=F("now__total"),
            total_before=F("before__total"),
            revenue=Coalesce("now__order_volume", ZERO, output_field=MONEY),
            previous_revenue=Coalesce("before__order_volume", ZERO, output_field=MONEY),
            gross_profit=Coalesce("now__gross_profit", ZERO, output_field=MONEY),
        )
    return queryset.select_related("owner", "region").order_by(F("revenue").desc(), "name", "pk")


def migration_accounts_summary(*, accounts: QuerySet, pairs: bool) -> dict:
    """Count and revenue of a drill-down list (``migration_accounts`` with the same ``pairs``; one query)."""
    revenue, previous_revenue, gross_profit = (
        ("pair__revenue", "pair__previous_revenue", "pair__gross_profit")
        if pairs
        else ("now__order_volume", "before__order_volume", "now__gross_profit")
    )
    return accounts.order_by().aggregate(
        accounts=Count("pk"),
        revenue=Coalesce(Sum(revenue), ZERO, output_field=MONEY),
        previous_revenue=Coalesce(Sum(previous_revenue), ZERO, output_field=MONEY),
        gross_profit=Coalesce(Sum(gross_profit), ZERO, output_field=MONEY),
    )


# --- Revenue and gross profit by grade × dimension -------------------------------------------------


def revenue_by_dimension(
    *, accounts: QuerySet, filters: DashboardFilters, dimension: str, cells=None
) -> dict:
    """Rows of a dimension (region, industry or owner) × columns per grade: accounts, revenue, profit."""
    title, key, name = DIMENSIONS[dimension]
    fields = [key, name] if name else [key]
    if cells is not None:
        rows = cube.grade_rows(cells=cells, periods=[filters.period], group=[*fields, "grade"])
    else:
        rows = _dimension_rows(accounts, filters, fields)
    return _dimension_table(rows, dimension)


def _dimension_rows(accounts, filters, fields):
    return (
        _snapshots(accounts, period=filters.period)
        .values(*fields, "grade")
        .annotate(
            accounts=Count("pk"),
            revenue=Sum(Coalesce("order_volume", ZERO, output_field=MONEY)),
            gross_profit=Sum(Coalesce("gross_profit", ZERO, output_field=MONEY)),
        )
        .order_by()
    )


def _dimension_table(rows, dimension: str) -> dict:
    title, key, name = DIMENSIONS[dimension]
    industry_labels = dict(Account.Industry.choices)
    lines: dict = {}
    for row in rows:
        if row["grade"] not in GRADES:  # graded only in the month before
            continue
        value = row[key]
        if dimension == "industry":
            label = industry_labels.get(value, value) if value else _("Not set")
        else:
            label = row[name] if value is not None else _("Not set")
        line = lines.setdefault(
            value,
            {
                "key": value if value is not None else "",
                "label": str(label),
                "grades": {grade: {"accounts": 0, "revenue": ZERO, "gross_profit": ZERO} for grade in GRADES},
                "accounts": 0,
                "revenue": ZERO,
                "gross_profit": ZERO,
            },
        )
        cell = line["grades"][row["grade"]]
        cell["accounts"] = row["accounts"]
        cell["revenue"] = _money(row["revenue"])
        cell["gross_profit"] = _money(row["gross_profit"])
        line["accounts"] += row["accounts"]
        line["revenue"] += cell["revenue"]
        line["gross_profit"] += cell["gross_profit"]
    ordered = sorted(lines.values(), key=lambda line: (-line["revenue"], line["label"]))
    total_revenue = sum((line["revenue"] for line in ordered), ZERO)
    for line in ordered:
        line["revenue_share"] = percent(line["revenue"], total_revenue)
        line["grade_list"] = [dict(grade=grade, **line["grades"][grade]) for grade in GRADES]
        line["margin"] = percent(line["gross_profit"], line["revenue"])
    return {
        "dimension": dimension,
        "title": title,
        "rows": ordered,
        "total_revenue": total_revenue,
        "total_gross_profit": sum((line["gross_profit"] for line in ordered), ZERO),
        "total_accounts": sum(line["accounts"] for line in ordered),
    }


# --- Trends ----------------------------------------------------------------------------------------


def trend_periods(period: datetime.date, months: int = TREND_MONTHS) -> list[datetime.date]:
    return [add_months(period, offset) for offset in range(-(months - 1), 1)]


def grade_trend(*, accounts: QuerySet, filters: DashboardFilters, cells=None) -> list[dict]:
    """Accounts and 12-month revenue per grade for each of the 24 graded months up to the period."""
    periods = trend_periods(filters.period)
    if cells is not None:
        rows = cube.grade_rows(cells=cells, periods=periods, group=["period", "grade"])
    else:
        rows = (
            _snapshots(accounts, period__gte=periods[0], period__lte=periods[-1])
            .values("period", "grade")
            .annotate(accounts=Count("pk"), revenue=Sum(Coalesce("order_volume", ZERO, output_field=MONEY)))
            .order_by()
        )
    figures = {(row["period"], row["grade"]): row for row in rows}
    graded = {period for period, _grade in figures}
    # A month before the first grading has no figures at all: None (no value), not zero accounts.
    return [
        {
            "period": period,
            "graded": period in graded,
            "grades": [
                {
                    "grade": grade,
                    "accounts": figures.get((period, grade), {}).get("accounts", 0)
                    if period in graded
                    else None,
                    "revenue": _money(figures.get((period, grade), {}).get("revenue"))
                    if period in graded
                    else None,
                }
                for grade in GRADES
            ],
        }
        for period in periods
    ]


def revenue_trend(*, accounts: QuerySet, filters: DashboardFilters, cells=None) -> list[dict]:
    """Order amount, gross profit and orders per calendar month over the 24 months before the period."""
    start = add_months(filters.period, -TREND_MONTHS)
    if cells is not None:
        rows = cube.month_rows(cells=cells, start=start, end=filters.period)
    else:
        rows = _order_rows(accounts, start, filters)
    figures = {row["month"]: row for row in rows}
    months = [add_months(start, offset) for offset in range(TREND_MONTHS)]
    return [
        {
            "month": month,
            "revenue": _money(figures.get(month, {}).get("revenue")),
            "gross_profit": _money(figures.get(month, {}).get("gross_profit")),
            "orders": figures.get(month, {}).get("orders", 0),
        }
        for month in months
    ]


def _order_rows(accounts, start, filters):
    return (
        Order.objects.filter(
            account_id__in=accounts.values("pk"), order_date__gte=start, order_date__lt=filters.period
        )
        .annotate(month=TruncMonth("order_date"))
        .values("month")
        .annotate(revenue=Sum("amount"), gross_profit=Sum("gross_profit"), orders=Count("pk"))
        .order_by()
    )


def quarterly_revenue(monthly: list[dict]) -> list[dict]:
    """The monthly rows summed per calendar quarter; a quarter the window only partly covers says so."""
    quarters: dict = {}
    for row in monthly:
        key = (row["month"].year, (row["month"].month - 1) // 3 + 1)
        quarter = quarters.setdefault(
            key, {"year": key[0], "quarter": key[1], "revenue": ZERO, "gross_profit": ZERO, "months": 0}
        )
        quarter["revenue"] += row["revenue"]
        quarter["gross_profit"] += row["gross_profit"]
        quarter["months"] += 1
    result = []
    for quarter in quarters.values():
        quarter["partial"] = quarter["months"] < 3
        quarter["label"] = f"{quarter['year']} Q{quarter['quarter']}"
        result.append(quarter)
    return result


# --- Risk list -------------------------------------------------------------------------------------


@dataclass(slots=True)
class RiskRow:
    """One account of the risk list: plain values, so the whole list (its export) builds quickly."""

    pk: int
    name: str
    owner: object
    region: Region | None
    grade_now: str | None
    grade_before: str | None
    total_now: Decimal | None
    total_before: Decimal | None
    revenue: Decimal
    overdue_amount: Decimal = ZERO
    late_complaints: int = 0
    risk_reasons: list = field(default_factory=list)


def risk_list(
    *,
    accounts: QuerySet,
    filters: DashboardFilters,
    limit: int | None = RISK_LIST_LENGTH,
    pairs: bool | None = None,
) -> list[RiskRow]:
    """Accounts at risk by the rules of ``service_tiers.rules`` (RISK_LIST_RULES: grade fell, score
    dropped, overdue invoices, complaints past their response or resolution deadline); ranked by revenue
    at risk (their 12-month revenue).

    Grades and scores come from the per-account aggregates when they answer (``pairs_answer``), else
    from the snapshots; unpaid invoices and open complaints are always read live. Five queries."""
    today = timezone.localdate()
    now = timezone.now()
    overdue = Order.objects.filter(rules.invoice_overdue_q(today=today)).order_by()
    late = Complaint.objects.filter(rules.complaint_overdue_q(now=now)).order_by()
    if pairs is None:
        pairs = pairs_answer(filters)
    if pairs:
        # Conditions on the aggregate row: the few accounts at risk are found before joining accounts.
        at_risk = (
            (Q(pair__slipped=True) & rules.at_risk_account_q())
            | Q(pair__account__in=overdue.values("account_id"))
            | Q(pair__account__in=late.values("account_id"))
        )
        queryset = _with_pair(accounts, filters, at_risk).annotate(
            grade_now=_no_grade("pair__grade"),
            grade_before=_no_grade("pair__previous_grade"),
            total_now=F("pair__total"),
            total_before=F("pair__previous_total"),
            revenue=F("pair__revenue_at_risk"),
        )
    else:
        at_risk = (
            (
                (
                    rules.grade_fell_q(latest="now__grade", previous="before__grade")
                    | rules.score_dropped_q(latest="now__total", previous="before__total")
                )
                & rules.at_risk_account_q()
            )
            # Each set is read once (hashed), not once per account.
            | Q(pk__in=overdue.values("account_id"))
            | Q(pk__in=late.values("account_id"))
        )
        queryset = _with_both_periods(accounts, filters, at_risk).annotate(
            grade_now=F("now__grade"),
            grade_before=F("before__grade"),
            total_now=F("now__total"),
            total_before=F("before__total"),
            revenue=Coalesce("now__order_volume", "before__order_volume", ZERO, output_field=MONEY),
        )
    queryset = queryset.order_by(F("revenue").desc(), "name", "pk").values_list(
        "pk",
        "status",
        "name",
        "owner_id",
        "region_id",
        "grade_now",
        "grade_before",
        "total_now",
        "total_before",
        "revenue",
    )
    if limit is not None:
        queryset = queryset[:limit]
    rows = list(queryset)
    # Owners, regions, overdue amounts and late complaints of the listed accounts: one query each.
    if limit is not None:
        listed = Q(account_id__in=[row[0] for row in rows])
    elif accounts.query.has_filters():
        listed = Q(account_id__in=accounts.values("pk"))
    else:  # every account (an administrator, no filter): no need to join them (~80 ms at 100k)
        listed = Q()
    overdue_amounts = dict(
        overdue.filter(listed)
        .values("account_id")
        .annotate(total=Sum("amount"))
        .values_list("account_id", "total")
    )
    late_counts = dict(
        late.filter(listed)
        .values("account_id")
        .annotate(count=Count("pk"))
        .values_list("account_id", "count")
    )
    owners = get_user_model().objects.in_bulk({row[3] for row in rows})
    regions = Region.objects.in_bulk({row[4] for row in rows if row[4] is not None})
    # Translated once for the list, not once per row.
    fell, dropped = gettext("grade fell %(before)s → %(now)s"), gettext("score dropped %(points)s points")
    overdue_reason, late_reason = gettext("overdue invoices"), gettext("complaints past deadline")
    result = []
    for (
        pk,
        status,
        name,
        owner_id,
        region_id,
        grade_now,
        grade_before,
        total_now,
        total_before,
        revenue,
    ) in rows:
        row = RiskRow(
            pk=pk,
            name=name,
            owner=owners.get(owner_id),
            region=regions.get(region_id),
            grade_now=grade_now,
            grade_before=grade_before,
            total_now=total_now,
            total_before=total_before,
            revenue=revenue,
            overdue_amount=overdue_amounts.get(pk, ZERO),
            late_complaints=late_counts.get(pk, 0),
        )
        moved = status not in rules.NOT_AT_RISK_STATUSES
        if moved and rules.grade_fell(latest=grade_now, previous=grade_before):
            row.risk_reasons.append(fell % {"before": grade_before, "now": grade_now})
        if moved and rules.score_dropped(latest=total_now, previous=total_before):
            row.risk_reasons.append(dropped % {"points": total_before - total_now})
        if row.overdue_amount:
            row.risk_reasons.append(overdue_reason)
        if row.late_complaints:
            row.risk_reasons.append(late_reason)
        result.append(row)
    return result


# --- KPIs per manager ------------------------------------------------------------------------------

INTERACTION_METRICS = {
    KpiMetric.VISITS: Interaction.Kind.VISIT,
    KpiMetric.CALLS: Interaction.Kind.CALL,
    KpiMetric.MEETINGS: Interaction.Kind.MEETING,
}


def month_bounds(period: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The month as aware datetimes in the project's time zone (Asia/Shanghai)."""
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(period, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(add_months(period, 1), datetime.time.min, tzinfo=zone)
    return start, end


def targets_in_force(*, managers, period: datetime.date) -> dict:
    """{(manager_id, metric): target} for the month: the target that started last wins."""
    rows = (
        KpiTarget.objects.filter(manager__in=managers, valid_from__lte=period)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=period))
        .order_by("manager_id", "metric", "-valid_from")
        .distinct("manager_id", "metric")
    )
    return {(target.manager_id, target.metric): target.monthly_target for target in rows}


def manager_kpis(*, accounts: QuerySet, filters: DashboardFilters) -> list[dict]:
    """Per account manager of the accounts in scope: visits, calls and meetings they logged on those
    accounts in the month, complaints they resolved, against the month's targets."""
    User = get_user_model()
    managers = list(User.objects.filter(pk__in=accounts.values("owner_id")).order_by("username"))
    start, end = month_bounds(filters.period)
    activity = (
        Interaction.objects.filter(
            account_id__in=accounts.values("pk"),
            occurred_at__gte=start,
            occurred_at__lt=end,
            kind__in=INTERACTION_METRICS.values(),
        )
        .values("author_id", "kind")
        .annotate(count=Count("pk"))
        .order_by()
    )
    handled = (
        Complaint.objects.filter(
            account_id__in=accounts.values("pk"),
            resolved_at__gte=start,
            resolved_at__lt=end,
            handler__isnull=False,
        )
        .values("handler_id")
        .annotate(count=Count("pk"))
        .order_by()
    )
    actual = {(row["author_id"], row["kind"]): row["count"] for row in activity}
    complaints = {row["handler_id"]: row["count"] for row in handled}
    targets = targets_in_force(managers=managers, period=filters.period)
    result = []
    for manager in managers:
        metrics = []
        for metric in KpiMetric:
            if metric == KpiMetric.COMPLAINTS_HANDLED:
                value = complaints.get(manager.pk, 0)
            else:
                value = actual.get((manager.pk, INTERACTION_METRICS[metric]), 0)
            target = targets.get((manager.pk, metric.value))
            metrics.append(
                {
                    "metric": metric,
                    "label": metric.label,
                    "actual": value,
                    "target": target,
                    "attainment": percent(value, target) if target else None,
                    "met": target is not None and value >= target,
                }
            )
        result.append({"manager": manager, "metrics": metrics})
    return result


# --- Service compliance (from the service-tier app) ------------------------------------------------


def service_compliance(*, accounts: QuerySet, filters: DashboardFilters) -> list[dict]:
    """Per manager and tier for the period's month, from the service-tier selector, over exactly the
    accounts in scope: every dashboard filter (region, team, industry, owner, grade) applies."""
    return tier_compliance(accounts=accounts, month=filters.period)


# --- Segments of one account (the account page) -----------------------------------------------------


def account_segments(*, account: Account) -> dict:
    """The account's value and behaviour segment of the latest month that has them, that month's
    12-month figures from its grade snapshot, interactions in the same 12 months, and its needs.

    A fixed number of queries, each by primary key or by an index on the account. The caller has the
    account through the visibility rule already (``accounts.selectors.account_get``).
    """
    latest = AccountSegment.objects.order_by("-period").values_list("period", flat=True).first()
    segment = snapshot = None
    interactions = None
    if latest is not None:
        segment = (
            AccountSegment.objects.filter(period=latest, account=account)
            .select_related("rfm_segment")
            .first()
        )
    if segment is not None:
        snapshot = (
            GradeSnapshot.objects.filter(period=latest, account=account)
            .only("gross_profit", "order_volume")
            .first()
        )
        start, _end = month_bounds(add_months(latest, -12))
        end, _next = month_bounds(latest)
        interactions = Interaction.objects.filter(
            account=account, occurred_at__gte=start, occurred_at__lt=end
        ).count()
    needs = list(AccountNeed.objects.filter(account=account).select_related("tag", "set_by"))
    chosen = {need.tag_id for need in needs}
    tags = [tag for tag in NeedTag.objects.all() if tag.is_active or tag.pk in chosen]
    return {
        "segment": segment,
        "segment_snapshot": snapshot,
        "interactions": interactions,
        "needs": needs,
        "need_tags": tags,
        "chosen_need_ids": chosen,
    }


# --- Saved segments -------------------------------------------------------------------------------------

DASHBOARD_SAVED_SEGMENTS = 20


def saved_segments_for(*, user) -> QuerySet:
    """The saved segments a user may open: their own, those shared with a team they belong to or direct,
    and those shared with a region they direct or have a team in. Administrators see every one."""
    segments = SavedSegment.objects.select_related("owner", "team", "region")
    if user is None or not user.is_authenticated:
        return segments.none()
    if is_administrator(user):
        return segments.all()
    teams = Team.objects.filter(Q(members=user.pk) | Q(directors=user.pk)).values("pk")
    regions = Region.objects.filter(
        Q(directors=user.pk) | Q(teams__members=user.pk) | Q(teams__directors=user.pk)
    ).values("pk")
    return segments.filter(
        Q(owner=user.pk)
        | Q(sharing=SavedSegment.Sharing.TEAM, team__in=teams)
        | Q(sharing=SavedSegment.Sharing.REGION, region__in=regions)
    )


def saved_segment_get(*, user, pk) -> SavedSegment:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(saved_segments_for(user=user), pk=pk)


def saved_segment_accounts(*, user, segment: SavedSegment) -> QuerySet:
    """The accounts of a saved segment that this user may see (the account list's own filter)."""
    from accounts.selectors import account_list

    _filterset, accounts = account_list(user=user, data=_query_dict(segment.query))
    return accounts


def _query_dict(query: dict):
    from django.http import QueryDict

    data = QueryDict(mutable=True)
    for name, values in query.items():
        data.setlist(name, values)
    return data


def saved_segment_querystring(segment: SavedSegment) -> str:
    return _query_dict(segment.query).urlencode()


def saved_segment_counts(*, user, segments) -> dict[int, int]:
    """How many visible accounts each saved segment holds, in one statement over the visible accounts."""
    segments = list(segments)
    if not segments:
        return {}
    figures = {
        f"segment_{segment.pk}": Count(
            "pk", filter=Q(pk__in=saved_segment_accounts(user=user, segment=segment).order_by().values("pk"))
        )
        for segment in segments
    }
    counted = Account.objects.visible_to(user).aggregate(**figures)
    return {segment.pk: counted[f"segment_{segment.pk}"] for segment in segments}


# --- Classification × grading × segments: the directors' cross table -----------------------------------


@dataclass(frozen=True)
class CrossDimension:
    label: str
    expression: str  # SQL over s (snapshot), a (account), seg (segment); from this module only
    list_filter: str  # the account list's filter of the same name, for the drill-down


CROSS_DIMENSIONS = {
    "grade": CrossDimension(_("Grade"), "s.grade", "grade"),
    "value_segment": CrossDimension(_("Value segment"), "seg.value_segment", "value_segment"),
    "behaviour": CrossDimension(_("Behaviour segment"), "seg.rfm_segment_id::text", "behaviour"),
    "region": CrossDimension(_("Region"), "a.region_id::text", "region"),
    "industry": CrossDimension(_("Industry"), "a.industry", "industry"),
    "ownership_type": CrossDimension(_("Ownership type"), "a.ownership_type", "ownership_type"),
    "channel": CrossDimension(_("Channel"), "a.channel", "channel"),
}


def _cross_labels(dimension: str, keys) -> dict:
    from .models import RfmSegment, ValueSegment

    if dimension == "grade":
        return {key: key for key in keys}
    if dimension == "value_segment":
        return dict(ValueSegment.choices)
    if dimension == "behaviour":
        return {str(segment.pk): segment.label for segment in RfmSegment.objects.all()}
    if dimension == "region":
        return {
            str(region.pk): region.name for region in Region.objects.filter(pk__in=[k for k in keys if k])
        }
    if dimension == "industry":
        return dict(Account.Industry.choices)
    if dimension == "ownership_type":
        return dict(Account.OwnershipType.choices)
    return dict(Account.Channel.choices)


def _cross_order(dimension: str, keys: list, labels: dict) -> list:
    from .models import RfmSegment, ValueSegment

    if dimension == "grade":
        known = list(Grade.values)
    elif dimension == "value_segment":
        known = list(ValueSegment.values)
    elif dimension == "behaviour":
        known = [str(pk) for pk in RfmSegment.objects.values_list("pk", flat=True)]
    else:
        known = sorted((key for key in keys if key), key=lambda key: str(labels.get(key, key)))
    return (
        [key for key in known if key in keys]
        + sorted(key for key in keys if key not in known and key)
        + ([""] if "" in keys else [])
    )


def segment_cross(*, accounts: QuerySet, filters: DashboardFilters, rows: str, columns: str) -> dict:
    """Accounts graded in the period, counted with their 12-month revenue and gross profit for every
    pair of two dimensions (grade, value or behaviour segment, region, industry, ownership, channel).

    One GROUP BY over the period's snapshots of the given (visible, filtered) accounts. Accounts without
    a segment that month (no order in 24 months) count under an empty key.
    """
    row, column = CROSS_DIMENSIONS[rows], CROSS_DIMENSIONS[columns]
    scope_sql, scope_params = accounts.order_by().values("pk").query.sql_with_params()
    sql = f"""
        SELECT COALESCE({row.expression}, '') AS row_key, COALESCE({column.expression}, '') AS column_key,
               COUNT(*), COALESCE(SUM(s.order_volume), 0), COALESCE(SUM(s.gross_profit), 0)
        FROM scoring_gradesnapshot s
        JOIN accounts_account a ON a.id = s.account_id
        LEFT JOIN segmentation_accountsegment seg ON seg.period = s.period AND seg.account_id = s.account_id
        WHERE s.period = %s AND s.account_id IN ({scope_sql})
        GROUP BY 1, 2"""  # noqa: S608 -- expressions come from CROSS_DIMENSIONS; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [filters.period, *scope_params])
        found = cursor.fetchall()
    cells = {
        (r, c): {"accounts": n, "revenue": _money(revenue), "gross_profit": _money(profit)}
        for r, c, n, revenue, profit in found
    }
    row_keys = {r for r, _c in cells}
    column_keys = {c for _r, c in cells}
    row_labels, column_labels = _cross_labels(rows, row_keys), _cross_labels(columns, column_keys)
    ordered_rows = _cross_order(rows, list(row_keys), row_labels)
    ordered_columns = _cross_order(columns, list(column_keys), column_labels)
    empty = {"accounts": 0, "revenue": Decimal(0), "gross_profit": Decimal(0)}
    table_rows = []
    for r in ordered_rows:
        row_cells = [{"key": c, **cells.get((r, c), empty)} for c in ordered_columns]
        table_rows.append(
            {
                "key": r,
                "label": row_labels.get(r, r) if r else gettext("none"),
                "cells": row_cells,
                "accounts": sum(cell["accounts"] for cell in row_cells),
                "revenue": sum((cell["revenue"] for cell in row_cells), Decimal(0)),
            }
        )
    totals = [
        {
            "key": c,
            "accounts": sum(cells.get((r, c), empty)["accounts"] for r in ordered_rows),
            "revenue": sum((cells.get((r, c), empty)["revenue"] for r in ordered_rows), Decimal(0)),
        }
        for c in ordered_columns
    ]
    return {
        "rows": table_rows,
        "columns": [
            {"key": c, "label": column_labels.get(c, c) if c else gettext("none")} for c in ordered_columns
        ],
        "totals": totals,
        "accounts": sum(t["accounts"] for t in totals),
        "revenue": sum((t["revenue"] for t in totals), Decimal(0)),
        "row_filter": row.list_filter,
        "column_filter": column.list_filter,
    }


# --- Cross-sell ---------------------------------------------------------------------------------------


def account_cross_sell(*, account: Account) -> list[CrossSellSuggestion]:
    return list(CrossSellSuggestion.objects.filter(account=account).order_by("rank"))


def cross_sell_refreshed() -> CrossSellRefresh | None:
    return CrossSellRefresh.objects.order_by("-refreshed_at").first()


def cross_sell_list(*, accounts: QuerySet) -> QuerySet:
    """The suggestions for the given (visible, filtered) accounts, strongest first."""
    return (
        CrossSellSuggestion.objects.filter(account__in=accounts.order_by().values("pk"))
        .select_related("account", "account__owner")
        .order_by("-lift", "-peers_buying", "account_id", "rank")
    )
