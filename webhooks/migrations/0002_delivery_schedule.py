"""Beat's schedule for webhook deliveries: every minute, as every periodic task, changeable in the
admin site. Each transaction that writes deliveries also queues a run after its commit; this
periodic run sends retries when they fall due and whatever a lost message left waiting."""

from django.db import migrations

NAME = "Webhook deliveries"
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
            "task": "webhooks.deliver_due",
            "interval": every_minute,
            "args": "[]",
            "expire_seconds": EXPIRE_SECONDS,
            "description": "Sends the webhook deliveries that are due (webhooks/services/delivery.py).",
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
        ("webhooks", "0001_endpoints_and_deliveries"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
