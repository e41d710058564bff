"""Background work survives a lost worker and a second beat (issue 14 items 15 and 16).

Real Celery workers on the real Redis broker (each on a queue of its own), the real test database.
"""

import time
import uuid
from datetime import timedelta

import psutil
import psycopg
import pytest
from django.conf import settings
from django.utils import timezone

from kam.locks import lock_key
from kam.models import ScheduledRun
from kam.tasks import runs_watchdog
from scoring.models import GradeSnapshot, RegradeRun
from scoring.services import period_normalise, regrade_run_create
from scoring.tasks import regrade, regrade_scheduled
from service_tiers.models import AlertRun
from service_tiers.tasks import daily_alerts
from tests.conftest import celery_worker_start, celery_worker_stop, database_url_for_subprocesses
from tests.factories import AccountFactory
from tests.scoring.conftest import add_order

BEAT_HEADERS = {"periodic_task_name": "a task scheduled in django-celery-beat"}


def wait_for(condition, timeout=90, what="the condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def waiting_for_advisory_lock() -> bool:
    with psycopg.connect(database_url_for_subprocesses(), autocommit=True) as conn:
        return (
            conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
            ).fetchone()[0]
            > 0
        )


@pytest.mark.django_db(transaction=True)
def test_a_regrade_whose_pool_process_is_killed_is_redelivered_and_finishes():
    """kill -9 of the pool process mid-run: the message goes back to the queue, the next pool
    process runs it again, and the run succeeds (on the old settings it stayed pending for ever)."""
    accounts = [AccountFactory() for _ in range(3)]
    for account in accounts:
        add_order(account, paid_days=0)
    run = regrade_run_create(trigger=RegradeRun.Trigger.MANUAL)
    queue = f"kam-test-{uuid.uuid4().hex[:8]}"
    # Hold the period's lock, so the run is caught in the middle, inside the pool process.
    holder = psycopg.connect(database_url_for_subprocesses(), autocommit=True)
    holder.execute("SELECT pg_advisory_lock(%s)", [lock_key(f"regrade:{run.period.isoformat()}")])
    worker = celery_worker_start(queue, pool=("--pool", "prefork", "--concurrency", "1"))
    try:
        regrade.apply_async(args=[run.pk], queue=queue)
        wait_for(waiting_for_advisory_lock, what="the run to start")
        pool_process = psutil.Process(worker.pid).children()[0]
        pool_process.kill()
        pool_process.wait(timeout=10)
        # The redelivered run starts again in the new pool process, and waits for the lock again.
        time.sleep(1)
        wait_for(waiting_for_advisory_lock, what="the redelivered run")
        holder.close()
        wait_for(
            lambda: RegradeRun.objects.get(pk=run.pk).status == RegradeRun.Status.SUCCEEDED,
            what="the run to succeed",
        )
    finally:
        holder.close()
        celery_worker_stop(worker)
    run.refresh_from_db()
    assert run.accounts_graded == len(accounts)
    assert GradeSnapshot.objects.filter(period=run.period).count() == len(accounts)


def test_the_visibility_timeout_outlasts_the_longest_task():
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert options["visibility_timeout"] > settings.CELERY_TASK_TIME_LIMIT
    assert settings.CELERY_TASK_ACKS_LATE and settings.CELERY_TASK_REJECT_ON_WORKER_LOST


@pytest.mark.django_db
def test_the_watchdog_marks_abandoned_runs_failed_and_leaves_live_ones():
    long_ago = timezone.now() - timedelta(seconds=settings.KAM_RUN_ABANDONED_SECONDS + 60)
    abandoned = regrade_run_create(trigger=RegradeRun.Trigger.MANUAL)
    recent = regrade_run_create(trigger=RegradeRun.Trigger.MANUAL, period="2026-01")
    RegradeRun.objects.filter(pk=abandoned.pk).update(created_at=long_ago)
    stale_alerts = AlertRun.objects.create(trigger="schedule", started_at=long_ago)
    live_alerts = AlertRun.objects.create(trigger="schedule", started_at=timezone.now())

    assert runs_watchdog() == {"regrade_runs": 1, "alert_runs": 1}

    abandoned.refresh_from_db(), recent.refresh_from_db()
    assert abandoned.status == RegradeRun.Status.FAILED and "abandoned" in abandoned.error
    assert recent.status == RegradeRun.Status.PENDING
    stale_alerts.refresh_from_db(), live_alerts.refresh_from_db()
    assert stale_alerts.finished_at is not None and "abandoned" in stale_alerts.error
    assert live_alerts.finished_at is None and live_alerts.error == ""


