"""``manage.py run_alerts``: the daily alert run on demand (the same service as the Celery task)."""

from django.core.management.base import BaseCommand

from service_tiers.models import AlertRun
from service_tiers.services import alerts_run


class Command(BaseCommand):
    help = "Check every alert rule over every account now, then send today's e-mail digests."

    def add_arguments(self, parser):
        parser.add_argument("--no-digests", action="store_true", help="do not send the e-mail digests")

    def handle(self, *args, no_digests=False, **options):
        run = alerts_run(trigger=AlertRun.Trigger.COMMAND, send_digests=not no_digests)
        self.stdout.write(
            self.style.SUCCESS(
                f"Alerts: {run.opened} opened, {run.closed} closed, {run.still_open} open; "
                f"{run.digests_sent} digest(s) sent in {run.duration.total_seconds():.2f} s."
            )
        )
