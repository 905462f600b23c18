"""Rule: only an administrator of a contractor company invites technicians into it. The service
refuses by itself (the team page hiding the form is not the rule): a plain technician, staff,
a customer, or a deactivated company's administrator get NotAllowed, and no account or e-mail
is created."""

import pytest
from django.contrib.auth.models import User
from django.core import mail

from contractors.models import ContractorCompany, ContractorUser
from contractors.services import technician_invite
from portal.errors import NotAllowed
from tests.cases.dbstate import nothing_written
from tests.factories import make_contractor_user

NEWCOMER = {"first_name": "Nadia", "last_name": "Roux", "email": "nadia.roux@fibreco.example"}


@pytest.fixture
def boss(company: ContractorCompany) -> User:
    return make_contractor_user(company, "boss", admin=True)


def _refused(actor: User, captured) -> None:
    with captured(execute=True), nothing_written(), pytest.raises(NotAllowed) as refused:
        technician_invite(actor=actor, **NEWCOMER)
    assert refused.value.message == "Only an administrator of your company can invite technicians."
    assert not User.objects.filter(email=NEWCOMER["email"]).exists()
    assert mail.outbox == []


def test_a_technician_who_is_not_the_company_administrator_cannot_invite(
    contractor_user: User, django_capture_on_commit_callbacks
) -> None:
    assert contractor_user.contractor_profile.is_company_admin is False
    _refused(contractor_user, django_capture_on_commit_callbacks)


def test_nor_can_they_invite_another_administrator(contractor_user: User, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True), nothing_written(), pytest.raises(NotAllowed):
        technician_invite(actor=contractor_user, is_company_admin=True, **NEWCOMER)
    assert not ContractorUser.objects.filter(user__email=NEWCOMER["email"]).exists()


def test_staff_and_customers_cannot_invite_into_a_company(
    owner: User, manager: User, customer, django_capture_on_commit_callbacks
) -> None:
    for outsider in (owner, manager, customer.user):
        _refused(outsider, django_capture_on_commit_callbacks)


def test_the_administrator_of_a_deactivated_company_cannot_invite(
    boss: User, company: ContractorCompany, django_capture_on_commit_callbacks
) -> None:
    ContractorCompany.objects.filter(pk=company.pk).update(is_active=False)
    _refused(User.objects.get(pk=boss.pk), django_capture_on_commit_callbacks)


def test_the_company_administrator_may_invite(
    boss: User, company: ContractorCompany, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        member = technician_invite(actor=boss, **NEWCOMER)
    assert (member.company, member.is_company_admin) == (company, False)
    assert [message.to for message in mail.outbox] == [[NEWCOMER["email"]]]
