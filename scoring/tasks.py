"""Celery tasks of the scoring app: they take ids and call services."""

from __future__ import annotations

from celery import shared_task

from kam.schedule import day_slot, month_slot, once_per_slot

from .models import RegradeRun
from .services import grade_overrides_expire, regrade_period, regrade_run_create


@shared_task(name="scoring.tasks.regrade", acks_late=True)
def regrade(run_id: int) -> dict:
    """Run a queued re-grade (admin "Re-grade now", command --async). Safe to deliver twice."""
    run = regrade_period(run=RegradeRun.objects.get(pk=run_id))
    return {"run": run.pk, "status": run.status, "accounts_graded": run.accounts_graded}


@shared_task(name="scoring.tasks.regrade_scheduled", bind=True, acks_late=True)
@once_per_slot(month_slot)
def regrade_scheduled(self, period: str | None = None) -> dict:
    """The monthly re-grade started by django-celery-beat: the current month (Asia/Shanghai), once
    per month however many beats fire it."""
    run = regrade_run_create(period=period, trigger=RegradeRun.Trigger.SCHEDULE)
    run = regrade_period(run=run)
    return {"run": run.pk, "status": run.status, "accounts_graded": run.accounts_graded}


@shared_task(name="scoring.tasks.expire_grade_overrides", bind=True)
@once_per_slot(day_slot)
def expire_grade_overrides(self) -> int:
    return grade_overrides_expire()
