"""Celery tasks of the segmentation app."""

from __future__ import annotations

from celery import shared_task

from .cube import cube_refresh


@shared_task(name="segmentation.tasks.dashboard_cube_refresh")
def dashboard_cube_refresh() -> dict:
    """Rebuild the dashboard's aggregate tables (after the re-grade, and nightly for new orders)."""
    refresh = cube_refresh()
    return {"refreshed_at": refresh.refreshed_at.isoformat(), "seconds": float(refresh.seconds)}
