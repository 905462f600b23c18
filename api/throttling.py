"""Per-user throttling: each account (or, signed out, each address) has its own budget."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from portal.cache_safety import CACHE_UNREACHABLE, log_cache_unreachable

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

logger = logging.getLogger(__name__)


class PerUserThrottle(SimpleRateThrottle):
    """Rates come from settings.API_THROTTLE_RATES, read per request rather than at import.

    The request history lives in the cache; when the cache cannot be reached the request is allowed
    (fail open): a message a mail gateway delivers must be filed even while Redis is down."""

    def __init__(self) -> None:
        # The rate depends on who asks; allow_request sets it.
        pass

    def allow_request(self, request: Request, view: APIView) -> bool:
        self.scope = "user" if request.user and request.user.is_authenticated else "anon"
        self.rate = settings.API_THROTTLE_RATES[self.scope]
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            return super().allow_request(request, view)
        except CACHE_UNREACHABLE:
            log_cache_unreachable(logger, f"API throttle, {self.scope} {request.method} {request.path}")
            return True

    def get_cache_key(self, request: Request, view: APIView) -> str:
        ident = request.user.pk if self.scope == "user" else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
