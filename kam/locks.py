"""One way to keep two processes out of the same work: PostgreSQL transaction-level advisory locks.

Every lock is named (``"regrade:2026-12-01"``, ``"alerts-sync"``) and the name is hashed into the one
64-bit key space PostgreSQL offers, so two features cannot pick the same number by accident. The lock
is always transaction-level (``pg_advisory_xact_lock``): it ends with the transaction that took it,
whether that commits, rolls back or its worker dies, so a pooled connection never keeps a lock after
an error, which a session-level lock (``pg_advisory_lock``) can.

    with advisory_lock("alerts-sync"):          # waits, then holds the lock until the block ends
        ...
    with advisory_lock("daily-digest", wait=False) as acquired:
        if not acquired:                         # someone else is doing it: a duplicate run is harmless
            return
"""

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction


def lock_key(name: str) -> int:
    """The signed 64-bit key PostgreSQL's advisory locks take, for a lock's name."""
    digest = hashlib.blake2b(name.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def advisory_xact_lock(
    name: str, *, wait: bool = True, shared: bool = False, using: str = DEFAULT_DB_ALIAS
) -> bool:
    """Take the named lock until the end of the current transaction; False if ``wait=False`` and it is taken.

    ``shared=True`` takes it in shared mode: any number of shared holders at once, none while an
    exclusive holder has it (small writes running side by side, a whole-table job alone).

    Must run inside a transaction (``transaction.atomic``): in autocommit the lock would end with the
    statement that took it and protect nothing.
    """
    connection = connections[using]
    if not connection.in_atomic_block:
        raise transaction.TransactionManagementError(
            f"advisory_xact_lock({name!r}) needs a transaction: it is released when the transaction ends."
        )
    function = ("pg_advisory_xact_lock" if wait else "pg_try_advisory_xact_lock") + (
        "_shared" if shared else ""
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [lock_key(name)])  # noqa: S608 -- one of four names above
        return wait or cursor.fetchone()[0]


@contextmanager
def advisory_lock(
    name: str, *, wait: bool = True, shared: bool = False, using: str = DEFAULT_DB_ALIAS
) -> Iterator[bool]:
    """A transaction (``atomic``) holding the named lock; yields whether it was acquired.

    Nested in an outer transaction, the lock lasts until the OUTER transaction ends (a savepoint does not
    release it), which is what a request (ATOMIC_REQUESTS) or a caller's transaction expects.
    """
    with transaction.atomic(using=using):
        yield advisory_xact_lock(name, wait=wait, shared=shared, using=using)
