"""How django-axes counts failed sign-ins: per account whatever the address, and per address
whatever the account, each with its own limit (settings AXES_FAILURE_LIMIT and
SIGN_IN_ADDRESS_FAILURE_LIMIT, within AXES_COOLOFF_TIME).

Axes keys its records by the text typed in the sign-in box; `account_key` turns that text into
the account it reaches, so "omar", "OMAR" and " Omar@Example.org " are one count.
"""

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest

from portal.auth import account_for

# Axes asks for the key several times per sign-in; the account is looked up once per request.
_MEMO = "_steward_account_keys"


def account_key(request: HttpRequest | None, credentials: dict[str, Any] | None) -> str:
    """AXES_USERNAME_CALLABLE: the account's username when what was typed reaches one, else what
    was typed, trimmed and in lower case, so that an unknown account is counted and locked exactly
    like a known one and the lock says nothing about which it was."""
    field = settings.AXES_USERNAME_FORM_FIELD
    typed = (credentials or {}).get(field)
    if typed is None and request is not None:
        typed = getattr(request, "POST", {}).get(field)
    typed = str(typed or "")
    memo = getattr(request, _MEMO, None) if request is not None else None
    if memo is not None and typed in memo:
        return memo[typed]
    user = account_for(typed)
    key = user.get_username() if user is not None else typed.strip().lower()
    if request is not None:
        if memo is None:
            memo = {}
            setattr(request, _MEMO, memo)
        memo[typed] = key
    return key


class AccountAndAddressHandler(AxesDatabaseHandler):
    """Axes compares one number with one limit (AXES_FAILURE_LIMIT, the account's); the address
    count is shifted so that it reaches that limit exactly when it reaches its own."""

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        # In the order of AXES_LOCKOUT_PARAMETERS: the account, then the address.
        per_account, per_address = (
            attempts.aggregate(failures=Sum("failures_since_start"))["failures"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        )
        shift = settings.AXES_FAILURE_LIMIT - settings.SIGN_IN_ADDRESS_FAILURE_LIMIT
        return max(per_account, per_address + shift)

    def reset_user_attempts(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        """A successful sign-in clears the account's failures only: signing in to one's own
        account must not wipe the address's count of tries on everyone else's."""
        username = get_client_username(request, credentials)
        return self.reset_attempts(username=username) if username else 0
