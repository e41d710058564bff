from pathlib import Path

from django.core.management.base import BaseCommand

from kam.backups import backup


class Command(BaseCommand):
    help = "Back up the KAM database (pg_dump, custom format) to var/backups/ or --output."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="Where to write the backup file.")

    def handle(self, *args, output=None, **options):
        path = backup(output=output)
        self.stdout.write(f"Backup written to {path} ({path.stat().st_size} bytes).")
