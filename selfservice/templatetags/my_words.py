"""Plain words for the customer pages: statuses as a customer would say them."""

from datetime import datetime

from django import template
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from cases.models import Case, InsuranceClaim, Promise
from contractors.models import Job, Prerequisite

register = template.Library()

CASE_STATUS = {
    Case.Status.NEW: _("We have your request and will start on it soon"),
    Case.Status.IN_PROGRESS: _("We are working on it"),
    Case.Status.WAITING_CUSTOMER: _("Waiting for your answer"),
    Case.Status.WAITING_CONTRACTOR: _("We are waiting for the contractor"),
    Case.Status.WAITING_INSURER: _("We are waiting for the insurer"),
    Case.Status.RESOLVED: _("We think it is fixed: please tell us if it is"),
    Case.Status.CLOSED: pgettext_lazy("customer case status", "Closed"),
}

CLAIM_STATUS = {
    InsuranceClaim.Status.DRAFT: _("We are preparing this claim"),
    InsuranceClaim.Status.FILED: _("Sent to the insurer"),
    InsuranceClaim.Status.ACKNOWLEDGED: _("The insurer has received it"),
    InsuranceClaim.Status.ASSESSING: _("The insurer is assessing it"),
    InsuranceClaim.Status.ACCEPTED: _("Accepted by the insurer"),
    InsuranceClaim.Status.REJECTED: _("Refused by the insurer"),
    InsuranceClaim.Status.PAID: pgettext_lazy("customer claim status", "Paid"),
    InsuranceClaim.Status.CLOSED: pgettext_lazy("customer claim status", "Closed"),
}

# Shown after "On" ("On your own insurance") and, capitalised, on its own.
POLICY_HOLDER = {
    InsuranceClaim.PolicyHolder.CUSTOMER: _("your own insurance"),
    InsuranceClaim.PolicyHolder.COMPANY: _("our insurance"),
    InsuranceClaim.PolicyHolder.CONTRACTOR: _("the contractor's insurance"),
}

VISIT_STATUS = {
    Job.Status.REQUESTED: _("We are arranging a date"),
    Job.Status.SCHEDULED: pgettext_lazy("customer visit status", "Booked"),
    Job.Status.ON_THE_WAY: _("The technician is on the way"),
    Job.Status.ON_SITE: _("The technician is with you"),
}

# Shown after "Who does it:".
WHO_MUST = {
    Prerequisite.Party.OPERATOR: _("The network operator"),
    Prerequisite.Party.CONTRACTOR: pgettext_lazy("who does it", "The contractor"),
    Prerequisite.Party.CUSTOMER: pgettext_lazy("who does it", "You"),
    Prerequisite.Party.US: pgettext_lazy("who does it", "We"),
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
    return str(WHO_MUST.get(prerequisite.responsible_party, prerequisite.get_responsible_party_display())) + named


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
        return {"key": "kept", "label": pgettext_lazy("promise state", "Kept"), "tone": "ok"}
    if promise.status == Promise.Status.BROKEN:
        return {"key": "broken", "label": pgettext_lazy("promise state", "Broken"), "tone": "danger"}
    if promise.status == Promise.Status.WITHDRAWN:
        return {"key": "withdrawn", "label": pgettext_lazy("promise state", "Withdrawn"), "tone": ""}
    if promise.due_at < now:
        return {"key": "late", "label": pgettext_lazy("promise state", "Late"), "tone": "danger"}
    return {"key": "due", "label": pgettext_lazy("promise state", "Due"), "tone": "warn"}


EVENT_TITLES = {
    # Translators: %(who)s is a person's name, or "Paul Martin, on behalf of Jeanne Martin".
    "message_in": _("Message from %(who)s"),
    # Translators: %(who)s is a person's name, or "Paul Martin, on behalf of Jeanne Martin".
    "message_out": _("Reply from %(who)s"),
    # Translators: %(who)s is the name of the member of staff who noted the call.
    "call": _("Phone call, noted by %(who)s"),
}


@register.filter
def event_title(event: object) -> str:
    """How a history entry is introduced: who wrote, or who did it."""
    template = EVENT_TITLES.get(event.kind)
    if template is None:
        return event.actor_label
    return str(template) % {"who": event.actor_label}


@register.filter
def file_size(size: int) -> str:
    if size >= 1048576:
        # Rounded here: number_format cuts the extra decimals instead of rounding them.
        return gettext("%(size)s MB") % {"size": number_format(round(size / 1048576, 1), 1)}
    return gettext("%(size)s KB") % {"size": number_format(max(1, round(size / 1024)))}
