from django.db.models import QuerySet

from webhooks.models import Delivery, Endpoint

RECENT_DELIVERIES = 20


def recent_deliveries(endpoint: Endpoint, *, limit: int = RECENT_DELIVERIES) -> QuerySet[Delivery]:
    return endpoint.deliveries.order_by("-created_at")[:limit]
