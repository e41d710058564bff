"""Celery tasks of the project itself."""

from __future__ import annotations

from celery import shared_task

from kam.schedule import minutes_slot, once_per_slot
from scoring.services import regrade_runs_abandoned_fail
from service_tiers.services import alert_runs_abandoned_fail


@shared_task(name="kam.tasks.runs_watchdog", bind=True)
@once_per_slot(minutes_slot(10))
def runs_watchdog(self) -> dict:
    """Every 10 minutes (django-celery-beat): run records whose worker died are marked failed, so
    nothing shows "pending" or "running" for ever."""
    return {"regrade_runs": regrade_runs_abandoned_fail(), "alert_runs": alert_runs_abandoned_fail()}
