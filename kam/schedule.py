"""Scheduled tasks run once per period, however many Celery beats fire them.

``@once_per_slot(slot)`` wraps a task: when Celery beat sent it (django-celery-beat puts the
``periodic_task_name`` header on every message it sends), it first claims ``(task, slot)`` in
:class:`kam.models.ScheduledRun`. The first firing for a slot runs; every other one returns
``{"skipped": "duplicate"}`` at once, is counted on the row and logged as a warning (two beats are
running). A task queued by anything else (a page, a command, a re-grade) is not affected.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import datetime

from django.db import connection
from django.utils import timezone

logger = logging.getLogger(__name__)


def month_slot(now: datetime) -> str:
    return f"{timezone.localtime(now):%Y-%m}"


def day_slot(now: datetime) -> str:
    return f"{timezone.localtime(now):%Y-%m-%d}"


def minutes_slot(minutes: int) -> Callable[[datetime], str]:
    def slot(now: datetime) -> str:
        local = timezone.localtime(now)
        return f"{local:%Y-%m-%d %H}:{local.minute // minutes * minutes:02d}"

    return slot


def scheduled_run_claim(*, task: str, slot: str) -> bool:
    """True for the first claim of (task, slot); later ones count a duplicate and return False."""
    from kam.models import ScheduledRun

    table = ScheduledRun._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (task, slot, started_at, duplicates) VALUES (%s, %s, now(), 0)
            ON CONFLICT (task, slot) DO UPDATE SET duplicates = {table}.duplicates + 1
            RETURNING xmax = 0
            """,  # noqa: S608 -- the table name comes from the model
            [task, slot],
        )
        return cursor.fetchone()[0]


def once_per_slot(slot: Callable[[datetime], str]):
    """For ``@shared_task(bind=True)`` tasks that beat schedules."""

    def decorate(function):
        @functools.wraps(function)
        def wrapper(self, *args, **kwargs):
            # A worker puts message headers on the request; an eager apply() keeps them in .headers.
            periodic_name = getattr(self.request, "periodic_task_name", None) or (
                getattr(self.request, "headers", None) or {}
            ).get("periodic_task_name")
            if periodic_name:
                current = slot(timezone.now())
                if not scheduled_run_claim(task=self.name, slot=current):
                    logger.warning(
                        "Skipped a duplicate scheduled run of %s for %s (%s): is more than one Celery beat "
                        "running? Exactly one may.",
                        self.name,
                        current,
                        periodic_name,
                    )
                    return {"skipped": "duplicate", "slot": current}
            return function(self, *args, **kwargs)

        return wrapper

    return decorate
