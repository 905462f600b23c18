"""Per-object grants that are not structural: delegates and specialists (django-guardian)."""

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from guardian.shortcuts import assign_perm, remove_perm

from cases import policies
from cases.models import Case, TimelineDepartment, TimelineEvent
from cases.services.guards import require_active_staff, require_can_work, require_text
from cases.services.timeline import Sentence, person_name, record_event
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
    relationship = require_text(relationship, field="relationship", what=_("how they are related"), max_length=100)
    if not policies.can_grant_delegate(actor, customer):
        raise NotAllowed(_("Only the customer or staff can authorise a delegate."))
    if user.pk == customer.user_id:
        raise RuleViolation(_("The customer already sees their own cases."), field="user")
    if hasattr(user, "staff_profile") or hasattr(user, "contractor_profile"):
        raise RuleViolation(_("Staff and contractor accounts cannot be delegates."), field="user")
    if not user.is_active:
        raise RuleViolation(_("That account is not active."), field="user")
    chosen = list(cases) if cases is not None else None
    if chosen is not None:
        if not chosen:
            raise RuleViolation(_("Choose at least one case."), field="cases")
        if any(case.customer_id != customer.pk for case in chosen):
            raise RuleViolation(_("Every chosen case must be one of this customer's."), field="cases")
    if Delegate.objects.filter(user=user, customer=customer, revoked_at__isnull=True).exists():
        raise RuleViolation(
            _("%(name)s is already a delegate of %(customer)s.")
            % {"name": person_name(user), "customer": customer.full_name},
            field="user",
        )
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
            summary=Sentence(
                gettext_noop("%(name)s (%(relationship)s) may now see and act on this case."),
                {"name": person_name(user), "relationship": relationship},
            ),
            customer_visible=True,
        )
    return delegate


@transaction.atomic
def delegate_revoke(*, actor: User, delegate: Delegate) -> Delegate:
    if not policies.can_grant_delegate(actor, delegate.customer):
        raise NotAllowed(_("Only the customer or staff can remove a delegate."))
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
            summary=Sentence(
                gettext_noop("%(name)s may no longer see this case."), {"name": person_name(delegate.user)}
            ),
            customer_visible=True,
        )
    return delegate


@transaction.atomic
def specialist_add(*, actor: User, case: Case, user: User) -> Case:
    """Add a colleague to help on one case without giving them ownership."""
    require_can_work(actor, case)
    require_active_staff(user, field="user")
    if user.pk == case.owner_id:
        raise RuleViolation(_("The owner already works on the case."), field="user")
    assign_perm(f"cases.{policies.SPECIALIST_PERM}", user, case)
    record_event(
        case=case,
        kind=Kind.ACCESS,
        department=TimelineDepartment.SUPPORT,
        actor=actor,
        summary=Sentence(gettext_noop("%(name)s added as a specialist on the case."), {"name": person_name(user)}),
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
        summary=Sentence(gettext_noop("%(name)s is no longer a specialist on the case."), {"name": person_name(user)}),
    )
    return case


@transaction.atomic
def delegate_copies_set(*, actor: User, customer: Customer, wants: bool) -> Delegate:
    """A delegate asks for (or stops) a copy by e-mail of what Steward tells the customer."""
    grant = (
        Delegate.objects.select_for_update()
        .filter(user=actor, customer=customer, revoked_at__isnull=True)
        .select_related("customer")
        .first()
    )
    if grant is None or not actor.is_active:
        raise NotAllowed(_("Only someone the customer trusts to act for them can ask for copies."))
    if wants and not actor.email:
        raise RuleViolation(_("Add your e-mail address to your account first, so the copies can reach you."))
    if grant.wants_copies == wants:
        return grant
    grant.wants_copies = wants
    grant.save(update_fields=["wants_copies"])
    if wants:
        text = gettext_noop("%(name)s asked for a copy by e-mail of what we tell %(customer)s.")
    else:
        text = gettext_noop("%(name)s no longer receives copies by e-mail of what we tell %(customer)s.")
    cases = customer.cases.exclude(status=Case.Status.CLOSED)
    for case in cases if grant.all_cases else policies.cases_delegated_to(actor, customer).exclude(status="closed"):
        record_event(
            case=case,
            kind=Kind.ACCESS,
            department=TimelineDepartment.SUPPORT,
            actor=actor,
            summary=Sentence(text, {"name": person_name(actor), "customer": customer.full_name}),
            customer_visible=True,
        )
    return grant
