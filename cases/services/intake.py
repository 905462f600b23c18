"""Intake: a phone call or a walk-in becomes a case, with its customer found or created, its
owner named and, if staff want it, the call itself on the timeline — all or nothing."""

import re
from dataclasses import asdict, dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases import policies
from cases.models import Case, Message, TimelineDepartment, TimelineEvent
from cases.services.guards import require_choice, require_text
from cases.services.lifecycle import case_open
from cases.services.messages import call_log
from cases.services.timeline import Sentence, record_event
from people.contact import CHANNEL_NEEDS, phone_ending, phone_key, same_email
from people.models import Customer, Service
from portal.errors import NotAllowed, RuleViolation

Channel = Customer.Channel
MIN_PHONE_DIGITS = 6
# Which of the case's record families the call is about; the system's own family is not a choice.
INTAKE_DEPARTMENTS = [d for d in TimelineDepartment.values if d != TimelineDepartment.SYSTEM]


@dataclass(frozen=True)
class CustomerDetails:
    """What staff write down about someone new, in the words of customer_create's arguments."""

    full_name: str
    email: str = ""
    phone: str = ""
    address: str = ""
    postcode: str = ""
    preferred_channel: str = Channel.EMAIL
    vulnerability_notes: str = ""
    language: str = settings.LANGUAGE_CODE


@dataclass(frozen=True)
class Intake:
    case: Case
    customer_created: bool
    call: Message | None


def customers_with_contact(*, email: str = "", phone: str = "") -> list[Customer]:
    """Customers already reachable at this e-mail address or phone number: the likely duplicates."""
    match = Q()
    if email:
        match |= same_email(email)
    key = phone_key(phone)
    if len(key) >= MIN_PHONE_DIGITS:
        match |= phone_ending(key)
    if not match:
        return []
    return list(Customer.objects.filter(match, merged_into__isnull=True).order_by("full_name", "pk")[:5])


def _channel_reachable(channel: str, *, email: str, phone: str, address: str) -> None:
    messages: dict[str, str] = {
        Channel.EMAIL: _("They prefer e-mail: write their e-mail address."),
        Channel.PORTAL: _("The portal tells them by e-mail that something is waiting: write their e-mail address."),
        Channel.PHONE: _("They prefer the phone: write their phone number."),
        Channel.POST: _("They prefer the post: write their postal address."),
    }
    field = CHANNEL_NEEDS[channel]
    if not {"email": email, "phone": phone, "address": address}[field]:
        raise RuleViolation(messages[channel], field=field)


@transaction.atomic
def customer_create(
    *,
    actor: User,
    full_name: str,
    email: str = "",
    phone: str = "",
    address: str = "",
    postcode: str = "",
    preferred_channel: str = Channel.EMAIL,
    vulnerability_notes: str = "",
    language: str = settings.LANGUAGE_CODE,
    allow_duplicate: bool = False,
) -> Customer:
    """A customer record made by staff. Someone already known by the same e-mail address or
    phone number is refused unless staff confirm this is a different person."""
    if not policies.is_staff_side(actor):
        raise NotAllowed(_("Only staff can create customer records."))
    full_name = require_text(full_name, field="full_name", what=_("the customer's full name"), max_length=200)
    email = (email or "").strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise RuleViolation(_("Enter a valid e-mail address."), field="email") from None
    phone = (phone or "").strip()
    if phone and len(re.sub(r"\D", "", phone)) < MIN_PHONE_DIGITS:
        raise RuleViolation(
            _("Write the whole phone number, with at least %(count)d digits.") % {"count": MIN_PHONE_DIGITS},
            field="phone",
        )
    if len(phone) > 40:
        raise RuleViolation(_("Keep the phone number under 40 characters."), field="phone")
    address = (address or "").strip()
    postcode = (postcode or "").strip()
    if len(postcode) > 20:
        raise RuleViolation(_("Keep the postcode under 20 characters."), field="postcode")
    require_choice(preferred_channel, Channel.values, field="preferred_channel", what=_("preferred channel"))
    require_choice(language, [code for code, _name in settings.LANGUAGES], field="language", what=_("language"))
    _channel_reachable(preferred_channel, email=email, phone=phone, address=address)
    known = None if allow_duplicate else next(iter(customers_with_contact(email=email, phone=phone)), None)
    if known is not None:
        same_email = bool(email) and known.email.lower() == email.lower()
        raise RuleViolation(
            (
                _("%(name)s already has this e-mail address: choose them, or confirm this is someone else.")
                if same_email
                else _("%(name)s already has this phone number: choose them, or confirm this is someone else.")
            )
            % {"name": known.full_name},
            field="email" if same_email else "phone",
            code="duplicate",
        )
    customer = Customer(
        full_name=full_name,
        email=email,
        phone=phone,
        address=address,
        postcode=postcode,
        # Service alerts reach customers by area; the postcode is the area staff know at intake.
        service_area=postcode[:60],
        preferred_channel=preferred_channel,
        vulnerability_notes=(vulnerability_notes or "").strip(),
        language=language,
    )
    # The record's first version names who wrote it, like every later edit (simple-history).
    customer._history_user = actor
    customer.save()
    return customer


@transaction.atomic
def case_intake(
    *,
    actor: User,
    subject: str,
    customer: Customer | None = None,
    new_customer: CustomerDetails | None = None,
    allow_duplicate: bool = False,
    owner: User | None = None,
    department: str = TimelineDepartment.SUPPORT,
    priority: str = Case.Priority.NORMAL,
    human_impact: str = "",
    service: Service | None = None,
    description: str = "",
    call_summary: str = "",
) -> Intake:
    """Open a case for an existing or a new customer, owned by `owner` (the person taking the
    call unless they name a colleague), and log the inbound call as its first event when
    `call_summary` says what was said. Nothing is written unless every part succeeds."""
    if not policies.is_staff_side(actor):
        raise NotAllowed(_("Only staff can open cases from a call."))
    if (customer is None) == (new_customer is None):
        raise RuleViolation(_("Choose a customer, or fill in a new customer's details."), field="customer")
    require_choice(department, INTAKE_DEPARTMENTS, field="department", what=_("department"))
    created = customer is None
    if customer is None:
        assert new_customer is not None, "checked above: one of the two is given"
        customer = customer_create(actor=actor, allow_duplicate=allow_duplicate, **asdict(new_customer))
    case = case_open(
        actor=actor,
        customer=customer,
        subject=subject,
        owner=owner or actor,
        description=description,
        priority=priority,
        human_impact=human_impact,
        service=service,
        department=department,
    )
    if created:
        record_event(
            case=case,
            kind=TimelineEvent.Kind.CASE_OPENED,
            department=department,
            actor=actor,
            summary=Sentence(gettext_noop("New customer record: %(name)s."), {"name": customer.full_name}),
        )
    call = None
    if (call_summary or "").strip():
        call = call_log(actor=actor, case=case, summary=call_summary, inbound=True)
    return Intake(case=case, customer_created=created, call=call)
