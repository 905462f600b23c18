"""Registering endpoints (the admin site's form calls these)."""

from django.db import transaction
from django.utils.translation import gettext as _

from portal.errors import RuleViolation
from webhooks import addresses
from webhooks.models import Endpoint, EventKind, new_secret


def endpoint_check(*, url: str, event_kinds: list[str]) -> None:
    """RuleViolation unless Steward may post to `url` (webhooks.addresses) and every kind exists."""
    unknown = set(event_kinds) - set(EventKind.values)
    if unknown:
        raise RuleViolation(
            _("Unknown events: %(kinds)s.") % {"kinds": ", ".join(sorted(unknown))}, field="event_kinds"
        )
    try:
        addresses.check_url(url)
    except addresses.RefusedAddress as refused:
        raise RuleViolation(str(refused), field="url") from refused


def _require_valid(endpoint: Endpoint) -> None:
    endpoint_check(url=endpoint.url, event_kinds=list(endpoint.event_kinds or ()))


@transaction.atomic
def endpoint_save(*, endpoint: Endpoint) -> Endpoint:
    """Create or change an endpoint. Turning it back on clears what Steward recorded when it
    turned it off, so its count of failures starts again."""
    _require_valid(endpoint)
    if endpoint.active:
        endpoint.disabled_at = None
        endpoint.consecutive_failures = 0
    endpoint.save()
    return endpoint


@transaction.atomic
def endpoint_rotate_secret(*, endpoint: Endpoint) -> Endpoint:
    """A new secret; the old one stops working at once (deliveries still waiting are signed with the new one)."""
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "updated_at"])
    return endpoint
