"""Handoff: the only way a case changes owner (invariant 2)."""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases import deadlines, policies
from cases.models import Case, Flag, Handoff, TimelineDepartment, TimelineEvent
from cases.services.flags import NON_ESCALATING_KINDS, flags_clear, person_at_level
from cases.services.guards import lock_active_staff, lock_case, require_open, require_text
from cases.services.help import HANDED_TO_THEM, help_requests_clear
from cases.services.timeline import Sentence, person_name, record_event
from portal.errors import Conflict, NotAllowed, RuleViolation

Kind = TimelineEvent.Kind


@transaction.atomic
def case_handoff(
    *,
    actor: User,
    case: Case,
    to_user: User,
    reason: str,
    summary: str,
    expected_owner: User | None = None,
) -> Handoff:
    """Give the case to `to_user` with a written summary; the customer is told the new name.

    `expected_owner` is the owner the actor saw on screen: if the case changed hands since,
    the handoff is refused with a Conflict rather than silently overriding someone else's.
    """
    reason = require_text(reason, field="reason", what=_("why you are handing the case off"), max_length=200)
    summary = require_text(summary, field="summary", what=_("a summary the next owner will read first"))
    case = lock_case(case)
    # Locked after the case, the order every path that gives a case an owner follows.
    to_user = lock_active_staff(to_user, field="to_user")
    if expected_owner is not None and case.owner_id != expected_owner.pk:
        raise Conflict(
            _("Case %(reference)s was just handed to %(name)s; reload it before handing it off.")
            % {"reference": case.reference, "name": person_name(case.owner)},
            field="to_user",
        )
    if not policies.can_handoff(actor, case):
        raise NotAllowed(_("Only the owner, their manager or the head of their department can hand this case off."))
    require_open(case)
    if to_user.pk == case.owner_id:
        raise RuleViolation(_("%(name)s already owns this case.") % {"name": person_name(to_user)}, field="to_user")
    previous = case.owner
    now = timezone.now()
    _supersede_earlier_handoffs(case, actor)
    handoff = Handoff.objects.create(
        case=case,
        from_user=previous,
        to_user=to_user,
        reason=reason,
        summary=summary,
        created_by=actor,
        acknowledge_due_at=deadlines.handoff_acknowledgement_due(to_user, now),
    )
    case.owner = to_user
    case.last_activity_at = now
    case.save(update_fields=["owner", "last_activity_at", "updated_at"])
    # Open flags follow the case: to the new owner, or up the new owner's ladder. A help request
    # stays with the colleague asked, unless they are the one taking the case.
    for level in (1, 2, 3):
        case.flags.filter(cleared_at__isnull=True, level=level).exclude(kind__in=NON_ESCALATING_KINDS).update(
            assignee=person_at_level(case, level)
        )
    help_requests_clear(case=case, colleague=to_user, why=HANDED_TO_THEM, actor=actor)
    department = to_user.staff_profile.department.name
    record_event(
        case=case,
        kind=Kind.HANDOFF,
        department=TimelineDepartment.SUPPORT,
        actor=actor,
        summary=Sentence(
            gettext_noop("Handed off from %(from)s to %(to)s (%(department)s): %(reason)s"),
            {"from": person_name(previous), "to": person_name(to_user), "department": department, "reason": reason},
        ),
        subject_key=f"handoff:{handoff.pk}",
        data={"from_user_id": previous.pk, "to_user_id": to_user.pk},
    )
    record_event(
        case=case,
        kind=Kind.HANDOFF,
        department=TimelineDepartment.SUPPORT,
        actor=actor,
        summary=Sentence(
            gettext_noop("%(name)s (%(department)s) now looks after your case."),
            {"name": person_name(to_user), "department": department},
        ),
        customer_visible=True,
        subject_key=f"handoff:{handoff.pk}",
    )
    _tell_new_owner(case, handoff, actor)
    return handoff


def handoff_subject(handoff_pk: int) -> str:
    """The subject of a handoff's events and of its "not acknowledged" flag."""
    return f"handoff:{handoff_pk}"


def _supersede_earlier_handoffs(case: Case, actor: User) -> None:
    """An earlier handoff still unacknowledged no longer needs it once the case moves on: the watcher
    stops waiting for it and its flag clears (the new receiver gets a handoff of their own)."""
    Handoff.objects.filter(case=case, acknowledged_at__isnull=True, acknowledge_due_at__isnull=False).update(
        acknowledge_due_at=None
    )
    open_subjects = case.flags.filter(kind=Flag.Kind.HANDOFF_UNACKNOWLEDGED, cleared_at__isnull=True).values_list(
        "subject_key", flat=True
    )
    for subject_key in list(open_subjects):
        flags_clear(
            kind=Flag.Kind.HANDOFF_UNACKNOWLEDGED,
            subject_key=subject_key,
            # Translators: why a flag was cleared, shown as "Flag cleared (handed on again): <the flag>".
            note=Sentence(gettext_noop("handed on again")),
            actor=actor,
        )


def _tell_new_owner(case: Case, handoff: Handoff, actor: User) -> None:
    """The customer is told the new owner's name, in the way they prefer (invariant 2's promise)."""
    from correspondence.services.tell import customer_tell

    profile = handoff.to_user.staff_profile
    customer_tell(
        case=case,
        topic="new_owner",
        context={
            "owner_name": person_name(handoff.to_user),
            "owner_department": profile.department.name,
            "owner_phone": profile.phone,
        },
        subject_key=f"handoff:{handoff.pk}",
        actor=actor,
    )


@transaction.atomic
def handoff_acknowledge(*, actor: User, handoff: Handoff) -> Handoff:
    """The receiver confirms they have read the summary and taken the case."""
    # Re-read under a lock: the caller's copy may predate a later handoff or a concurrent acknowledgement.
    handoff = Handoff.objects.select_for_update(of=("self",)).select_related("case").get(pk=handoff.pk)
    if handoff.to_user_id != actor.pk:
        raise NotAllowed(_("Only the person who received the case can acknowledge the handoff."))
    if handoff.acknowledged_at is not None:
        return handoff
    if handoff.case.owner_id != actor.pk:
        raise Conflict(_("The case has been handed on again since; this handoff no longer needs acknowledging."))
    Handoff.objects.filter(pk=handoff.pk, acknowledged_at__isnull=True).update(acknowledged_at=timezone.now())
    handoff.refresh_from_db()
    flags_clear(
        kind=Flag.Kind.HANDOFF_UNACKNOWLEDGED,
        subject_key=handoff_subject(handoff.pk),
        # Translators: why a flag was cleared, shown as "Flag cleared (handoff acknowledged): <the flag>".
        note=Sentence(gettext_noop("handoff acknowledged")),
        actor=actor,
    )
    record_event(
        case=handoff.case,
        kind=Kind.HANDOFF_ACKNOWLEDGED,
        department=TimelineDepartment.SUPPORT,
        actor=actor,
        summary=Sentence(
            gettext_noop("%(name)s read the handoff summary and took the case."), {"name": person_name(actor)}
        ),
        subject_key=f"handoff:{handoff.pk}",
    )
    return handoff
