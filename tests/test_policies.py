"""The policy module (cases/policies.py): who may see and change what, rule by rule.

Grants are made through the services (delegate_grant, specialist_add, job_share) so these
tests exercise the same django-guardian rows the product writes.
"""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from cases import policies
from cases.models import Case, InsuranceClaim, Message, Promise, TimelineEvent
from cases.services import (
    claim_file,
    delegate_grant,
    delegate_revoke,
    message_receive,
    message_reply,
    note_add,
    promise_make,
    specialist_add,
    specialist_remove,
)
from contractors.models import ContractorCompany, Job
from contractors.services import job_share
from people.models import Customer, Delegate, Department, StaffProfile
from tests.conftest import Cast
from tests.factories import (
    CompanyFactory,
    DepartmentFactory,
    UserFactory,
    make_case,
    make_contractor_user,
    make_job,
    make_staff,
)

TOMORROW = timedelta(days=1)


def fresh(user: User) -> User:
    """The user as a new request would load it: no profile or company cached from set-up."""
    return User.objects.get(pk=user.pk)


def visible_cases(user: User | AnonymousUser) -> set[Case]:
    return set(policies.cases_visible_to(user))


def visible_jobs(user: User | AnonymousUser) -> set[Job]:
    return set(policies.jobs_visible_to(user))


@pytest.fixture
def second_case(cast: Cast) -> Case:
    """Another case of the same customer, opened after the delegate was authorised."""
    return make_case(customer=cast.customer, owner=cast.owner, subject="Water leak after drilling")


@pytest.fixture
def carer(cast: Cast, second_case: Case) -> User:
    """A delegate granted on one chosen case only."""
    user = UserFactory(username="carer", first_name="Claire", last_name="Carer")
    delegate_grant(actor=cast.owner, customer=cast.customer, user=user, relationship="carer", cases=[second_case])
    return user


@pytest.fixture
def specialist(cast: Cast) -> User:
    """A colleague from another department, added to help on the cast's case."""
    claims = DepartmentFactory(code="claims", name="Claims")
    user = make_staff("specialist", department=claims, first_name="Sam", last_name="Specialist")
    specialist_add(actor=cast.owner, case=cast.case, user=user)
    return user


@pytest.fixture
def outside_manager(db: None) -> User:
    """A team manager of another department: not in the owner's line."""
    sales: Department = DepartmentFactory(code="sales", name="Sales")
    return make_staff("sales_manager", department=sales, role=StaffProfile.Role.MANAGER)


# --- cases_visible_to and can_view_case ------------------------------------------------


def test_every_member_of_staff_sees_every_case(cast: Cast) -> None:
    every_case = set(Case.objects.all())
    assert every_case == {cast.case, cast.other_case}
    for user in (cast.owner, cast.other_agent, cast.manager, cast.head, cast.administrator):
        assert visible_cases(fresh(user)) == every_case, user.username


def test_customer_sees_only_their_own_cases(cast: Cast) -> None:
    assert visible_cases(fresh(cast.customer.user)) == {cast.case}
    assert visible_cases(fresh(cast.other_customer.user)) == {cast.other_case}
    assert not policies.can_view_case(cast.customer.user, cast.other_case)
    assert not policies.can_view_case(cast.other_customer.user, cast.case)


def test_delegate_granted_on_the_customer_sees_all_their_cases_including_later_ones(
    cast: Cast, second_case: Case
) -> None:
    assert visible_cases(fresh(cast.delegate)) == {cast.case, second_case}
    assert policies.is_customer_side(cast.delegate, second_case)
    assert policies.is_customer_side_of(cast.delegate, cast.customer)
    assert not policies.can_view_case(cast.delegate, cast.other_case)


def test_delegate_granted_on_chosen_cases_sees_only_those(cast: Cast, second_case: Case, carer: User) -> None:
    assert visible_cases(fresh(carer)) == {second_case}
    assert policies.is_customer_side(carer, second_case)
    assert not policies.is_customer_side(carer, cast.case)
    # A case-by-case grant is not a grant on the customer: later cases stay out of reach.
    assert not policies.is_customer_side_of(carer, cast.customer)
    third = make_case(customer=cast.customer, owner=cast.owner, subject="Heating still broken")
    assert not policies.can_view_case(carer, third)


def test_revoked_delegate_sees_nothing(cast: Cast, second_case: Case, carer: User) -> None:
    for user in (cast.delegate, carer):
        delegate_revoke(actor=cast.customer.user, delegate=Delegate.objects.get(user=user))
        assert visible_cases(fresh(user)) == set(), user.username
        assert not policies.is_customer_side(user, cast.case)
        assert not policies.is_customer_side(user, second_case)
        assert not policies.is_customer_side_of(user, cast.customer)


