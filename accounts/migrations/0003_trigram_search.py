"""Trigram indexes for the account search, where the server has pg_trgm (superseded by 0005's bigram
indexes, which also serve two-character Chinese queries and need no extension)."""

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.db import migrations

SEARCH_INDEXES = {
    "account_name_trgm": "CREATE INDEX IF NOT EXISTS account_name_trgm ON accounts_account "
    'USING gin (UPPER("name") gin_trgm_ops)',
    "account_short_name_trgm": "CREATE INDEX IF NOT EXISTS account_short_name_trgm ON accounts_account "
    'USING gin (UPPER("short_name") gin_trgm_ops)',
}


def forwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        if cursor.fetchone() is None:
            return
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for statement in SEARCH_INDEXES.values():
            cursor.execute(statement)


def backwards(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        for name in SEARCH_INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_role_groups")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forwards, backwards)],
            state_operations=[
                migrations.AddIndex(
                    model_name="account",
                    index=django.contrib.postgres.indexes.GinIndex(
                        django.contrib.postgres.indexes.OpClass(
                            django.db.models.functions.text.Upper("name"), name="gin_trgm_ops"
                        ),
                        name="account_name_trgm",
                    ),
                ),
                migrations.AddIndex(
                    model_name="account",
                    index=django.contrib.postgres.indexes.GinIndex(
                        django.contrib.postgres.indexes.OpClass(
                            django.db.models.functions.text.Upper("short_name"), name="gin_trgm_ops"
                        ),
                        name="account_short_name_trgm",
                    ),
                ),
            ],
        )
    ]
