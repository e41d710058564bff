"""Indexes the dashboard's live figures need on the accounts app's tables.

* unpaid orders by due date: the risk list's "overdue invoices" reads ~2 % of the orders instead of
  scanning all of them (1.5 s → milliseconds at 2.4M orders);
* interactions by time: the KPI table counts one month of visits, calls and meetings.

They belong with the models (accounts.Order / accounts.Interaction ``Meta.indexes``); they are created
here, idempotently, so the dashboard does not edit another app's models. Moving them there later only
needs a ``SeparateDatabaseAndState`` migration.
"""

from django.db import migrations

INDEXES = [
    (
        "segmentation_order_unpaid_due",
        "CREATE INDEX IF NOT EXISTS segmentation_order_unpaid_due ON accounts_order (due_date) "
        "INCLUDE (account_id, amount) WHERE paid_date IS NULL",
    ),
    (
        "segmentation_interaction_time",
        "CREATE INDEX IF NOT EXISTS segmentation_interaction_time ON accounts_interaction (occurred_at) "
        "INCLUDE (account_id, author_id, kind)",
    ),
]


class Migration(migrations.Migration):
    dependencies = [
        ("segmentation", "0003_refresh_schedule"),
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(create, f"DROP INDEX IF EXISTS {name}") for name, create in INDEXES
    ]
