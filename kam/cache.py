"""The cache: Redis when it answers, no cache when it does not.

Everything KAM caches (counts, choice lists, the alerts version) can be computed again, so a stopped
or frozen Redis must cost a page speed, never an error or a hang. Each call gives up after the short
socket time-outs set in settings; after a failure this process skips Redis for ``RETRY_SECONDS``, so a
page with a dozen cache calls pays one time-out, not a dozen. Calls then behave like Django's dummy
cache: nothing is found, writes are dropped.
"""

from __future__ import annotations

import functools
import logging
import threading
import time

import redis
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

RETRY_SECONDS = 5.0
# What each method answers while Redis is unavailable (as django.core.cache.backends.dummy does).
_FALLBACKS = {
    "get": lambda key, default=None, **_: default,
    "set": lambda *args, **kwargs: None,
    "add": lambda *args, **kwargs: True,
    "touch": lambda *args, **kwargs: False,
    "delete": lambda *args, **kwargs: False,
    "get_many": lambda *args, **kwargs: {},
    "set_many": lambda *args, **kwargs: [],
    "delete_many": lambda *args, **kwargs: None,
    "has_key": lambda *args, **kwargs: False,
    "clear": lambda *args, **kwargs: None,
}


class _Outage:
    """When this process last found Redis unavailable (shared by every cache object and thread)."""

    lock = threading.Lock()
    until = 0.0

    @classmethod
    def active(cls) -> bool:
        return time.monotonic() < cls.until

    @classmethod
    def start(cls, error: Exception) -> None:
        with cls.lock:
            if not cls.active():
                logger.warning("Cache unavailable, working without it for %.0f s: %r", RETRY_SECONDS, error)
            cls.until = time.monotonic() + RETRY_SECONDS

    @classmethod
    def end(cls) -> None:
        cls.until = 0.0


def _degrading(name: str):
    fallback = _FALLBACKS.get(name)
    original = getattr(RedisCache, name)

    @functools.wraps(original)
    def method(self, *args, **kwargs):
        if _Outage.active():
            if fallback is None:
                raise ValueError("cache unavailable")  # incr/decr: as for a missing key
            return fallback(*args, **kwargs)
        try:
            return original(self, *args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError) as error:
            _Outage.start(error)
            if fallback is None:
                raise ValueError("cache unavailable") from error
            return fallback(*args, **kwargs)

    return method


class DegradingRedisCache(RedisCache):
    """Django's Redis cache that degrades to no cache while Redis is stopped or frozen."""

    get = _degrading("get")
    set = _degrading("set")
    add = _degrading("add")
    touch = _degrading("touch")
    delete = _degrading("delete")
    get_many = _degrading("get_many")
    set_many = _degrading("set_many")
    delete_many = _degrading("delete_many")
    has_key = _degrading("has_key")
    clear = _degrading("clear")
    incr = _degrading("incr")
