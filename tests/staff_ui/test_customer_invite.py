"""Inviting the customer to the self-service pages from the customer card of the case page."""

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import timezone

from cases.models import Case
from people.models import Customer
from tests.cases.dbstate import nothing_written
from tests.conftest import Cast
from tests.factories import CustomerFactory, make_case
from tests.staff_ui.conftest import signed_in
from tests.staff_ui.pages import case_url, html, text

INVITE = "staff:customer_invite"


@pytest.fixture
def intake_case(cast: Cast) -> Case:
    """A case for a customer created at intake, who has no sign-in yet."""
    customer = CustomerFactory(full_name="Lucie Bernard", email="lucie.bernard@example.test")
    return make_case(customer=customer, owner=cast.owner, subject="No dial tone")


def test_the_card_says_there_is_no_sign_in_and_offers_the_invitation(cast: Cast, intake_case: Case) -> None:
    page = html(signed_in(cast.owner).get(case_url(intake_case)))
    assert f'action="{case_url(intake_case, INVITE)}"' in page
    words = text(signed_in(cast.owner).get(case_url(intake_case)))
    assert "Self-service pages No sign-in yet" in words
    assert "Invite to the self-service pages" in words


def test_inviting_gives_a_sign_in_sends_the_e_mail_and_says_so(
    cast: Cast, intake_case: Case, django_capture_on_commit_callbacks
) -> None:
    client = signed_in(cast.owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(case_url(intake_case, INVITE))
    assert response.status_code == 302 and response["Location"] == case_url(intake_case) + "#customer"
    user = Customer.objects.get(pk=intake_case.customer_id).user
    assert user.email == "lucie.bernard@example.test"
    (message,) = mail.outbox
    assert message.to == ["lucie.bernard@example.test"] and "/my/password-reset/" in message.body
    page = text(client.get(response["Location"]))
    assert "Lucie Bernard now has a sign-in: the invitation to choose a password was sent to" in page
    assert "Has a sign-in; has never signed in" in page
    assert "Send the invitation again" in page
    assert "invited the customer to the self-service pages." in page


def test_the_card_says_when_the_customer_last_signed_in(cast: Cast) -> None:
    User.objects.filter(pk=cast.customer.user_id).update(last_login=timezone.now())
    page = text(signed_in(cast.owner).get(case_url(cast.case)))
    assert "Has a sign-in; last signed in on" in page
    assert "Send the invitation again" in page


def test_sending_again_says_where_it_went(cast: Cast, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(cast.owner).post(case_url(cast.case, INVITE), follow=True)
    assert f"The invitation to the self-service pages was sent again to {cast.customer.user.email}." in text(response)
    assert len(mail.outbox) == 1


def test_a_customer_without_an_e_mail_address_is_refused_on_the_card(cast: Cast, intake_case: Case) -> None:
    Customer.objects.filter(pk=intake_case.customer_id).update(email="")
    client = signed_in(cast.owner)
    with nothing_written():
        response = client.post(case_url(intake_case, INVITE))
    assert response.status_code == 400
    words = text(response)
    assert "Nothing was saved" in words
    assert "Lucie Bernard has no e-mail address. Add one to their details first, then invite them." in words
    assert 'id="invite-errors"' in html(response)
    assert not mail.outbox


def test_a_read_only_colleague_sees_no_button_and_is_refused(cast: Cast, intake_case: Case) -> None:
    client = signed_in(cast.other_agent)
    assert "invite-customer" not in html(client.get(case_url(intake_case)))
    with nothing_written():
        response = client.post(case_url(intake_case, INVITE))
    assert response.status_code == 403
    assert not mail.outbox
