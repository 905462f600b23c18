"""My helpers: the customer invites and removes delegates. A person without an account gets
one that cannot sign in until they choose a password from the e-mail; delegates themselves
never manage helpers."""

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse

from cases.models import Case, TimelineEvent
from people.models import Delegate
from tests.cases.dbstate import nothing_written
from tests.conftest import Cast
from tests.factories import UserFactory, make_staff
from tests.selfservice.conftest import signed_in
from tests.selfservice.pages import assert_field_error, my_url, text

HELPERS = "/my/helpers/"


def _invite(client: Client, **fields: object):
    data = {"full_name": "Chloé Carer", "email": "chloe@example.test", "relationship": "carer", "scope": "all"}
    data.update(fields)
    return client.post(HELPERS, data)


def _link(message: mail.EmailMessage) -> str:
    return "/" + re.search(r"https?://\S+", message.body).group(0).split("://", 1)[1].split("/", 1)[1]


def test_the_customer_sees_who_helps_them(cast: Cast, customer_client: Client) -> None:
    page = text(customer_client.get(HELPERS))
    assert "Paul Martin (son)" in page
    assert "May see all your cases." in page
    assert "Remove Paul Martin" in page


def test_inviting_someone_new_creates_an_account_that_cannot_sign_in_yet(
    cast: Cast, customer_client: Client, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(customer_client)
    assert response["Location"] == HELPERS
    helper = User.objects.get(email="chloe@example.test")
    assert (helper.first_name, helper.last_name) == ("Chloé", "Carer")
    assert helper.is_active and not helper.has_usable_password()
    assert Delegate.objects.get(user=helper, revoked_at__isnull=True).customer == cast.customer
    assert signed_in(helper).get(my_url(cast.case)).status_code == 200
    refused = Client().post(reverse("login"), {"username": "chloe@example.test", "password": ""})
    assert "_auth_user_id" not in refused.client.session
    (message,) = mail.outbox
    assert message.to == ["chloe@example.test"]
    assert "Jeanne Martin asks you to help" in message.subject
    assert "/my/password-reset/" in message.body
    assert "Chloé Carer may now see and act on your cases." in text(customer_client.get(HELPERS))


def test_the_invitation_link_sets_a_password_and_the_helper_signs_in(
    cast: Cast, customer_client: Client, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _invite(customer_client)
    browser = Client()
    form_page = browser.get(_link(mail.outbox[0]), follow=True)
    assert "Choose your password" in text(form_page)
    done = browser.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "Heating-fixed-2026", "new_password2": "Heating-fixed-2026"},
    )
    assert done["Location"] == reverse("my:password_reset_complete")
    signed = browser.post(
        reverse("login"), {"username": "chloe@example.test", "password": "Heating-fixed-2026"}, follow=True
    )
    assert signed.redirect_chain[-1][0] == reverse("my:cases")
    assert "Fibre installation" in text(signed)
    assert "This link no longer works" in text(Client().get(_link(mail.outbox[0]), follow=True))


def test_inviting_someone_with_an_account_tells_them_to_sign_in(
    cast: Cast, customer_client: Client, django_capture_on_commit_callbacks
) -> None:
    neighbour = UserFactory(username="neighbour", email="neighbour@example.test", first_name="Nadia")
    with django_capture_on_commit_callbacks(execute=True):
        _invite(customer_client, email="Neighbour@Example.test", relationship="neighbour")
    assert Delegate.objects.filter(user=neighbour, customer=cast.customer).exists()
    assert "Sign in with your usual e-mail address" in mail.outbox[0].body
    assert "password-reset" not in mail.outbox[0].body


def test_inviting_for_some_cases_only(cast: Cast, customer_client: Client, second_case: Case) -> None:
    _invite(customer_client, scope="some", cases=[str(second_case.pk)])
    helper = User.objects.get(email="chloe@example.test")
    client = signed_in(helper)
    assert client.get(my_url(second_case)).status_code == 200
    assert client.get(my_url(cast.case)).status_code == 404
    assert f"May see: Landline crackles ({second_case.reference})" in text(customer_client.get(HELPERS))


