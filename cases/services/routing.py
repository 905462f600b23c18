"""Who owns a case nobody has picked an owner for: never nobody (invariant 1).

1. The owner of the customer's latest case, while they are an active member of staff: the
   customer keeps the person who knows them.
2. Else the least-loaded eligible member of the department an operator chose for the purpose
   (people.Routing, in the admin site): its agents by default; its team managers and its head
   only when the operator ticks them. Heads of departments are otherwise never picked.
3. Else — no routing set for the purpose, or nobody eligible and active in its department —
   the least-loaded active agent of any department who heads none, then any active member of
   staff, so the case still has an owner; a warning in the log tells operators to fix it.

"Load" is how many cases a person owns that are not closed; ties go to the earliest account.
"""

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import Count, Q, QuerySet

from cases.models import Case
from people.models import Customer, Department, Routing, StaffProfile

if TYPE_CHECKING:
    from typing import TypedDict

    class _HeadRow(TypedDict):
        head: int


logger = logging.getLogger(__name__)

Purpose = Routing.Purpose


def owner_for_new_case(*, customer: Customer, purpose: str) -> User:
    """The owner of a case Steward opens for `customer` for `purpose` (a Routing.Purpose)."""
    latest = (
        Case.objects.filter(customer=customer, owner__is_active=True, owner__staff_profile__isnull=False)
        .select_related("owner")
        .order_by("-created_at")
        .first()
    )
    if latest is not None:
        return latest.owner
    routing = Routing.objects.select_related("department").filter(purpose=purpose).first()
    if routing is not None:
        candidate = _least_loaded(eligible_staff(routing=routing))
        if candidate is not None:
            return candidate
        logger.warning(
            "Nobody active may own new cases for %s in %s: falling back to any agent. Check the routing "
            "of new cases in the admin site.",
            purpose,
            routing.department,
        )
    else:
        logger.warning("No routing set for %s: falling back to any agent. Set it in the admin site.", purpose)
    return _fallback_owner()


def sales_receiver(*, besides: User) -> User | None:
    """The sales advisor who takes a customer asking to talk about their services: the
    least-loaded active agent of the sales department (settings.SALES_DEPARTMENT_CODE), never its
    head, never `besides` (the person handing it over). None when the department has nobody.

    Not a people.Routing purpose: the receiver is always a sales agent, which the department's
    code names; an operator has nothing to choose."""
    agents = User.objects.filter(
        is_active=True,
        staff_profile__department__code=settings.SALES_DEPARTMENT_CODE,
        staff_profile__role=StaffProfile.Role.AGENT,
    ).exclude(pk__in=_heads())
    return _least_loaded(agents.exclude(pk=besides.pk))


def eligible_staff(*, routing: Routing) -> QuerySet[User]:
    """The active members of staff who may own cases routed by `routing`."""
    roles = [
        role
        for role, ticked in ((StaffProfile.Role.AGENT, routing.agents), (StaffProfile.Role.MANAGER, routing.managers))
        if ticked
    ]
    members = Q(staff_profile__department=routing.department_id, staff_profile__role__in=roles) & ~Q(pk__in=_heads())
    if routing.head and routing.department.head_id is not None:
        members |= Q(pk=routing.department.head_id)
    return User.objects.filter(members, is_active=True, staff_profile__isnull=False)


def _heads() -> "QuerySet[Department, _HeadRow]":
    return Department.objects.filter(head__isnull=False).values("head")


def _least_loaded(staff: QuerySet[User]) -> User | None:
    return (
        staff.annotate(load=Count("owned_cases", filter=~Q(owned_cases__status=Case.Status.CLOSED)))
        .order_by("load", "pk")
        .first()
    )


def _fallback_owner() -> User:
    staff = User.objects.filter(is_active=True, staff_profile__isnull=False)
    candidate = _least_loaded(
        staff.filter(staff_profile__role=StaffProfile.Role.AGENT).exclude(pk__in=_heads())
    ) or _least_loaded(staff)
    if candidate is None:
        raise RuntimeError("No active member of staff exists to own new cases")
    return candidate
