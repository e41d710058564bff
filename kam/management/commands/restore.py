from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from kam.backups import restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `make backup`: into the configured database (replacing its contents), "
        "or with --new-database NAME into a database created for it."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--new-database", help="Create this database and restore into it.")

    def handle(self, *args, file, new_database=None, **options):
        if not file.exists():
            raise CommandError(f"No backup file at {file}.")
        name = restore(backup_file=file, database=new_database, create=bool(new_database))
        self.stdout.write(f"Restored {file} into the database {name}.")
