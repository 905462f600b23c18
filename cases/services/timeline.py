"""Writing timeline events and naming who acted, so every service records the same way."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from cases.models import Case, TimelineEvent
from people.models import Customer

SYSTEM_LABEL = "Steward"


def person_name(user: AbstractBaseUser) -> str:
    return user.get_full_name() or user.get_username()


def actor_label(user: AbstractBaseUser | None, *, case: Case | None = None) -> str:
    """How an actor is shown on the timeline: with department, company, or on whose behalf."""
    if user is None:
        return SYSTEM_LABEL
    name = person_name(user)
    profile = getattr(user, "staff_profile", None)
    if profile is not None:
        return f"{name} ({profile.department.name})"
    contractor = getattr(user, "contractor_profile", None)
    if contractor is not None:
        return f"{name} ({contractor.company.name})"
    if case is not None:
        customer: Customer = case.customer
        if customer.user_id == user.pk:
            return customer.full_name
        return f"{name}, on behalf of {customer.full_name}"
    return name


def record_event(
    *,
    case: Case,
    kind: str,
    department: str,
    actor: AbstractBaseUser | None,
    summary: str,
    label: str | None = None,
    customer_visible: bool = False,
    subject_key: str = "",
    data: dict[str, Any] | None = None,
) -> TimelineEvent:
    """Append one event; callers are inside the transaction of the change it records."""
    return TimelineEvent.objects.create(
        case=case,
        kind=kind,
        department=department,
        actor=actor,
        actor_label=(label or actor_label(actor, case=case))[:250],
        summary=summary[:500],
        customer_visible=customer_visible,
        subject_key=subject_key,
        data=data or {},
    )
