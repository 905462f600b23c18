"""Beat runs the outbox sweep every minute: whatever the after-commit send did not deliver (broker down,
SMTP refusing, a worker killed mid-send) goes out from here."""

from django.db import migrations

NAME = "Outbox: send waiting e-mails"
EXPIRE_SECONDS = 300


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={
            "task": "correspondence.outbox_sweep",
            "interval": every_minute,
            "args": "[]",
            "expire_seconds": EXPIRE_SECONDS,
            "description": "Sends queued e-mails whose time has come and takes back claims of killed workers.",
        },
    )
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("correspondence", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
