"""company_create, contractor_user_add and job_share: who belongs to which company, and
which jobs a company may work on."""

import pytest
from django.contrib.auth.models import Group, User

from cases import policies
from cases.models import TimelineDepartment, TimelineEvent
from contractors.models import ContractorCompany, ContractorUser, Job
from contractors.services import company_create, contractor_user_add, job_share, technician_invite
from people.models import Customer
from portal.errors import NotAllowed, RuleViolation
from tests.cases.dbstate import events_written, nothing_written
from tests.factories import UserFactory, make_contractor_user


def test_company_is_created_with_its_user_group(db: None) -> None:
    company = company_create(name="  Plumbers & Co ", phone=" 01 23 ", email="desk@plumbers.test")
    assert company.name == "Plumbers & Co"
    assert company.phone == "01 23"
    assert company.group == Group.objects.get(name="Contractor: Plumbers & Co")


@pytest.mark.parametrize(("name", "words"), [("", "the company's name"), ("fibreco installations", "already exists")])
def test_bad_company_is_refused(company: ContractorCompany, name: str, words: str) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        company_create(name=name)
    assert refused.value.field == "name"
    assert words in refused.value.message


def test_company_admin_adds_a_technician_who_then_sees_the_companys_jobs(company: ContractorCompany, job: Job) -> None:
    admin = make_contractor_user(company, "boss", admin=True)
    newcomer = UserFactory(username="newcomer")
    member = contractor_user_add(actor=admin, company=company, user=newcomer)
    assert member.company == company and member.is_company_admin is False
    assert newcomer.groups.filter(pk=company.group_id).exists()
    assert policies.jobs_visible_to(User.objects.get(pk=newcomer.pk)).filter(pk=job.pk).exists()


def test_administrator_may_add_users_to_any_company(administrator: User, other_company: ContractorCompany) -> None:
    member = contractor_user_add(actor=administrator, company=other_company, user=UserFactory(), is_company_admin=True)
    assert member.is_company_admin


def test_only_the_companys_own_admin_may_add_users(
    company: ContractorCompany, other_company: ContractorCompany, contractor_user: User, owner: User
) -> None:
    other_admin = make_contractor_user(other_company, "other_boss", admin=True)
    newcomer = UserFactory(username="newcomer")
    for outsider in (contractor_user, other_admin, owner):
        with nothing_written(), pytest.raises(NotAllowed):
            contractor_user_add(actor=outsider, company=company, user=newcomer)


def test_staff_customers_and_members_of_a_company_cannot_be_added(
    administrator: User,
    company: ContractorCompany,
    owner: User,
    customer: Customer,
    other_contractor_user: User,
) -> None:
    for unsuitable, words in (
        (owner, "cannot be contractor users"),
        (customer.user, "cannot be contractor users"),
        (other_contractor_user, "already belongs"),
    ):
        with nothing_written(), pytest.raises(RuleViolation) as refused:
            contractor_user_add(actor=administrator, company=company, user=unsuitable)
        assert refused.value.field == "user"
        assert words in refused.value.message
    assert ContractorUser.objects.get(user=other_contractor_user).company != company


# --- sharing a job with a second company --------------------------------------------------------


def test_shared_job_reaches_the_second_company(
    owner: User, job: Job, other_company: ContractorCompany, other_contractor_user: User
) -> None:
    assert not policies.can_work_on_job(other_contractor_user, job)
    with events_written() as events:
        job_share(actor=owner, job=job, company=other_company)
    assert policies.can_work_on_job(other_contractor_user, job)
    event = events.one(TimelineEvent.Kind.JOB_STATUS)
    assert event.department == TimelineDepartment.FIELD
    assert event.customer_visible is False
    assert event.summary == f"Job {job.reference} shared with Other Works."


def test_sharing_with_the_assigned_company_is_refused(owner: User, job: Job, company: ContractorCompany) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        job_share(actor=owner, job=job, company=company)
    assert refused.value.field == "company"


def test_sharing_with_a_company_without_group_is_refused(owner: User, job: Job) -> None:
    lonely = ContractorCompany.objects.create(name="No group Ltd")
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        job_share(actor=owner, job=job, company=lonely)
    assert refused.value.field == "company"


def test_contractors_and_other_agents_cannot_share_jobs(
    job: Job, other_company: ContractorCompany, contractor_user: User, other_agent: User, customer: Customer
) -> None:
    for outsider in (contractor_user, other_agent, customer.user):
        with nothing_written(), pytest.raises(NotAllowed):
            job_share(actor=outsider, job=job, company=other_company)


def test_adding_a_user_trusts_the_database_not_a_form_linked_unsaved_membership(company) -> None:
    from contractors.models import ContractorUser
    from contractors.services import contractor_user_add
    from tests.factories import UserFactory

    user = UserFactory(username="newtech")
    ContractorUser(user=user, company=company)  # what an admin form does before saving
    member = contractor_user_add(actor=None, company=company, user=user)
    assert member.pk and member.company == company


@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_an_invited_name_is_at_most_150_characters_as_the_account_keeps_it(
    company: ContractorCompany, field: str, django_capture_on_commit_callbacks
) -> None:
    boss = make_contractor_user(company, "boss", admin=True)
    names = {"first_name": "Nadia", "last_name": "Roux"}
    longest = {**names, field: "N" * 150}
    with django_capture_on_commit_callbacks(execute=True):
        member = technician_invite(actor=boss, email="nadia.roux@fibreco.example", **longest)
    assert getattr(member.user, field) == "N" * 150
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        technician_invite(actor=boss, email="paul.roux@fibreco.example", **{**names, field: "N" * 151})
    assert refused.value.field == field
    assert "under 150 characters" in refused.value.message
