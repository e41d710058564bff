"""Celery tasks of the service-tiers app: they call services."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache

from kam.schedule import day_slot, once_per_slot

from .models import AlertRun
from .services import alerts_run

# Set while a run after a re-grade is queued and not started (receivers.py); expires if the task is lost.
ALERTS_QUEUED_KEY = "service-tiers:alerts-after-regrade-queued"
ALERTS_QUEUED_SECONDS = 60 * 60


@shared_task(name="service_tiers.tasks.daily_alerts", bind=True, acks_late=True)
@once_per_slot(day_slot)  # beat's daily firing once; a run queued after a re-grade always runs
def daily_alerts(self, trigger: str = AlertRun.Trigger.SCHEDULE, send_digests: bool = True) -> dict:
    """Every rule over every account, then the e-mail digests (08:00 Asia/Shanghai by
    django-celery-beat; after a re-grade without them). Safe to deliver twice: alerts are de-duplicated
    and digests sent once a day."""
    if trigger == AlertRun.Trigger.REGRADE:
        cache.delete(ALERTS_QUEUED_KEY)  # from now on, a new re-grade needs a new run
    run = alerts_run(trigger=trigger, send_digests=send_digests)
    return {
        "run": run.pk,
        "opened": run.opened,
        "closed": run.closed,
        "open": run.still_open,
        "digests": run.digests_sent,
    }
