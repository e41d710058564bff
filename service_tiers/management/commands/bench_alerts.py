"""Benchmark: the daily alert run over every account, and My day for one manager.

Reuses the accounts in the database; with ``--accounts N`` and fewer accounts loaded, it first loads
the demo data (``seed_demo --accounts N``: interactions, complaints, surveys, 24 months of orders) and
grades the last two months (so the grade and score rules have something to compare). Then it times:

- the first run (every alert is opened),
- reruns with nothing changed (the steady state of the daily task: every alert matched, none duplicated),
- My day for the demo manager with the largest book.

Use a throw-away database: loading refuses a database whose name lacks "bench" unless --force.
"""

import io
import statistics
import time

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.test import RequestFactory
from django.utils import timezone

from accounts.models import Account
from service_tiers.models import Alert, AlertRun
from service_tiers.services import alerts_run


class Command(BaseCommand):
    help = "Time the daily alert run over every account (and My day for one manager)."

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=0, help="load demo data up to N accounts first")
        parser.add_argument("--repeat", type=int, default=3, help="reruns to time (default 3)")
        parser.add_argument("--force", action="store_true", help="allow loading into a non-bench database")

    def handle(self, *args, accounts=0, repeat=3, force=False, **options):
        existing = Account.objects.count()
        if accounts and existing < accounts:
            name = connection.settings_dict["NAME"]
            if "bench" not in name and not force:
                raise CommandError(
                    f"Refusing to load demo data into {name!r}: use a *bench* database or --force."
                )
            self.stdout.write(f"Loading demo data: {accounts:,} accounts …")
            call_command("seed_demo", accounts=accounts, stdout=self.stdout)
            existing = Account.objects.count()
        self._grade_last_two_months()
        if not connection.in_atomic_block:  # fresh statistics, as after the nightly autovacuum
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")

        Alert.objects.all().delete()
        started = time.perf_counter()
        first = alerts_run(trigger=AlertRun.Trigger.BENCHMARK, send_digests=False)
        first_seconds = time.perf_counter() - started
        self.stdout.write(
            f"First run over {existing:,} accounts: {first_seconds:.2f} s ({first.opened:,} alerts opened)"
        )
        times = []
        for _ in range(max(repeat, 1)):
            started = time.perf_counter()
            run = alerts_run(trigger=AlertRun.Trigger.BENCHMARK, send_digests=False)
            times.append(time.perf_counter() - started)
            if run.opened:
                raise CommandError(f"A rerun with nothing changed opened {run.opened} alerts.")
        self.stdout.write(
            f"Daily run, nothing changed (×{len(times)}): median {statistics.median(times):.2f} s, "
            f"min {min(times):.2f} s, {run.still_open:,} alerts open"
        )
        self._statement_times()
        per_rule = Alert.objects.filter(status="open").values("rule").annotate(n=Count("pk")).order_by("rule")
        self.stdout.write("  " + ", ".join(f"{row['rule']} {row['n']:,}" for row in per_rule))
        self._time_my_day()

    def _statement_times(self):
        """Where one steady-state run spends its time, statement by statement."""
        timings = []

        def timed(execute, sql, params, many, context):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                timings.append((time.perf_counter() - started, " ".join(sql.split())[:70]))

        with connection.execute_wrapper(timed):
            alerts_run(trigger=AlertRun.Trigger.BENCHMARK, send_digests=False)
        for seconds, statement in sorted(timings, reverse=True)[:5]:
            self.stdout.write(f"  {seconds:7.2f} s  {statement}")

    def _grade_last_two_months(self):
        from scoring.models import GradeSnapshot
        from scoring.services import current_period, previous_period

        period = current_period()
        if GradeSnapshot.objects.filter(period=period).exists():
            return
        for month in (previous_period(period), period):
            started = time.perf_counter()
            call_command("regrade", period=f"{month:%Y-%m}", stdout=io.StringIO())
            self.stdout.write(f"Graded {month:%Y-%m} in {time.perf_counter() - started:.2f} s")

    def _time_my_day(self):
        from service_tiers.views import my_day

        owner = (
            Account.objects.values("owner_id")
            .annotate(n=Count("pk"))
            .order_by("-n")
            .values_list("owner_id", "n")
        ).first()
        if owner is None:
            return
        user = get_user_model().objects.get(pk=owner[0])
        request = RequestFactory().get("/my-day/")
        request.user = user
        request.htmx = False
        times = []
        for _ in range(3):
            started = time.perf_counter()
            my_day(request).render()
            times.append(time.perf_counter() - started)
        self.stdout.write(
            f"My day for {user.get_username()} ({owner[1]:,} accounts): "
            f"median {statistics.median(times):.2f} s at {timezone.localtime():%Y-%m-%d %H:%M}"
        )
