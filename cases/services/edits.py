"""Changing a case's own details and the customer's record, each change on the timeline.

Every changed field writes one event saying who changed it and what it was before and after;
nothing is written when nothing changed. The customer's record keeps every saved version
(django-simple-history, see people.models.Customer), so earlier vulnerability notes stay readable.
"""

from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases import deadlines, policies
from cases.models import Case, TimelineDepartment, TimelineEvent
from cases.services.guards import lock_case, require_can_work, require_choice, require_open, require_text
from cases.services.timeline import Sentence, choice, record_event
from people.contact import CHANNEL_NEEDS
from people.models import Customer
from portal.errors import NotAllowed, RuleViolation

Kind = TimelineEvent.Kind

# One whole sentence per field, so each reads naturally once translated.
CASE_SENTENCES = {
    "subject": gettext_noop("Subject: %(old)s → %(new)s"),
    "priority": gettext_noop("Priority: %(old)s → %(new)s"),
    "human_impact": gettext_noop("Impact on the customer: %(old)s → %(new)s"),
}
CUSTOMER_SENTENCES = {
    "full_name": gettext_noop("Customer's name: %(old)s → %(new)s"),
    "phone": gettext_noop("Customer's phone: %(old)s → %(new)s"),
    "email": gettext_noop("Customer's e-mail: %(old)s → %(new)s"),
    "address": gettext_noop("Customer's address: %(old)s → %(new)s"),
    "postcode": gettext_noop("Customer's postcode: %(old)s → %(new)s"),
    "preferred_channel": gettext_noop("Customer's preferred channel: %(old)s → %(new)s"),
    "vulnerability_notes": gettext_noop("Vulnerability notes: %(old)s → %(new)s"),
    "access_notes": gettext_noop("Access notes: %(old)s → %(new)s"),
    "language": gettext_noop("Customer's language: %(old)s → %(new)s"),
}
CASE_FIELDS = tuple(CASE_SENTENCES)
CUSTOMER_FIELDS = tuple(CUSTOMER_SENTENCES)
# Choice fields are shown by their label, in each reader's language.
_CHOICE_PATHS = {
    "priority": "cases.Case.priority",
    "preferred_channel": "people.Customer.preferred_channel",
    "language": "people.Customer.language",
}


def _unknown(changes: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(changes) - set(allowed))
    if unknown:
        raise TypeError(f"Not editable here: {', '.join(unknown)}")


def _shown(name: str, value: str) -> Any:
    """A value as the timeline shows it: a choice by its label, an empty one in words."""
    if not value:
        return Sentence(gettext_noop("(empty)"))
    if name in _CHOICE_PATHS:
        return choice(_CHOICE_PATHS[name], value)
    return value


def _record_change(*, case: Case, actor: User, sentences: dict[str, str], name: str, old: str, new: str) -> None:
    record_event(
        case=case,
        kind=Kind.DETAILS_CHANGED,
        department=TimelineDepartment.SUPPORT,
        actor=actor,
        summary=Sentence(sentences[name], {"old": _shown(name, old), "new": _shown(name, new)}),
        data={"field": name},
    )


def _optional_text(value: Any, *, field: str, what: str, max_length: int | None = None) -> str:
    text = (value or "").strip()
    return require_text(text, field=field, what=what, max_length=max_length) if text else ""


# --- the case ---------------------------------------------------------------------------


def _clean_case(changes: dict[str, Any]) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    if "subject" in changes:
        cleaned["subject"] = require_text(changes["subject"], field="subject", what=_("a subject"), max_length=200)
    if "priority" in changes:
        cleaned["priority"] = require_choice(
            changes["priority"] or "", Case.Priority.values, field="priority", what=_("priority")
        )
    if "human_impact" in changes:
        cleaned["human_impact"] = _optional_text(
            changes["human_impact"], field="human_impact", what=_("the impact on the customer"), max_length=200
        )
    return cleaned


@transaction.atomic
def case_edit(*, actor: User, case: Case, **changes: Any) -> Case:
    """Change the subject, priority or human impact of an open case.

    Only the fields passed are considered; a new priority moves the reply deadline of a message
    still waiting for an answer."""
    _unknown(changes, CASE_FIELDS)
    cleaned = _clean_case(changes)
    case = lock_case(case)
    require_can_work(actor, case)
    require_open(case)
    changed = {name: (getattr(case, name), value) for name, value in cleaned.items() if getattr(case, name) != value}
    if not changed:
        return case
    for name, (_old, new) in changed.items():
        setattr(case, name, new)
    fields = [*changed, "last_activity_at", "updated_at"]
    if "priority" in changed and case.awaiting_reply_since is not None:
        case.reply_due_at = deadlines.reply_due(case, case.awaiting_reply_since)
        fields.append("reply_due_at")
    case.last_activity_at = timezone.now()
    case.save(update_fields=fields)
    for name, (old, new) in changed.items():
        _record_change(case=case, actor=actor, sentences=CASE_SENTENCES, name=name, old=old, new=new)
    return case


