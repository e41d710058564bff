"""Service tiers (差异化服务): what a grade buys, complaint deadlines fixed at opening, and risk alerts.

A tier is the service contract of one grade (A, B, C) or of blacklisted accounts. Plans are never
stored: they are derived from the tier, the account's effective grade and its history whenever they
are read (``service_tiers/selectors.py``), so a tier change applies to every plan at once. Complaint
deadlines are the exception: they are written once, when the complaint is opened, so a later tier
change never moves a deadline that a customer was already promised.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from kam.limits import SYSTEM_TEXT, bounded_text


class TierKey(models.TextChoices):
    A = "A", _("A (key account)")
    B = "B", _("B (major account)")
    C = "C", _("C (ordinary account)")
    BLACKLIST = "blacklist", _("Blacklisted")


class ServiceTier(models.Model):
    """The service contract of one grade. Empty durations mean "none" and are allowed only for the
    blacklist tier; every other duration is a positive number."""

    key = models.CharField(_("tier"), max_length=10, choices=TierKey.choices, unique=True)
    revisit_cadence_days = models.PositiveIntegerField(
        _("revisit every (days)"),
        null=True,
        blank=True,
        help_text=_("A visit or meeting is due this many days after the last one. Empty: no revisits."),
    )
    complaint_response_hours = models.PositiveIntegerField(
        _("complaint response (hours)"),
        help_text=_("A new complaint must be taken in hand within this many hours."),
    )
    complaint_resolution_hours = models.PositiveIntegerField(
        _("complaint resolution (hours)"),
        help_text=_("A complaint must be resolved within this many hours of being received."),
    )
    survey_cadence_months = models.PositiveIntegerField(
        _("satisfaction survey every (months)"),
        null=True,
        blank=True,
        help_text=_("Empty: no satisfaction surveys."),
    )
    care_birthday = models.BooleanField(_("birthday greetings"), default=False)
    care_spring_festival = models.BooleanField(_("Spring Festival greetings"), default=False)
    care_dragon_boat = models.BooleanField(_("Dragon Boat Festival greetings"), default=False)
    care_mid_autumn = models.BooleanField(_("Mid-Autumn Festival greetings"), default=False)
    care_anniversary = models.BooleanField(
        _("cooperation anniversary"),
        default=False,
        help_text=_("Greet on the anniversary of the account's first order with us."),
    )
    dedicated_manager = models.BooleanField(
        _("dedicated account manager"),
        default=False,
        help_text=_("A senior manager serves the account one-to-one."),
    )
    service_priority = models.PositiveSmallIntegerField(
        _("service priority"),
        help_text=_("1 is served first (green channel); higher numbers wait longer."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        ordering = ["service_priority", "key"]
        verbose_name = _("service tier")
        verbose_name_plural = _("service tiers")
        constraints = [
            models.CheckConstraint(
                condition=Q(revisit_cadence_days__isnull=True) | Q(revisit_cadence_days__gt=0),
                name="service_tier_revisit_positive",
            ),
            models.CheckConstraint(
                condition=Q(survey_cadence_months__isnull=True) | Q(survey_cadence_months__gt=0),
                name="service_tier_survey_positive",
            ),
            models.CheckConstraint(
                condition=Q(complaint_response_hours__gt=0)
                & Q(complaint_resolution_hours__gte=F("complaint_response_hours")),
                name="service_tier_complaint_hours_ordered",
            ),
            models.CheckConstraint(
                condition=Q(key="blacklist")
                | (Q(revisit_cadence_days__isnull=False) & Q(survey_cadence_months__isnull=False)),
                name="service_tier_graded_has_cadences",
            ),
            models.CheckConstraint(
                condition=Q(service_priority__gt=0), name="service_tier_priority_positive"
            ),
        ]

    def __str__(self):
        return str(self.get_key_display())

    def clean(self):
        super().clean()
        errors = {}
        for field in ("revisit_cadence_days", "survey_cadence_months"):
            value = getattr(self, field)
            if value is None and self.key != TierKey.BLACKLIST:
                errors[field] = _("Every graded tier needs this; only the blacklist tier may leave it empty.")
            elif value is not None and value <= 0:
                errors[field] = _("Enter a positive number.")
        for field in ("complaint_response_hours", "complaint_resolution_hours", "service_priority"):
            value = getattr(self, field)
            if value is not None and value <= 0:
                errors[field] = _("Enter a positive number.")
        if (
            "complaint_resolution_hours" not in errors
            and self.complaint_response_hours
            and self.complaint_resolution_hours
            and self.complaint_resolution_hours < self.complaint_response_hours
        ):
            errors["complaint_resolution_hours"] = _(
                "A complaint cannot have to be resolved before it has to be taken in hand."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def care_programme(self) -> list[str]:
        labels = []
        for field in ("care_birthday", "care_spring_festival", "care_dragon_boat", "care_mid_autumn"):
            if getattr(self, field):
                labels.append(str(self._meta.get_field(field).verbose_name))
        if self.care_anniversary:
            labels.append(str(self._meta.get_field("care_anniversary").verbose_name))
        return labels


class ComplaintDeadline(models.Model):
    """The deadlines a complaint got when it was opened, from the tier in force at that moment."""

    complaint = models.OneToOneField(
        "accounts.Complaint",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="deadline",
        verbose_name=_("complaint"),
    )
    tier = models.CharField(_("tier"), max_length=10, choices=TierKey.choices)
    respond_by = models.DateTimeField(_("respond by"))
    resolve_by = models.DateTimeField(_("resolve by"))
    fixed_at = models.DateTimeField(_("fixed at"))

    class Meta:
        verbose_name = _("complaint deadline")
        verbose_name_plural = _("complaint deadlines")
        constraints = [
            models.CheckConstraint(
                condition=Q(resolve_by__gte=F("respond_by")), name="complaint_deadline_ordered"
            ),
        ]

    def __str__(self):
        return f"{self.complaint_id}: {self.resolve_by:%Y-%m-%d %H:%M}"


class AlertQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Alerts follow the one visibility rule: visible exactly when their account is."""
        from accounts.models import Account
        from accounts.roles import is_administrator

        if user is not None and user.is_authenticated and user.is_active and is_administrator(user):
            return self.all()
        return self.filter(account_id__in=Account.objects.visible_to(user).values("pk"))

    def open(self):
        return self.filter(status=Alert.Status.OPEN)

    def unread_by(self, user):
        return self.exclude(pk__in=AlertRead.objects.filter(user_id=user.pk).values("alert_id"))


