"""Celery tasks of the service-tiers app: they call services."""

from __future__ import annotations

from celery import shared_task

from kam.schedule import day_slot, minutes_slot, once_per_slot

from .compliance import compliance_refresh_if_stale
from .models import AlertRun
from .services import alerts_run


@shared_task(name="service_tiers.tasks.daily_alerts", bind=True, acks_late=True)
@once_per_slot(day_slot)
def daily_alerts(self, trigger: str = AlertRun.Trigger.SCHEDULE) -> dict:
    """Every rule over every account, then the e-mail digests (08:00 Asia/Shanghai by
    django-celery-beat). Safe to deliver twice: alerts are de-duplicated and digests sent once a day."""
    run = alerts_run(trigger=trigger)
    return {
        "run": run.pk,
        "opened": run.opened,
        "closed": run.closed,
        "open": run.still_open,
        "digests": run.digests_sent,
    }


@shared_task(name="service_tiers.tasks.compliance_figures_refresh", bind=True)
@once_per_slot(minutes_slot(10))
def compliance_figures_refresh(self) -> dict:
    """Every 10 minutes (django-celery-beat): rebuild the stored compliance figures when something they
    are computed from has changed (a few seconds at 100k accounts); until then pages compute live."""
    return {"months": [f"{month:%Y-%m}" for month in compliance_refresh_if_stale()]}