def test_some_cases_without_any_ticked_says_what_to_do(cast: Cast, customer_client: Client) -> None:
    with nothing_written():
        response = _invite(customer_client, scope="some")
    assert response.status_code == 400
    assert "Tick at least one case, or choose “All my cases”." in text(response)


def test_another_customers_case_cannot_be_granted(cast: Cast, customer_client: Client) -> None:
    with nothing_written():
        response = _invite(customer_client, scope="some", cases=[str(cast.other_case.pk)])
    assert response.status_code == 400
    assert "Choose among your cases shown here." in text(response)


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"email": ""}, "id_email", "Write their e-mail address"),
        ({"email": "paul@"}, "id_email", "That is not a complete e-mail address."),
        ({"relationship": ""}, "id_relationship", "Write who they are to you"),
        ({"full_name": ""}, "id_full_name", "Write your helper's name."),
        ({"email": "customer@example.test"}, "id_email", "That is your own e-mail address"),
        ({"email": "delegate@example.test"}, "id_email", "Paul Martin is already a delegate of Jeanne Martin."),
    ],
)
def test_bad_input_says_what_to_do_and_stores_nothing(
    cast: Cast, customer_client: Client, fields: dict, field_id: str, message: str
) -> None:
    with nothing_written():
        response = _invite(customer_client, **fields)
    assert response.status_code == 400
    assert_field_error(response, field_id, message)
    assert not mail.outbox


def test_staff_contractor_and_admin_accounts_get_one_neutral_answer(cast: Cast, customer_client: Client) -> None:
    make_staff("colleague", email="colleague@example.test")
    for email in ("colleague@example.test", cast.contractor_user.email, "admin@example.test"):
        with nothing_written():
            response = _invite(customer_client, email=email)
        assert_field_error(response, "id_email", "We cannot add this person online. Please call us")


def test_an_invited_helper_who_never_chose_a_password_gets_the_e_mail_again(
    cast: Cast, customer_client: Client, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _invite(customer_client)
        _invite(customer_client)
    assert len(mail.outbox) == 2
    assert Delegate.objects.filter(user__email="chloe@example.test", revoked_at__isnull=True).count() == 1


def test_removing_a_helper_asks_first_then_cuts_access(cast: Cast, customer_client: Client, delegate: User) -> None:
    grant = Delegate.objects.get(user=delegate)
    path = reverse("my:helper_remove", args=[grant.pk])
    assert "Yes, remove Paul Martin" in text(customer_client.get(path))
    assert Delegate.objects.get(pk=grant.pk).revoked_at is None
    response = customer_client.post(path)
    assert response["Location"] == HELPERS
    assert Delegate.objects.get(pk=grant.pk).revoked_at is not None
    assert signed_in(delegate).get(my_url(cast.case)).status_code == 404
    assert cast.case.timeline.filter(kind=TimelineEvent.Kind.ACCESS, summary__contains="no longer").exists()
    assert "Paul Martin can no longer see your cases." in text(customer_client.get(HELPERS))


def test_a_delegate_manages_no_helpers(cast: Cast, delegate_client: Client) -> None:
    grant = Delegate.objects.get(user=cast.delegate)
    assert delegate_client.get(HELPERS).status_code == 404
    with nothing_written():
        assert _invite(delegate_client).status_code == 404
        assert delegate_client.post(reverse("my:helper_remove", args=[grant.pk])).status_code == 404
    assert "My helpers" not in text(delegate_client.get("/my/"))


def test_another_customer_cannot_remove_her_helper(cast: Cast, other_client: Client) -> None:
    grant = Delegate.objects.get(user=cast.delegate)
    with nothing_written():
        assert other_client.post(reverse("my:helper_remove", args=[grant.pk])).status_code == 404
    assert other_client.get(reverse("my:helper_remove", args=[grant.pk])).status_code == 404


def test_a_removed_helper_cannot_be_removed_twice(cast: Cast, customer_client: Client) -> None:
    grant = Delegate.objects.get(user=cast.delegate)
    customer_client.post(reverse("my:helper_remove", args=[grant.pk]))
    assert customer_client.post(reverse("my:helper_remove", args=[grant.pk])).status_code == 404