@pytest.mark.django_db(transaction=True)
def test_the_watchdog_never_fails_a_run_that_holds_its_lock():
    long_ago = timezone.now() - timedelta(seconds=settings.KAM_RUN_ABANDONED_SECONDS + 60)
    run = regrade_run_create(trigger=RegradeRun.Trigger.MANUAL)
    RegradeRun.objects.filter(pk=run.pk).update(created_at=long_ago)
    with psycopg.connect(database_url_for_subprocesses(), autocommit=True) as busy_worker:
        busy_worker.execute("SELECT pg_advisory_lock(%s)", [lock_key(f"regrade:{run.period.isoformat()}")])
        assert runs_watchdog()["regrade_runs"] == 0
    assert RegradeRun.objects.get(pk=run.pk).status == RegradeRun.Status.PENDING


@pytest.mark.django_db
def test_the_next_alert_run_marks_an_abandoned_one_failed():
    long_ago = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)
    abandoned = AlertRun.objects.create(trigger="schedule", started_at=long_ago)
    daily_alerts(trigger=AlertRun.Trigger.COMMAND)
    abandoned.refresh_from_db()
    assert abandoned.finished_at is not None and "abandoned" in abandoned.error


@pytest.mark.django_db(transaction=True)
def test_two_beats_firing_the_daily_alerts_leave_one_run(celery_worker_queue, caplog):
    """What a second beat does: send the same scheduled task again, with the same header."""
    AccountFactory()
    first = daily_alerts.apply_async(queue=celery_worker_queue, headers=BEAT_HEADERS)
    second = daily_alerts.apply_async(queue=celery_worker_queue, headers=BEAT_HEADERS)
    outcomes = [first.get(timeout=120), second.get(timeout=120)]
    assert sum("skipped" in outcome for outcome in outcomes) == 1
    assert AlertRun.objects.count() == 1
    scheduled = ScheduledRun.objects.get(task="service_tiers.tasks.daily_alerts")
    assert scheduled.duplicates == 1


@pytest.mark.django_db
def test_every_scheduled_task_runs_once_per_period(django_capture_on_commit_callbacks, caplog):
    """Each task beat schedules claims its period; a duplicate firing does nothing and says so."""
    from django_celery_beat.models import PeriodicTask

    from segmentation.models import CrossSellRefresh
    from segmentation.tasks import cross_sell_refresh_task, dashboard_cube_refresh

    AccountFactory()
    tasks = {
        regrade_scheduled: lambda: RegradeRun.objects.filter(period=period_normalise(None)).count(),
        daily_alerts: AlertRun.objects.count,
        dashboard_cube_refresh: lambda: 1,
        cross_sell_refresh_task: CrossSellRefresh.objects.count,
        runs_watchdog: lambda: 1,
    }
    scheduled_names = set(PeriodicTask.objects.values_list("task", flat=True))
    assert {task.name for task in tasks} | {"scoring.tasks.expire_grade_overrides"} >= scheduled_names
    for task, count in tasks.items():
        with django_capture_on_commit_callbacks(execute=False):
            task.apply(headers=BEAT_HEADERS)
            before = count()
            again = task.apply(headers=BEAT_HEADERS).get()
        assert again["skipped"] == "duplicate", task.name
        assert count() == before, task.name
    assert "is more than one Celery beat running" in caplog.text
    # Not sent by beat (a page, a command, a re-grade's follow-up): never skipped.
    assert "skipped" not in regrade_scheduled.apply().get()
