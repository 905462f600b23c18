"""Celery tasks of the outbox and the mailbox: thin wrappers around correspondence.services and .inbound.

Queues (CELERY_TASK_ROUTES): sending on "outbound", the mailbox on "slow". Past the soft time
limit the loops stop between e-mails; the hard limit kills the worker process a little later.
"""

from celery import shared_task
from django.conf import settings

from correspondence.inbound.imap import poll_mailbox
from correspondence.services.inbound import mail_refile_waiting
from correspondence.services.outbox import outbox_send, outbox_sweep


# Not acks_late: an e-mail handed to the SMTP server cannot be taken back, so a redelivered task
# message must not send it again. The claim in outbox_send makes a duplicate run harmless anyway,
# and a worker killed mid-send is covered by the sweep's reclaim.
@shared_task(name="correspondence.send_email", bind=True, max_retries=None, soft_time_limit=60, time_limit=90)
def send_email(self, email_id: int) -> str:
    result = outbox_send(email_id)
    if result.outcome == "retry" and self.request.retries < settings.OUTBOX_MAX_ATTEMPTS:
        raise self.retry(eta=result.retry_at)
    return result.outcome


# acks_late: the sweep is idempotent. It sends only e-mails still queued and due, each claimed
# by a conditional update, so a redelivered sweep finds the e-mails a killed worker was sending
# still claimed (retaken after OUTBOX_RECLAIM_MINUTES) and sends nothing twice.
@shared_task(
    name="correspondence.outbox_sweep", acks_late=True, reject_on_worker_lost=True, soft_time_limit=60, time_limit=90
)
def send_waiting_email() -> dict[str, int]:
    result = outbox_sweep()
    return {"reclaimed": result.reclaimed, "sent": result.sent, "retried": result.retried, "failed": result.failed}


# Not acks_late: beat queues a poll every minute, so a lost one costs a minute; redelivering the
# message of a worker that died on a message would only kill the next worker the same way.
@shared_task(name="correspondence.poll_mailbox", soft_time_limit=300, time_limit=360)
def poll_mailbox_task() -> dict[str, int]:
    """Every minute: file what was stored but never filed, then fetch the mailbox (when IMAP_HOST is set).
    An unreachable mailbox fails the run (logged); the next run tries again."""
    refiled = mail_refile_waiting()
    result = poll_mailbox()
    return {"refiled": refiled, "stored": result.stored, "duplicates": result.duplicates, "failed": result.failed}
