"""Who may call what: every answer comes from cases.policies.

404 for a record the user may not see (the same answer as for one that does not exist),
403 for a record they may see but not change, 403 for a request that is not signed in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound
from rest_framework.permissions import BasePermission

from cases.policies import is_staff_side
from cases.services.inbound import INBOUND_PERMISSION

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

Policy = Callable[[Any, Any], bool]


class AsksPolicy(BasePermission):
    """The view's `action_policies` names, per action, the function of cases.policies that
    decides whether the user may do it to the record (a visible one: the queryset answers 404)."""

    message = _("You may see this record but not do this to it.")

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        policy: Policy | None = getattr(view, "action_policies", {}).get(getattr(view, "action", None))
        return policy is None or policy(request.user, obj)


class StaffOnly(BasePermission):
    """Like the staff pages: signed-in people outside staff get a 404, as for a page that does not exist."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not request.user or not request.user.is_authenticated:
            return False
        if not is_staff_side(request.user):
            raise NotFound()
        return True


class DeliversInbound(BasePermission):
    """An integration account (a mail gateway, a phone system) holding the cases.deliver_inbound permission."""

    message = _("This account may not deliver inbound messages.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.has_perm(INBOUND_PERMISSION))
