"""After closure: a rating, and a request to talk that always reaches a person."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases import policies, selectors
from cases.models import Case, Flag, Promise, Survey, TimelineDepartment, TimelineEvent
from cases.services.attention import refresh_attention
from cases.services.flags import flag_raise, flags_clear
from cases.services.guards import lock_case, require_text
from cases.services.handoff import case_handoff
from cases.services.lifecycle import case_open
from cases.services.routing import Purpose, owner_for_new_case, sales_receiver
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
    low = score <= settings.SURVEY_FOLLOW_UP_AT_OR_BELOW
    if low or wants_contact:
        # The closed case keeps its owner; if they have left, the customer's next owner takes it.
        contact = (
            case.owner if case.owner.is_active else owner_for_new_case(customer=case.customer, purpose=Purpose.REQUESTS)
        )
        if low:
            _flag_low_score(case, survey, contact)
        if wants_contact:
            _promise_contact(case, survey, contact)
    return survey


def low_score_subject(survey: Survey) -> str:
    """The subject of a survey's low-score flag (its contact request has "survey:<id>")."""
    return f"survey:{survey.pk}:score"


def _flag_low_score(case: Case, survey: Survey, contact: User) -> None:
    """A poor rating reaches a person with the customer's own words, so the loop is closed by a
    conversation rather than a statistic. It climbs the ladder like any flag until a call reaches
    the customer (call_log) or someone dismisses it saying how it was followed up."""
    if survey.comment:
        summary = Sentence(
            gettext_noop("%(customer)s rated the case %(score)s/5: “%(comment)s”"),
            {"customer": case.customer.full_name, "score": survey.score, "comment": survey.comment[:200]},
        )
    else:
        summary = Sentence(
            gettext_noop("%(customer)s rated the case %(score)s/5 without a comment"),
            {"customer": case.customer.full_name, "score": survey.score},
        )
    flag_raise(
        kind=Flag.Kind.LOW_SURVEY_SCORE,
        subject_key=low_score_subject(survey),
        summary=summary,
        case=case,
        assignee=contact,
    )


def low_score_followed_up(*, case: Case, actor: User) -> int:
    """A call that reached the customer is the follow-up a low rating asks for: clear its flag.
    Called by call_log inside its transaction; returns how many flags it cleared."""
    # Translators: why a flag was cleared, shown as "Flag cleared (the customer was called): <the flag>".
    called = Sentence(gettext_noop("the customer was called"))
    subjects = Flag.objects.filter(case=case, kind=Flag.Kind.LOW_SURVEY_SCORE, cleared_at__isnull=True).values_list(
        "subject_key", flat=True
    )
    return sum(
        flags_clear(kind=Flag.Kind.LOW_SURVEY_SCORE, subject_key=key, note=called, actor=actor)
        for key in list(subjects)
    )


def _promise_contact(case: Case, survey: Survey, contact: User) -> None:
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
    refresh_attention([case.pk])
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


@transaction.atomic
def survey_pass_to_sales(*, actor: User, case: Case, summary: str) -> Case:
    """ "I'd like to talk about my services", handed to sales in one step: a sales case for the
    customer, opened by the actor and handed at once to the least-loaded sales agent with the
    summary, and the contact request cleared. The closed case stays closed (it has nothing left
    to owe); the new case carries the conversation. Returns the sales case."""
    summary = require_text(summary, field="summary", what=_("a summary the sales advisor will read first"))
    case = lock_case(case)
    survey = Survey.objects.filter(case=case).first()
    # Who may comes first: a stranger to the case learns nothing about its survey.
    contact_id = selectors.survey_contact_id(survey) if survey is not None else None
    if not policies.can_pass_survey_to_sales(actor, case, contact_id=contact_id):
        raise NotAllowed(_("Only the case owner, their manager or the person the customer is expecting can do this."))
    if survey is None or not survey.wants_contact:
        raise RuleViolation(_("The customer did not ask to talk about their services on this case."), field="case")
    if selectors.survey_passed_to_sales(survey):
        raise RuleViolation(_("This request has already been handed to sales."), field="case")
    receiver = sales_receiver(besides=actor)
    if receiver is None:
        raise RuleViolation(_("Nobody in the sales department can take it; hand a case off by hand."), field="case")
    sales_case = case_open(
        actor=actor,
        customer=case.customer,
        owner=actor,
        subject=(_("Talk about services (survey on %(reference)s)") % {"reference": case.reference})[:200],
        description=summary,
        service=case.service,
        department=TimelineDepartment.SALES,
    )
    handoff = case_handoff(
        actor=actor,
        case=sales_case,
        to_user=receiver,
        reason=_("The customer asked in their survey to talk about their services"),
        summary=summary,
        expected_owner=actor,
    )
    record_event(
        case=case,
        kind=TimelineEvent.Kind.HANDOFF,
        department=TimelineDepartment.SALES,
        actor=actor,
        summary=Sentence(
            gettext_noop("Survey request passed to %(name)s (sales) on %(reference)s."),
            {"name": person_name(receiver), "reference": sales_case.reference},
        ),
        subject_key=selectors.survey_sales_subject(survey),
    )
    flags_clear(
        kind=Flag.Kind.CONTACT_REQUEST,
        subject_key=f"survey:{survey.pk}",
        # Translators: why a flag was cleared, shown as "Flag cleared (handed to sales): <the flag>".
        note=Sentence(gettext_noop("handed to sales")),
        actor=actor,
    )
    return handoff.case  # the copy case_handoff locked, with its new owner
