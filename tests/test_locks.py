"""kam.locks: one named, transaction-level advisory lock, held by one of two concurrent runs at a time."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from kam.locks import advisory_lock, advisory_xact_lock, lock_key


def _held_by_another_session(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND pid <> pg_backend_pid() AND ((classid::bigint << 32) | objid::bigint) = %s)",
            [lock_key(name) & 0xFFFFFFFFFFFFFFFF],
        )
        return cursor.fetchone()[0]


def test_one_key_per_name_in_postgresqls_signed_64_bit_space():
    keys = {lock_key(f"regrade:2026-{month:02}-01") for month in range(1, 13)}
    assert len(keys) == 12
    assert all(-(2**63) <= key < 2**63 for key in keys)
    assert lock_key("alerts-sync") == lock_key("alerts-sync")


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_helper_refuses():
    with pytest.raises(transaction.TransactionManagementError):
        advisory_xact_lock("alerts-sync")


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_take_turns_and_a_second_try_gives_up():
    events: list[str] = []
    holding, release = threading.Event(), threading.Event()

    def first_run():
        try:
            with advisory_lock("test-job"):
                events.append("first in")
                holding.set()
                release.wait(10)
                events.append("first out")
        finally:
            connections.close_all()

    def second_run():
        try:
            with advisory_lock("test-job"):
                events.append("second in")
        finally:
            connections.close_all()

    first = threading.Thread(target=first_run)
    first.start()
    assert holding.wait(10)
    with advisory_lock("test-job", wait=False) as acquired:
        assert acquired is False  # a duplicate run sees the work is being done and gives up
    with advisory_lock("another-job", wait=False) as acquired:
        assert acquired is True  # other names are other locks
    second = threading.Thread(target=second_run)
    second.start()
    time.sleep(0.3)
    assert events == ["first in"]  # the second run waits for the first
    release.set()
    first.join(10)
    second.join(10)
    assert events == ["first in", "first out", "second in"]
    assert not _held_by_another_session("test-job")


@pytest.mark.django_db(transaction=True)
def test_an_error_inside_the_block_releases_the_lock():
    with pytest.raises(ZeroDivisionError), advisory_lock("test-job"):
        1 / 0  # noqa: B018
    released = []

    def other_process():
        try:
            with advisory_lock("test-job", wait=False) as acquired:
                released.append(acquired)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_process)
    thread.start()
    thread.join(10)
    assert released == [True]


@pytest.mark.django_db
def test_jit_is_off_for_every_connection_from_the_settings():
    """Set once in DATABASES' OPTIONS (it was SET LOCAL by hand in ten places)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