# --- the customer -----------------------------------------------------------------------


def _clean_customer(changes: dict[str, Any]) -> dict[str, str]:
    cleaned: dict[str, str] = {}
    if "full_name" in changes:
        cleaned["full_name"] = require_text(
            changes["full_name"], field="full_name", what=_("the customer's full name"), max_length=200
        )
    if "email" in changes:
        email = (changes["email"] or "").strip()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                raise RuleViolation(_("Enter a valid e-mail address."), field="email") from None
        cleaned["email"] = email
    texts = {
        "phone": (_("the phone number"), 40),
        "address": (_("the address"), None),
        "postcode": (_("the postcode"), 20),
        "vulnerability_notes": (_("the vulnerability notes"), None),
        "access_notes": (_("the access notes"), None),
    }
    for name, (what, max_length) in texts.items():
        if name in changes:
            cleaned[name] = _optional_text(changes[name], field=name, what=what, max_length=max_length)
    if "preferred_channel" in changes:
        cleaned["preferred_channel"] = require_choice(
            changes["preferred_channel"] or "",
            Customer.Channel.values,
            field="preferred_channel",
            what=_("preferred channel"),
        )
    if "language" in changes:
        cleaned["language"] = require_choice(
            changes["language"] or "",
            [code for code, _name in settings.LANGUAGES],
            field="language",
            what=_("language"),
        )
    return cleaned


def _require_reachable(customer: Customer, changed: dict[str, tuple[str, str]]) -> None:
    """The preferred channel must be able to reach them with the details left on the record."""
    channel = customer.preferred_channel
    needs = CHANNEL_NEEDS.get(channel)
    if needs is None or getattr(customer, needs) or not ({"preferred_channel", needs} & set(changed)):
        return
    if needs == "email":
        message = _("Steward writes to this customer by e-mail: give an e-mail address, or choose another channel.")
    elif needs == "phone":
        message = _("This customer prefers the phone: give a phone number, or choose another channel.")
    else:
        message = _("This customer prefers the post: give a postal address, or choose another channel.")
    raise RuleViolation(message, field=needs if needs in changed else "preferred_channel")


@transaction.atomic
def customer_edit(*, actor: User, customer: Customer, **changes: Any) -> Customer:
    """Change a customer's details; each change goes on the timeline of every open case of theirs.

    Only the fields passed are considered. A change to the vulnerability notes also moves the
    reply deadline of their cases waiting for an answer (vulnerable customers get tighter ones)."""
    _unknown(changes, CUSTOMER_FIELDS)
    cleaned = _clean_customer(changes)
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if not policies.can_edit_customer(actor, customer):
        raise NotAllowed(
            _("You may not change %(name)s's details: only staff working on one of their open cases can.")
            % {"name": customer.full_name}
        )
    changed = {
        name: (getattr(customer, name), value) for name, value in cleaned.items() if getattr(customer, name) != value
    }
    if not changed:
        return customer
    was_vulnerable = customer.is_vulnerable
    for name, (_old, new) in changed.items():
        setattr(customer, name, new)
    _require_reachable(customer, changed)
    # The kept version names who made the change (the admin site's middleware does this for its own saves).
    customer._history_user = actor
    customer.save(update_fields=list(changed))
    now = timezone.now()
    cases = list(customer.cases.exclude(status=Case.Status.CLOSED).select_for_update().order_by("pk"))
    for case in cases:
        case.customer = customer
        fields = ["last_activity_at", "updated_at"]
        if customer.is_vulnerable != was_vulnerable and case.awaiting_reply_since is not None:
            case.reply_due_at = deadlines.reply_due(case, case.awaiting_reply_since)
            fields.append("reply_due_at")
        case.last_activity_at = now
        case.save(update_fields=fields)
        for name, (old, new) in changed.items():
            _record_change(case=case, actor=actor, sentences=CUSTOMER_SENTENCES, name=name, old=old, new=new)
    return customer
