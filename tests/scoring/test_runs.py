"""Re-grade runs: concurrency, crashes, the Celery task on a real worker and Redis, the schedule.

Transactional tests (committed rows, seen by other connections and the worker) find the scoring presets
put back by ``tests/conftest.py`` after an earlier test's flush.
"""

import threading
from pathlib import Path
from unittest import mock

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django_celery_beat.models import PeriodicTask

from scoring.models import GradeSnapshot, RegradeRun
from scoring.services import regrade_period, regrade_run_create
from scoring.tasks import regrade
from tests.factories import AccountFactory

from .conftest import PERIOD, add_order

PROJECT_DIR = Path(__file__).resolve().parents[2]


def _accounts_with_orders(count=5):
    accounts = [AccountFactory() for _ in range(count)]
    for account in accounts:
        add_order(account, paid_days=0)
    return accounts


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_leave_one_snapshot_per_account(frozen_today):
    accounts = _accounts_with_orders()
    results, errors = [], []

    def run():
        try:
            results.append(regrade_period(period=PERIOD))
        except Exception as error:  # noqa: BLE001 -- reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors
    assert [r.status for r in results] == ["succeeded", "succeeded"]
    assert GradeSnapshot.objects.filter(period=PERIOD).count() == len(accounts)


@pytest.mark.django_db
def test_a_run_that_died_midway_is_marked_and_the_period_is_regraded(frozen_today):
    accounts = _accounts_with_orders()
    stale = RegradeRun.objects.create(period=PERIOD, trigger="schedule", status="running")
    run = regrade_period(period=PERIOD)
    stale.refresh_from_db()
    assert (stale.status, stale.error) == ("failed", "interrupted")
    assert run.status == "succeeded" and run.accounts_graded == len(accounts)


@pytest.mark.django_db
def test_a_failing_run_writes_nothing_and_can_be_rerun(frozen_today):
    accounts = _accounts_with_orders()
    broken = mock.patch("scoring.services.snapshot_upsert", return_value=("SELECT 1/0", {}))
    with broken, pytest.raises(Exception, match="division by zero"):
        regrade_period(period=PERIOD)
    failed = RegradeRun.objects.get()
    assert failed.status == "failed" and "division by zero" in failed.error
    assert not GradeSnapshot.objects.exists()

    assert regrade_period(period=PERIOD).status == "succeeded"
    assert GradeSnapshot.objects.count() == len(accounts)


@pytest.mark.django_db(transaction=True)
def test_a_run_failing_in_its_callers_transaction_leaves_no_lock_on_the_connection(frozen_today):
    """A session-level lock was not released when the caller's transaction had to roll back, so the
    pooled connection kept it and every later run of the period waited for ever."""
    _accounts_with_orders(2)

    def failing_statement():
        with transaction.mark_for_rollback_on_error(), connection.cursor() as cursor:
            cursor.execute("SELECT 1/0")  # an ORM statement failing: the transaction must roll back

    with (
        mock.patch("scoring.services.active_scoring_model", side_effect=failing_statement),
        pytest.raises(DatabaseError),
        transaction.atomic(),
    ):
        regrade_period(period=PERIOD)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
        assert cursor.fetchone()[0] == 0
    assert regrade_period(period=PERIOD).status == "succeeded"


@pytest.mark.django_db
def test_a_succeeded_run_delivered_again_does_nothing(frozen_today):
    _accounts_with_orders(2)
    run = regrade_period(period=PERIOD)
    finished = run.finished_at
    assert regrade(run.pk)["status"] == "succeeded"
    run.refresh_from_db()
    assert run.finished_at == finished


@pytest.mark.django_db
def test_monthly_schedule_is_in_the_database():
    task = PeriodicTask.objects.get(task="scoring.tasks.regrade_scheduled")
    crontab = task.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_month, crontab.month_of_year) == ("0", "2", "1", "*")
    assert str(crontab.timezone) == "Asia/Shanghai"
    assert task.enabled


@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_regrades_through_redis(celery_worker_queue):
    """A worker process on the real Redis broker runs the task against the test database."""
    accounts = _accounts_with_orders(3)
    run = regrade_run_create(period=PERIOD, trigger="manual")
    outcome = regrade.apply_async(args=[run.pk], queue=celery_worker_queue).get(timeout=120)
    assert outcome["status"] == "succeeded"
    run.refresh_from_db()
    assert (run.status, run.accounts_graded) == ("succeeded", len(accounts))
    assert GradeSnapshot.objects.filter(period=PERIOD, run=run).count() == len(accounts)
    assert connection.vendor == "postgresql"


@pytest.mark.django_db
def test_regrade_command_shows_its_progress(frozen_today):
    from io import StringIO

    from django.core.management import call_command

    _accounts_with_orders(2)
    output = StringIO()
    call_command("regrade", period="2026-11", stdout=output)
    text = output.getvalue()
    assert "Computing raw values" in text and "Graded 2 accounts" in text
    assert RegradeRun.objects.get().trigger == "command"


@pytest.mark.django_db
def test_benchmark_refuses_to_generate_outside_a_bench_database():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="bench"):
        call_command("bench_regrade", accounts=10)
