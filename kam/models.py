from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CreateToken(models.Model):
    """A one-time token a create form carried, and where the record it created is shown.

    Claimed in the transaction that saves the record (kam/idempotency.py): a second POST with the same
    token waits on the unique index until the first one commits, then finds the token used and shows
    the saved record instead of saving again.
    """

    token = models.UUIDField(_("token"), primary_key=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    result_url = models.CharField(_("saved record"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("used at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("create token")
        verbose_name_plural = _("create tokens")

    def __str__(self):
        return str(self.token)


class ScheduledRun(models.Model):
    """One scheduled firing of a periodic task, claimed before it does its work (kam/schedule.py).

    Exactly one Celery beat may run; a second one (another pidfile, another host) fires every task
    again. The unique (task, slot) lets the first firing run and the others return at once, counted
    in ``duplicates`` (shown in admin) and logged, so the mistake is visible and harmless.
    """

    task = models.CharField(_("task"), max_length=200)
    slot = models.CharField(_("slot"), max_length=40, help_text=_("The period this firing is for."))
    started_at = models.DateTimeField(_("started"), auto_now_add=True)
    duplicates = models.PositiveIntegerField(_("duplicate firings skipped"), default=0)

    class Meta:
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")
        ordering = ["-started_at"]
        constraints = [models.UniqueConstraint(fields=["task", "slot"], name="scheduled_run_once_per_slot")]

    def __str__(self):
        return f"{self.task} · {self.slot}"
