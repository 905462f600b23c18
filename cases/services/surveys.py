"""After closure: a rating, and a request to talk that always reaches a person."""

from datetime import timedelta

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases import policies
from cases.models import Case, Flag, Promise, Survey, TimelineDepartment, TimelineEvent
from cases.services.flags import flag_raise
from cases.services.guards import lock_case
from cases.services.routing import Purpose, owner_for_new_case
from cases.services.timeline import WEEKDAY_FORMAT, Sentence, moment, person_name, record_event
from portal.errors import NotAllowed, RuleViolation

CONTACT_WITHIN = timedelta(days=2)


@transaction.atomic
def survey_submit(*, actor: User, case: Case, score: int, comment: str = "", wants_contact: bool = False) -> Survey:
    """Record the customer's rating; "I'd like to talk to someone" becomes a promise and a flag."""
    # Re-read under the lock: the status check must not trust the caller's copy, and two
    # submissions at once must meet the "already answered" message, not the unique index.
    case = lock_case(case)
    if not policies.is_customer_side(actor, case):
        raise NotAllowed(_("Only the customer or their delegate can answer the survey."))
    if case.status != Case.Status.CLOSED:
        raise RuleViolation(_("The survey opens once the case is closed."), field="case")
    if case.merged_into is not None:
        raise RuleViolation(
            _("This case was merged into case %(reference)s: its survey comes with that case.")
            % {"reference": case.merged_into.reference},
            field="case",
        )
    if type(score) is not int or not 1 <= score <= 5:
        raise RuleViolation(_("Choose a score from 1 to 5."), field="score")
    if Survey.objects.filter(case=case).exists():
        raise RuleViolation(_("You have already answered the survey for this case, thank you."), field="case")
    survey = Survey.objects.create(
        case=case, score=score, comment=comment.strip(), wants_contact=wants_contact, submitted_by=actor
    )
    record_event(
        case=case,
        kind=TimelineEvent.Kind.SURVEY,
        department=TimelineDepartment.SUPPORT,
        actor=actor,
        summary=Sentence(
            gettext_noop("Survey: %(score)s/5 — %(comment)s")
            if comment.strip()
            else gettext_noop("Survey: %(score)s/5"),
            {"score": score, "comment": comment.strip()[:200]},
        ),
        customer_visible=True,
    )
    if wants_contact:
        # The closed case keeps its owner; if they have left, the customer's next owner takes it.
        contact = (
            case.owner if case.owner.is_active else owner_for_new_case(customer=case.customer, purpose=Purpose.REQUESTS)
        )
        due = timezone.now() + CONTACT_WITHIN
        promise = Promise.objects.create(
            case=case,
            kind=Promise.Kind.CALLBACK,
            # Written in the customer's language: the promise text is shown as it was written.
            text=_("%(name)s will contact you about your services or contract") % {"name": person_name(contact)},
            made_by=contact,
            made_by_label=person_name(contact),
            due_at=due,
        )
        record_event(
            case=case,
            kind=TimelineEvent.Kind.PROMISE_MADE,
            department=TimelineDepartment.SALES,
            actor=None,
            summary=Sentence(
                gettext_noop("%(name)s will contact you about your services or contract by %(date)s."),
                {"name": person_name(contact), "date": moment(due, WEEKDAY_FORMAT)},
            ),
            customer_visible=True,
            subject_key=f"promise:{promise.pk}",
        )
        flag_raise(
            kind=Flag.Kind.CONTACT_REQUEST,
            subject_key=f"survey:{survey.pk}",
            summary=Sentence(
                gettext_noop("%(customer)s would like to talk about their services or contract"),
                {"customer": case.customer.full_name},
            ),
            case=case,
            assignee=contact,
        )
    return survey
