"""Invariant 6 at the service layer: each party reaches only what is theirs. (The role matrix
of pages and API endpoints is tested with the views.)"""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from cases import policies
from cases.models import Case, Message, Promise, TimelineEvent
from cases.services import (
    case_confirm,
    case_reject_resolution,
    claim_file,
    delegate_grant,
    message_receive,
    message_reply,
    note_add,
    promise_make,
)
from contractors.models import Job
from people.models import Customer
from portal.errors import NotAllowed
from tests.cases.dbstate import nothing_written
from tests.cases.steps import resolve
from tests.factories import UserFactory, make_case

CUSTOMER_SIDE_ACTIONS: dict[str, Callable[[User, Case], object]] = {
    "write": lambda actor, case: message_receive(actor=actor, case=case, body="Hello"),
    "confirm": lambda actor, case: case_confirm(actor=actor, case=case),
    "reject": lambda actor, case: case_reject_resolution(actor=actor, case=case, reason="Broken"),
}


@pytest.mark.parametrize("action", list(CUSTOMER_SIDE_ACTIONS))
def test_another_customer_cannot_act_on_the_case(
    owner: User, case: Case, other_customer: Customer, action: str
) -> None:
    resolve(case, owner)
    with nothing_written(), pytest.raises(NotAllowed):
        CUSTOMER_SIDE_ACTIONS[action](other_customer.user, case)


@pytest.mark.parametrize("action", list(CUSTOMER_SIDE_ACTIONS))
def test_a_delegate_for_one_case_cannot_act_on_the_customers_other_case(
    owner: User, case: Case, customer: Customer, action: str
) -> None:
    neighbour = UserFactory(username="neighbour")
    delegate_grant(actor=owner, customer=customer, user=neighbour, relationship="neighbour", cases=[case])
    other = make_case(customer=customer, owner=owner, subject="Heating")
    resolve(other, owner)
    with nothing_written(), pytest.raises(NotAllowed):
        CUSTOMER_SIDE_ACTIONS[action](neighbour, other)


def test_contractors_get_nothing_of_the_case_itself(owner: User, case: Case, contractor_user: User, job: Job) -> None:
    attempts = [
        lambda: message_reply(actor=contractor_user, case=case, body="Hi"),
        lambda: note_add(actor=contractor_user, case=case, body="Hi"),
        lambda: claim_file(actor=contractor_user, case=case, insurer="Axa", policy_holder="contractor"),
        lambda: promise_make(actor=contractor_user, case=case, text="x", due_at=timezone.now() + timedelta(days=1)),
    ]
    for attempt in attempts:
        with nothing_written(), pytest.raises(NotAllowed):
            attempt()
    assert not policies.can_view_case(contractor_user, case)
    assert not policies.timeline_for(contractor_user, case).exists()
    assert not policies.messages_for(contractor_user, case).exists()
    assert not policies.claims_for(contractor_user, case).exists()


def test_customer_side_reads_only_what_is_theirs(owner: User, case: Case, delegate: User) -> None:
    message_reply(actor=owner, case=case, body="Reply")
    note_add(actor=owner, case=case, body="Internal note")
    promise_make(actor=owner, case=case, text="Call back", due_at=timezone.now() + timedelta(hours=2))
    promise_make(
        actor=owner,
        case=case,
        text="Chase the insurer",
        due_at=timezone.now() + timedelta(hours=2),
        owed_to_customer=False,
        owed_to_name="Claims team",
    )
    for customer_side in (case.customer.user, delegate):
        timeline = policies.timeline_for(customer_side, case)
        assert timeline.exists()
        assert not timeline.filter(customer_visible=False).exists()
        assert not timeline.filter(kind=TimelineEvent.Kind.NOTE).exists()
        assert list(policies.messages_for(customer_side, case).values_list("body", flat=True)) == ["Reply"]
        assert list(policies.promises_for(customer_side, case).values_list("text", flat=True)) == ["Call back"]
    assert Message.objects.filter(case=case).count() == 2
    assert Promise.objects.filter(case=case).count() == 2


def test_another_customer_reads_nothing_of_the_case(owner: User, case: Case, other_customer: Customer) -> None:
    message_reply(actor=owner, case=case, body="Reply")
    outsider = other_customer.user
    assert not policies.can_view_case(outsider, case)
    assert not policies.timeline_for(outsider, case).exists()
    assert not policies.messages_for(outsider, case).exists()
    assert not policies.promises_for(outsider, case).exists()
    assert list(policies.cases_visible_to(outsider)) == list(Case.objects.filter(customer=other_customer))
