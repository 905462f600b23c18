"""What customers and their delegates start from the self-service pages: a call-back, a new
request, inviting a helper; and staff inviting the customer to those pages. Each reuses the
core services and adds only what the customer side needs (a promise made in the owner's name,
an account for a helper or a customer who has none).
"""

import logging
import re
import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from cases import policies
from cases.models import Case, Flag, Message, Promise, TimelineDepartment, TimelineEvent
from cases.services.access import delegate_grant
from cases.services.attention import refresh_attention
from cases.services.flags import flag_raise
from cases.services.guards import lock_case, require_open, require_text
from cases.services.lifecycle import case_open
from cases.services.messages import MAX_BODY, message_receive
from cases.services.routing import Purpose, owner_for_new_case
from cases.services.timeline import CLOCK_FORMAT, DAY_FORMAT, Sentence, moment, person_name, record_event
from people.models import Customer, Delegate, Service
from portal.errors import NotAllowed, RuleViolation
from portal.uploads import validate_upload

logger = logging.getLogger(__name__)

Kind = TimelineEvent.Kind

# A call-back is promised in a window; the customer may not book one that has nearly passed
# (nobody could make it) nor one so far ahead that it is really a new appointment.
CALLBACK_NOTICE = timedelta(minutes=30)
CALLBACK_HORIZON = timedelta(days=30)
_PHONE = re.compile(r"^\+?[\d\s().\-/]{6,40}$")
MAX_NOTE = 300
# Enough for a family and a carer; more is a reason to talk to us, not a form to fill in.
MAX_HELPERS = 10


def _require_phone(phone: str) -> str:
    phone = " ".join((phone or "").split())
    digits = re.sub(r"\D", "", phone)
    if not phone:
        raise RuleViolation(_("Write the phone number we should call, for example 04 78 25 14 07."), field="phone")
    if not _PHONE.match(phone) or not 6 <= len(digits) <= 15:
        raise RuleViolation(
            _("That does not look like a phone number. Write only digits, spaces and “+”, for example 04 78 25 14 07."),
            field="phone",
        )
    return phone


@transaction.atomic
def callback_request(
    *,
    actor: User,
    case: Case,
    starts_at: datetime,
    ends_at: datetime,
    phone: str,
    note: str = "",
    now: datetime | None = None,
) -> Promise:
    """ "Call me back": a promise owed to the customer, made in the owner's name, and a flag
    for the owner. The stale-promise watcher then follows it like any other promise."""
    now = now or timezone.now()
    phone = _require_phone(phone)
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise RuleViolation(
            _("Keep your note under %(max)s characters (it has %(count)s).") % {"max": MAX_NOTE, "count": len(note)},
            field="note",
        )
    if not policies.is_customer_side(actor, case):
        raise NotAllowed(_("Only the customer or their delegate can ask for a call back."))
    if ends_at <= starts_at:
        raise RuleViolation(_("Choose a time when we may call you."), field="starts_at")
    if ends_at < now + CALLBACK_NOTICE:
        raise RuleViolation(_("That time has already passed. Choose a later time or another day."), field="starts_at")
    if starts_at > now + CALLBACK_HORIZON:
        raise RuleViolation(_("Choose a day within the next 30 days."), field="starts_at")
    case = lock_case(case)
    require_open(case)
    owner = case.owner
    window = {
        "day": moment(starts_at, DAY_FORMAT),
        "start": moment(starts_at, CLOCK_FORMAT),
        "end": moment(ends_at, CLOCK_FORMAT),
        "phone": phone,
    }
    call_back = Sentence(
        gettext_noop("%(name)s will call you back on %(day)s between %(start)s and %(end)s, on %(phone)s"),
        {"name": person_name(owner), **window},
    )
    # The promise is shown as written, so it is written in the language of the customer asking.
    text = call_back.rendered()[:300]
    english = call_back.english()
    promise = Promise.objects.create(
        case=case,
        kind=Promise.Kind.CALLBACK,
        text=text,
        made_by=owner,
        made_by_label=person_name(owner),
        due_at=ends_at,
    )
    case.last_activity_at = now
    case.save(update_fields=["last_activity_at", "updated_at"])
    refresh_attention([case.pk], now=now)
    record_event(
        case=case,
        kind=Kind.PROMISE_MADE,
        department=TimelineDepartment.SUPPORT,
        actor=actor,
        summary=Sentence(
            gettext_noop("Call back requested: %(promise)s. About: %(note)s")
            if note
            else gettext_noop("Call back requested: %(promise)s."),
            {"promise": call_back if len(english) <= 300 else english[:300], "note": note},
        ),
        customer_visible=True,
        subject_key=f"promise:{promise.pk}",
        data={"due_at": ends_at.isoformat(), "phone": phone, "note": note},
    )
    flag_raise(
        kind=Flag.Kind.CALLBACK_REQUEST,
        subject_key=f"callback:{promise.pk}",
        summary=Sentence(
            gettext_noop(
                "%(reference)s: %(customer)s asks to be called back on %(day)s "
                "between %(start)s and %(end)s on %(phone)s"
            ),
            {"reference": case.reference, "customer": case.customer.full_name, **window},
        ),
        case=case,
        now=now,
        assignee=owner,
    )
    return promise


