"""Rules of cases/policies.py that only the role matrix and page suites reached: each test here
kills mutants that survived the policy tests (docs/mutation.md), so a broken rule fails fast
in the mutation job too."""

from django.contrib.auth.models import AnonymousUser, User
from django.utils import timezone

from cases import policies
from cases.models import Case, Handoff
from cases.services import case_handoff, claim_file, delegate_grant, sale_record, specialist_add
from contractors.models import ContractorCompany
from people.models import Customer
from tests.conftest import Cast
from tests.factories import UserFactory, make_case, make_staff


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def deactivated(user: User) -> User:
    user.is_active = False
    user.save(update_fields=["is_active"])
    return fresh(user)


def test_customers_visible_to_each_side(cast: Cast) -> None:
    everyone = set(Customer.objects.all())
    assert set(policies.customers_visible_to(fresh(cast.owner))) == everyone
    assert set(policies.customers_visible_to(fresh(cast.administrator))) == everyone
    assert set(policies.customers_visible_to(fresh(cast.customer.user))) == {cast.customer}
    assert set(policies.customers_visible_to(fresh(cast.delegate))) == {cast.customer}
    assert set(policies.customers_visible_to(AnonymousUser())) == set()
    assert set(policies.customers_visible_to(deactivated(cast.customer.user))) == set()


def test_handoff_summaries_are_for_staff_only(cast: Cast) -> None:
    handoff = case_handoff(
        actor=cast.owner, case=cast.case, to_user=cast.other_agent, reason="holiday", summary="Call her Monday"
    )
    assert list(policies.handoffs_visible_to(fresh(cast.manager))) == [handoff]
    for outsider in (cast.customer.user, cast.delegate, cast.contractor_user):
        assert not policies.handoffs_visible_to(fresh(outsider)).exists()
    assert Handoff.objects.count() == 1


def test_claim_readers_are_staff_and_the_customer_side(cast: Cast) -> None:
    claim = claim_file(actor=cast.owner, case=cast.case, insurer="AXA", policy_holder="customer")
    for reader in (cast.other_agent, cast.customer.user, cast.delegate, cast.administrator):
        assert policies.can_view_claim(fresh(reader), claim), reader
    for outsider in (cast.other_customer.user, cast.contractor_user, AnonymousUser()):
        assert not policies.can_view_claim(outsider if outsider.is_anonymous else fresh(outsider), claim)


def test_editing_a_customer_needs_a_hand_in_one_of_their_open_cases(cast: Cast) -> None:
    specialist = make_staff("specialist", department=cast.case.owner.staff_profile.department)
    specialist_add(actor=cast.owner, case=cast.case, user=specialist)
    for editor in (cast.owner, cast.manager, cast.head, specialist, cast.administrator):
        assert policies.can_edit_customer(fresh(editor), cast.customer), editor
        assert policies.can_invite_customer(fresh(editor), cast.customer), editor
    for outsider in (cast.other_agent, cast.customer.user, cast.delegate, cast.contractor_user):
        assert not policies.can_edit_customer(fresh(outsider), cast.customer), outsider
    assert not policies.can_edit_customer(AnonymousUser(), cast.customer)
    assert not policies.can_edit_customer(deactivated(cast.administrator), cast.customer)

    now = timezone.now()
    Case.objects.filter(pk=cast.case.pk).update(
        status=Case.Status.CLOSED, resolved_at=now, closed_at=now, close_reason=Case.CloseReason.CONFIRMED
    )
    assert not policies.can_edit_customer(fresh(cast.owner), cast.customer)
    assert not policies.can_edit_customer(fresh(specialist), cast.customer)


def test_merging_records_takes_the_manager_role(cast: Cast) -> None:
    assert policies.can_merge_records(fresh(cast.manager))
    assert policies.can_merge_records(fresh(cast.head))
    assert policies.can_merge_records(fresh(cast.administrator))
    assert not policies.can_merge_records(fresh(cast.owner))
    assert not policies.can_merge_records(fresh(cast.customer.user))
    assert not policies.can_merge_records(AnonymousUser())


def test_audience_of_each_side(cast: Cast) -> None:
    assert policies.audience_of(fresh(cast.owner)) == policies.STAFF
    assert policies.audience_of(fresh(cast.administrator)) == policies.STAFF
    assert policies.audience_of(fresh(cast.contractor_user)) == policies.CONTRACTOR
    assert policies.audience_of(fresh(cast.customer.user)) == policies.CUSTOMER_SIDE
    assert policies.audience_of(fresh(cast.delegate)) == policies.CUSTOMER_SIDE


def test_admin_site_needs_an_active_is_staff_account(cast: Cast) -> None:
    assert policies.is_administrator(fresh(cast.administrator))
    assert not policies.is_administrator(fresh(cast.owner))
    assert not policies.is_administrator(AnonymousUser())
    assert not policies.is_administrator(deactivated(cast.administrator))


def test_a_deactivated_company_sees_no_jobs(cast: Cast) -> None:
    assert policies.contractor_company_of(fresh(cast.contractor_user)) == cast.job.company
    ContractorCompany.objects.filter(pk=cast.job.company_id).update(is_active=False)
    assert policies.contractor_company_of(fresh(cast.contractor_user)) is None
    assert not policies.jobs_visible_to(fresh(cast.contractor_user)).exists()


