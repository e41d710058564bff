"""``/health/`` (issue 14 item 24): database, Redis and the Celery workers' heartbeat."""

import time
import uuid

import pytest
from django.urls import reverse


@pytest.fixture
def no_heartbeats_yet(settings):
    settings.KAM_WORKER_HEARTBEAT_KEY = f"kam-test:heartbeats:{uuid.uuid4().hex}"


def test_healthy_with_database_and_redis_and_says_there_is_no_worker(client, db, no_heartbeats_yet):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "redis": "ok",
        "worker": "none",
        "workers": 0,
    }
    assert client.get(reverse("health"), {"require": "worker"}).status_code == 503


def test_a_running_worker_is_seen_through_its_heartbeat(client, celery_worker_queue):
    deadline = time.monotonic() + 60
    while True:
        response = client.get(reverse("health"), {"require": "worker"})
        if response.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert response.status_code == 200, response.json()
    assert response.json()["worker"] == "ok" and response.json()["workers"] >= 1


@pytest.mark.parametrize("fault", ["stopped", "frozen"])
def test_redis_down_answers_503_at_once(client, db, settings, own_redis, fault):
    settings.REDIS_URL = own_redis.url
    assert client.get(reverse("health")).status_code == 200
    own_redis.stop() if fault == "stopped" else own_redis.freeze()
    try:
        started = time.monotonic()
        response = client.get(reverse("health"))
        elapsed = time.monotonic() - started
    finally:
        if fault == "frozen":
            own_redis.thaw()
    assert response.status_code == 503
    assert response.json()["redis"] == "unavailable" and response.json()["database"] == "ok"
    assert elapsed < 2.0


def test_database_down_answers_503(client, transactional_db):
    from django.db import connections

    connection = connections["default"]
    real = connection.settings_dict["HOST"], connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["HOST"], connection.settings_dict["PORT"] = "127.0.0.1", "1"  # nothing listens
    try:
        response = client.get(reverse("health"))
    finally:
        connection.close()
        connection.settings_dict["HOST"], connection.settings_dict["PORT"] = real
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"
