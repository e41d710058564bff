"""Grading (客户分级): versioned scoring models, ratings, monthly grade snapshots, overrides and runs.

A scoring model is a set of weighted criteria; each criterion turns a raw value of the account into a
sub-score from 0 to 100, either through bands an admin defines or through a percentile rank among the
graded accounts. The weighted total (0–100, two decimals, rounded once) gives the grade through the
model's A and B thresholds. How it is computed lives in ``scoring/services.py``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.models import AccountChildQuerySet
from kam.limits import PAST_EVENT, PLANNED, SYSTEM_TEXT, bounded_text

HUNDRED = Decimal("100")


class Grade(models.TextChoices):
    A = "A", _("A (key account)")
    B = "B", _("B (major account)")
    C = "C", _("C (ordinary account)")


class CriterionKey(models.TextChoices):
    CREDIT = "credit", _("Credit status")
    ORDER_VOLUME = "order_volume", _("Order volume")
    PROFIT_CONTRIBUTION = "profit_contribution", _("Profit contribution")
    GROWTH = "growth", _("Growth")
    RELATIONSHIP = "relationship", _("Relationship")
    STRATEGIC_FIT = "strategic_fit", _("Strategic fit")
    # The seed's real-estate example also grades the client's ownership type and strength.
    OWNERSHIP_TYPE = "ownership_type", _("Ownership type")
    CLIENT_STRENGTH = "client_strength", _("Client strength")


# Criteria whose raw value is a quantity that can be ranked; ratings and ownership types are categories.
PERCENTILE_KEYS = frozenset(
    {
        CriterionKey.CREDIT,
        CriterionKey.ORDER_VOLUME,
        CriterionKey.PROFIT_CONTRIBUTION,
        CriterionKey.GROWTH,
        CriterionKey.CLIENT_STRENGTH,
    }
)


class ScoringModel(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", pgettext_lazy("scoring model status", "Active")
        RETIRED = "retired", _("Retired")

    name = models.CharField(_("name"), max_length=150)
    description = bounded_text(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    threshold_a = models.DecimalField(
        _("A threshold"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("75.00"),
        help_text=_("A total at or above this value is graded A."),
    )
    threshold_b = models.DecimalField(
        _("B threshold"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("60.00"),
        help_text=_("A total at or above this value (and below the A threshold) is graded B."),
    )
    copied_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="copies",
        verbose_name=_("copied from"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("activated by"),
    )
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("scoring model")
        verbose_name_plural = _("scoring models")
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="active"), name="scoring_model_one_active"
            ),
            models.CheckConstraint(
                condition=Q(threshold_b__gt=0)
                & Q(threshold_b__lt=F("threshold_a"))
                & Q(threshold_a__lte=100),
                name="scoring_model_thresholds_ordered",
                violation_error_message=_("Thresholds must satisfy 0 < B < A ≤ 100."),
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(activated_at__isnull=False),
                name="scoring_model_activation_recorded",
            ),
            models.CheckConstraint(condition=~Q(name=""), name="scoring_model_name_not_empty"),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_status_display()})"

    @property
    def is_editable(self) -> bool:
        return self.status == self.Status.DRAFT

    def grade_for(self, total: Decimal) -> str:
        """The grade for a total, compared exactly with the thresholds (75.00 → A, 74.99 → B)."""
        if total >= self.threshold_a:
            return Grade.A
        if total >= self.threshold_b:
            return Grade.B
        return Grade.C


def _ensure_draft(scoring_model_id):
    status = ScoringModel.objects.filter(pk=scoring_model_id).values_list("status", flat=True).first()
    if status is not None and status != ScoringModel.Status.DRAFT:
        raise ValidationError(
            _("Only a draft scoring model can be changed; copy the model to a new draft instead.")
        )


class Criterion(models.Model):
    class Method(models.TextChoices):
        BANDS = "bands", _("Bands")
        PERCENTILE = "percentile", _("Percentile rank")

    scoring_model = models.ForeignKey(
        ScoringModel, on_delete=models.CASCADE, related_name="criteria", verbose_name=_("scoring model")
    )
    key = models.CharField(_("criterion"), max_length=30, choices=CriterionKey.choices)
    label_en = models.CharField(_("label (English)"), max_length=100)
    label_zh_hans = models.CharField(_("label (Simplified Chinese)"), max_length=100)
    weight = models.DecimalField(
        _("weight"),
        max_digits=9,
        decimal_places=4,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Points this criterion contributes at most; the weights of a model add up to 100."),
    )
    method = models.CharField(_("method"), max_length=10, choices=Method.choices, default=Method.BANDS)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["scoring_model", "position", "pk"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        constraints = [
            models.UniqueConstraint(fields=["scoring_model", "key"], name="criterion_key_unique_per_model"),
            models.CheckConstraint(
                condition=Q(weight__gte=0) & Q(weight__lte=100), name="criterion_weight_range"
            ),
        ]

    def __str__(self):
        return self.label

    def save(self, *args, **kwargs):
        _ensure_draft(self.scoring_model_id)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _ensure_draft(self.scoring_model_id)
        return super().delete(*args, **kwargs)

    @property
    def label(self) -> str:
        language = (get_language() or "en").lower()
        if language.startswith("zh") and self.label_zh_hans:
            return self.label_zh_hans
        return self.label_en or self.get_key_display()


class Band(models.Model):
    """A range of a criterion's 0–100 basis value and the sub-score it earns.

    The lower bound is included and the upper bound excluded, except for the band ending at 100, which
    includes 100. The bands of one criterion cover 0–100 without gaps or overlaps (checked on activation).
    """

    scoring_model = models.ForeignKey(
        ScoringModel, on_delete=models.CASCADE, related_name="bands", verbose_name=_("scoring model")
    )
    criterion = models.CharField(_("criterion"), max_length=30, choices=CriterionKey.choices)
    label = models.CharField(_("label"), max_length=100, blank=True)
    lower = models.DecimalField(
        _("from"), max_digits=7, decimal_places=4, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    upper = models.DecimalField(
        _("to"), max_digits=7, decimal_places=4, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    points = models.DecimalField(
        _("sub-score"),
        max_digits=7,
        decimal_places=4,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Sub-score from 0 to 100 for a basis value in this range."),
    )

    class Meta:
        ordering = ["scoring_model", "criterion", "lower"]
        verbose_name = _("band")
        verbose_name_plural = _("bands")
        constraints = [
            models.CheckConstraint(
                condition=Q(lower__gte=0) & Q(upper__lte=100) & Q(lower__lt=F("upper")),
                name="band_range_valid",
                violation_error_message=_("A band runs from a lower to a higher value within 0–100."),
            ),
            models.CheckConstraint(condition=Q(points__gte=0) & Q(points__lte=100), name="band_points_range"),
            models.UniqueConstraint(fields=["scoring_model", "criterion", "lower"], name="band_lower_unique"),
        ]

    def __str__(self):
        return f"{self.get_criterion_display()} [{self.lower}, {self.upper}) → {self.points}"

    def save(self, *args, **kwargs):
        _ensure_draft(self.scoring_model_id)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        _ensure_draft(self.scoring_model_id)
        return super().delete(*args, **kwargs)


class AccountRating(models.Model):
    """The current manual rating of an account (1–5); every change is kept in AccountRatingChange."""

    class Kind(models.TextChoices):
        RELATIONSHIP = "relationship", _("Relationship")
        STRATEGIC_FIT = "strategic_fit", _("Strategic fit")

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="ratings", verbose_name=_("account")
    )
    kind = models.CharField(_("rating"), max_length=20, choices=Kind.choices)
    value = models.PositiveSmallIntegerField(
        _("value (1–5)"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rated_on = models.DateField(_("rated on"), validators=[PAST_EVENT])
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("rated by")
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AccountChildQuerySet.as_manager()

    class Meta:
        ordering = ["account", "kind"]
        verbose_name = _("account rating")
        verbose_name_plural = _("account ratings")
        constraints = [
            models.UniqueConstraint(fields=["account", "kind"], name="account_rating_one_per_kind"),
            models.CheckConstraint(condition=Q(value__gte=1) & Q(value__lte=5), name="account_rating_range"),
        ]

    def __str__(self):
        return f"{self.account} · {self.get_kind_display()} {self.value}"


class AccountRatingChange(models.Model):
    """Audit trail of ratings: who changed which rating when, from what to what."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="rating_changes", verbose_name=_("account")
    )
    kind = models.CharField(_("rating"), max_length=20, choices=AccountRating.Kind.choices)
    old_value = models.PositiveSmallIntegerField(_("old value"), null=True, blank=True)
    new_value = models.PositiveSmallIntegerField(_("new value"))
    rated_on = models.DateField(_("rated on"), validators=[PAST_EVENT])
    note = models.CharField(_("note"), max_length=300, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("changed by")
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    objects = AccountChildQuerySet.as_manager()

    class Meta:
        ordering = ["-changed_at", "-pk"]
        verbose_name = _("rating change")
        verbose_name_plural = _("rating changes")
        indexes = [models.Index(fields=["account", "-changed_at"], name="rating_change_account_time")]

    def __str__(self):
        return f"{self.account} · {self.get_kind_display()} {self.old_value} → {self.new_value}"


class GradeOverride(models.Model):
    """A sales director's grade for an account, with a reason and an end date; the computed grade stays."""

    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        related_name="grade_overrides",
        verbose_name=_("account"),
    )
    grade = models.CharField(_("grade"), max_length=1, choices=Grade.choices)
    reason = bounded_text(_("reason"))
    expires_on = models.DateField(
        _("valid until"), help_text=_("The override ends after this day."), validators=[PLANNED]
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("set by")
    )
    created_at = models.DateTimeField(_("set at"), default=timezone.now)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    objects = AccountChildQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("grade override")
        verbose_name_plural = _("grade overrides")
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="grade_override_reason_required"),
            models.UniqueConstraint(
                fields=["account"], condition=Q(revoked_at__isnull=True), name="grade_override_one_open"
            ),
        ]

    def __str__(self):
        return f"{self.account} → {self.grade} ({self.expires_on})"

    def is_in_force(self, on=None) -> bool:
        on = on or timezone.localdate()
        return self.revoked_at is None and self.expires_on >= on