@transaction.atomic
def case_open_from_portal(
    *,
    actor: User,
    customer: Customer,
    subject: str,
    details: str,
    service: Service | None = None,
    attachments: Sequence["UploadedFile[bytes]"] = (),
) -> Case:
    """A new request for something else: a case with an owner from the first minute, whose
    first message is what the customer wrote (so the reply clock starts at once)."""
    subject = require_text(subject, field="subject", what=_("what your request is about"), max_length=200)
    details = require_text(details, field="details", what=_("your request"), max_length=MAX_BODY)
    if not policies.is_customer_side_of(actor, customer):
        raise NotAllowed(_("Only the customer or a delegate for all their cases can open a new request."))
    if service is not None and not customer.services.filter(pk=service.pk).exists():
        raise RuleViolation(_("Choose one of your services, or “Something else”."), field="service")
    for upload in attachments:
        validate_upload(upload)  # before anything is written: a refused file stores nothing
    case = case_open(
        actor=actor,
        customer=customer,
        subject=subject,
        owner=owner_for_new_case(customer=customer, purpose=Purpose.REQUESTS),
        service=service,
    )
    message_receive(case=case, actor=actor, body=details, channel=Message.Channel.PORTAL, attachments=attachments)
    return lock_case(case)


# --- helpers (delegates) invited by the customer ---------------------------------------------


def _cannot_add() -> RuleViolation:
    # One answer for every account we will not grant, so the form reveals nothing about it.
    return RuleViolation(
        _("We cannot add this person online. Please call us and we will do it with you."), field="email"
    )


def _username_for(email: str) -> str:
    base = email[:140]
    if not User.objects.filter(username=base).exists():
        return base
    return f"{base[:130]}-{secrets.token_hex(4)}"


def _helper_account(email: str, full_name: str) -> User:
    """The account the invitation goes to: the one person with this address, or a new one
    that cannot sign in until its owner chooses a password from the e-mail."""
    matches = list(User.objects.filter(email__iexact=email)[:2])
    if len(matches) > 1:
        raise _cannot_add()
    if matches:
        user = matches[0]
        if (
            not user.is_active
            or user.is_staff
            or user.is_superuser
            or hasattr(user, "staff_profile")
            or hasattr(user, "contractor_profile")
        ):
            raise _cannot_add()
        return user
    full_name = require_text(full_name, field="full_name", what=_("their name"), max_length=150)
    first, _sep, last = full_name.partition(" ")
    user = User(username=_username_for(email), email=email, first_name=first[:150], last_name=last[:150])
    user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def delegate_invite(
    *,
    actor: User,
    customer: Customer,
    email: str,
    full_name: str,
    relationship: str,
    cases: Iterable[Case] | None = None,
) -> Delegate:
    """The customer lets a son, a carer or a social worker see and act on their cases.

    A person without an account gets one with no password and an e-mail to choose it; a
    person already invited who never chose one gets the e-mail again.
    """
    email = (email or "").strip().lower()
    if not email:
        raise RuleViolation(_("Write their e-mail address, for example paul.martin@example.org."), field="email")
    try:
        validate_email(email)
    except ValidationError:
        raise RuleViolation(
            _("That is not a complete e-mail address. Check it, for example paul.martin@example.org."), field="email"
        ) from None
    relationship = require_text(relationship, field="relationship", what=_("who they are to you"), max_length=100)
    if not policies.can_grant_delegate(actor, customer):
        raise NotAllowed(_("Only the customer can invite a helper."))
    if customer.user is not None and customer.user.email.lower() == email:
        raise RuleViolation(_("That is your own e-mail address: write your helper's."), field="email")
    user = _helper_account(email, full_name)
    active = Delegate.objects.filter(customer=customer, revoked_at__isnull=True)
    existing = active.filter(user=user).first()
    if existing is not None and not user.has_usable_password():
        transaction.on_commit(lambda: send_helper_email(user=user, customer=customer))
        return existing
    if existing is None and active.count() >= MAX_HELPERS:
        raise RuleViolation(
            ngettext(
                "You already have %(count)d helper. Remove them first, or call us.",
                "You already have %(count)d helpers. Remove one first, or call us.",
                MAX_HELPERS,
            )
            % {"count": MAX_HELPERS},
            field="email",
        )
    delegate = delegate_grant(actor=actor, customer=customer, user=user, relationship=relationship, cases=cases)
    transaction.on_commit(lambda: send_helper_email(user=user, customer=customer))
    return delegate


# --- the customer's own sign-in, given by staff ------------------------------------------------


