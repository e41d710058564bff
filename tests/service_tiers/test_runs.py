"""The daily run: schedule, command, admin action, e-mail digests, and a real Celery worker.

The transactional test (committed rows, seen by the worker) puts the default tiers back itself.
"""

import datetime
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from service_tiers.models import Alert, AlertDigest, AlertRun
from service_tiers.services import alert_digests_send, alerts_run
from service_tiers.tasks import daily_alerts
from tests.factories import AccountFactory, UserFactory
from tests.service_tiers.conftest import at, open_alerts, visit

PROJECT_DIR = Path(__file__).resolve().parents[2]


def test_the_daily_run_is_scheduled_at_eight_in_shanghai(db):
    task = PeriodicTask.objects.get(task="service_tiers.tasks.daily_alerts")
    crontab = task.crontab
    assert (crontab.minute, crontab.hour, crontab.day_of_month) == ("0", "8", "*")
    assert str(crontab.timezone) == "Asia/Shanghai"
    assert task.enabled


def test_one_digest_per_user_per_day_listing_what_they_may_see(world, freeze):
    freeze(2026, 9, 21, 8)
    visit(world.own_account, at(2026, 1, 1))
    visit(world.foreign_account, at(2026, 1, 1))
    run = alerts_run(trigger=AlertRun.Trigger.COMMAND)
    assert run.digests_sent == len(mail.outbox) > 0
    by_recipient = {message.to[0]: message for message in mail.outbox}
    manager_mail = by_recipient[world.manager.email]
    assert world.own_account.short_name in manager_mail.body
    assert world.foreign_account.short_name not in manager_mail.body
    assert "/my-day/" in manager_mail.body
    assert world.foreign_account.short_name in by_recipient[world.other_director.email].body
    assert world.foreign_account.short_name in by_recipient[world.admin.email].body

    mail.outbox.clear()
    alerts_run(trigger=AlertRun.Trigger.COMMAND)  # the same day again
    assert mail.outbox == []
    assert AlertDigest.objects.filter(user=world.manager, day=datetime.date(2026, 9, 21)).count() == 1

    freeze(2026, 9, 22, 8)
    alert_digests_send()
    assert world.manager.email in {message.to[0] for message in mail.outbox}


def test_nobody_gets_a_digest_without_unread_alerts(world, freeze):
    freeze(2026, 9, 21, 8)
    UserFactory(username="nobody", email="")
    assert alert_digests_send() == 0


def test_management_command_and_admin_action_run_the_same_check(client, world, freeze, capsys):
    freeze(2026, 9, 21, 8)
    visit(world.own_account, at(2026, 1, 1))
    call_command("run_alerts", "--no-digests")
    assert "1 opened" in capsys.readouterr().out or open_alerts(world.own_account).exists()
    alert = open_alerts(world.own_account).first()
    visit(world.own_account, at(2026, 9, 21, 7))
    client.force_login(world.admin)
    response = client.post(
        reverse("admin:service_tiers_alert_changelist"),
        {"action": "run_alerts_now", "_selected_action": [alert.pk]},
    )
    assert response.status_code == 302
    assert not open_alerts(world.own_account, "revisit_overdue").exists()
    assert AlertRun.objects.filter(trigger=AlertRun.Trigger.MANUAL).exists()


def test_the_task_returns_its_counts(world, freeze):
    freeze(2026, 9, 21, 8)
    visit(world.own_account, at(2026, 1, 1))
    result = daily_alerts.apply().get()
    assert result["opened"] >= 1 and result["open"] == Alert.objects.filter(status="open").count()


@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_runs_the_daily_task_through_redis(celery_worker_queue):
    """A worker process on the real Redis broker runs the task against the test database."""
    account = AccountFactory()
    visit(account, at(2025, 1, 1))
    result = daily_alerts.apply_async(
        kwargs={"trigger": AlertRun.Trigger.SCHEDULE}, queue=celery_worker_queue
    )
    outcome = result.get(timeout=120)
    assert outcome["opened"] >= 1
    run = AlertRun.objects.get(pk=outcome["run"])
    assert run.trigger == "schedule" and run.finished_at is not None
    assert Alert.objects.filter(account=account, rule="revisit_overdue", status="open").exists()


def test_the_admin_action_sends_the_digest_with_links_to_where_kam_runs(client, world, freeze, settings):
    from django.core import mail

    settings.KAM_SITE_URL = "http://127.0.0.1:8163"
    freeze(2026, 9, 21, 8)
    visit(world.own_account, at(2026, 1, 1))
    call_command("run_alerts", "--no-digests")
    alert = open_alerts(world.own_account).first()
    client.force_login(world.admin)
    client.post(
        reverse("admin:service_tiers_alert_changelist"),
        {"action": "run_alerts_now", "_selected_action": [alert.pk]},
    )
    to_manager = [message for message in mail.outbox if world.manager.email in message.to]
    assert len(to_manager) == 1
    assert "http://127.0.0.1:8163/my-day/" in to_manager[0].body
