from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from accounts.search_indexes import create_search_indexes


class Command(BaseCommand):
    help = "Create the pg_trgm search indexes on accounts (for a server that gained pg_trgm after migrating)."

    def handle(self, *args, **options):
        if not create_search_indexes(connection):
            raise CommandError("pg_trgm is not available on this server (install postgresql-contrib).")
        self.stdout.write(self.style.SUCCESS("Search indexes are in place."))
