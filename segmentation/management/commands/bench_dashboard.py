"""``manage.py bench_dashboard``: server time and query count of each dashboard view, p50/p95.

Runs against the current database (e.g. after ``seed_demo --accounts 100000`` and 24 monthly re-grades).
Requests go through Django's test client, so the time is the server's: URL routing, middleware, every
query, template rendering; no network. Each selector is also timed on its own to show where time goes.

``--touch N`` simulates a working day: the stored compliance figures are rebuilt, then N visits are
logged (committed, through ``interaction_log``) on random accounts before timing; afterwards the visits
are deleted and the figures rebuilt, so the data is as before.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from accounts.models import Account, Interaction
from accounts.services import interaction_log
from scoring.computation import add_months
from segmentation import selectors
from segmentation.selectors import DashboardFilters


def _percentile(values, share):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


class Command(BaseCommand):
    help = "Time each dashboard view (p50/p95 server time and query count) for the given users."

    def add_arguments(self, parser):
        parser.add_argument("--users", nargs="+", default=["director", "director2", "admin"])
        parser.add_argument("--runs", type=int, default=10, help="timed runs per view (after one warm-up)")
        parser.add_argument(
            "--per-selector", action="store_true", help="also time each selector alone, without the page"
        )
        parser.add_argument(
            "--touch", type=int, default=0, help="log this many visits on random accounts after a rebuild"
        )

    def handle(self, *args, touch: int, **options):
        if not touch:
            return self._bench(**options)
        touched = self._touch(touch)
        try:
            self._bench(**options)
        finally:
            Interaction.objects.filter(pk__in=touched).delete()

    def _touch(self, count: int) -> list[int]:
        actor = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
        if actor is None:
            raise CommandError("No administrator to log the visits as")
        ids = list(Account.objects.order_by("pk").values_list("pk", flat=True))
        accounts = Account.objects.in_bulk(random.Random(count).sample(ids, min(count, len(ids))))  # noqa: S311
        now = timezone.now()
        touched = [
            interaction_log(
                actor=actor,
                account=account,
                kind=Interaction.Kind.VISIT,
                occurred_at=now - timedelta(days=number % 60),
                summary="bench_dashboard --touch",
            ).pk
            for number, account in enumerate(accounts.values())
        ]
        self.stdout.write(f"touched: {len(touched)} visits logged (removed again at the end)")
        return touched

    def _bench(self, *, users, runs, per_selector: bool, **options):
        User = get_user_model()
        period = selectors.latest_period()
        query = f"period={period:%Y-%m}&compare={add_months(period, -1):%Y-%m}"
        dashboard = reverse("segmentation:dashboard")
        views = {
            "dashboard": f"{dashboard}?{query}",
            "dashboard (htmx, region filter)": None,
            "KPIs (htmx, lazy)": f"{dashboard}?{query}&section=kpis",
            "risk list (htmx, lazy)": f"{dashboard}?{query}&section=risks",
            "service compliance (htmx, lazy)": f"{dashboard}?{query}&section=compliance",
            "drill-down A→B": f"{reverse('segmentation:accounts')}?{query}&from_grade=A&to_grade=B",
            "export migration.xlsx": f"{reverse('segmentation:export', args=['migration', 'xlsx'])}?{query}",
            "export risk.csv": f"{reverse('segmentation:export', args=['risk', 'csv'])}?{query}",
        }
        self.stdout.write(
            f"accounts={_count('accounts_account'):,} orders={_count('accounts_order'):,} "
            f"snapshots={_count('scoring_gradesnapshot'):,} period={period:%Y-%m} runs={runs}"
        )
        self.stdout.write(f"{'user':<10} {'view':<34} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
        with override_settings(ALLOWED_HOSTS=["*"]):
            for username in users:
                user = User.objects.filter(username=username).first()
                if user is None:
                    raise CommandError(f"No user {username!r}")
                client = Client()
                client.force_login(user)
                region = user.directed_regions.first()
                for name, url in views.items():
                    headers = {}
                    for section in ("kpis", "risks", "compliance"):
                        if f"section={section}" in (url or ""):
                            headers = {"HX-Request": "true", "HX-Target": f"{section}-figures"}
                    if url is None:
                        url = f"{reverse('segmentation:dashboard')}?{query}"
                        if region is not None:
                            url += f"&region={region.pk}"
                        headers = {"HX-Request": "true", "HX-Target": "dashboard-figures"}
                    self._time(username, name, _getter(client, url, headers), runs)
                if per_selector:
                    self._time_selectors(user, period, runs)

    def _time(self, username, name, call, runs):
        call()  # warm-up: caches, plans, session
        timings, queries = [], set()
        for _run in range(runs):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                call()
                timings.append((time.perf_counter() - started) * 1000)
            queries.add(len(captured.captured_queries))
        count = "/".join(str(number) for number in sorted(queries))
        p50, p95 = statistics.median(timings), _percentile(timings, 0.95)
        self.stdout.write(f"{username:<10} {name:<34} {p50:>8.1f} {p95:>8.1f} {count:>8}")

    def _time_selectors(self, user, period, runs):
        filters = DashboardFilters(period=period, compare=add_months(period, -1))
        accounts = selectors.dashboard_accounts(user=user, filters=filters)
        parts = {
            "  grade_distribution": lambda: selectors.grade_distribution(accounts=accounts, filters=filters),
            "  grade_migration": lambda: selectors.grade_migration(accounts=accounts, filters=filters),
            "  revenue_by_dimension ×3": lambda: [
                selectors.revenue_by_dimension(accounts=accounts, filters=filters, dimension=dimension)
                for dimension in selectors.DIMENSIONS
            ],
            "  grade_trend": lambda: selectors.grade_trend(accounts=accounts, filters=filters),
            "  revenue_trend": lambda: selectors.revenue_trend(accounts=accounts, filters=filters),
            "  risk_list": lambda: selectors.risk_list(accounts=accounts, filters=filters),
            "  manager_kpis": lambda: selectors.manager_kpis(accounts=accounts, filters=filters),
            "  service_compliance": lambda: selectors.service_compliance(accounts=accounts, filters=filters),
        }
        for name, call in parts.items():
            self._time(user.username, name, call, runs)


def _getter(client, url, headers):
    return lambda: _get(client, url, headers)


def _get(client, url, headers):
    response = client.get(url, headers=headers)
    if response.status_code != 200:
        raise CommandError(f"{url} answered {response.status_code}")
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)
    return response


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        # Estimated row count: exact counts of millions of rows would dominate the benchmark's own time.
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [table])
        row = cursor.fetchone()
    return int(row[0]) if row else 0
