"""What the dashboard does when other apps report a change (connected in ``SegmentationConfig.ready``)."""

from __future__ import annotations

from django.dispatch import receiver

from scoring.signals import period_regraded

from .tasks import dashboard_cube_refresh


@receiver(period_regraded, dispatch_uid="segmentation.cube_refresh_after_regrade")
def cube_refresh_after_regrade(sender, run, **kwargs) -> None:
    """A re-grade changed the grade snapshots the aggregate tables sum: rebuild them. Until the rebuild
    has committed, the dashboard sees the aggregates as stale and computes from the snapshots."""
    dashboard_cube_refresh.delay_on_commit()
