"""Company administrators invite technicians (one company per user); the invitation's link
lets the technician choose a password once, and they then see the company's jobs."""

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client
from django.urls import reverse

from cases import policies
from contractors.models import ContractorCompany, ContractorUser, Job
from contractors.services import invitation_path
from tests.cases.dbstate import nothing_written
from tests.contractor_ui.conftest import signed_in
from tests.factories import make_contractor_user

URL = reverse("contractor:team")
NEW_PASSWORD = "Cable-and-drill-2026"


@pytest.fixture
def boss(company: ContractorCompany) -> User:
    return make_contractor_user(company, "boss", admin=True)


def _invite(client: Client, **changes: str) -> object:
    data = {
        "invite-first_name": "Nadia",
        "invite-last_name": "Roux",
        "invite-email": "Nadia.Roux@fibreco.example",
        "invite-phone": "+33 6 11 22 33 44",
    }
    data.update(changes)
    return client.post(URL, data)


def _link(message: mail.EmailMessage) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


def test_the_team_page_lists_the_companys_users(tech_client: Client, boss: User, other_contractor_user: User) -> None:
    page = tech_client.get(URL).content.decode()
    assert boss.email in page
    assert other_contractor_user.email not in page
    assert "Send the invitation" not in page  # a technician does not invite


def test_an_administrator_invites_a_technician_who_sets_a_password_and_sees_the_jobs(
    boss: User, company: ContractorCompany, job: Job, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = _invite(signed_in(boss))
    assert response.status_code == 302
    member = ContractorUser.objects.select_related("user").get(user__email="nadia.roux@fibreco.example")
    assert (member.company, member.is_company_admin, member.phone) == (company, False, "+33 6 11 22 33 44")
    assert not member.user.has_usable_password()
    assert member.user.groups.filter(pk=company.group_id).exists()

    (message,) = mail.outbox
    assert message.to == ["nadia.roux@fibreco.example"]
    assert company.name in message.subject
    visitor = Client()
    form = visitor.get(_link(message), follow=True)
    assert "Choose your password" in form.content.decode()
    done = visitor.post(form.redirect_chain[-1][0], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == reverse("login")

    signing_in = visitor.post(
        reverse("login"), {"username": "nadia.roux@fibreco.example", "password": NEW_PASSWORD}, follow=True
    )
    assert signing_in.redirect_chain[-1][0] == reverse("contractor:jobs")
    assert job.title in visitor.get(reverse("contractor:jobs") + "?show=all").content.decode()

    # The link works once.
    again = Client().get(_link(message), follow=True)
    assert "no longer works" in again.content.decode()


def test_a_technician_cannot_invite(tech_client: Client) -> None:
    with nothing_written():
        response = _invite(tech_client)
    assert response.status_code == 403
    assert "Only an administrator of your company can invite technicians." in response.content.decode()


@pytest.mark.parametrize(
    ("email", "words"),
    [("owner@example.test", "already has a Steward account"), ("not-an-address", "is not an e-mail address")],
)
def test_an_address_in_use_or_malformed_is_refused(boss: User, owner: User, email: str, words: str) -> None:
    """One person, one company: an account that exists is never pulled into a company."""
    client = signed_in(boss)
    with nothing_written():
        response = _invite(client, **{"invite-email": email})
    assert response.status_code == 400
    assert words in response.content.decode()
    assert not mail.outbox


def test_an_empty_name_is_refused(boss: User) -> None:
    client = signed_in(boss)
    with nothing_written():
        response = _invite(client, **{"invite-first_name": "  "})
    assert response.status_code == 400
    assert "Write the technician&#x27;s first name." in response.content.decode()


def test_an_invitation_link_sets_no_password_but_a_contractors(owner: User, contractor_user: User) -> None:
    staff_link = invitation_path(owner)
    page = Client().get(staff_link, follow=True).content.decode()
    assert "no longer works" in page
    assert policies.contractor_company_of(contractor_user) is not None