def test_contractor_users_see_no_cases_even_for_their_own_jobs(cast: Cast) -> None:
    assert cast.job.case == cast.case
    for user in (cast.contractor_user, cast.other_contractor_user):
        assert visible_cases(fresh(user)) == set(), user.username
        assert not policies.can_view_case(user, cast.case)
        assert not policies.is_customer_side(user, cast.case)


def test_anonymous_and_deactivated_users_see_no_cases(cast: Cast) -> None:
    assert visible_cases(AnonymousUser()) == set()
    # Staff who own open cases cannot be deactivated (invariant 4): the manager owns none.
    for user in (cast.customer.user, cast.delegate, cast.manager):
        user = fresh(user)
        user.is_active = False
        user.save(update_fields=["is_active"])
        assert visible_cases(user) == set(), user.username


def test_staff_are_never_on_the_customer_side(cast: Cast) -> None:
    for user in (cast.owner, cast.manager, cast.head):
        assert not policies.is_customer_side(user, cast.case)
    assert policies.is_customer_side(cast.customer.user, cast.case)
    assert not policies.is_customer_side(cast.other_customer.user, cast.case)
    assert not policies.is_customer_side(AnonymousUser(), cast.case)


# --- can_work_on_case and can_handoff ---------------------------------------------------


def test_owner_their_manager_and_head_of_department_may_work_on_the_case(cast: Cast) -> None:
    for user in (cast.owner, cast.manager, cast.head, cast.administrator):
        assert policies.can_work_on_case(user, cast.case), user.username


def test_other_agents_and_outsiders_may_not_work_on_the_case(cast: Cast, outside_manager: User) -> None:
    outsiders = [
        cast.other_agent,
        outside_manager,
        cast.customer.user,
        cast.delegate,
        cast.other_customer.user,
        cast.contractor_user,
        cast.other_contractor_user,
        AnonymousUser(),
    ]
    for user in outsiders:
        assert not policies.can_work_on_case(user, cast.case), str(user)


def test_specialist_added_to_the_case_may_work_on_it_until_removed(cast: Cast, specialist: User) -> None:
    assert policies.is_specialist(specialist, cast.case)
    assert policies.can_work_on_case(specialist, cast.case)
    # The grant is on one case, not on the customer or the owner's other work.
    assert not policies.can_work_on_case(specialist, cast.other_case)
    specialist_remove(actor=cast.owner, case=cast.case, user=specialist)
    assert not policies.can_work_on_case(specialist, cast.case)


def test_deactivated_staff_may_not_work_on_the_case(cast: Cast, specialist: User) -> None:
    for user in (cast.manager, cast.head, specialist, cast.administrator):
        user = fresh(user)
        user.is_active = False
        user.save(update_fields=["is_active"])
        assert not policies.can_work_on_case(user, cast.case), user.username


def test_specialist_may_help_but_not_hand_the_case_off(cast: Cast, specialist: User) -> None:
    assert policies.can_work_on_case(specialist, cast.case)
    assert not policies.can_handoff(specialist, cast.case)


def test_owner_manager_head_and_administrator_may_hand_the_case_off(cast: Cast, outside_manager: User) -> None:
    for user in (cast.owner, cast.manager, cast.head, cast.administrator):
        assert policies.can_handoff(user, cast.case), user.username
    for user in (cast.other_agent, outside_manager, cast.customer.user, cast.contractor_user, AnonymousUser()):
        assert not policies.can_handoff(user, cast.case), str(user)


def test_any_member_of_staff_may_note_a_call_but_nobody_else(cast: Cast) -> None:
    for user in (cast.owner, cast.other_agent, cast.manager, cast.administrator):
        assert policies.can_note_on_case(user, cast.case), user.username
    for user in (cast.customer.user, cast.delegate, cast.contractor_user, AnonymousUser()):
        assert not policies.can_note_on_case(user, cast.case), str(user)


# --- what each side reads of a case -----------------------------------------------------


