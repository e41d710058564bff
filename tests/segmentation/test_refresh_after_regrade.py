"""A successful re-grade rebuilds the dashboard's aggregate tables once it has committed."""

import datetime

import pytest

from kam.celery import app as celery_app
from scoring.services import regrade_period
from segmentation import cube, selectors
from segmentation.models import CubeRefresh, GradeCube
from segmentation.selectors import DashboardFilters

NOVEMBER = datetime.date(2026, 11, 1)  # the month of the frozen "today" (see conftest)


@pytest.fixture
def celery_eager():
    """Tasks run in this process when they are sent, as a worker would run them."""
    before = {key: celery_app.conf[key] for key in ("task_always_eager", "task_eager_propagates")}
    celery_app.conf.update(task_always_eager=True, task_eager_propagates=True)
    yield
    celery_app.conf.update(before)


def test_a_regrade_rebuilds_the_aggregates_after_it_commits(
    book, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run = regrade_period(period=NOVEMBER)
    assert run.status == "succeeded"
    assert CubeRefresh.objects.count() == 1
    assert cube.cube_fresh()
    assert GradeCube.objects.filter(period=NOVEMBER).exists()
    # The director's November figures now come from the aggregates, and agree with the snapshots.
    filters = DashboardFilters(period=NOVEMBER, compare=datetime.date(2026, 10, 1))
    accounts = selectors.dashboard_accounts(user=book.world.director, filters=filters)
    cells = selectors.aggregate_cells(accounts=accounts, filters=filters)
    assert cells is not None
    assert selectors.grade_migration(accounts=accounts, filters=filters, cells=cells) == (
        selectors.grade_migration(accounts=accounts, filters=filters)
    )


def test_nothing_is_rebuilt_before_the_regrade_commits(
    book, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        regrade_period(period=NOVEMBER)
    assert callbacks  # the signal waits for the commit
    assert not CubeRefresh.objects.exists()


def test_back_to_back_regrades_queue_one_rebuild(book, django_capture_on_commit_callbacks):
    from scoring.models import RegradeRun
    from scoring.signals import period_regraded

    runs = [
        RegradeRun.objects.create(period=period, trigger="command", status="succeeded")
        for period in (datetime.date(2026, 10, 1), NOVEMBER)
    ]
    # Captured, not run: the first rebuild is still queued when the second month is graded.
    with django_capture_on_commit_callbacks() as queued:
        for run in runs:
            period_regraded.send(sender=RegradeRun, run=run)
    assert len(queued) == 2  # one rebuild and one alert run (service_tiers) for both re-grades
