"""Bigram indexes for account search (see accounts/search.py); they replace the trigram indexes."""

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.db import migrations, models

BIGRAMS_FUNCTION = """
CREATE OR REPLACE FUNCTION kam_bigrams(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT COALESCE(array_agg(DISTINCT substr(value, position, 2)), '{}')
    FROM generate_series(1, char_length(value) - 1) AS position
$$
"""


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_list_sort_indexes")]

    operations = [
        migrations.RunSQL(BIGRAMS_FUNCTION, "DROP FUNCTION IF EXISTS kam_bigrams(text)"),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    "DROP INDEX IF EXISTS account_name_trgm; DROP INDEX IF EXISTS account_short_name_trgm",
                    migrations.RunSQL.noop,
                )
            ],
            state_operations=[
                migrations.RemoveIndex(model_name="account", name="account_name_trgm"),
                migrations.RemoveIndex(model_name="account", name="account_short_name_trgm"),
            ],
        ),
        migrations.AddIndex(
            model_name="account",
            index=django.contrib.postgres.indexes.GinIndex(
                models.Func(django.db.models.functions.text.Upper("name"), function="kam_bigrams"),
                name="account_name_bigrams",
            ),
        ),
        migrations.AddIndex(
            model_name="account",
            index=django.contrib.postgres.indexes.GinIndex(
                models.Func(django.db.models.functions.text.Upper("short_name"), function="kam_bigrams"),
                name="account_short_name_bigrams",
            ),
        ),
    ]
