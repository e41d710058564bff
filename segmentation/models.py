"""Segmentation (客户细分): grouping accounts by grade, region, industry and owner for the directors'
dashboards, and the activity targets a sales director sets for each account manager.

The figures themselves are read by ``segmentation/selectors.py`` from orders and grade snapshots; this
module only holds what a director decides: monthly KPI targets per manager (SMART: a number and the
months it applies to).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.limits import PLANNED


class KpiMetric(models.TextChoices):
    VISITS = "visits", _("Visits")
    CALLS = "calls", _("Calls")
    MEETINGS = "meetings", _("Meetings")
    COMPLAINTS_HANDLED = "complaints_handled", _("Complaints handled")


class KpiTarget(models.Model):
    """How many visits, calls, meetings or handled complaints a manager should reach each month.

    The target applies from ``valid_from`` (a month) until ``valid_until`` (a month, included) or open
    ended; when several targets cover a month, the one that started last wins.
    """

    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="kpi_targets",
        verbose_name=_("account manager"),
    )
    metric = models.CharField(_("metric"), max_length=20, choices=KpiMetric.choices)
    monthly_target = models.PositiveIntegerField(_("monthly target"))
    valid_from = models.DateField(
        _("from month"), help_text=_("First day of the first month."), validators=[PLANNED]
    )
    valid_until = models.DateField(
        _("until month"),
        null=True,
        blank=True,
        help_text=_("First day of the last month; empty: open ended."),
        validators=[PLANNED],
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("set by")
    )
    set_at = models.DateTimeField(_("set at"), default=timezone.now)

    class Meta:
        ordering = ["manager", "metric", "-valid_from"]
        verbose_name = _("KPI target")
        verbose_name_plural = _("KPI targets")
        constraints = [
            models.UniqueConstraint(
                fields=["manager", "metric", "valid_from"], name="kpi_target_one_per_start"
            ),
            models.CheckConstraint(condition=Q(valid_from__day=1), name="kpi_target_from_first_day"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True)
                | (Q(valid_until__day=1) & Q(valid_until__gte=F("valid_from"))),
                name="kpi_target_until_after_from",
            ),
            models.CheckConstraint(condition=Q(monthly_target__gte=0), name="kpi_target_non_negative"),
        ]

    def __str__(self):
        return f"{self.manager} · {self.get_metric_display()} · {self.monthly_target}/{_('month')}"


# --- Aggregate tables (see segmentation/cube.py): rebuilt by cube_refresh, never edited by hand ------


class GradeCube(models.Model):
    """Grade snapshots summed per period × owner × region × industry × grade × grade the month before."""

    period = models.DateField()
    owner_id = models.IntegerField()
    region_id = models.IntegerField(null=True)
    industry = models.CharField(max_length=30, blank=True)
    grade = models.CharField(max_length=1, blank=True)  # empty: graded the month before, not in this one
    previous_grade = models.CharField(max_length=1, blank=True)
    accounts = models.IntegerField()
    revenue = models.DecimalField(max_digits=20, decimal_places=2)
    gross_profit = models.DecimalField(max_digits=20, decimal_places=2)
    previous_revenue = models.DecimalField(max_digits=20, decimal_places=2)

    class Meta:
        verbose_name = _("grade aggregate")
        indexes = [models.Index(fields=["period", "owner_id"], name="grade_cube_period_owner")]

    def __str__(self):
        return f"{self.period:%Y-%m} {self.previous_grade or '-'}→{self.grade or '-'} ×{self.accounts}"


class MonthCube(models.Model):
    """Orders summed per calendar month × owner × region × industry."""

    month = models.DateField()
    owner_id = models.IntegerField()
    region_id = models.IntegerField(null=True)
    industry = models.CharField(max_length=30, blank=True)
    revenue = models.DecimalField(max_digits=20, decimal_places=2)
    gross_profit = models.DecimalField(max_digits=20, decimal_places=2)
    orders = models.IntegerField()

    class Meta:
        verbose_name = _("monthly order aggregate")
        indexes = [models.Index(fields=["month", "owner_id"], name="month_cube_month_owner")]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.revenue}"


class CubeCell(models.Model):
    """How many accounts each owner × region × industry cell had when the aggregates were built."""

    owner_id = models.IntegerField()
    region_id = models.IntegerField(null=True)
    industry = models.CharField(max_length=30, blank=True)
    accounts = models.IntegerField()

    class Meta:
        verbose_name = _("aggregate cell")
        indexes = [models.Index(fields=["owner_id"], name="cube_cell_owner")]

    def __str__(self):
        return f"{self.owner_id}/{self.region_id}/{self.industry}: {self.accounts}"


class AccountCube(models.Model):
    """Per period × account graded in the period or the month before: both grades and scores and the
    revenue figures, as in the grade snapshots. The drill-down and risk lists walk it in revenue order
    instead of joining two months of snapshots for every visible account."""

    pk = models.CompositePrimaryKey("period", "account")
    period = models.DateField()
    # No database constraint: the table is rebuilt from the snapshots, and a deleted account's rows
    # simply stop joining. The primary key (period, account) is the index for a scope of accounts.
    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="dashboard_figures",
    )
    grade = models.CharField(max_length=1, blank=True)  # empty: graded the month before, not in this one
    previous_grade = models.CharField(max_length=1, blank=True)  # empty: not graded the month before
    total = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    previous_total = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    revenue = models.DecimalField(max_digits=20, decimal_places=2)
    previous_revenue = models.DecimalField(max_digits=20, decimal_places=2)
    gross_profit = models.DecimalField(max_digits=20, decimal_places=2)
    # The risk list's ranking: the period's revenue, else the month before's.
    revenue_at_risk = models.DecimalField(max_digits=20, decimal_places=2)
    # Grade fell (A → B/C, B → C) or score dropped by SCORE_DROP_POINTS or more.
    slipped = models.BooleanField()

    class Meta:
        verbose_name = _("account aggregate")
        indexes = [
            models.Index(
                fields=["period", "previous_grade", "grade", "-revenue"], name="account_cube_cell_revenue"
            ),
            models.Index(fields=["period", "-revenue_at_risk"], name="account_cube_risk_revenue"),
        ]

    def __str__(self):
        return f"{self.period:%Y-%m} #{self.account_id} {self.previous_grade or '-'}→{self.grade or '-'}"


class CubeRefresh(models.Model):
    refreshed_at = models.DateTimeField(_("refreshed at"))
    seconds = models.DecimalField(_("seconds"), max_digits=9, decimal_places=3)
    # How many snapshots carried an override at the refresh: the nightly expiry of overrides changes
    # snapshots without a timestamp, and changes this count.
    overridden_snapshots = models.IntegerField(_("snapshots with an override"), default=0)
    # The latest account edit the build read: an account edited since (moved to another owner, region or
    # industry, i.e. another cell) makes the aggregates stale, whatever the counts per cell.
    accounts_updated_until = models.DateTimeField(_("accounts edited until"), null=True)

    class Meta:
        verbose_name = _("aggregate refresh")

    def __str__(self):
        return f"{self.refreshed_at:%Y-%m-%d %H:%M} ({self.seconds} s)"
