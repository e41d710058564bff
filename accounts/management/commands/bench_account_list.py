"""``manage.py bench_account_list``: server-side timing of the account list page on the data loaded.

Requests go through the whole Django stack (middleware, visibility rule, filters, template) with
``django.test.Client``, logged in as the demo users, so the figures are what the server spends per
request, without network or browser. Run ``manage.py seed_demo --accounts 100000`` first for a
meaningful figure.
"""

import math
import statistics
import time
import unicodedata

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import demo_data
from accounts.models import Account, Region

TARGET_MS = 100
ROW = "{:<10} {} {:>4} {:>8} {:>8} {:>8} {:>8} {:>7}{}"
LABEL_WIDTH = 34


class Command(BaseCommand):
    help = (
        "Time the account list page for the demo users on the loaded data: p50/p95 of the whole request, "
        "median time spent in SQL, and the number of queries."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=20, help="timed requests per variant (default 20)")
        parser.add_argument(
            "--users",
            default="manager,director,admin",
            help="comma-separated usernames to log in as (default: manager,director,admin)",
        )
        parser.add_argument(
            "--explain",
            action="store_true",
            help=f"print EXPLAIN ANALYZE of the slowest query of every variant slower than {TARGET_MS} ms",
        )

    def handle(self, *args, repeat, users, explain, **options):
        if repeat < 1:
            raise CommandError("--repeat must be at least 1")
        if not Account.objects.exists():
            raise CommandError(
                "There are no accounts. Load some first: python manage.py seed_demo --accounts 100000"
            )
        usernames = [name.strip() for name in users.split(",") if name.strip()]
        found = {user.username: user for user in get_user_model().objects.filter(username__in=usernames)}
        missing = [name for name in usernames if name not in found]
        if missing:
            raise CommandError(
                f"Unknown user(s): {', '.join(missing)}. The demo users come from: python manage.py seed_demo"
            )

        variants = self._variants(found)
        url = reverse("accounts:list")
        total = Account.objects.count()
        self.stdout.write(
            f"Account list {url} — {total:,} accounts, {repeat} timed requests per variant after one warm-up"
        )
        if settings.DEBUG:
            self.stdout.write(
                self.style.WARNING("DEBUG is on: figures include its overhead (DEBUG=false for real ones).")
            )
        header = ROW.format(
            "user",
            _pad("variant", LABEL_WIDTH),
            "HTTP",
            "visible",
            "p50 ms",
            "p95 ms",
            "SQL ms",
            "queries",
            "",
        )
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        slow = []
        for username in usernames:
            user = found[username]
            visible = Account.objects.visible_to(user).count()
            # A failing page is reported as its status code, not as a crash of the benchmark.
            client = Client(HTTP_HOST="localhost", raise_request_exception=False)
            client.force_login(user)
            for label, params in variants:
                status, timings, sql_timings, queries, slowest = self._measure(client, url, params, repeat)
                p50, p95 = statistics.median(timings), _percentile(timings, 95)
                flag = "  SLOW" if p50 > TARGET_MS else ""
                self.stdout.write(
                    ROW.format(
                        username,
                        _pad(label, LABEL_WIDTH),
                        status,
                        f"{visible:,}",
                        f"{p50:.1f}",
                        f"{p95:.1f}",
                        f"{statistics.median(sql_timings):.1f}",
                        queries,
                        flag,
                    )
                )
                if p50 > TARGET_MS:
                    slow.append((username, label, slowest))
            client.logout()
        if slow and explain:
            for username, label, (sql, seconds) in slow:
                self.stdout.write(
                    f"\n=== {username} · {label}: slowest query ({seconds * 1000:.1f} ms)\n{sql}\n"
                )
                with connection.cursor() as cursor:
                    cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                    self.stdout.write("\n".join(row[0] for row in cursor.fetchall()))
        elif slow:
            self.stdout.write(
                f"\n{len(slow)} variant(s) over {TARGET_MS} ms; rerun with --explain for the query plans."
            )

    def _variants(self, users) -> list[tuple[str, dict]]:
        """The searches a user would really type, taken from the data: two characters of an account's
        name (its trade name, 字号), the first ten characters of a credit code, the director's region."""
        sample = (
            Account.objects.filter(owner__username="manager").order_by("pk").first()
            or Account.objects.order_by("pk").first()
        )
        fragment = (sample.short_name or sample.name)[:2]
        code_prefix = (
            Account.objects.exclude(credit_code="")
            .order_by("pk")
            .values_list("credit_code", flat=True)
            .first()
            or ""
        )[:10]
        region = (
            Region.objects.filter(directors__username=demo_data.DIRECTOR_USERNAMES[0]).first()
            or Region.objects.order_by("pk").first()
        )
        variants = [
            ("first page", {}),
            (f"search name “{fragment}”", {"q": fragment}),
            (f"search credit code “{code_prefix}”", {"q": code_prefix}),
            ("status=active", {"status": Account.Status.ACTIVE}),
        ]
        if region:
            variants.append((f"region={region.name}", {"region": region.pk}))
        variants += [("sort=-name", {"sort": "-name"}), ("page=50", {"page": 50})]
        return variants

    def _measure(self, client, url, params, repeat):
        client.get(url, params)  # warm-up: templates, connection, caches
        timings, sql_timings = [], []
        slowest = ("", 0.0)
        for _ in range(repeat):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url, params)
                timings.append((time.perf_counter() - started) * 1000)
            sql_timings.append(sum(float(query["time"]) for query in captured.captured_queries) * 1000)
            for query in captured.captured_queries:
                if float(query["time"]) > slowest[1]:
                    slowest = (query["sql"], float(query["time"]))
        return response.status_code, timings, sql_timings, len(captured.captured_queries), slowest


def _pad(text: str, width: int) -> str:
    """Left-align in a terminal, where a Chinese character takes two columns."""
    columns = sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
    return text + " " * max(0, width - columns)


def _percentile(values: list[float], percent: int) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * percent / 100) - 1)]
