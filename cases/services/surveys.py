"""After closure: a rating, and a request to talk that always reaches a person."""

from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from cases import policies
from cases.models import Case, Flag, Promise, Survey, TimelineDepartment, TimelineEvent
from cases.services.flags import flag_raise
from cases.services.guards import lock_case
from cases.services.routing import owner_for_new_case
from cases.services.timeline import person_name, record_event
from portal.errors import NotAllowed, RuleViolation

CONTACT_WITHIN = timedelta(days=2)


@transaction.atomic
def survey_submit(*, actor: User, case: Case, score: int, comment: str = "", wants_contact: bool = False) -> Survey:
    """Record the customer's rating; "I'd like to talk to someone" becomes a promise and a flag."""
    # Re-read under the lock: the status check must not trust the caller's copy, and two
    # submissions at once must meet the "already answered" message, not the unique index.
    case = lock_case(case)
    if not policies.is_customer_side(actor, case):
        raise NotAllowed("Only the customer or their delegate can answer the survey.")
    if case.status != Case.Status.CLOSED:
        raise RuleViolation("The survey opens once the case is closed.", field="case")
    if type(score) is not int or not 1 <= score <= 5:
        raise RuleViolation("Choose a score from 1 to 5.", field="score")
    if Survey.objects.filter(case=case).exists():
        raise RuleViolation("You have already answered the survey for this case, thank you.", field="case")
    survey = Survey.objects.create(
        case=case, score=score, comment=comment.strip(), wants_contact=wants_contact, submitted_by=actor
    )
    record_event(
        case=case,
        kind=TimelineEvent.Kind.SURVEY,
        department=TimelineDepartment.SUPPORT,
        actor=actor,
        summary=f"Survey: {score}/5" + (f" — {comment.strip()[:200]}" if comment.strip() else ""),
        customer_visible=True,
    )
    if wants_contact:
        # The closed case keeps its owner; if they have left, the customer's next owner takes it.
        contact = case.owner if case.owner.is_active else owner_for_new_case(case.customer)
        due = timezone.now() + CONTACT_WITHIN
        promise = Promise.objects.create(
            case=case,
            kind=Promise.Kind.CALLBACK,
            text=f"{person_name(contact)} will contact you about your services or contract",
            made_by=contact,
            made_by_label=person_name(contact),
            due_at=due,
        )
        record_event(
            case=case,
            kind=TimelineEvent.Kind.PROMISE_MADE,
            department=TimelineDepartment.SALES,
            actor=None,
            summary=f"{person_name(contact)} will contact you about your services or contract by "
            f"{timezone.localtime(due):%a %d %b %Y}.",
            customer_visible=True,
            subject_key=f"promise:{promise.pk}",
        )
        flag_raise(
            kind=Flag.Kind.CONTACT_REQUEST,
            subject_key=f"survey:{survey.pk}",
            summary=f"{case.customer.full_name} would like to talk about their services or contract",
            case=case,
            assignee=contact,
        )
    return survey
