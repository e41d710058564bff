"""Queueing background work from a request: say at once when the queue is unavailable.

Celery's publish retries a stopped broker for seconds and waits forever on a frozen one, and a run
record created before the publish would then stay "pending" for ever. Actions that need the queue
call :func:`queue_check` before they write anything (a plain Redis PING with short time-outs), and
queue with :func:`enqueue_on_commit`, which marks the run failed if the publish still fails.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import redis
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

# The whole check gives up within about this long (connect, then PING), well inside a 2 s answer.
QUEUE_CHECK_SECONDS = 0.75

QUEUE_UNAVAILABLE_MESSAGE = _(
    "Background work is unavailable right now (the task queue does not answer), so nothing was "
    "started. Try again in a few minutes; if it persists, tell your administrator."
)


class QueueUnavailable(Exception):
    """The broker does not answer: background work cannot be queued now."""


def queue_check(timeout: float = QUEUE_CHECK_SECONDS) -> None:
    """Raise :class:`QueueUnavailable` unless the broker answers a PING within ``timeout``."""
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        client.ping()
    except (redis.ConnectionError, redis.TimeoutError, OSError) as error:
        logger.warning("Task queue unavailable: %r", error)
        raise QueueUnavailable(str(QUEUE_UNAVAILABLE_MESSAGE)) from error
    finally:
        client.close()


def enqueue_on_commit(task, *args, on_failure: Callable[[Exception], None]) -> None:
    """Send ``task(*args)`` once the current transaction commits, without Celery's publish retries;
    if the broker has gone away since :func:`queue_check`, ``on_failure`` records it (a run marked
    failed, say) instead of leaving a record that waits for a task that never comes."""

    def publish():
        try:
            task.apply_async(args=args, retry=False)
        except Exception as error:
            logger.exception("Could not queue %s%r", task.name, args)
            on_failure(error)

    transaction.on_commit(publish)
