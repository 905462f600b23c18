"""Plain words for the customer pages: statuses as a customer would say them."""

from datetime import datetime

from django import template
from django.contrib.auth.models import User
from django.utils import timezone

from cases.models import Case, InsuranceClaim, Promise
from contractors.models import Job, Prerequisite

register = template.Library()

CASE_STATUS = {
    Case.Status.NEW: "We have your request and will start on it soon",
    Case.Status.IN_PROGRESS: "We are working on it",
    Case.Status.WAITING_CUSTOMER: "Waiting for your answer",
    Case.Status.WAITING_CONTRACTOR: "We are waiting for the contractor",
    Case.Status.WAITING_INSURER: "We are waiting for the insurer",
    Case.Status.RESOLVED: "We think it is fixed: please tell us if it is",
    Case.Status.CLOSED: "Closed",
}

CLAIM_STATUS = {
    InsuranceClaim.Status.DRAFT: "We are preparing this claim",
    InsuranceClaim.Status.FILED: "Sent to the insurer",
    InsuranceClaim.Status.ACKNOWLEDGED: "The insurer has received it",
    InsuranceClaim.Status.ASSESSING: "The insurer is assessing it",
    InsuranceClaim.Status.ACCEPTED: "Accepted by the insurer",
    InsuranceClaim.Status.REJECTED: "Refused by the insurer",
    InsuranceClaim.Status.PAID: "Paid",
    InsuranceClaim.Status.CLOSED: "Closed",
}

POLICY_HOLDER = {
    InsuranceClaim.PolicyHolder.CUSTOMER: "your own insurance",
    InsuranceClaim.PolicyHolder.COMPANY: "our insurance",
    InsuranceClaim.PolicyHolder.CONTRACTOR: "the contractor's insurance",
}

VISIT_STATUS = {
    Job.Status.REQUESTED: "We are arranging a date",
    Job.Status.SCHEDULED: "Booked",
    Job.Status.ON_THE_WAY: "The technician is on the way",
    Job.Status.ON_SITE: "The technician is with you",
}

WHO_MUST = {
    Prerequisite.Party.OPERATOR: "The network operator",
    Prerequisite.Party.CONTRACTOR: "The contractor",
    Prerequisite.Party.CUSTOMER: "You",
    Prerequisite.Party.US: "We",
}


@register.filter
def plain_status(case: Case) -> str:
    return CASE_STATUS.get(case.status, case.get_status_display())


@register.filter
def claim_status(claim: InsuranceClaim) -> str:
    return CLAIM_STATUS.get(claim.status, claim.get_status_display())


@register.filter
def policy_holder(claim: InsuranceClaim) -> str:
    return POLICY_HOLDER.get(claim.policy_holder, claim.get_policy_holder_display())


@register.filter
def visit_status(job: Job) -> str:
    return VISIT_STATUS.get(job.status, job.get_status_display())


@register.filter
def who_must(prerequisite: Prerequisite) -> str:
    named = f" ({prerequisite.responsible_name})" if prerequisite.responsible_name else ""
    return WHO_MUST.get(prerequisite.responsible_party, prerequisite.get_responsible_party_display()) + named


@register.filter
def initials(user: User) -> str:
    """The letters of the owner's "photo": first and last name, or the username's first."""
    letters = "".join(part[0] for part in (user.first_name, user.last_name) if part)
    return (letters or user.get_username()[:1]).upper()


@register.filter
def full_name(user: User) -> str:
    return user.get_full_name() or user.get_username()


@register.simple_tag
def promise_state(promise: Promise, now: datetime | None = None) -> dict[str, str]:
    """The badge and sentence of a promise: kept, late, broken, withdrawn, or still due."""
    now = now or timezone.now()
    if promise.status == Promise.Status.KEPT:
        return {"key": "kept", "label": "Kept", "tone": "ok"}
    if promise.status == Promise.Status.BROKEN:
        return {"key": "broken", "label": "Broken", "tone": "danger"}
    if promise.status == Promise.Status.WITHDRAWN:
        return {"key": "withdrawn", "label": "Withdrawn", "tone": ""}
    if promise.due_at < now:
        return {"key": "late", "label": "Late", "tone": "danger"}
    return {"key": "due", "label": "Due", "tone": "warn"}


EVENT_TITLES = {
    "message_in": "Message from {who}",
    "message_out": "Reply from {who}",
    "call": "Phone call, noted by {who}",
}


@register.filter
def event_title(event: object) -> str:
    """How a history entry is introduced: who wrote, or who did it."""
    template = EVENT_TITLES.get(event.kind)
    if template is None:
        return event.actor_label
    return template.format(who=event.actor_label)


@register.filter
def file_size(size: int) -> str:
    if size >= 1048576:
        return f"{size / 1048576:.1f} MB"
    return f"{max(1, round(size / 1024))} KB"
