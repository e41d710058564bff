"""Refresh the dashboard's aggregate tables at 02:30 on the 1st (after the 02:00 monthly re-grade) and
every night at 03:00 (new orders), Asia/Shanghai; editable in the admin (django-celery-beat)."""

import json

from django.db import migrations

SCHEDULES = [
    ("Dashboard aggregates after the monthly re-grade", ("30", "2", "1")),
    ("Dashboard aggregates, nightly", ("0", "3", "*")),
]
TASK = "segmentation.tasks.dashboard_cube_refresh"


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, (minute, hour, day_of_month) in SCHEDULES:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year="*",
            day_of_week="*",
            timezone="Asia/Shanghai",
        )
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": TASK, "crontab": crontab, "args": json.dumps([]), "kwargs": json.dumps({})}
        )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _cron in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("segmentation", "0002_aggregates"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
