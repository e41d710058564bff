"""Reads that may lag go to a read replica, when one is configured (``DATABASE_REPLICA_URL``).

As Saleor and NetBox do: the views that only read large figures (dashboard and its sections, drill-down,
exports, risk list) are marked with ``@replica_reads``; inside them the ORM's reads go to the
``replica`` alias. Writes always go to the primary, and once a request has written, its later reads
stay on the primary too, so it never reads an older copy of what it just wrote. Without a replica every
query goes to ``default`` and the marks do nothing.
"""

from __future__ import annotations

import functools
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import connections

REPLICA = "replica"
_reading_from_replica: ContextVar[bool] = ContextVar("kam_replica_reads", default=False)
_wrote: ContextVar[bool] = ContextVar("kam_replica_wrote", default=False)


def replica_configured() -> bool:
    return bool(settings.DATABASE_REPLICA_URL) and REPLICA in connections.settings


@contextmanager
def replica_reading():
    """Reads in this block may be served by the replica (until something is written)."""
    reading, wrote = _reading_from_replica.set(True), _wrote.set(False)
    try:
        yield
    finally:
        _reading_from_replica.reset(reading)
        _wrote.reset(wrote)


def replica_reads(view):
    """Mark a read-only view: its queries may be answered by the replica."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        with replica_reading():
            response = view(*args, **kwargs)
            # A TemplateResponse runs its lazy querysets when rendered: render it here, in the block.
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response

    return wrapper


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if _reading_from_replica.get() and not _wrote.get() and replica_configured():
            return REPLICA
        return None  # the default database

    def db_for_write(self, model, **hints):
        _wrote.set(True)  # what this request reads next must see what it wrote: the primary
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica is a copy of the primary: the same rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"
