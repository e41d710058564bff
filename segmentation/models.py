"""Segmentation (客户细分): grouping accounts by grade, region, industry and owner for the directors'
dashboards, the activity targets a sales director sets for each account manager, and the segments
beside the grade: value (Pareto share of gross profit), behaviour (RFM) and needs (tags a manager sets).

Classification is not grading: the segments here say *what* an account is like and buys; the grade in
``scoring`` says how well we serve it. The value and behaviour segments are computed with the monthly
re-grade (``segmentation/segments.py``) and kept per month; needs are set by hand.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.models import AccountChildQuerySet
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


# --- Segments beside the grade: value, behaviour (RFM), needs ------------------------------------------


def _localised(label_en: str, label_zh_hans: str, fallback: str = "") -> str:
    language = (get_language() or "en").lower()
    if language.startswith("zh") and label_zh_hans:
        return label_zh_hans
    return label_en or fallback


class ValueSegment(models.TextChoices):
    HIGH = "high", _("High value")
    MEDIUM = "medium", _("Medium value")
    LOW = "low", _("Low value")


class SegmentationSettings(models.Model):
    """The Pareto thresholds of the value segment (one row; the defaults apply while there is none)."""

    high_share = models.DecimalField(
        _("high value: first share of gross profit (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("80.00"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(100)],
        help_text=_(
            "The accounts that together make this first share of 12-month gross profit are high value."
        ),
    )
    medium_share = models.DecimalField(
        _("medium value: up to share of gross profit (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("95.00"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(100)],
        help_text=_(
            "The next accounts, up to this cumulative share, are medium value; the rest are low value."
        ),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("segmentation settings")
        verbose_name_plural = _("segmentation settings")
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="segmentation_settings_single_row"),
            models.CheckConstraint(
                condition=Q(high_share__gt=0)
                & Q(high_share__lt=F("medium_share"))
                & Q(medium_share__lte=100),
                name="segmentation_settings_shares_ordered",
                violation_error_message=_("The shares must satisfy 0 < high < medium ≤ 100."),
            ),
        ]

    def __str__(self):
        return f"{self.high_share} % / {self.medium_share} %"

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)


class RfmSegment(models.Model):
    """A named behaviour segment: the recency, frequency and monetary scores (1–5) it covers.

    An account belongs to the first segment, in position order, whose three ranges contain its scores.
    """

    code = models.SlugField(_("code"), max_length=30, unique=True)
    label_en = models.CharField(_("name (English)"), max_length=100)
    label_zh_hans = models.CharField(_("name (Simplified Chinese)"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    recency_min = models.PositiveSmallIntegerField(_("recency from"), default=1)
    recency_max = models.PositiveSmallIntegerField(_("recency to"), default=5)
    frequency_min = models.PositiveSmallIntegerField(_("frequency from"), default=1)
    frequency_max = models.PositiveSmallIntegerField(_("frequency to"), default=5)
    monetary_min = models.PositiveSmallIntegerField(_("monetary from"), default=1)
    monetary_max = models.PositiveSmallIntegerField(_("monetary to"), default=5)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("behaviour segment")
        verbose_name_plural = _("behaviour segments")
        constraints = [
            models.CheckConstraint(
                condition=Q(recency_min__gte=1)
                & Q(recency_min__lte=F("recency_max"))
                & Q(recency_max__lte=5)
                & Q(frequency_min__gte=1)
                & Q(frequency_min__lte=F("frequency_max"))
                & Q(frequency_max__lte=5)
                & Q(monetary_min__gte=1)
                & Q(monetary_min__lte=F("monetary_max"))
                & Q(monetary_max__lte=5),
                name="rfm_segment_ranges_valid",
                violation_error_message=_("Each range runs from a lower to a higher score within 1–5."),
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        return _localised(self.label_en, self.label_zh_hans, self.code)


class AccountSegment(models.Model):
    """One account's value and behaviour segment for one graded month (written with the re-grade).

    Accounts with an order in the 24 months before the period have a row. Figures cover the 12 months
    before the period, like the grade's; the amounts themselves are in that month's grade snapshot.
    """

    pk = models.CompositePrimaryKey("period", "account")
    period = models.DateField(_("period"))
    # No database constraint, as for the grade snapshots: the rows are written for every account at once
    # and a constraint check locks every account row; deleting an account deletes its rows (Django).
    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        related_name="segments",
        verbose_name=_("account"),
    )
    profit_share_before = models.DecimalField(
        _("share of gross profit of the accounts ahead (%)"), max_digits=7, decimal_places=4, null=True
    )
    value_segment = models.CharField(_("value segment"), max_length=6, choices=ValueSegment.choices)
    last_order_on = models.DateField(_("last order"))
    orders = models.PositiveIntegerField(_("orders, 12 months"))
    recency_score = models.PositiveSmallIntegerField(_("recency score"))
    frequency_score = models.PositiveSmallIntegerField(_("frequency score"))
    monetary_score = models.PositiveSmallIntegerField(_("monetary score"))
    rfm_segment = models.ForeignKey(
        RfmSegment,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        related_name="+",
        verbose_name=_("behaviour segment"),
    )

    objects = AccountChildQuerySet.as_manager()

    class Meta:
        # Only the primary key (period, account): one account's row is read for a known period, and each
        # extra index costs the monthly write about a second per million accounts (PERFORMANCE.md).
        verbose_name = _("account segment")
        verbose_name_plural = _("account segments")

    def __str__(self):
        return f"{self.period:%Y-%m} #{self.account_id} {self.value_segment}"


class NeedTag(models.Model):
    """What an account cares about most (quality-focused, price-sensitive…); the list is kept by admins."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    label_en = models.CharField(_("name (English)"), max_length=100)
    label_zh_hans = models.CharField(_("name (Simplified Chinese)"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(
        _("in use"), default=True, help_text=_("Tags no longer in use stay on accounts but cannot be chosen.")
    )

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("needs tag")
        verbose_name_plural = _("needs tags")

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        return _localised(self.label_en, self.label_zh_hans, self.code)


class AccountNeed(models.Model):
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="needs", verbose_name=_("account")
    )
    tag = models.ForeignKey(NeedTag, on_delete=models.PROTECT, related_name="+", verbose_name=_("need"))
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("set by")
    )
    set_at = models.DateTimeField(_("set at"), default=timezone.now)

    objects = AccountChildQuerySet.as_manager()

    class Meta:
        ordering = ["tag__position", "tag_id"]
        verbose_name = _("account need")
        verbose_name_plural = _("account needs")
        constraints = [models.UniqueConstraint(fields=["account", "tag"], name="account_need_unique")]
        indexes = [models.Index(fields=["tag", "account"], name="account_need_tag")]

    def __str__(self):
        return f"{self.account} · {self.tag}"


