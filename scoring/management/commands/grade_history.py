"""Grade the past months that have no grades yet: a new installation (or the demo) gets a grade
history, migrations and trends from its order data instead of waiting a year."""

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from scoring.computation import add_months
from scoring.models import RegradeRun
from scoring.services import current_period, regrade_period


class Command(BaseCommand):
    help = (
        "Grade each of the last N months (oldest first, the current month included) that has no grades "
        "yet, with the active scoring model. Months already graded are left as they are."
    )

    def add_arguments(self, parser):
        parser.add_argument("--months", type=int, default=12, help="how many months back (default 12)")

    def handle(self, *args, months, **options):
        if months < 1:
            raise CommandError("--months must be at least 1")
        latest = current_period()
        periods = [add_months(latest, -offset) for offset in range(months - 1, -1, -1)]
        succeeded = RegradeRun.objects.filter(period__in=periods, status=RegradeRun.Status.SUCCEEDED)
        graded = set(succeeded.values_list("period", flat=True))
        todo = [period for period in periods if period not in graded]
        if not todo:
            self.stdout.write(f"The last {months} months are graded already; nothing to do.")
            return
        started = time.monotonic()
        for period in todo:
            try:
                run = regrade_period(period=period, trigger=RegradeRun.Trigger.COMMAND)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
            self.stdout.write(
                f"{period:%Y-%m}: {run.accounts_graded} accounts graded "
                f"(A {run.grade_a_count}, B {run.grade_b_count}, C {run.grade_c_count})"
            )
        self.stdout.write(
            self.style.SUCCESS(f"{len(todo)} month(s) graded in {time.monotonic() - started:.1f} s.")
        )
