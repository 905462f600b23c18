"""Celery tasks: thin wrappers that call the watchers and the digest sender.

Beat's schedule lives in the database (django-celery-beat); migration 0004 creates one
periodic task per watcher and one for the digest, every minute, which operators can change
in the admin site (migration 0017 adds the handoff watcher). Exactly one beat should run; a
second one started by mistake only sends each task twice, and the watchers are idempotent, so
nothing is raised or escalated twice. Each finished run records a heartbeat, which the managers'
staleness banner and /health/watchers/ read.

Queues (CELERY_TASK_ROUTES): the watchers on "watchers", the digest on "outbound", retention on
"slow". The soft time limit raises SoftTimeLimitExceeded inside the task, which the batch loops
catch between batches (the batch under way rolls back, the next run redoes it); the hard limit
kills the worker process a little later if it did not stop.
"""

from celery import shared_task
from django.contrib.auth.models import User

from cases import watchers
from cases.notifications import notifications_send_digests
from cases.services.alerts import alert_tell, alerts_tell_pending
from cases.services.retention import retention_apply
from cases.watchers.liveness import record_completed_run


# acks_late: a worker killed mid-scan leaves the message on the broker (with
# reject_on_worker_lost) and the next worker redoes the scan; safe because a scan only acts on
# rows still due and every action is a conditional update.
# The heartbeat is written only after the run finished: a run that raised leaves it to go stale.
# A run cut short by the soft limit did finish its committed batches; the rest waits a minute.
@shared_task(name="cases.run_watcher", acks_late=True, reject_on_worker_lost=True, soft_time_limit=240, time_limit=300)
def run_watcher(name: str) -> dict[str, int | str]:
    result = watchers.run_watcher(name).as_dict()
    record_completed_run(name)
    return result


# Not acks_late: sending e-mail is not idempotent. A killed sender loses nothing either: the
# rows it claimed are retaken after NOTIFICATION_EMAIL_RETRY_MINUTES by the periodic run.
@shared_task(name="cases.send_flag_notifications", soft_time_limit=60, time_limit=90)
def send_flag_notifications() -> int:
    return notifications_send_digests()


# Every step only acts on rows still due, so a retried or doubled run does nothing twice.
# Up to RETENTION_MAX_BATCHES_PER_RUN batches per step; the soft limit stops it between batches.
@shared_task(
    name="cases.apply_retention", acks_late=True, reject_on_worker_lost=True, soft_time_limit=1800, time_limit=1900
)
def apply_retention() -> dict[str, int]:
    return retention_apply()


# acks_late and idempotent: each run tells only the customers not yet told this telling, so a
# worker lost mid-run leaves the rest to the redelivered message.
@shared_task(name="cases.tell_alert", acks_late=True, soft_time_limit=900, time_limit=960)
def tell_alert(*, alert_id: int, telling: str, revision: int, actor_id: int | None = None) -> int:
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    return alert_tell(alert_id=alert_id, telling=telling, revision=revision, actor=actor)


# Idempotent like tell_alert: it runs only tellings still pending, each telling only those not yet told.
@shared_task(name="cases.tell_pending_alerts", acks_late=True, soft_time_limit=900, time_limit=960)
def tell_pending_alerts() -> int:
    return alerts_tell_pending()
