"""Re-grade every account for a month with the active scoring model."""

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from kam.queue import QueueUnavailable, queue_check
from scoring.models import RegradeRun
from scoring.services import period_normalise, regrade_period, regrade_run_create
from scoring.tasks import regrade


class Command(BaseCommand):
    help = "Re-grade every account for a month (default: the current month, Asia/Shanghai)."

    def add_arguments(self, parser):
        parser.add_argument("--period", help="YYYY-MM or YYYY-MM-DD; the first day of that month is graded.")
        parser.add_argument(
            "--async",
            dest="run_async",
            action="store_true",
            help="Queue the run on Celery instead of running here.",
        )

    def handle(self, *args, period=None, run_async=False, **options):
        try:
            period = period_normalise(period)
        except ValueError as error:
            raise CommandError(f"Invalid period: {error}") from error
        if run_async:
            try:
                queue_check()
            except QueueUnavailable as error:
                raise CommandError(str(error)) from error
        run = regrade_run_create(period=period, trigger=RegradeRun.Trigger.COMMAND)
        if run_async:
            regrade.apply_async(args=[run.pk], retry=False)
            self.stdout.write(f"Queued re-grade run {run.pk} for {period:%Y-%m}.")
            return
        started = time.monotonic()

        def progress(message):
            self.stdout.write(f"[{time.monotonic() - started:7.2f} s] {message}")

        try:
            run = regrade_period(run=run, progress=progress)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Run {run.pk} {run.get_status_display()} in {time.monotonic() - started:.2f} s."
            )
        )
