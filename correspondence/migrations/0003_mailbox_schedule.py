"""Beat runs the mailbox poller every minute: it files what was stored but never filed, then fetches the
unseen messages of the IMAP mailbox (nothing to fetch while IMAP_HOST is blank)."""

from django.db import migrations

NAME = "Mailbox: fetch incoming e-mail"
# A run queued while no worker was listening is dropped after this long: the next one comes anyway.
EXPIRE_SECONDS = 120


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={
            "task": "correspondence.poll_mailbox",
            "interval": every_minute,
            "args": "[]",
            "expire_seconds": EXPIRE_SECONDS,
            "description": "Files stored e-mail left unfiled, then reads the unseen messages of the IMAP mailbox.",
        },
    )
    # Tell a running beat that the schedule changed (what the admin's save does).
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("correspondence", "0002_outbox_schedule"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
