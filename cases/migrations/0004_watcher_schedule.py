"""Beat's schedule, stored in the database so operators can change it in the admin site:
every watcher and the flag e-mail digest, every minute."""

import json

from django.db import migrations

WATCHERS = {
    "stale_promises": "Stale promises",
    "unanswered_messages": "Unanswered customer messages",
    "silent_cases": "Silent cases",
    "job_cancellations": "Repeated cancellations and missing prerequisites",
    "incidents": "Damage reported on site",
    "stalled_claims": "Stalled insurance claims",
    "unconfirmed_resolutions": "Unconfirmed resolutions (reminder, then close)",
    "emerging_incidents": "Emerging incidents",
    "escalations": "Escalation of unacknowledged flags",
}
DIGEST = "Flag e-mail digest"
# A run queued while no worker was listening is dropped after this long: the next one comes anyway.
EXPIRE_SECONDS = 300


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    for name, title in WATCHERS.items():
        PeriodicTask.objects.get_or_create(
            name=f"Watcher: {title}",
            defaults={
                "task": "cases.run_watcher",
                "interval": every_minute,
                "args": json.dumps([name]),
                "expire_seconds": EXPIRE_SECONDS,
                "description": f"Runs the {name} watcher (cases/watchers).",
            },
        )
    PeriodicTask.objects.get_or_create(
        name=DIGEST,
        defaults={
            "task": "cases.send_flag_notifications",
            "interval": every_minute,
            "args": "[]",
            "expire_seconds": EXPIRE_SECONDS,
            "description": "E-mails each person their new flags as one digest.",
        },
    )
    # Tell a running beat that the schedule changed (what the admin's save does).
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[f"Watcher: {t}" for t in WATCHERS.values()] + [DIGEST]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_watcher_markers_and_notifications"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_schedule, remove_schedule)]