class Alert(models.Model):
    class Rule(models.TextChoices):
        REVISIT_OVERDUE = "revisit_overdue", _("Revisit overdue")
        COMPLAINT_OVERDUE = "complaint_overdue", _("Complaint past its deadline")
        NO_CONTACT = "no_contact", _("No contact for twice the cadence")
        INVOICE_OVERDUE = "invoice_overdue", _("Invoice overdue")
        GRADE_FELL = "grade_fell", _("Grade fell")
        SCORE_DROPPED = "score_dropped", _("Score dropped")
        LOW_SATISFACTION = "low_satisfaction", _("Low satisfaction")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    rule = models.CharField(_("rule"), max_length=20, choices=Rule.choices)
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="alerts", verbose_name=_("account")
    )
    dedup_key = models.CharField(
        _("cause"),
        max_length=100,
        help_text=_("Rule, account and cause: at most one open alert has it."),
    )
    due_on = models.DateField(_("due on"))
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="responsible_alerts",
        verbose_name=_("responsible"),
    )
    details = models.JSONField(_("details"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["dedup_key"], condition=Q(status="open"), name="alert_one_open_per_cause"
            ),
            models.CheckConstraint(
                condition=(Q(status="open") & Q(closed_at__isnull=True))
                | (Q(status="closed") & Q(closed_at__isnull=False)),
                name="alert_closed_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["account", "status"], name="alert_account_status"),
            models.Index(fields=["status", "due_on"], name="alert_status_due"),
        ]

    def __str__(self):
        return f"{self.get_rule_display()} · {self.account_id} · {self.due_on}"

    @property
    def message(self) -> str:
        from .alerts import alert_message

        return alert_message(self)

    @property
    def anchor(self) -> str:
        from .alerts import alert_anchor

        return alert_anchor(self)


class AlertRead(models.Model):
    """Who has read which alert: the read flag is per user, an alert is shared."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="reads", verbose_name=_("alert"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    read_at = models.DateTimeField(_("read at"))

    class Meta:
        verbose_name = _("alert read")
        verbose_name_plural = _("alerts read")
        constraints = [models.UniqueConstraint(fields=["user", "alert"], name="alert_read_once_per_user")]

    def __str__(self):
        return f"{self.user_id} · {self.alert_id}"


class AlertRun(models.Model):
    """One run of the alert rules (daily schedule, command, admin, or a page refreshing its scope)."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("Daily schedule")
        MANUAL = "manual", _("Admin action")
        COMMAND = "command", _("Management command")
        BENCHMARK = "benchmark", _("Benchmark")
        REGRADE = "regrade", _("After a re-grade")

    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger.choices)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    opened = models.PositiveIntegerField(_("alerts opened"), default=0)
    closed = models.PositiveIntegerField(_("alerts closed"), default=0)
    still_open = models.PositiveIntegerField(_("alerts open"), default=0)
    digests_sent = models.PositiveIntegerField(_("digests sent"), default=0)
    error = bounded_text(_("error"), max_length=SYSTEM_TEXT, blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        verbose_name = _("alert run")
        verbose_name_plural = _("alert runs")

    def __str__(self):
        return f"{self.started_at:%Y-%m-%d %H:%M} · {self.get_trigger_display()}"

    @property
    def duration(self):
        return self.finished_at - self.started_at if self.finished_at else None


class AlertDigest(models.Model):
    """One e-mail digest per user per day (the unique constraint makes a rerun send nothing twice)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    day = models.DateField(_("day"))
    alert_count = models.PositiveIntegerField(_("alerts"))
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        ordering = ["-day", "user"]
        verbose_name = _("alert digest")
        verbose_name_plural = _("alert digests")
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="alert_digest_once_per_day")]

    def __str__(self):
        return f"{self.user_id} · {self.day}"
