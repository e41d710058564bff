"""Celery tasks of the segmentation app."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache

from kam.schedule import day_slot, once_per_slot

from .crosssell import cross_sell_refresh
from .cube import cube_refresh

# Set while a rebuild is queued and not started (see receivers.py); it expires in case the task is lost,
# and the nightly rebuild runs anyway.
REFRESH_QUEUED_KEY = "segmentation:cube-refresh-queued"
REFRESH_QUEUED_SECONDS = 60 * 60


@shared_task(name="segmentation.tasks.dashboard_cube_refresh", bind=True)
@once_per_slot(day_slot)  # the nightly rebuild once; a rebuild queued after a re-grade always runs
def dashboard_cube_refresh(self) -> dict:
    """Rebuild the dashboard's aggregate tables (after the re-grade, and nightly for new orders)."""
    cache.delete(REFRESH_QUEUED_KEY)  # from now on, a new re-grade needs a new rebuild
    refresh = cube_refresh()
    return {"refreshed_at": refresh.refreshed_at.isoformat(), "seconds": float(refresh.seconds)}


@shared_task(name="segmentation.tasks.cross_sell_refresh", bind=True)
@once_per_slot(day_slot)  # a second beat's firing the same night does nothing
def cross_sell_refresh_task(self) -> dict:
    """Rebuild the cross-sell suggestions (nightly, django-celery-beat)."""
    refresh = cross_sell_refresh()
    return {"suggestions": refresh.suggestions, "seconds": float(refresh.seconds)}