class RegradeRun(models.Model):
    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Monthly schedule")
        MANUAL = "manual", _("Re-grade now (admin)")
        COMMAND = "command", _("Management command")
        BENCHMARK = "benchmark", _("Benchmark")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    period = models.DateField(_("period"), help_text=_("First day of the graded month."))
    scoring_model = models.ForeignKey(
        ScoringModel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="runs",
        verbose_name=_("scoring model"),
    )
    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger.choices)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    accounts_graded = models.PositiveIntegerField(_("accounts graded"), default=0)
    grade_a_count = models.PositiveIntegerField(_("A"), default=0)
    grade_b_count = models.PositiveIntegerField(_("B"), default=0)
    grade_c_count = models.PositiveIntegerField(_("C"), default=0)
    provisional_count = models.PositiveIntegerField(_("provisional"), default=0)
    created_at = models.DateTimeField(_("queued at"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    error = bounded_text(_("error"), max_length=SYSTEM_TEXT, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("re-grade run")
        verbose_name_plural = _("re-grade runs")
        constraints = [
            models.CheckConstraint(condition=Q(period__day=1), name="regrade_run_period_first_day"),
        ]

    def __str__(self):
        return f"{self.period:%Y-%m} · {self.get_status_display()}"

    @property
    def duration(self):
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


class GradeSnapshot(models.Model):
    """One account's grade for one month: raw values, sub-scores, total, computed and effective grade."""

    # Index and constraint choices keep the monthly upsert of every account cheap. No link has a
    # database foreign key: checking one locks every referenced row (FOR KEY SHARE), which cost 14 s
    # of a 1M-account re-grade for the account link alone. The writing statement takes every id from
    # existing rows; deleting an account through Django deletes its snapshots (CASCADE is carried out
    # by Django's collector, tested); models with snapshots are protected (PROTECT, and active/retired
    # models cannot be edited or deleted); overrides are never deleted (they are revoked).
    # account_id is covered by the (account, period) unique index.
    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.CASCADE,
        related_name="grade_snapshots",
        verbose_name=_("account"),
        db_index=False,
        db_constraint=False,
    )
    period = models.DateField(_("period"), help_text=_("First day of the graded month."))
    scoring_model = models.ForeignKey(
        ScoringModel,
        on_delete=models.PROTECT,
        related_name="snapshots",
        verbose_name=_("scoring model"),
        db_constraint=False,
    )
    run = models.ForeignKey(
        RegradeRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("run"),
        db_index=False,
        db_constraint=False,
    )
    # Raw values, in their natural units.
    invoices_due = models.PositiveIntegerField(_("invoices due"), null=True, blank=True)
    on_time_share = models.DecimalField(
        _("paid on time (%)"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    avg_days_late = models.DecimalField(
        _("average days late"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    order_volume = models.DecimalField(
        _("order amount, 12 months (CNY)"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    gross_profit = models.DecimalField(
        _("gross profit, 12 months (CNY)"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    prior_year_volume = models.DecimalField(
        _("order amount, previous 12 months (CNY)"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    growth_pct = models.DecimalField(
        _("growth year on year (%)"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    relationship_rating = models.PositiveSmallIntegerField(_("relationship rating"), null=True, blank=True)
    strategic_fit_rating = models.PositiveSmallIntegerField(_("strategic fit rating"), null=True, blank=True)
    ownership_type = models.CharField(_("ownership type"), max_length=20, blank=True)
    registered_capital = models.DecimalField(
        _("registered capital (CNY)"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    # Sub-scores 0–100 (four places); empty when the criterion had no data or is not in the model.
    credit_score = models.DecimalField(_("credit"), max_digits=7, decimal_places=4, null=True, blank=True)
    order_volume_score = models.DecimalField(
        _("order volume"), max_digits=7, decimal_places=4, null=True, blank=True
    )
    profit_contribution_score = models.DecimalField(
        _("profit contribution"), max_digits=7, decimal_places=4, null=True, blank=True
    )
    growth_score = models.DecimalField(_("growth"), max_digits=7, decimal_places=4, null=True, blank=True)
    relationship_score = models.DecimalField(
        _("relationship"), max_digits=7, decimal_places=4, null=True, blank=True
    )
    strategic_fit_score = models.DecimalField(
        _("strategic fit"), max_digits=7, decimal_places=4, null=True, blank=True
    )
    ownership_type_score = models.DecimalField(
        _("ownership type"), max_digits=7, decimal_places=4, null=True, blank=True
    )
    client_strength_score = models.DecimalField(
        _("client strength"), max_digits=7, decimal_places=4, null=True, blank=True
    )
    total = models.DecimalField(_("score"), max_digits=5, decimal_places=2)
    computed_grade = models.CharField(_("computed grade"), max_length=1, choices=Grade.choices)
    grade = models.CharField(_("grade"), max_length=1, choices=Grade.choices)
    previous_grade = models.CharField(_("previous grade"), max_length=1, choices=Grade.choices, blank=True)
    provisional = models.BooleanField(
        _("provisional"),
        default=False,
        help_text=_("Graded on less than 12 months of order history."),
    )
    override = models.ForeignKey(
        GradeOverride,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="snapshots",
        verbose_name=_("override"),
        db_index=False,
        db_constraint=False,
    )
    computed_at = models.DateTimeField(_("computed at"))

    objects = AccountChildQuerySet.as_manager()

    class Meta:
        ordering = ["account", "-period"]
        verbose_name = _("grade snapshot")
        verbose_name_plural = _("grade snapshots")
        constraints = [
            models.UniqueConstraint(fields=["account", "period"], name="grade_snapshot_one_per_period"),
            models.CheckConstraint(condition=Q(period__day=1), name="grade_snapshot_period_first_day"),
            models.CheckConstraint(
                condition=Q(total__gte=0) & Q(total__lte=100), name="grade_snapshot_total_range"
            ),
        ]
        indexes = [
            models.Index(fields=["period", "grade"], name="grade_snapshot_period_grade"),
            models.Index(
                fields=["override"], name="grade_snapshot_override", condition=Q(override__isnull=False)
            ),
        ]

    def __str__(self):
        return f"{self.account} · {self.period:%Y-%m} · {self.grade}"

    def score_for(self, key: str):
        return getattr(self, f"{key}_score")
