"""``manage.py refresh_dashboard``: rebuild the dashboard's aggregate tables now."""

from django.core.management.base import BaseCommand

from segmentation.cube import cube_refresh


class Command(BaseCommand):
    help = "Rebuild the dashboard's aggregate tables (service compliance is computed live)."

    def handle(self, *args, **options):
        refresh = cube_refresh()
        self.stdout.write(self.style.SUCCESS(f"Dashboard aggregates rebuilt in {refresh.seconds} s."))