def _customer_account(customer: Customer) -> tuple[User, bool]:
    """The customer's sign-in and whether it is new. An existing one keeps its own address:
    a set-password link never goes to an address its owner did not sign in with."""
    email = (customer.email or "").strip().lower()
    if not email:
        raise RuleViolation(
            _("%(name)s has no e-mail address. Add one to their details first, then invite them.")
            % {"name": customer.full_name},
            field="email",
        )
    try:
        validate_email(email)
    except ValidationError:
        raise RuleViolation(
            _("%(email)s is not a complete e-mail address. Correct it in the customer's details first.")
            % {"email": email},
            field="email",
        ) from None
    user = customer.user
    if user is not None and not user.is_active:
        raise RuleViolation(
            _("%(name)s's sign-in is switched off. Ask an administrator to switch it on again.")
            % {"name": customer.full_name},
            field="email",
        )
    if user is not None and user.email:
        return user, False
    others = User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email))
    if user is not None:
        others = others.exclude(pk=user.pk)
    if others.exists():
        raise RuleViolation(
            _(
                "Another sign-in already uses %(email)s. Give the customer another e-mail address, "
                "or ask an administrator to link that sign-in to them."
            )
            % {"email": email},
            field="email",
        )
    if user is not None:
        user.email = email
        user.save(update_fields=["email"])
        return user, False
    first, _sep, last = customer.full_name.partition(" ")
    user = User(username=_username_for(email), email=email, first_name=first[:150], last_name=last[:150])
    user.set_unusable_password()
    user.save()
    return user, True


@transaction.atomic
def customer_invite(*, actor: User, customer: Customer) -> User:
    """Give a customer (often created at intake, on the phone) their own sign-in for the
    self-service pages and e-mail them the link to choose a password; a customer who already
    has one gets the e-mail again. Returns the sign-in; the e-mail leaves once this commits."""
    customer = Customer.objects.select_for_update(of=("self",)).select_related("user").get(pk=customer.pk)
    if not policies.can_invite_customer(actor, customer):
        raise NotAllowed(
            _("You may not invite %(name)s: only staff working on one of their open cases can.")
            % {"name": customer.full_name}
        )
    user, created = _customer_account(customer)
    if created:
        customer.user = user
        customer._history_user = actor
        customer.save(update_fields=["user"])
    summary = Sentence(
        gettext_noop("%(name)s invited the customer to the self-service pages.")
        if created
        else gettext_noop("%(name)s sent the customer's invitation to the self-service pages again."),
        {"name": person_name(actor)},
    )
    cases = list(customer.cases.exclude(status=Case.Status.CLOSED).order_by("pk"))
    latest = customer.cases.order_by("-created_at", "-pk").first()
    for case in cases or ([latest] if latest else []):
        record_event(
            case=case,
            kind=Kind.ACCESS,
            department=TimelineDepartment.SUPPORT,
            actor=actor,
            summary=summary,
            data={"user": user.pk, "email": user.email},
        )
    transaction.on_commit(lambda: send_customer_invitation(user=user, customer=customer))
    return user


def send_customer_invitation(*, user: User, customer: Customer) -> bool:
    """In the customer's language. Never raises: the sign-in is already stored, and staff can
    send the e-mail again."""
    needs_password = not user.has_usable_password()
    context = {
        "customer": customer,
        "needs_password": needs_password,
        "email": user.email,
        "url": set_password_url(user) if needs_password else settings.SITE_URL + reverse("login"),
        "days": settings.PASSWORD_RESET_TIMEOUT // 86400,
    }
    with translation.override(customer.language):
        message = EmailMessage(
            subject=" ".join(render_to_string("my/email/customer_invitation_subject.txt", context).split()),
            body=render_to_string("my/email/customer_invitation.txt", context),
            to=[user.email],
        )
    try:
        message.send()
    except Exception:
        logger.warning("Could not e-mail the customer invitation to %s.", user.email, exc_info=True)
        return False
    return True


def set_password_url(user: User) -> str:
    """A one-time link to choose a password (Django's reset token: it stops working once used)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("my:password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    return settings.SITE_URL + path


def send_helper_email(*, user: User, customer: Customer) -> bool:
    """Tell the helper what they can now do, with a link to choose a password if they need one.
    Never raises: the grant is already stored, and the customer can send it again."""
    if not user.email:
        return False
    needs_password = not user.has_usable_password()
    context = {
        "helper": user,
        "customer": customer,
        "needs_password": needs_password,
        "url": set_password_url(user) if needs_password else settings.SITE_URL + reverse("login"),
        "days": settings.PASSWORD_RESET_TIMEOUT // 86400,
    }
    message = EmailMessage(
        subject=" ".join(render_to_string("my/email/helper_invitation_subject.txt", context).split()),
        body=render_to_string("my/email/helper_invitation.txt", context),
        to=[user.email],
    )
    try:
        message.send()
    except Exception:
        logger.warning("Could not e-mail the helper invitation to %s.", user.email, exc_info=True)
        return False
    return True
