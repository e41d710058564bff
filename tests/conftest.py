"""Shared fixtures: the cast of a visibility story.

Two regions (East, North), two teams, two managers in East and one in North, a director of East, a
director of North, an administrator, and one account per manager.
"""

import importlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings

from accounts import roles
from tests.factories import AccountFactory, ContactFactory, RegionFactory, TeamFactory, UserFactory


@pytest.fixture(autouse=True)
def _fresh_cache_namespace(settings):
    """Every test gets its own cache key prefix on the real Redis: cached counts and choices of one
    test (or of an earlier run with the same ids) never leak into another, and nothing is flushed
    under a concurrently running worker."""
    caches = {name: dict(config) for name, config in settings.CACHES.items()}
    for config in caches.values():
        config["KEY_PREFIX"] = f"kam-test-{uuid.uuid4().hex}"
    settings.CACHES = caches


# Rows the data migrations make, and the functions that make them (each does nothing when they exist).
MIGRATION_ROWS = [
    ("scoring.migrations.0002_presets", "create_presets"),
    ("service_tiers.migrations.0002_default_tiers", "create_tiers"),
    ("segmentation.migrations.0009_default_segments", "create_defaults"),
]


@pytest.fixture(autouse=True)
def _migration_rows(request):
    """A transactional test (committed rows, a live server, a real worker) may start from tables an
    earlier one flushed: put back the scoring presets and service tiers the data migrations made."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if not transactional:
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps

    for module, function in MIGRATION_ROWS:
        getattr(importlib.import_module(module), function)(apps, None)


@dataclass
class World:
    east: object
    north: object
    manager: object  # owns own_account, East team
    other_manager: object  # owns foreign_account, North team
    teammate: object  # East team, on own_account's account team
    director: object  # directs East (region and team)
    other_director: object  # directs North
    admin: object
    own_account: object
    foreign_account: object
    own_contact: object
    foreign_contact: object


@pytest.fixture
def world(db):
    east = RegionFactory(name="华东", code="east")
    north = RegionFactory(name="华北", code="north")
    manager = UserFactory(username="manager", role=roles.ACCOUNT_MANAGER)
    teammate = UserFactory(username="teammate", role=roles.ACCOUNT_MANAGER)
    other_manager = UserFactory(username="other_manager", role=roles.ACCOUNT_MANAGER)
    director = UserFactory(username="director", role=roles.SALES_DIRECTOR)
    other_director = UserFactory(username="other_director", role=roles.SALES_DIRECTOR)
    admin = UserFactory(username="admin", role=roles.ADMINISTRATOR)
    east_team = TeamFactory(name="华东一组", region=east)
    east_team.members.add(manager, teammate)
    east_team.directors.add(director)
    north_team = TeamFactory(name="华北一组", region=north)
    north_team.members.add(other_manager)
    north_team.directors.add(other_director)
    east.directors.add(director)
    north.directors.add(other_director)
    own_account = AccountFactory(
        name="上海宏远机械制造有限公司", short_name="宏远机械", owner=manager, region=east
    )
    own_account.account_team.add(teammate)
    foreign_account = AccountFactory(
        name="北京华信建设集团有限公司", short_name="华信建设", owner=other_manager, region=north
    )
    return World(
        east=east,
        north=north,
        manager=manager,
        other_manager=other_manager,
        teammate=teammate,
        director=director,
        other_director=other_director,
        admin=admin,
        own_account=own_account,
        foreign_account=foreign_account,
        own_contact=ContactFactory(account=own_account, name="王建国"),
        foreign_contact=ContactFactory(account=foreign_account, name="李明"),
    )


def database_url_for_subprocesses() -> str:
    """A URL for the test database, for processes started by a test (a Celery worker)."""
    database = django_settings.DATABASES["default"]
    credentials = quote(database["USER"], safe="")
    if database.get("PASSWORD"):
        credentials += ":" + quote(database["PASSWORD"], safe="")
    host = quote(database["HOST"] or "127.0.0.1", safe="")  # the embedded server's host is a socket path
    port = f":{database['PORT']}" if database.get("PORT") else ""
    return f"postgres://{credentials}@{host}{port}/{database['NAME']}"


def celery_worker_start(queue: str, *, pool: tuple[str, ...] = ("--pool", "solo"), env: dict | None = None):
    """A real Celery worker process for ``queue`` against the test database (see celery_worker_queue)."""
    worker_env = {
        **os.environ,
        "DATABASE_URL": database_url_for_subprocesses(),
        "REDIS_URL": django_settings.REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "kam.settings.test",
        **(env or {}),
    }
    command = [sys.executable, "-m", "celery", "-A", "kam", "worker", "-Q", queue, "-n", f"{queue}@%h"]
    command += [*pool, "-l", "warning", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    return subprocess.Popen(
        command,
        cwd=Path(__file__).resolve().parent.parent,
        env=worker_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # a test may kill the worker and its pool as a group
    )


def celery_worker_stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.terminate()
    output = worker.communicate(timeout=30)[0].decode(errors="replace")
    print(f"--- Celery worker output ---\n{output}")


@pytest.fixture
def celery_worker_queue(transactional_db):
    """A real Celery worker process on the real Redis broker, working against the test database.

    It listens on a queue of its own, so parallel test runs sharing a Redis never take each other's
    tasks. Yields the queue name; send tasks with ``apply_async(queue=...)``. The worker's output is
    attached to the test report when the test fails.
    """
    queue = f"kam-test-{uuid.uuid4().hex[:8]}"
    worker = celery_worker_start(queue)
    try:
        yield queue
    finally:
        celery_worker_stop(worker)


@dataclass
class OwnRedis:
    """A throwaway redis-server of this test alone (fault tests stop and freeze it, never the shared one)."""

    process: subprocess.Popen
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def freeze(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        self.thaw()
        self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def own_redis():
    import redis

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = shutil.which("redis-server") or str(Path(sys.executable).with_name("redis-server"))
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    own = OwnRedis(process=process, port=port)
    client = redis.Redis(port=port, socket_connect_timeout=0.2)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline and process.poll() is None, "redis-server did not start"
            time.sleep(0.05)
    yield own
    if process.poll() is None:
        own.stop()


@pytest.fixture(autouse=True)
def _cache_outage_forgotten():
    """The cache's memory of a Redis outage is per process: one fault test must not slow the next."""
    from kam.cache import _Outage

    _Outage.end()
    yield
    _Outage.end()
