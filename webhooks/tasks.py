"""Celery task: thin wrapper over webhooks.services.delivery.

Beat runs it every minute (migration 0002); each transaction that writes deliveries also queues
one run after its commit, so a receiver hears of a change within seconds.
"""

from celery import shared_task

from webhooks.services.delivery import deliveries_send_due


# Not acks_late: posting is not idempotent. A killed worker's rows are taken again when their
# lease ends, and receivers drop a repeat by its Steward-Delivery id.
@shared_task(name="webhooks.deliver_due", soft_time_limit=120, time_limit=150)
def deliver_due() -> dict[str, int]:
    return deliveries_send_due().as_dict()
