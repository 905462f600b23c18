"""Beat's periodic task applying the retention periods (cases.services.retention), every hour."""

from django.db import migrations

NAME = "Privacy: apply the retention periods"
EXPIRE_SECONDS = 3000


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    every_hour, _ = IntervalSchedule.objects.get_or_create(every=1, period="hours")
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={
            "task": "cases.apply_retention",
            "interval": every_hour,
            "expire_seconds": EXPIRE_SECONDS,
            "description": "Drops personal data older than the RETENTION_* settings (docs/privacy.md).",
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
        ("cases", "0019_privacy_timeline_event"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
