"""What the service tiers do when other apps report a change (connected in ``ServiceTiersConfig.ready``)."""

from __future__ import annotations

from django.core.cache import cache
from django.dispatch import receiver

from scoring.signals import period_regraded

from .models import AlertRun


@receiver(period_regraded, dispatch_uid="service_tiers.alerts_after_regrade")
def alerts_after_regrade(sender, run, **kwargs) -> None:
    """A re-grade (sent once it has committed) touched every account's grade and score: the grade and
    score rules are re-evaluated for all of them, in the background, without the morning digests.

    Back-to-back re-grades (``grade_history``) queue one run: a run queued and not started yet will
    read them all."""
    from .tasks import ALERTS_QUEUED_KEY, ALERTS_QUEUED_SECONDS, daily_alerts

    if cache.add(ALERTS_QUEUED_KEY, run.pk, timeout=ALERTS_QUEUED_SECONDS):
        daily_alerts.delay_on_commit(trigger=AlertRun.Trigger.REGRADE, send_digests=False)
