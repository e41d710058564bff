"""``manage.py refresh_dashboard``: rebuild the dashboard's aggregate tables now."""

from django.core.management.base import BaseCommand

from segmentation.cube import cube_refresh
from service_tiers.compliance import compliance_refresh


class Command(BaseCommand):
    help = "Rebuild the dashboard's aggregate tables and the stored service compliance figures."

    def handle(self, *args, **options):
        refresh = cube_refresh()
        self.stdout.write(self.style.SUCCESS(f"Dashboard aggregates rebuilt in {refresh.seconds} s."))
        months = compliance_refresh()
        self.stdout.write(
            self.style.SUCCESS(
                f"Service compliance stored for {', '.join(f'{month:%Y-%m}' for month in months)}."
            )
        )
