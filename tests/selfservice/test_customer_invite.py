"""Staff give a customer their own sign-in for the self-service pages (customer_invite): a new
sign-in with no password and an e-mail to choose one, or the same e-mail again; refused, with
nothing written, when there is no address to send it to or another sign-in already uses it."""

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from cases.models import Case, TimelineEvent
from cases.services import selfservice
from cases.services.selfservice import customer_invite
from people.models import Customer
from portal.errors import NotAllowed, RuleViolation
from tests.cases.dbstate import nothing_written
from tests.conftest import Cast
from tests.factories import CustomerFactory, UserFactory, make_case
from tests.selfservice.pages import text


def _link(message: mail.EmailMessage) -> str:
    return "/" + re.search(r"https?://\S+", message.body).group(0).split("://", 1)[1].split("/", 1)[1]


@pytest.fixture
def phoned_in(cast: Cast) -> Customer:
    """A customer created at intake, on the phone: no sign-in yet, one open case and one closed."""
    customer = CustomerFactory(full_name="Lucie Bernard", email="Lucie.Bernard@example.test", language="en")
    make_case(customer=customer, owner=cast.owner, subject="No dial tone")
    old = make_case(customer=customer, owner=cast.owner, subject="Old bill")
    now = timezone.now()
    Case.objects.filter(pk=old.pk).update(
        status=Case.Status.CLOSED, resolved_at=now, closed_at=now, close_reason=Case.CloseReason.CONFIRMED
    )
    return customer


def _invite(actor: User, customer: Customer, capture) -> User:
    with capture(execute=True):
        return customer_invite(actor=actor, customer=customer)


def test_a_customer_without_a_sign_in_gets_one_and_the_e_mail_to_choose_a_password(
    cast: Cast, phoned_in: Customer, django_capture_on_commit_callbacks
) -> None:
    user = _invite(cast.owner, phoned_in, django_capture_on_commit_callbacks)
    phoned_in.refresh_from_db()
    assert phoned_in.user == user
    assert (user.username, user.email) == ("lucie.bernard@example.test", "lucie.bernard@example.test")
    assert (user.first_name, user.last_name) == ("Lucie", "Bernard")
    assert user.is_active and not user.has_usable_password() and not user.is_staff
    (message,) = mail.outbox
    assert message.to == ["lucie.bernard@example.test"]
    assert "Your own pages on Steward" in message.subject
    assert "Hello Lucie Bernard" in message.body and "/my/password-reset/" in message.body
    # The event goes on the open case only, in the reader's language.
    events = TimelineEvent.objects.filter(case__customer=phoned_in, kind=TimelineEvent.Kind.ACCESS)
    assert [e.case.subject for e in events] == ["No dial tone"]
    name = cast.owner.get_full_name()
    assert events.get().summary == f"{name} invited the customer to the self-service pages."


def test_the_link_sets_a_password_and_the_customer_signs_in_to_their_cases(
    cast: Cast, phoned_in: Customer, django_capture_on_commit_callbacks
) -> None:
    _invite(cast.owner, phoned_in, django_capture_on_commit_callbacks)
    browser = Client()
    form_page = browser.get(_link(mail.outbox[0]), follow=True)
    assert "Choose your password" in text(form_page)
    browser.post(
        form_page.redirect_chain[-1][0], {"new_password1": "Dial-tone-2026", "new_password2": "Dial-tone-2026"}
    )
    signed = browser.post(
        reverse("login"), {"username": "lucie.bernard@example.test", "password": "Dial-tone-2026"}, follow=True
    )
    assert signed.redirect_chain[-1][0] == reverse("my:cases")
    assert "No dial tone" in text(signed)


def test_inviting_again_re_sends_to_the_same_sign_in(
    cast: Cast, phoned_in: Customer, django_capture_on_commit_callbacks
) -> None:
    first = _invite(cast.owner, phoned_in, django_capture_on_commit_callbacks)
    again = _invite(cast.manager, phoned_in, django_capture_on_commit_callbacks)
    assert again == first and User.objects.filter(email__iexact="lucie.bernard@example.test").count() == 1
    assert len(mail.outbox) == 2 and "/my/password-reset/" in mail.outbox[1].body
    last = TimelineEvent.objects.filter(case__customer=phoned_in, kind=TimelineEvent.Kind.ACCESS).last()
    assert "sent the customer's invitation to the self-service pages again" in last.summary


def test_a_customer_who_chose_a_password_is_told_to_sign_in_at_their_own_address(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    # The cast's customer signs in as customer@example.test; their record says another address.
    _invite(cast.owner, cast.customer, django_capture_on_commit_callbacks)
    (message,) = mail.outbox
    assert message.to == [cast.customer.user.email]
    assert "password-reset" not in message.body and reverse("login") in message.body
    assert Customer.objects.get(pk=cast.customer.pk).user == cast.customer.user


def test_the_invitation_is_written_in_the_customer_s_language(
    cast: Cast, phoned_in: Customer, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    seen: list[str] = []
    real = selfservice.render_to_string

    def render(*args, **kwargs) -> str:
        seen.append(translation.get_language())
        return real(*args, **kwargs)

    monkeypatch.setattr(selfservice, "render_to_string", render)
    Customer.objects.filter(pk=phoned_in.pk).update(language="fr")
    _invite(cast.owner, phoned_in, django_capture_on_commit_callbacks)
    assert seen == ["fr", "fr"]


def test_a_customer_without_an_e_mail_address_is_refused_and_nothing_is_written(
    cast: Cast, phoned_in: Customer
) -> None:
    Customer.objects.filter(pk=phoned_in.pk).update(email="")
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        customer_invite(actor=cast.owner, customer=phoned_in)
    assert refused.value.field == "email"
    assert "Lucie Bernard has no e-mail address. Add one to their details first" in refused.value.message
    assert not mail.outbox


def test_an_address_another_sign_in_uses_is_refused(cast: Cast, phoned_in: Customer) -> None:
    UserFactory(username="lucie-old", email="LUCIE.BERNARD@example.test")
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        customer_invite(actor=cast.owner, customer=phoned_in)
    assert refused.value.field == "email"
    assert "Another sign-in already uses lucie.bernard@example.test" in refused.value.message


def test_a_switched_off_sign_in_is_refused(cast: Cast) -> None:
    User.objects.filter(pk=cast.customer.user_id).update(is_active=False)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        customer_invite(actor=cast.owner, customer=Customer.objects.get(pk=cast.customer.pk))
    assert "sign-in is switched off" in refused.value.message


@pytest.mark.parametrize("who", ["other_agent", "delegate", "contractor_user"])
def test_only_staff_who_may_change_the_customer_may_invite_them(cast: Cast, phoned_in: Customer, who: str) -> None:
    with nothing_written(), pytest.raises(NotAllowed):
        customer_invite(actor=getattr(cast, who), customer=phoned_in)
