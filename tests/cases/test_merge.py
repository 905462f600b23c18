"""customer_merge and case_merge: every linked record ends on the survivor, the merged record
keeps a link and leaves every list, and a refused merge changes nothing."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from cases import policies, selectors
from cases.models import Case, Flag, Survey, TimelineEvent
from cases.services import (
    case_confirm,
    case_handoff,
    case_merge,
    case_resolve,
    claim_file,
    customer_merge,
    delegate_grant,
    flag_raise,
    message_receive,
    message_reply,
    promise_make,
    sale_record,
    specialist_add,
)
from cases.services.inbound import Sender, existing_case
from contractors.models import Job
from correspondence.models import CustomerNotice, OutboundEmail
from correspondence.services.tell import customer_tell
from people.models import Customer, CustomerUserObjectPermission, Delegate
from portal.errors import NotAllowed, RuleViolation
from tests.cases.dbstate import events_written, nothing_written
from tests.factories import CustomerFactory, UserFactory, make_case, make_job

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
Kind = TimelineEvent.Kind


@pytest.fixture
def duplicate(db: None) -> Customer:
    """The record triage made when Mrs Martin wrote from her work address."""
    return CustomerFactory(
        full_name="Jeanne Martin (work)", email="j.martin@work.test", phone="", access_notes="Code 1234"
    )


@pytest.fixture
def duplicate_case(duplicate: Customer, other_agent: User) -> Case:
    return make_case(customer=duplicate, owner=other_agent, subject="Triage: no internet")


@pytest.fixture
def second_case(customer: Customer, other_agent: User) -> Case:
    return make_case(customer=customer, owner=other_agent, subject="Fibre box dead")


def _merge_customers(manager: User, survivor: Customer, merged: Customer, **more: object) -> Customer:
    return customer_merge(actor=manager, survivor=survivor, merged=merged, reason="Same person", **more)


def _merge_cases(manager: User, survivor: Case, merged: Case) -> Case:
    return case_merge(actor=manager, survivor=survivor, merged=merged, reason="Same fibre problem")


# --- customers: what moves ------------------------------------------------------------------------


def test_customer_merge_moves_the_cases_and_says_so(manager, customer, case, duplicate, duplicate_case) -> None:
    with events_written() as events:
        _merge_customers(manager, customer, duplicate)
    duplicate_case.refresh_from_db()
    duplicate.refresh_from_db()
    assert duplicate_case.customer == customer
    assert duplicate.merged_into == customer and duplicate.merged_at is not None
    moved = [e for e in events.of_kind(Kind.MERGED) if e.case_id == duplicate_case.pk]
    assert len(moved) == 1 and "Same person" in moved[0].summary
    assert [e.case_id for e in events.of_kind(Kind.MERGED) if e.case_id == case.pk]


def test_customer_merge_moves_delegates_and_their_grants(manager, owner, customer, duplicate, duplicate_case) -> None:
    carer = UserFactory(username="carer")
    delegate_grant(actor=owner, customer=duplicate, user=carer, relationship="carer")
    _merge_customers(manager, customer, duplicate)
    assert Delegate.objects.get(user=carer).customer == customer
    assert CustomerUserObjectPermission.objects.filter(user=carer, content_object=customer).exists()
    assert not CustomerUserObjectPermission.objects.filter(content_object=duplicate).exists()
    assert policies.is_customer_side_of(carer, customer)


def test_a_delegate_of_both_records_keeps_one_delegation(manager, owner, customer, delegate, duplicate) -> None:
    delegate_grant(actor=owner, customer=duplicate, user=delegate, relationship="son")
    _merge_customers(manager, customer, duplicate)
    delegations = Delegate.objects.filter(user=delegate, customer=customer)
    assert delegations.count() == 2
    assert delegations.filter(revoked_at__isnull=True).count() == 1
    assert CustomerUserObjectPermission.objects.filter(user=delegate, content_object=customer).count() == 1


def test_customer_merge_moves_the_sign_in_when_only_the_duplicate_has_one(manager, duplicate) -> None:
    phone_only = CustomerFactory(full_name="Jeanne Martin", user=None)
    login = UserFactory(username="jeanne_work")
    duplicate.user = login
    duplicate.save(update_fields=["user"])
    _merge_customers(manager, phone_only, duplicate)
    phone_only.refresh_from_db()
    duplicate.refresh_from_db()
    assert phone_only.user == login and duplicate.user is None
    assert policies.customer_of(User.objects.get(pk=login.pk)) == phone_only


def test_customer_merge_takes_chosen_details_and_joins_notes(manager, customer, case, duplicate) -> None:
    with events_written() as events:
        _merge_customers(manager, customer, duplicate, take=["email"])
    customer.refresh_from_db()
    assert customer.email == "j.martin@work.test"
    assert customer.full_name == "Jeanne Martin"  # not chosen: kept
    assert customer.vulnerability_notes == "89 years old"
    assert customer.access_notes == "Code 1234"
    changed = {e.data["field"] for e in events.of_kind(Kind.DETAILS_CHANGED)}
    assert changed == {"email", "access_notes"}


def test_customer_merge_keeps_the_correspondence_with_its_cases(manager, customer, duplicate, duplicate_case) -> None:
    message_reply(actor=duplicate_case.owner, case=duplicate_case, body="We are on it.")
    (notice,) = customer_tell(case=duplicate_case, topic="survey", copies=False)
    _merge_customers(manager, customer, duplicate)
    assert CustomerNotice.objects.get(pk=notice.pk).case.customer == customer
    assert OutboundEmail.objects.filter(case=duplicate_case).exists()
    assert set(OutboundEmail.objects.values_list("case__customer", flat=True)) == {customer.pk}


def test_customer_merge_adds_the_services_held(manager, customer, duplicate) -> None:
    from tests.factories import ServiceFactory

    fibre = ServiceFactory(code="fibre")
    duplicate.services.add(fibre)
    _merge_customers(manager, customer, duplicate)
    assert list(customer.services.all()) == [fibre]


def test_a_merged_customer_leaves_intake_and_search_but_still_routes_mail(
    manager, owner, customer, case, duplicate, duplicate_case
) -> None:
    _merge_customers(manager, customer, duplicate)
    assert duplicate not in selectors.intake_matches(owner, term="j.martin@work.test")
    assert duplicate not in selectors.search_for(owner, "Martin").customers.items
    found = existing_case(sender=Sender(name="J", email="j.martin@work.test", phone=""), subject="Hello", text="Hi")
    assert found is not None and found[0].customer == customer


# --- customers: refusals ------------------------------------------------------------------------


def test_customer_merge_refusals_change_nothing(manager, owner, customer, other_customer, duplicate, case) -> None:
    with nothing_written(), pytest.raises(RuleViolation, match="into itself"):
        _merge_customers(manager, customer, customer)
    with nothing_written(), pytest.raises(RuleViolation, match="own sign-in"):
        _merge_customers(manager, customer, other_customer)
    with nothing_written(), pytest.raises(NotAllowed):
        customer_merge(actor=owner, survivor=customer, merged=duplicate, reason="Same person")
    with nothing_written(), pytest.raises(RuleViolation, match="why"):
        customer_merge(actor=manager, survivor=customer, merged=duplicate, reason="  ")
    with nothing_written(), pytest.raises(RuleViolation, match="cannot be chosen"):
        _merge_customers(manager, customer, duplicate, take=["vulnerability_notes"])


def test_an_already_merged_customer_cannot_be_merged_again(manager, customer, duplicate) -> None:
    third = CustomerFactory(full_name="J Martin")
    _merge_customers(manager, customer, duplicate)
    duplicate.refresh_from_db()
    with nothing_written(), pytest.raises(RuleViolation, match="already merged"):
        _merge_customers(manager, third, duplicate)


# --- cases: what moves --------------------------------------------------------------------------


def test_case_merge_moves_messages_with_attachments(manager, case, second_case, customer) -> None:
    photo = SimpleUploadedFile("box.png", PNG, content_type="image/png")
    message = message_receive(actor=customer.user, case=second_case, body="Photo of the box", attachments=[photo])
    waiting = Case.objects.get(pk=second_case.pk).awaiting_reply_since
    _merge_cases(manager, case, second_case)
    message.refresh_from_db()
    assert message.case == case
    assert message.attachments.get().message.case == case
    case.refresh_from_db()
    assert case.awaiting_reply_since == waiting and case.reply_due_at is not None


def test_case_merge_moves_promises(manager, owner, case, second_case) -> None:
    promise = promise_make(
        actor=second_case.owner, case=second_case, text="Call back", due_at=timezone.now() + timedelta(days=1)
    )
    _merge_cases(manager, case, second_case)
    promise.refresh_from_db()
    assert promise.case == case


def test_case_merge_moves_flags_and_clears_a_duplicate(manager, case, second_case) -> None:
    for target in (case, second_case):
        flag_raise(kind=Flag.Kind.SILENT_CASE, subject_key=f"case:{target.pk}", summary="Silent", case=target)
    unanswered = flag_raise(
        kind=Flag.Kind.UNANSWERED_MESSAGE, subject_key=f"case:{second_case.pk}", summary="Waiting", case=second_case
    )
    with events_written() as events:
        _merge_cases(manager, case, second_case)
    unanswered.refresh_from_db()
    assert unanswered.case == case and unanswered.subject_key == f"case:{case.pk}" and unanswered.is_open
    silent = Flag.objects.filter(kind=Flag.Kind.SILENT_CASE)
    assert silent.filter(cleared_at__isnull=True).count() == 1
    cleared = silent.get(cleared_at__isnull=False)
    assert case.reference in cleared.clear_note
    assert events.one(Kind.FLAG_CLEARED).case_id == second_case.pk


def test_case_merge_moves_delegate_and_specialist_grants(manager, owner, customer, case, second_case, head) -> None:
    son = UserFactory(username="son")
    delegate_grant(actor=owner, customer=customer, user=son, relationship="son", cases=[second_case])
    specialist_add(actor=second_case.owner, case=second_case, user=head)
    specialist_add(actor=owner, case=case, user=head)
    _merge_cases(manager, case, second_case)
    assert policies.is_customer_side(son, case)
    assert policies.is_specialist(head, case)
    assert list(policies.case_specialists(case)) == [head]


def test_case_merge_moves_handoffs_sales_and_claims(manager, owner, case, second_case) -> None:
    handoff = case_handoff(
        actor=second_case.owner, case=second_case, to_user=owner, reason="Fibre team", summary="Box dead."
    )
    sale = sale_record(actor=owner, case=second_case, product="Fibre", advisor=owner, monthly_price=Decimal("30"))
    claim = claim_file(actor=owner, case=second_case, insurer="Mutuelle", policy_holder="customer")
    _merge_cases(manager, case, second_case)
    for record in (handoff, sale, claim):
        record.refresh_from_db()
        assert record.case == case


def test_case_merge_moves_contractor_jobs(manager, owner, case, second_case, company) -> None:
    job = make_job(case=second_case, company=company, actor=second_case.owner, title="Replace the box")
    _merge_cases(manager, case, second_case)
    assert Job.objects.get(pk=job.pk).case == case


def test_case_merge_moves_notices_and_emails(manager, case, second_case) -> None:
    message_reply(actor=second_case.owner, case=second_case, body="We are on it.")
    (notice,) = customer_tell(case=second_case, topic="survey", copies=False)
    _merge_cases(manager, case, second_case)
    assert CustomerNotice.objects.get(pk=notice.pk).case == case
    assert not OutboundEmail.objects.filter(case=second_case).exists()
    assert OutboundEmail.objects.filter(case=case).exists()


def test_case_merge_moves_a_survey(manager, case, second_case, customer) -> None:
    # Surveys come after closure and closed cases are not merged; a row written directly proves
    # the survey would still follow rather than be left behind.
    survey = Survey.objects.create(case=second_case, score=4, submitted_by=customer.user)
    _merge_cases(manager, case, second_case)
    survey.refresh_from_db()
    assert survey.case == case


def test_case_merge_keeps_both_timelines_and_shows_them_on_the_survivor(manager, owner, case, second_case) -> None:
    before = set(TimelineEvent.objects.filter(case=second_case).values_list("pk", flat=True))
    with events_written() as events:
        _merge_cases(manager, case, second_case)
    merged_events = events.of_kind(Kind.MERGED)
    assert {e.case_id for e in merged_events} == {case.pk, second_case.pk}
    shown = set(policies.timeline_for(owner, case).values_list("pk", flat=True))
    assert before <= shown
    assert {e.pk for e in merged_events} <= shown


def test_a_merged_case_is_closed_linked_and_out_of_every_list(manager, owner, case, second_case) -> None:
    _merge_cases(manager, case, second_case)
    second_case.refresh_from_db()
    assert second_case.status == Case.Status.CLOSED
    assert second_case.close_reason == Case.CloseReason.MERGED
    assert second_case.merged_into == case
    owner_of_merged = second_case.owner
    assert (
        second_case
        not in selectors.worklist_for(owner_of_merged, owner=owner_of_merged, filters=selectors.WorklistFilters()).items
    )
    assert second_case not in selectors.search_for(owner, "Fibre box").cases.items
    assert second_case not in selectors.case_merge_candidates(case)


def test_the_merged_case_urls_lead_to_the_survivor(manager, owner, customer, case, second_case) -> None:
    _merge_cases(manager, case, second_case)
    staff = Client()
    staff.force_login(owner)
    response = staff.get(reverse("staff:case", args=[second_case.reference]))
    assert response.status_code == 302 and response.url == reverse("staff:case", args=[case.reference])
    mine = Client()
    mine.force_login(customer.user)
    response = mine.get(reverse("my:case", args=[second_case.reference]))
    assert response.status_code == 302 and response.url == reverse("my:case", args=[case.reference])


def test_a_reply_quoting_the_merged_case_files_on_the_survivor(manager, customer, case, second_case) -> None:
    _merge_cases(manager, case, second_case)
    sender = Sender(name="Jeanne", email=customer.email, phone="")
    found = existing_case(sender=sender, subject=f"Re: [{second_case.reference}]", text="Still dead")
    assert found is not None and found[0] == case


# --- cases: refusals ------------------------------------------------------------------------------


def test_case_merge_refusals_change_nothing(manager, owner, case, second_case, other_case) -> None:
    with nothing_written(), pytest.raises(RuleViolation, match="into itself"):
        _merge_cases(manager, case, case)
    with nothing_written(), pytest.raises(RuleViolation, match="different customers"):
        _merge_cases(manager, case, other_case)
    with nothing_written(), pytest.raises(NotAllowed):
        case_merge(actor=owner, survivor=case, merged=second_case, reason="Same")
    with nothing_written(), pytest.raises(RuleViolation, match="why"):
        case_merge(actor=manager, survivor=case, merged=second_case, reason="")


def test_merging_with_a_closed_or_merged_case_is_refused(manager, owner, customer, case, second_case) -> None:
    third = make_case(customer=customer, owner=owner, subject="Old question")
    third = case_resolve(actor=owner, case=third, summary="Answered.")
    third = case_confirm(actor=customer.user, case=third)
    with nothing_written(), pytest.raises(RuleViolation, match="closed: merge into an open case"):
        _merge_cases(manager, third, case)
    with nothing_written(), pytest.raises(RuleViolation, match="history stays"):
        _merge_cases(manager, case, third)
    _merge_cases(manager, case, second_case)
    second_case.refresh_from_db()
    with nothing_written(), pytest.raises(RuleViolation, match="already merged"):
        _merge_cases(manager, second_case, case)


def test_heads_and_superusers_may_merge_agents_may_not(head, owner, administrator, manager) -> None:
    assert policies.can_merge_records(head)
    assert policies.can_merge_records(manager)
    assert policies.can_merge_records(administrator)
    assert not policies.can_merge_records(owner)


def test_an_extra_grant_from_the_admin_site_follows_the_case(manager, case, second_case) -> None:
    helper = UserFactory(username="helper")
    assign_perm(f"cases.{policies.DELEGATE_PERM}", helper, second_case)
    _merge_cases(manager, case, second_case)
    assert policies.is_customer_side(helper, case)
