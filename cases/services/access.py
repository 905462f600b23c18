"""Per-object grants that are not structural: delegates and specialists (django-guardian)."""

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from guardian.shortcuts import assign_perm, remove_perm

from cases import policies
from cases.models import Case, TimelineDepartment, TimelineEvent
from cases.services.guards import require_active_staff, require_can_work, require_text
from cases.services.timeline import person_name, record_event
from people.models import Customer, Delegate
from portal.errors import NotAllowed, RuleViolation

Kind = TimelineEvent.Kind


@transaction.atomic
def delegate_grant(
    *,
    actor: User,
    customer: Customer,
    user: User,
    relationship: str,
    cases: Iterable[Case] | None = None,
) -> Delegate:
    """Let `user` see and act on the customer's cases: all of them, or only `cases`."""
    relationship = require_text(relationship, field="relationship", what="how they are related", max_length=100)
    if not policies.can_grant_delegate(actor, customer):
        raise NotAllowed("Only the customer or staff can authorise a delegate.")
    if user.pk == customer.user_id:
        raise RuleViolation("The customer already sees their own cases.", field="user")
    if hasattr(user, "staff_profile") or hasattr(user, "contractor_profile"):
        raise RuleViolation("Staff and contractor accounts cannot be delegates.", field="user")
    if not user.is_active:
        raise RuleViolation("That account is not active.", field="user")
    chosen = list(cases) if cases is not None else None
    if chosen is not None:
        if not chosen:
            raise RuleViolation("Choose at least one case.", field="cases")
        if any(case.customer_id != customer.pk for case in chosen):
            raise RuleViolation("Every chosen case must be one of this customer's.", field="cases")
    if Delegate.objects.filter(user=user, customer=customer, revoked_at__isnull=True).exists():
        raise RuleViolation(f"{person_name(user)} is already a delegate of {customer.full_name}.", field="user")
    delegate = Delegate.objects.create(
        user=user, customer=customer, relationship=relationship, all_cases=chosen is None, authorised_by=actor
    )
    targets = chosen if chosen is not None else list(customer.cases.all())
    if chosen is None:
        assign_perm(f"people.{policies.DELEGATE_PERM}", user, customer)
    else:
        for case in chosen:
            assign_perm(f"cases.{policies.DELEGATE_PERM}", user, case)
    for case in targets:
        record_event(
            case=case,
            kind=Kind.ACCESS,
            department=TimelineDepartment.SUPPORT,
            actor=actor,
            summary=f"{person_name(user)} ({relationship}) may now see and act on this case.",
            customer_visible=True,
        )
    return delegate


@transaction.atomic
def delegate_revoke(*, actor: User, delegate: Delegate) -> Delegate:
    if not policies.can_grant_delegate(actor, delegate.customer):
        raise NotAllowed("Only the customer or staff can remove a delegate.")
    if delegate.revoked_at is not None:
        return delegate
    delegate.revoked_at = timezone.now()
    delegate.save(update_fields=["revoked_at"])
    if delegate.all_cases:
        granted = list(delegate.customer.cases.all())
    else:
        granted = list(policies.cases_delegated_to(delegate.user, delegate.customer))
    remove_perm(f"people.{policies.DELEGATE_PERM}", delegate.user, delegate.customer)
    for case in granted:
        remove_perm(f"cases.{policies.DELEGATE_PERM}", delegate.user, case)
        record_event(
            case=case,
            kind=Kind.ACCESS,
            department=TimelineDepartment.SUPPORT,
            actor=actor,
            summary=f"{person_name(delegate.user)} may no longer see this case.",
            customer_visible=True,
        )
    return delegate


@transaction.atomic
def specialist_add(*, actor: User, case: Case, user: User) -> Case:
    """Add a colleague to help on one case without giving them ownership."""
    require_can_work(actor, case)
    require_active_staff(user, field="user")
    if user.pk == case.owner_id:
        raise RuleViolation("The owner already works on the case.", field="user")
    assign_perm(f"cases.{policies.SPECIALIST_PERM}", user, case)
    record_event(
        case=case,
        kind=Kind.ACCESS,
        department=TimelineDepartment.SUPPORT,
        actor=actor,
        summary=f"{person_name(user)} added as a specialist on the case.",
    )
    return case


@transaction.atomic
def specialist_remove(*, actor: User, case: Case, user: User) -> Case:
    require_can_work(actor, case)
    remove_perm(f"cases.{policies.SPECIALIST_PERM}", user, case)
    record_event(
        case=case,
        kind=Kind.ACCESS,
        department=TimelineDepartment.SUPPORT,
        actor=actor,
        summary=f"{person_name(user)} is no longer a specialist on the case.",
    )
    return case
