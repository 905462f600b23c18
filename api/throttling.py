"""Per-user throttling: each account (or, signed out, each address) has its own budget."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView


class PerUserThrottle(SimpleRateThrottle):
    """Rates come from settings.API_THROTTLE_RATES, read per request rather than at import."""

    def __init__(self) -> None:
        # The rate depends on who asks; allow_request sets it.
        pass

    def allow_request(self, request: Request, view: APIView) -> bool:
        self.scope = "user" if request.user and request.user.is_authenticated else "anon"
        self.rate = settings.API_THROTTLE_RATES[self.scope]
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: APIView) -> str:
        ident = request.user.pk if self.scope == "user" else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
