"""Account plans (seed 001: set clear goals for each key account): per A or B account and year, the
objectives (measurable, with a target and a due date), the actions to reach them and quarterly reviews.

Its own app: a plan is what the account team *decides to do* with an account over a year. It is neither
classification (segmentation), nor our judgement of value (scoring), nor what a grade buys
(service_tiers, whose "service plan" is derived from the tier, never written by anyone).
Progress of revenue, gross profit and relationship objectives is computed from orders and ratings
(``selectors.py``), never typed in.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import AccountChildQuerySet
from kam.limits import PAST_EVENT, PLANNED, SHORT_TEXT, bounded_text


class PlanChildQuerySet(models.QuerySet):
    """Objectives, actions and reviews: visible exactly when their plan's account is."""

    def visible_to(self, user):
        from accounts.models import Account

        return self.filter(plan__account__in=Account.objects.visible_to(user).values("pk"))


class AccountPlan(models.Model):
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="plans", verbose_name=_("account")
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    summary = bounded_text(_("summary"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = AccountChildQuerySet.as_manager()

    class Meta:
        ordering = ["account", "-year"]
        verbose_name = _("account plan")
        verbose_name_plural = _("account plans")
        constraints = [models.UniqueConstraint(fields=["account", "year"], name="account_plan_one_per_year")]

    def __str__(self):
        return f"{self.account} · {self.year}"


class PlanObjective(models.Model):
    class Kind(models.TextChoices):
        REVENUE = "revenue", _("Revenue (CNY)")
        GROSS_PROFIT = "gross_profit", _("Gross profit (CNY)")
        SHARE_OF_WALLET = "share_of_wallet", _("Share of wallet (%)")
        RELATIONSHIP = "relationship", _("Relationship rating (1–5)")

    # Measured from orders (since 1 January of the plan's year) or from the account's rating.
    MEASURED = (Kind.REVENUE, Kind.GROSS_PROFIT, Kind.RELATIONSHIP)

    plan = models.ForeignKey(
        AccountPlan, on_delete=models.CASCADE, related_name="objectives", verbose_name=_("plan")
    )
    kind = models.CharField(_("objective"), max_length=20, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=SHORT_TEXT, blank=True)
    target = models.DecimalField(
        _("target"), max_digits=16, decimal_places=2, validators=[MinValueValidator(0)]
    )
    due_on = models.DateField(_("due"), validators=[PLANNED])
    # For what orders cannot tell (share of wallet): the latest figure the team recorded.
    recorded_value = models.DecimalField(
        _("recorded value"), max_digits=16, decimal_places=2, null=True, blank=True
    )

    objects = PlanChildQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "due_on", "pk"]
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")
        constraints = [
            models.CheckConstraint(condition=Q(target__gte=0), name="plan_objective_target_non_negative"),
            models.CheckConstraint(
                condition=~Q(kind="relationship") | (Q(target__gte=1) & Q(target__lte=5)),
                name="plan_objective_relationship_range",
            ),
            models.CheckConstraint(
                condition=~Q(kind="share_of_wallet") | Q(target__lte=100),
                name="plan_objective_share_at_most_100",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.target} · {self.due_on}"


class PlanAction(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    OPEN_STATUSES = (Status.OPEN, Status.IN_PROGRESS)

    plan = models.ForeignKey(
        AccountPlan, on_delete=models.CASCADE, related_name="actions", verbose_name=_("plan")
    )
    description = models.CharField(_("action"), max_length=SHORT_TEXT)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="plan_actions",
        verbose_name=_("owner"),
    )
    due_on = models.DateField(_("due"), validators=[PLANNED])
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = PlanChildQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "due_on", "pk"]
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        constraints = [models.CheckConstraint(condition=~Q(description=""), name="plan_action_not_empty")]
        indexes = [
            models.Index(
                fields=["due_on"],
                name="plan_action_open_due",
                condition=Q(status__in=["open", "in_progress"]),
            )
        ]

    def __str__(self):
        return self.description


class PlanReview(models.Model):
    plan = models.ForeignKey(
        AccountPlan, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("plan")
    )
    reviewed_on = models.DateField(_("review date"), validators=[PAST_EVENT])
    notes = bounded_text(_("notes"))
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("reviewer")
    )
    # The objectives' progress as computed on the review date: {objective id: {"value": "…", "percent": "…"}}.
    progress = models.JSONField(_("progress"), default=dict)
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = PlanChildQuerySet.as_manager()

    class Meta:
        ordering = ["plan", "-reviewed_on", "-pk"]
        verbose_name = _("quarterly review")
        verbose_name_plural = _("quarterly reviews")
        constraints = [models.CheckConstraint(condition=~Q(notes=""), name="plan_review_notes_required")]

    def __str__(self):
        return f"{self.plan} · {self.reviewed_on}"

    @property
    def quarter(self) -> int:
        return (self.reviewed_on.month - 1) // 3 + 1
