"""The server degrades, it does not fall over: Redis stopped or frozen (issue 14 item 14).

Each test starts a redis-server of its own (``own_redis``) and points the cache and the broker at it,
so stopping or freezing it never touches the Redis other runs share.
"""

import contextlib
import time

import pytest
from django.urls import reverse

from scoring.models import RegradeRun

PAGE_SECONDS = 2.0  # a page may pay one short Redis time-out, never a hang


@pytest.fixture
def redis_of_our_own(settings, own_redis):
    caches = {name: dict(config, LOCATION=own_redis.url) for name, config in settings.CACHES.items()}
    settings.CACHES = caches
    settings.REDIS_URL = own_redis.url
    return own_redis


def pages(world):
    return [
        reverse("accounts:list"),
        reverse("accounts:detail", args=[world.own_account.pk]),
        reverse("service_tiers:my_day"),
        reverse("segmentation:dashboard"),
        reverse("service_tiers:alert_list"),
    ]


@pytest.mark.parametrize("fault", ["stopped", "frozen"])
def test_pages_answer_without_redis(client, world, redis_of_our_own, fault):
    client.force_login(world.admin)
    for url in pages(world):  # with Redis: the counts are cached
        assert client.get(url).status_code == 200, url
    redis_of_our_own.stop() if fault == "stopped" else redis_of_our_own.freeze()
    try:
        for url in pages(world):
            started = time.monotonic()
            response = client.get(url)
            elapsed = time.monotonic() - started
            assert response.status_code == 200, url
            assert elapsed < PAGE_SECONDS, f"{url} took {elapsed:.1f} s"
        assert world.own_account.name in client.get(reverse("accounts:list")).text
    finally:
        if fault == "frozen":
            redis_of_our_own.thaw()


@pytest.mark.parametrize("fault", ["stopped", "frozen"])
def test_regrade_now_without_a_queue_says_so_at_once_and_leaves_no_run(
    client, world, redis_of_our_own, fault, django_capture_on_commit_callbacks
):
    client.force_login(world.admin)
    redis_of_our_own.stop() if fault == "stopped" else redis_of_our_own.freeze()
    try:
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("admin:scoring_scoringmodel_regrade"), follow=True)
        elapsed = time.monotonic() - started
    finally:
        if fault == "frozen":
            redis_of_our_own.thaw()
    assert response.status_code == 200
    assert elapsed < 2.0, f"took {elapsed:.1f} s"
    assert "Background work is unavailable right now" in response.text
    assert not RegradeRun.objects.exists()


@contextlib.contextmanager
def broker_at(url):
    """Celery's publishing connections go to ``url`` inside the block, and back to the shared broker
    after it (its pools are left as they were)."""
    from kam.celery import app

    shared_broker = app.conf.broker_url
    app.conf.broker_url, app._pool, app.amqp._producer_pool = url, None, None
    try:
        yield
    finally:
        app.amqp.producer_pool.force_close_all()
        app.pool.force_close_all()
        app.conf.broker_url, app._pool, app.amqp._producer_pool = shared_broker, None, None


def test_a_run_whose_task_cannot_be_queued_is_marked_failed(
    client, world, redis_of_our_own, django_capture_on_commit_callbacks
):
    """The queue answered the check, then went away before the request committed."""
    client.force_login(world.admin)
    with broker_at(redis_of_our_own.url):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            client.post(reverse("admin:scoring_scoringmodel_regrade"))
        redis_of_our_own.stop()
        started = time.monotonic()
        for callback in callbacks:
            callback()
        assert time.monotonic() - started < 5.0
    run = RegradeRun.objects.get()
    assert run.status == RegradeRun.Status.FAILED and run.finished_at is not None
