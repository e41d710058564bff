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
    valid_from = models.DateField(_("from month"), help_text=_("First day of the first month."))
    valid_until = models.DateField(
        _("until month"),
        null=True,
        blank=True,
        help_text=_("First day of the last month; empty: open ended."),
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
