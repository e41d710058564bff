"""Indexes the dashboard reads, moved here from ``segmentation`` 0004 (where they were created by SQL).

A database that applied ``segmentation`` 0004 already has them under their old names: they are renamed,
not rebuilt (a catalogue change, instant at any size). A new database creates them here; ``segmentation``
0004 no longer does anything.
"""

from django.db import migrations, models

INDEXES = [
    (
        "segmentation_interaction_time",
        "interaction_time",
        "CREATE INDEX IF NOT EXISTS interaction_time ON accounts_interaction (occurred_at) "
        "INCLUDE (account_id, author_id, kind)",
    ),
    (
        "segmentation_order_unpaid_due",
        "order_unpaid_due",
        "CREATE INDEX IF NOT EXISTS order_unpaid_due ON accounts_order (due_date) "
        "INCLUDE (account_id, amount) WHERE paid_date IS NULL",
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_visibility_index"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    [f"ALTER INDEX IF EXISTS {old} RENAME TO {new}", create],
                    f"DROP INDEX IF EXISTS {new}",
                )
                for old, new, create in INDEXES
            ],
            state_operations=[
                migrations.AddIndex(
                    model_name="interaction",
                    index=models.Index(
                        fields=["occurred_at"], include=("account", "author", "kind"), name="interaction_time"
                    ),
                ),
                migrations.AddIndex(
                    model_name="order",
                    index=models.Index(
                        condition=models.Q(("paid_date__isnull", True)),
                        fields=["due_date"],
                        include=("account", "amount"),
                        name="order_unpaid_due",
                    ),
                ),
            ],
        ),
    ]