def test_case_level_delegates_and_specialists_are_listed_per_case(cast: Cast) -> None:
    second = make_case(customer=cast.customer, owner=cast.owner, subject="Water leak")
    son = UserFactory(username="son")
    delegate_grant(actor=cast.owner, customer=cast.customer, user=son, relationship="son", cases=[second])
    specialist = make_staff("specialist", department=cast.case.owner.staff_profile.department)
    specialist_add(actor=cast.owner, case=second, user=specialist)

    assert set(policies.case_delegates(second)) == {son}
    assert not policies.case_delegates(cast.case).exists()
    assert set(policies.cases_delegated_to(son, cast.customer)) == {second}
    assert set(policies.case_specialists(second)) == {specialist}
    assert not policies.case_specialists(cast.case).exists()
    assert policies.is_any_delegate(fresh(son))
    assert policies.is_any_delegate(fresh(cast.delegate))
    assert not policies.is_any_delegate(fresh(cast.other_customer.user))
    assert not policies.is_any_delegate(AnonymousUser())
    assert policies.can_write_as_customer(fresh(son), second)
    assert not policies.can_write_as_customer(fresh(son), cast.case)
    assert not policies.can_write_as_customer(fresh(specialist), second)


def test_sales_and_jobs_are_read_by_staff_and_the_customer_side(cast: Cast) -> None:
    sale = sale_record(actor=cast.owner, case=cast.case, product="Fibre 1 Gb/s", advisor=cast.owner)
    for reader in (cast.other_agent, cast.administrator, cast.customer.user, cast.delegate):
        assert list(policies.sales_for(fresh(reader), cast.case)) == [sale], reader
        assert list(policies.jobs_for(fresh(reader), cast.case)) == [cast.job], reader
    for outsider in (cast.contractor_user, cast.other_customer.user):
        assert not policies.sales_for(fresh(outsider), cast.case).exists(), outsider
        assert not policies.jobs_for(fresh(outsider), cast.case).exists(), outsider


def test_customer_side_of_a_customer_is_them_or_a_delegate_on_all_their_cases(cast: Cast) -> None:
    second = make_case(customer=cast.customer, owner=cast.owner, subject="Water leak")
    son = UserFactory(username="son")
    delegate_grant(actor=cast.owner, customer=cast.customer, user=son, relationship="son", cases=[second])
    assert policies.is_customer_side_of(fresh(cast.customer.user), cast.customer)
    assert policies.is_customer_side_of(fresh(cast.delegate), cast.customer)
    assert not policies.is_customer_side_of(fresh(son), cast.customer)  # one case is not the whole record
    assert not policies.is_customer_side_of(fresh(cast.other_customer.user), cast.customer)
    assert not policies.is_customer_side_of(fresh(cast.owner), cast.customer)
    assert not policies.is_customer_side_of(deactivated(cast.customer.user), cast.customer)


def test_only_the_customer_or_staff_may_authorise_a_delegate(cast: Cast) -> None:
    for granter in (cast.customer.user, cast.other_agent, cast.administrator):
        assert policies.can_grant_delegate(fresh(granter), cast.customer), granter
    for outsider in (cast.other_customer.user, cast.delegate, cast.contractor_user):
        assert not policies.can_grant_delegate(fresh(outsider), cast.customer), outsider
    assert not policies.can_grant_delegate(AnonymousUser(), cast.customer)
    assert not policies.can_grant_delegate(deactivated(cast.customer.user), cast.customer)


# --- rules added with issue 15, found unprotected by the CI mutation job ---------------------


def _emerging_incident(cast: Cast, assignee: User):
    from cases.models import Flag
    from cases.services import flag_raise

    flag = flag_raise(
        kind=Flag.Kind.EMERGING_INCIDENT,
        subject_key="area:edges:69003",
        summary="Three new cases in 69003",
        case=cast.case,
        assignee=assignee,
    )
    assert flag is not None
    return flag


def switched_off(user: User) -> User:
    """The account as a stale session sees it after it was switched off (bypassing the guard
    that refuses to deactivate an owner of open cases: the policy must hold on its own)."""
    User.objects.filter(pk=user.pk).update(is_active=False)
    return fresh(user)


def test_an_emerging_incident_is_dismissed_by_its_holder_and_the_owners_managers_only(cast: Cast) -> None:
    flag = _emerging_incident(cast, assignee=cast.owner)
    for decider in (cast.owner, cast.manager, cast.head, cast.administrator):
        assert policies.can_dismiss_flag(fresh(decider), flag), decider
    for outsider in (cast.customer.user, cast.delegate, cast.contractor_user, cast.other_agent):
        assert not policies.can_dismiss_flag(fresh(outsider), flag), outsider
    assert not policies.can_dismiss_flag(AnonymousUser(), flag)
    assert not policies.can_dismiss_flag(switched_off(cast.owner), flag)


def test_personal_data_export_and_erasure_need_the_admin_site_and_the_permission(cast: Cast) -> None:
    from django.contrib.auth.models import Permission

    granted = UserFactory(username="granted-no-admin-site")
    granted.user_permissions.add(
        *Permission.objects.filter(codename__in=["export_customer_data", "erase_customer_data"])
    )
    assert not policies.can_export_customer_data(fresh(granted))
    assert not policies.can_erase_customer_data(fresh(granted))
    granted.is_staff = True
    granted.save(update_fields=["is_staff"])
    assert policies.can_export_customer_data(fresh(granted))
    assert policies.can_erase_customer_data(fresh(granted))
    assert policies.can_export_customer_data(fresh(cast.administrator))  # a superuser holds every permission
    assert not policies.can_export_customer_data(deactivated(granted))


def test_a_deactivated_customer_is_not_the_customer_side_and_a_deactivated_owner_edits_no_one(cast: Cast) -> None:
    assert policies.is_customer_side(fresh(cast.customer.user), cast.case)
    assert not policies.is_customer_side(deactivated(cast.customer.user), cast.case)
    assert policies.can_edit_customer(fresh(cast.owner), cast.customer)
    assert not policies.can_edit_customer(switched_off(cast.owner), cast.customer)
