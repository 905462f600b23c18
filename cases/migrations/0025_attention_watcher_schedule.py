"""Beat's periodic task for the attention watcher (cases/watchers/attention.py), every minute,
like migration 0004's."""

import json

from django.db import migrations

NAME = "Watcher: Promises falling due on the worklist"
# A run queued while no worker was listening is dropped after this long: the next one comes anyway.
EXPIRE_SECONDS = 300


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={
            "task": "cases.run_watcher",
            "interval": every_minute,
            "args": json.dumps(["attention_due"]),
            "expire_seconds": EXPIRE_SECONDS,
            "description": "Runs the attention_due watcher (cases/watchers).",
        },
    )
    # Tell a running beat that the schedule changed (what the admin's save does).
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0024_case_attention_backfill"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
