"""An alert remembers the telling it queued until a run finishes it, and beat sweeps every minute
for tellings whose task was lost (cases.tell_pending_alerts)."""

from django.db import migrations, models

NAME = "Outages: tell customers what a lost task did not"
EXPIRE_SECONDS = 300


def create_schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    every_minute, _ = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={
            "task": "cases.tell_pending_alerts",
            "interval": every_minute,
            "args": "[]",
            "expire_seconds": EXPIRE_SECONDS,
            "description": "Runs the service-alert tellings still pending five minutes after they were queued.",
        },
    )
    # Tell a running beat that the schedule changed (what the admin's save does).
    from django.utils import timezone

    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0021_survey_follow_up_flag_and_alert_revision"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.AddField(
            model_name="servicealert",
            name="telling_pending",
            field=models.CharField(blank=True, editable=False, max_length=10, verbose_name="telling pending"),
        ),
        migrations.AddField(
            model_name="servicealert",
            name="telling_queued_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="telling queued at"),
        ),
        migrations.RunPython(create_schedule, remove_schedule),
    ]
