"""Celery tasks of the outbox and the mailbox: thin wrappers around correspondence.services and .inbound."""

from celery import shared_task
from django.conf import settings

from correspondence.inbound.imap import poll_mailbox
from correspondence.services.inbound import mail_refile_waiting
from correspondence.services.outbox import outbox_send, outbox_sweep


# Not acks_late: an e-mail handed to the SMTP server cannot be taken back, so a redelivered task
# message must not send it again. The claim in outbox_send makes a duplicate run harmless anyway,
# and a worker killed mid-send is covered by the sweep's reclaim.
@shared_task(name="correspondence.send_email", bind=True, max_retries=None)
def send_email(self, email_id: int) -> str:
    result = outbox_send(email_id)
    if result.outcome == "retry" and self.request.retries < settings.OUTBOX_MAX_ATTEMPTS:
        raise self.retry(eta=result.retry_at)
    return result.outcome


@shared_task(name="correspondence.outbox_sweep")
def send_waiting_email() -> dict[str, int]:
    result = outbox_sweep()
    return {"reclaimed": result.reclaimed, "sent": result.sent, "retried": result.retried, "failed": result.failed}


@shared_task(name="correspondence.poll_mailbox")
def poll_mailbox_task() -> dict[str, int]:
    """Every minute: file what was stored but never filed, then fetch the mailbox (when IMAP_HOST is set).
    An unreachable mailbox fails the run (logged); the next run tries again."""
    refiled = mail_refile_waiting()
    result = poll_mailbox()
    return {"refiled": refiled, "stored": result.stored, "duplicates": result.duplicates, "failed": result.failed}
