"""What the dashboard does when other apps report a change (connected in ``SegmentationConfig.ready``)."""

from __future__ import annotations

from django.core.cache import cache
from django.dispatch import receiver

from scoring.signals import period_regraded, period_scored

from .segments import account_segments_write
from .tasks import REFRESH_QUEUED_KEY, REFRESH_QUEUED_SECONDS, dashboard_cube_refresh


@receiver(period_regraded, dispatch_uid="segmentation.cube_refresh_after_regrade")
def cube_refresh_after_regrade(sender, run, **kwargs) -> None:
    """A re-grade changed the grade snapshots the aggregate tables sum: rebuild them. Until the rebuild
    has committed, the dashboard sees the aggregates as stale and computes from the snapshots.

    A rebuild already queued and not started yet will read this re-grade too: back-to-back re-grades
    (``grade_history`` grades up to 24 months in a row) queue one rebuild, not one each."""
    if cache.add(REFRESH_QUEUED_KEY, run.pk, timeout=REFRESH_QUEUED_SECONDS):
        dashboard_cube_refresh.delay_on_commit()


@receiver(period_scored, dispatch_uid="segmentation.segments_with_regrade")
def segments_with_regrade(sender, run, cursor, **kwargs) -> None:
    """The value and behaviour segments are part of the monthly re-grade: same transaction, same order
    aggregates, so a month's grades and segments always describe the same orders."""
    account_segments_write(period=run.period, cursor=cursor)