@pytest.fixture
def conversation(cast: Cast) -> dict[str, object]:
    """A case with something for every side: a customer message and reply, an internal note,
    a promise to the customer and one owed to the insurer, a filed claim."""
    now = timezone.now()
    return {
        "inbound": message_receive(actor=cast.customer.user, case=cast.case, body="The pipe is still leaking."),
        "reply": message_reply(actor=cast.owner, case=cast.case, body="A plumber comes on Monday."),
        "note": note_add(actor=cast.owner, case=cast.case, body="Contractor drilled into the heating pipe."),
        "to_customer": promise_make(actor=cast.owner, case=cast.case, text="Plumber on Monday", due_at=now + TOMORROW),
        "to_insurer": promise_make(
            actor=cast.owner,
            case=cast.case,
            text="Send the photos to the insurer",
            due_at=now + TOMORROW,
            owed_to_customer=False,
            owed_to_name="Mutuelle Habitat",
        ),
        "claim": claim_file(actor=cast.owner, case=cast.case, insurer="Mutuelle Habitat", policy_holder="customer"),
    }


def test_customer_side_timeline_shows_only_customer_visible_events(cast: Cast, conversation: dict) -> None:
    every_event = set(TimelineEvent.objects.filter(case=cast.case))
    internal = {e for e in every_event if not e.customer_visible}
    # The note and the promise to the insurer are on the timeline, out of the customer's sight.
    assert {e.subject_key for e in internal} >= {
        f"message:{conversation['note'].pk}",
        f"promise:{conversation['to_insurer'].pk}",
    }
    for user in (cast.customer.user, cast.delegate):
        shown = set(policies.timeline_for(user, cast.case))
        assert shown == every_event - internal, user.username
    assert set(policies.timeline_for(cast.owner, cast.case)) == every_event
    assert set(policies.timeline_for(cast.other_agent, cast.case)) == every_event


def test_customer_side_never_reads_internal_notes(cast: Cast, conversation: dict) -> None:
    for user in (cast.customer.user, cast.delegate):
        assert set(policies.messages_for(user, cast.case)) == {conversation["inbound"], conversation["reply"]}
    assert set(policies.messages_for(cast.owner, cast.case)) == set(Message.objects.filter(case=cast.case))
    assert conversation["note"] in policies.messages_for(cast.manager, cast.case)


def test_customer_side_sees_only_promises_made_to_the_customer(cast: Cast, conversation: dict) -> None:
    for user in (cast.customer.user, cast.delegate):
        assert set(policies.promises_for(user, cast.case)) == {conversation["to_customer"]}
    assert set(policies.promises_for(cast.owner, cast.case)) == set(Promise.objects.filter(case=cast.case))
    assert len(set(policies.promises_for(cast.owner, cast.case))) == 2


def test_customer_side_sees_the_claims_on_their_case(cast: Cast, conversation: dict) -> None:
    for user in (cast.customer.user, cast.delegate, cast.owner):
        assert set(policies.claims_for(user, cast.case)) == {conversation["claim"]}, user.username
    assert InsuranceClaim.objects.filter(case=cast.case).count() == 1


def test_outsiders_read_nothing_of_the_case(cast: Cast, conversation: dict) -> None:
    outsiders = [cast.other_customer.user, cast.contractor_user, cast.other_contractor_user, AnonymousUser()]
    for user in outsiders:
        assert not policies.timeline_for(user, cast.case).exists(), str(user)
        assert not policies.messages_for(user, cast.case).exists(), str(user)
        assert not policies.promises_for(user, cast.case).exists(), str(user)
        assert not policies.claims_for(user, cast.case).exists(), str(user)


def test_revoked_delegate_reads_nothing_of_the_case(cast: Cast, conversation: dict) -> None:
    delegate_revoke(actor=cast.owner, delegate=Delegate.objects.get(user=cast.delegate))
    assert not policies.timeline_for(cast.delegate, cast.case).exists()
    assert not policies.messages_for(cast.delegate, cast.case).exists()
    assert not policies.promises_for(cast.delegate, cast.case).exists()


def test_deactivated_administrator_reads_nothing_of_the_case(cast: Cast, conversation: dict) -> None:
    administrator = fresh(cast.administrator)
    administrator.is_active = False
    administrator.save(update_fields=["is_active"])
    assert not policies.timeline_for(administrator, cast.case).exists()
    assert not policies.messages_for(administrator, cast.case).exists()
    assert not policies.promises_for(administrator, cast.case).exists()
    assert not policies.claims_for(administrator, cast.case).exists()
    assert not policies.can_grant_delegate(administrator, cast.customer)
    assert not policies.can_manage_alerts(administrator)


# --- contractor jobs --------------------------------------------------------------------


