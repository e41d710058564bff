"""Formerly created two indexes on the accounts app's tables by SQL (unpaid orders by due date,
interactions by time). They now belong to ``accounts.Order`` and ``accounts.Interaction``
(``accounts`` 0007, which renames the indexes this migration created on databases that applied it).
Kept, empty, so that migration histories stay consistent."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("segmentation", "0003_refresh_schedule"),
        ("accounts", "0001_initial"),
    ]

    operations = []
