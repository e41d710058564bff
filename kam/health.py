"""``/health/``: can this instance serve? For docker compose and load balancers.

It answers 200 when PostgreSQL and Redis answer, 503 otherwise, with a JSON body that also says
whether a Celery worker has sent its heartbeat lately (``?require=worker`` makes that a condition too:
for a check of the background side). Every check has a short time-out, so a frozen server makes the
answer 503 within about a second, never a hung health check.

Workers beat from a thread started when they are ready (``kam/celery.py``): every
``HEARTBEAT_SECONDS`` they put their node name and the time in a Redis sorted set.
"""

from __future__ import annotations

import logging
import threading
import time

import redis
from django.conf import settings
from django.db import connection, transaction
from django.http import JsonResponse
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10
HEARTBEAT_FRESH_SECONDS = 60  # a worker is alive if it beat this recently
CHECK_TIMEOUT_SECONDS = 0.5


def _redis() -> redis.Redis:
    return redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=CHECK_TIMEOUT_SECONDS, socket_connect_timeout=CHECK_TIMEOUT_SECONDS
    )


def _check_database() -> str:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 1000")
            cursor.execute("SELECT 1")
        return "ok"
    except Exception as error:
        logger.warning("Health check: database unavailable: %r", error)
        return "unavailable"


def _check_redis_and_workers() -> tuple[str, int | None]:
    client = _redis()
    try:
        client.ping()
        workers = client.zcount(_heartbeat_key(), time.time() - HEARTBEAT_FRESH_SECONDS, "+inf")
        return "ok", workers
    except (redis.RedisError, OSError) as error:
        logger.warning("Health check: Redis unavailable: %r", error)
        return "unavailable", None
    finally:
        client.close()


def _heartbeat_key() -> str:
    return settings.KAM_WORKER_HEARTBEAT_KEY


@require_GET
@transaction.non_atomic_requests  # a database that is down must give 503, not fail the request early
def health(request):
    database = _check_database()
    redis_status, workers = _check_redis_and_workers()
    worker_status = "unknown" if workers is None else ("ok" if workers else "none")
    healthy = database == "ok" and redis_status == "ok"
    if request.GET.get("require") == "worker":
        healthy = healthy and worker_status == "ok"
    body = {
        "status": "ok" if healthy else "unavailable",
        "database": database,
        "redis": redis_status,
        "worker": worker_status,
        "workers": workers,
    }
    return JsonResponse(body, status=200 if healthy else 503)


# --- The workers' side -------------------------------------------------------------------------------


def heartbeat_once(node_name: str) -> None:
    client = _redis()
    try:
        now = time.time()
        with client.pipeline() as pipe:
            pipe.zadd(_heartbeat_key(), {node_name: now})
            pipe.zremrangebyscore(_heartbeat_key(), "-inf", now - 10 * HEARTBEAT_FRESH_SECONDS)
            pipe.execute()
    finally:
        client.close()


def heartbeat_forever(node_name: str, stop: threading.Event) -> None:
    """Beat until ``stop`` is set; a Redis outage skips beats, it does not end the thread."""
    while not stop.is_set():
        try:
            heartbeat_once(node_name)
        except (redis.RedisError, OSError) as error:
            logger.warning("Worker heartbeat not sent: %r", error)
        stop.wait(HEARTBEAT_SECONDS)


def heartbeat_stop(node_name: str) -> None:
    """A worker shutting down cleanly says so at once (a killed one ages out)."""
    client = _redis()
    try:
        client.zrem(_heartbeat_key(), node_name)
    except (redis.RedisError, OSError):
        pass
    finally:
        client.close()
