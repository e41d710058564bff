"""The monthly re-grade (1st of the month, 02:00 Asia/Shanghai) and the daily override expiry, as
django-celery-beat entries an admin can edit."""

import json

from django.db import migrations

SCHEDULES = [
    # name, task, crontab (minute, hour, day of month)
    ("Monthly re-grade of all accounts", "scoring.tasks.regrade_scheduled", ("0", "2", "1")),
    ("Expire grade overrides", "scoring.tasks.expire_grade_overrides", ("5", "0", "*")),
]


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, (minute, hour, day_of_month) in SCHEDULES:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year="*",
            day_of_week="*",
            timezone="Asia/Shanghai",
        )
        PeriodicTask.objects.get_or_create(
            name=name, defaults={"task": task, "crontab": crontab, "args": json.dumps([]), "kwargs": json.dumps({})}
        )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _task, _cron in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("scoring", "0002_presets"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