def test_contractor_user_sees_their_company_jobs_only(cast: Cast) -> None:
    assert visible_jobs(fresh(cast.contractor_user)) == {cast.job}
    assert visible_jobs(fresh(cast.other_contractor_user)) == set()
    assert policies.can_work_on_job(cast.contractor_user, cast.job)
    assert not policies.can_work_on_job(cast.other_contractor_user, cast.job)


def test_job_shared_with_a_second_company_is_visible_to_its_users(cast: Cast) -> None:
    other_company = cast.other_contractor_user.contractor_profile.company
    third_company: ContractorCompany = CompanyFactory(name="Third Plumbing")
    third_user = make_contractor_user(third_company, "plumber")
    job_share(actor=cast.owner, job=cast.job, company=other_company)
    assert visible_jobs(fresh(cast.other_contractor_user)) == {cast.job}
    assert policies.can_work_on_job(cast.other_contractor_user, cast.job)
    # Sharing reaches the named company only, and its own company keeps the job.
    assert visible_jobs(fresh(third_user)) == set()
    assert visible_jobs(fresh(cast.contractor_user)) == {cast.job}


def test_job_shared_with_a_company_reaches_users_who_join_it_later(cast: Cast) -> None:
    other_company = cast.other_contractor_user.contractor_profile.company
    job_share(actor=cast.owner, job=cast.job, company=other_company)
    newcomer = make_contractor_user(other_company, "apprentice")
    assert visible_jobs(fresh(newcomer)) == {cast.job}


def test_users_of_an_inactive_company_see_no_jobs(cast: Cast) -> None:
    company = cast.contractor_user.contractor_profile.company
    company.is_active = False
    company.save(update_fields=["is_active"])
    contractor = fresh(cast.contractor_user)
    assert visible_jobs(contractor) == set()
    assert not policies.can_work_on_job(contractor, cast.job)
    assert visible_cases(contractor) == set()


def test_staff_see_every_job_and_customers_none(cast: Cast) -> None:
    other_company = cast.other_contractor_user.contractor_profile.company
    other_job = make_job(case=cast.other_case, company=other_company, actor=cast.other_agent, title="Check router")
    for user in (cast.owner, cast.other_agent, cast.manager, cast.administrator):
        assert visible_jobs(fresh(user)) == {cast.job, other_job}, user.username
    for user in (cast.customer.user, cast.delegate, cast.other_customer.user, AnonymousUser()):
        assert visible_jobs(user) == set(), str(user)
    assert visible_jobs(fresh(cast.other_contractor_user)) == {other_job}


def test_staff_work_on_a_job_as_they_work_on_its_case(cast: Cast) -> None:
    assert policies.can_work_on_job(cast.owner, cast.job)
    assert policies.can_work_on_job(cast.manager, cast.job)
    assert not policies.can_work_on_job(cast.other_agent, cast.job)
    assert not policies.can_work_on_job(cast.customer.user, cast.job)


# --- deactivating staff -----------------------------------------------------------------


def test_manager_or_head_of_department_may_deactivate_their_staff(cast: Cast) -> None:
    assert policies.can_deactivate_staff(cast.manager, cast.owner)
    assert policies.can_deactivate_staff(cast.head, cast.owner)
    assert policies.can_deactivate_staff(cast.head, cast.manager)
    assert policies.can_deactivate_staff(cast.administrator, cast.owner)


def test_nobody_else_may_deactivate_staff(cast: Cast, outside_manager: User) -> None:
    assert not policies.can_deactivate_staff(cast.owner, cast.owner)
    assert not policies.can_deactivate_staff(cast.other_agent, cast.owner)
    assert not policies.can_deactivate_staff(outside_manager, cast.owner)
    # A manager does not manage their own manager.
    assert not policies.can_deactivate_staff(cast.manager, cast.head)
    assert not policies.can_deactivate_staff(cast.administrator, cast.administrator)
    for user in (cast.customer.user, cast.contractor_user, AnonymousUser()):
        assert not policies.can_deactivate_staff(user, cast.owner), str(user)


def test_managers_may_only_deactivate_staff_accounts(cast: Cast) -> None:
    assert not policies.can_deactivate_staff(cast.manager, cast.customer.user)
    assert not policies.can_deactivate_staff(cast.head, cast.contractor_user)


def test_deactivated_manager_may_not_deactivate_anyone(cast: Cast) -> None:
    manager = fresh(cast.manager)
    manager.is_active = False
    manager.save(update_fields=["is_active"])
    assert not policies.can_deactivate_staff(manager, cast.owner)


# --- cost -------------------------------------------------------------------------------


