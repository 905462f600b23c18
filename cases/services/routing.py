"""Who owns a case nobody has picked yet: never nobody (invariant 1)."""

from django.contrib.auth.models import User
from django.db.models import Count, Q

from cases.models import Case
from people.models import Customer

TRIAGE_DEPARTMENT = "customer-relations"


def owner_for_new_case(customer: Customer) -> User:
    """The owner of the customer's latest case if still active, else the least-loaded active
    agent of customer relations (falling back to any active member of staff)."""
    latest = (
        Case.objects.filter(customer=customer, owner__is_active=True, owner__staff_profile__isnull=False)
        .select_related("owner")
        .order_by("-created_at")
        .first()
    )
    if latest is not None:
        return latest.owner
    staff = User.objects.filter(is_active=True, staff_profile__isnull=False).annotate(
        load=Count("owned_cases", filter=~Q(owned_cases__status=Case.Status.CLOSED))
    )
    candidate = (
        staff.filter(staff_profile__department__code=TRIAGE_DEPARTMENT).order_by("load", "pk").first()
        or staff.order_by("load", "pk").first()
    )
    if candidate is None:
        raise RuntimeError("No active member of staff exists to own new cases")
    return candidate
