"""Trigram indexes for the account search, where the server has pg_trgm.

Every PostgreSQL packaging used in production (Debian/Ubuntu, the official Docker image, managed
services) ships pg_trgm. The embedded development server (pgserver) does not: there the extension and
the two indexes are skipped and search falls back to a sequential scan, which is fine at demo sizes.
The migration state always has the indexes, so models and migrations agree either way; re-running on
a server that gains pg_trgm later is done with ``manage.py create_search_indexes``.
"""

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.db import migrations

from accounts.search_indexes import create_search_indexes, drop_search_indexes


def forwards(apps, schema_editor):
    create_search_indexes(schema_editor.connection)


def backwards(apps, schema_editor):
    drop_search_indexes(schema_editor.connection)


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