@pytest.fixture
def busy_customer(cast: Cast) -> Customer:
    """The cast's customer with forty cases, and forty more for someone else."""
    for n in range(40):
        make_case(customer=cast.customer, owner=cast.owner, subject=f"Follow-up {n}")
        make_case(customer=cast.other_customer, owner=cast.other_agent, subject=f"Other follow-up {n}")
    return cast.customer


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("owner", 82),
        ("administrator", 82),
        ("customer", 41),
        ("delegate", 41),
        ("other_customer", 41),
        ("contractor_user", 0),
    ],
)
def test_visible_cases_cost_a_fixed_number_of_queries(
    cast: Cast,
    busy_customer: Customer,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    who: str,
    expected: int,
) -> None:
    user = getattr(cast, who)
    user = fresh(user.user if isinstance(user, Customer) else user)
    # Profile look-ups plus one query for the list, however many cases there are.
    with django_assert_max_num_queries(4):
        cases = list(policies.cases_visible_to(user))
    assert len(cases) == expected


def test_jobs_for_shows_a_cases_visits_to_staff_and_the_customer_side_only(cast) -> None:
    from cases.policies import jobs_for

    for reader in (cast.owner, cast.other_agent, cast.customer.user, cast.delegate):
        assert list(jobs_for(reader, cast.case)) == [cast.job]
    for outsider in (cast.other_customer.user, cast.contractor_user, cast.other_contractor_user):
        assert not jobs_for(outsider, cast.case).exists()


# --- rules added with the reports, the survey follow-up and the speed work -------------------


def test_reports_are_for_managers_heads_and_superusers_only(cast: Cast) -> None:
    assert policies.can_view_reports(cast.manager)
    assert policies.can_view_reports(cast.head)
    assert policies.can_view_reports(cast.administrator)
    for user in (cast.owner, cast.other_agent, cast.customer.user, cast.delegate, cast.contractor_user):
        assert not policies.can_view_reports(user), user
    assert not policies.can_view_reports(AnonymousUser())


def test_a_reports_scope_is_the_team_the_department_or_everyone(cast: Cast) -> None:
    assert policies.report_owners_for(cast.administrator) is None  # no limit
    team = policies.report_owners_for(cast.manager)
    assert team is not None and {cast.manager, cast.owner, cast.other_agent} <= set(team)
    assert cast.head not in team
    department = policies.report_owners_for(cast.head)
    assert department is not None and {cast.head, cast.manager, cast.owner, cast.other_agent} <= set(department)
    for user in (cast.owner, cast.customer.user, cast.contractor_user):
        scope = policies.report_owners_for(user)
        assert scope is not None and not scope.exists(), user


def test_staff_and_superusers_see_every_case_and_no_one_else_does(cast: Cast) -> None:
    for user in (cast.owner, cast.other_agent, cast.manager, cast.head, cast.administrator):
        assert policies.sees_every_case(user), user
    for user in (cast.customer.user, cast.delegate, cast.contractor_user, AnonymousUser()):
        assert not policies.sees_every_case(user), user


def test_rows_on_visible_cases_are_filtered_for_customers_only(cast: Cast) -> None:
    theirs = message_receive(actor=cast.customer.user, case=cast.case, body="Still no line.")
    elsewhere = message_receive(actor=cast.other_customer.user, case=cast.other_case, body="Mine neither.")
    messages = Message.objects.filter(pk__in=[theirs.pk, elsewhere.pk])
    assert set(policies.on_visible_cases(messages, cast.owner)) == {theirs, elsewhere}
    assert set(policies.on_visible_cases(messages, cast.customer.user)) == {theirs}
    assert set(policies.on_visible_cases(messages, cast.delegate)) == {theirs}
    assert not policies.on_visible_cases(messages, cast.contractor_user).exists()
    assert not policies.on_visible_cases(messages, AnonymousUser()).exists()


def test_a_survey_goes_to_sales_by_whoever_may_hand_off_or_the_named_contact(cast: Cast) -> None:
    assert policies.can_pass_survey_to_sales(cast.owner, cast.case, contact_id=None)
    assert policies.can_pass_survey_to_sales(cast.other_agent, cast.case, contact_id=cast.other_agent.pk)
    assert not policies.can_pass_survey_to_sales(cast.other_agent, cast.case, contact_id=cast.owner.pk)
    assert not policies.can_pass_survey_to_sales(cast.other_agent, cast.case, contact_id=None)
    customer = cast.customer.user
    assert not policies.can_pass_survey_to_sales(customer, cast.case, contact_id=customer.pk)