class SavedSegment(models.Model):
    """An account-list filter saved under a name: private, or shared with a team or a region.

    Sharing a segment shares the filter, not the accounts: whoever opens it sees the accounts the
    filter matches among those they may see (``Account.objects.visible_to``).
    """

    class Sharing(models.TextChoices):
        PRIVATE = "private", _("Only me")
        TEAM = "team", _("A team")
        REGION = "region", _("A region")

    name = models.CharField(_("name"), max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_segments",
        verbose_name=_("owner"),
    )
    sharing = models.CharField(
        _("shared with"), max_length=10, choices=Sharing.choices, default=Sharing.PRIVATE
    )
    team = models.ForeignKey(
        "accounts.Team",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("team"),
    )
    region = models.ForeignKey(
        "accounts.Region",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("region"),
    )
    # The account list's query (filter name → list of values), as the list and the export read it.
    query = models.JSONField(_("filters"), default=dict)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("saved segment")
        verbose_name_plural = _("saved segments")
        constraints = [
            models.CheckConstraint(condition=~Q(name=""), name="saved_segment_name_not_empty"),
            models.CheckConstraint(
                condition=(Q(sharing="private") & Q(team__isnull=True) & Q(region__isnull=True))
                | (Q(sharing="team") & Q(team__isnull=False) & Q(region__isnull=True))
                | (Q(sharing="region") & Q(region__isnull=False) & Q(team__isnull=True)),
                name="saved_segment_sharing_target",
            ),
            models.UniqueConstraint(fields=["owner", "name"], name="saved_segment_name_unique_per_owner"),
        ]

    def __str__(self):
        return self.name


# --- Cross-sell (seed 003): what similar accounts buy and this one does not ---------------------------


class CrossSellSuggestion(models.Model):
    """A product line the account's peers buy and it does not, rebuilt nightly (``crosssell.py``).

    Peers: the other accounts of the same industry that ordered in the last 12 months. ``lift`` is how
    much more often the peers buy the line than all ordering accounts do.
    """

    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
        related_name="cross_sell_suggestions",
        verbose_name=_("account"),
    )
    product_line = models.CharField(_("product line"), max_length=100)
    rank = models.PositiveSmallIntegerField(_("rank"))
    peers = models.PositiveIntegerField(_("similar accounts"))
    peers_buying = models.PositiveIntegerField(_("similar accounts buying it"))
    lift = models.DecimalField(_("lift"), max_digits=8, decimal_places=2)

    objects = AccountChildQuerySet.as_manager()

    class Meta:
        ordering = ["account", "rank"]
        verbose_name = _("cross-sell suggestion")
        verbose_name_plural = _("cross-sell suggestions")
        constraints = [
            models.UniqueConstraint(fields=["account", "rank"], name="cross_sell_one_per_rank"),
        ]
        # The list of a scope walks the strongest suggestions first and stops after a page.
        indexes = [models.Index(fields=["-lift", "-peers_buying", "account"], name="cross_sell_strongest")]

    def __str__(self):
        return f"{self.account_id} · {self.product_line} · {self.lift}"


class CrossSellRefresh(models.Model):
    refreshed_at = models.DateTimeField(_("refreshed at"))
    seconds = models.DecimalField(_("seconds"), max_digits=9, decimal_places=3)
    suggestions = models.PositiveIntegerField(_("suggestions"))

    class Meta:
        ordering = ["-refreshed_at"]
        verbose_name = _("cross-sell refresh")
        verbose_name_plural = _("cross-sell refreshes")

    def __str__(self):
        return f"{self.refreshed_at:%Y-%m-%d %H:%M} ({self.suggestions})"
