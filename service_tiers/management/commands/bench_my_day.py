"""Benchmark: My day through the real view (middleware, session, template), for two managers.

Picks the manager whose book is closest to ``--book`` accounts (400: a typical account manager) and the
manager with the largest book (the demo manager: 17k accounts at 100k), then times ``--runs`` GETs of
each and prints p50/p95, the number of queries and whether the GET wrote anything. The load average is
printed with every figure: the machine may be shared.

Read-only: run it on a throw-away copy of the benchmark database all the same.
"""

import os
import statistics
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Account

WRITES = ("INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "TRUNCATE")


def _percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


class Command(BaseCommand):
    help = "Time My day for a typical manager and for the manager with the largest book."

    def add_arguments(self, parser):
        parser.add_argument("--book", type=int, default=400, help="book size of the typical manager")
        parser.add_argument("--runs", type=int, default=20)

    def handle(self, *args, book: int, runs: int, **options):
        self._typical_manager(book)
        books = list(Account.objects.values("owner_id").annotate(n=Count("pk")).values_list("owner_id", "n"))
        typical = min(books, key=lambda row: abs(row[1] - book))
        largest = max(books, key=lambda row: row[1])
        for owner_id, size in (typical, largest):
            self._time(get_user_model().objects.get(pk=owner_id), size, runs)

    def _typical_manager(self, book: int) -> None:
        """The demo data gives every manager 9k–17k accounts at 100k: hand ``book`` of the largest book to
        a manager of their own (once; the benchmark database only), as a typical manager has."""
        from django.contrib.auth.models import Group

        from accounts.roles import ACCOUNT_MANAGER

        if "bench" not in connection.settings_dict["NAME"]:
            return
        user, created = get_user_model().objects.get_or_create(username=f"bench_manager_{book}")
        if not created:
            return
        user.groups.add(Group.objects.get(name=ACCOUNT_MANAGER))
        largest = Account.objects.values("owner_id").annotate(n=Count("pk")).order_by("-n")[0]["owner_id"]
        ids = Account.objects.filter(owner_id=largest).order_by("pk").values_list("pk", flat=True)[:book]
        Account.objects.filter(pk__in=list(ids)).update(owner=user)

    def _time(self, user, size, runs):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        url = reverse("service_tiers:my_day")
        client.get(url)  # warm: connection, session, template loading
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.status_code
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        writes = [
            q["sql"][:60] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)
        ]
        load = " ".join(f"{value:.2f}" for value in os.getloadavg())
        self.stdout.write(
            f"My day {user.get_username()} ({size:,} accounts): "
            f"p50 {statistics.median(times) * 1000:.0f} ms, "
            f"p95 {_percentile(times, 0.95) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms over {runs} GETs; "
            f"{len(queries)} queries, {len(writes)} writes; load {load}"
        )
        for statement in writes[:5]:
            self.stdout.write(f"  write on GET: {statement}")
