"""Message.answered_late: every way a reply reaches the customer stores, with the answer, whether
it came after the case's reply deadline (the one the unanswered-message watcher flags), so the
reports count replies within the target from the row. And TimelineEvent.rejected_resolution marks
the reopens that are the customer rejecting a resolution, whatever the summary's words."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.models import Case, Message, TimelineEvent
from cases.services import (
    call_log,
    case_edit,
    case_merge,
    case_reject_resolution,
    case_reopen,
    customer_edit,
    message_receive,
    message_reply,
)
from correspondence.models import OutboundEmail
from correspondence.services.outbox import outbox_send
from people.models import Customer
from tests.cases.steps import resolve
from tests.factories import make_case

pytestmark = pytest.mark.django_db

MINUTE = timedelta(minutes=1)


def _deadline(case: Case) -> datetime:
    due = Case.objects.get(pk=case.pk).reply_due_at
    assert due is not None, "a customer message is waiting"
    return due


def _verdicts(*messages: Message) -> list[tuple[bool, bool]]:
    """(answered, answered late) of each message, as stored."""
    found = {m.pk: m for m in Message.objects.filter(pk__in=[m.pk for m in messages])}
    return [(found[m.pk].answered_at is not None, found[m.pk].answered_late) for m in messages]


def test_a_reply_before_the_deadline_is_on_time(owner: User, case: Case, customer: Customer) -> None:
    message = message_receive(actor=customer.user, case=case, body="Hello?")
    with time_machine.travel(_deadline(case) - MINUTE):
        message_reply(actor=owner, case=case, body="Here I am.")
    assert _verdicts(message) == [(True, False)]


def test_a_reply_after_the_deadline_is_late_for_every_message_it_answers(
    owner: User, case: Case, customer: Customer
) -> None:
    first = message_receive(actor=customer.user, case=case, body="Hello?")
    due = _deadline(case)
    # The second message joins the clock of the first: the watcher flags the case at `due`.
    with time_machine.travel(due - 10 * MINUTE):
        second = message_receive(actor=customer.user, case=case, body="Anyone?")
    assert _deadline(case) == due
    with time_machine.travel(due + MINUTE):
        message_reply(actor=owner, case=case, body="Sorry for the wait.")
    assert _verdicts(first, second) == [(True, True), (True, True)]
    # The next message starts a new clock: answered in time, it is on time.
    third = message_receive(actor=customer.user, case=case, body="Thanks, and one more thing.")
    message_reply(actor=owner, case=case, body="Yes?")
    assert _verdicts(third) == [(True, False)]


def test_a_call_that_reached_the_customer_answers_with_its_verdict(owner: User, case: Case, customer: Customer) -> None:
    message = message_receive(actor=customer.user, case=case, body="Call me.")
    due = _deadline(case)
    with time_machine.travel(due + MINUTE):
        call_log(actor=owner, case=case, summary="No answer.", inbound=False, reached_customer=False)
    assert _verdicts(message) == [(False, False)]  # nobody reached: still waiting
    with time_machine.travel(due + 2 * MINUTE):
        call_log(actor=owner, case=case, summary="Explained the delay.", inbound=False)
    assert _verdicts(message) == [(True, True)]


def test_the_customers_own_call_answers_their_message_and_needs_no_answer_itself(
    owner: User, case: Case, customer: Customer
) -> None:
    message = message_receive(actor=customer.user, case=case, body="Hello?")
    call = call_log(actor=owner, case=case, summary="She called, all explained.", inbound=True)
    assert _verdicts(message, call) == [(True, False), (True, False)]


def test_a_higher_priority_brings_the_deadline_the_verdict_uses_forward(
    owner: User, case: Case, customer: Customer
) -> None:
    message = message_receive(actor=customer.user, case=case, body="No heating.")
    normal_due = _deadline(case)
    case_edit(actor=owner, case=case, priority=Case.Priority.URGENT)
    urgent_due = _deadline(case)
    assert urgent_due < normal_due
    with time_machine.travel(urgent_due + MINUTE):
        message_reply(actor=owner, case=case, body="A technician is on the way.")
    assert _verdicts(message) == [(True, True)]


def test_the_verdict_uses_the_target_the_customers_vulnerability_sets_when_it_changes(
    owner: User, case: Case, customer: Customer
) -> None:
    assert customer.is_vulnerable  # the cast's Mrs Martin: the tighter target, round the clock
    message = message_receive(actor=customer.user, case=case, body="Still no phone line.")
    tight = _deadline(case)
    customer_edit(actor=owner, customer=customer, vulnerability_notes="")
    looser = _deadline(case)
    assert looser > tight
    with time_machine.travel(tight + MINUTE):
        message_reply(actor=owner, case=case, body="Repair booked.")
    assert _verdicts(message) == [(True, False)]


def test_a_merged_cases_waiting_message_is_answered_against_the_survivors_clock(
    manager: User, owner: User, other_agent: User, case: Case, customer: Customer
) -> None:
    duplicate = make_case(customer=customer, owner=other_agent, subject="Same fibre problem")
    waiting = message_receive(actor=customer.user, case=duplicate, body="Written on the duplicate.")
    due = _deadline(duplicate)
    case_merge(actor=manager, survivor=case, merged=duplicate, reason="Same fibre problem")
    assert _deadline(case) == due
    with time_machine.travel(due + MINUTE):
        message_reply(actor=owner, case=case, body="Both answered here.")
    assert _verdicts(waiting) == [(True, True)]


def test_a_reply_through_the_api_stores_the_verdict(owner: User, case: Case, customer: Customer) -> None:
    message = message_receive(actor=customer.user, case=case, body="Hello?")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=owner).key}")
    url = reverse("api:case-messages", args=[case.reference])
    with time_machine.travel(_deadline(case) + MINUTE):
        response = client.post(url, {"kind": "reply", "body": "Sorry.", "channel": "email"})
    assert response.status_code == 201
    assert _verdicts(message) == [(True, True)]


def test_a_reply_from_the_case_page_stores_the_verdict(owner: User, case: Case, customer: Customer) -> None:
    message = message_receive(actor=customer.user, case=case, body="Hello?")
    client = Client()
    client.force_login(owner)
    url = reverse("staff:case_reply", args=[case.reference])
    with time_machine.travel(_deadline(case) - MINUTE):
        response = client.post(url, {"reply-body": "On my way.", "reply-channel": "email"})
    assert response.status_code == 302
    assert _verdicts(message) == [(True, False)]


def test_the_outbox_sending_the_email_later_does_not_change_when_it_was_answered(
    owner: User, case: Case, customer: Customer, django_capture_on_commit_callbacks
) -> None:
    """The answer is the reply written on the case (the customer is told in the same transaction);
    a slow outbox or a retry days later moves neither the moment nor the verdict."""
    message = message_receive(actor=customer.user, case=case, body="Hello?")
    due = _deadline(case)
    with django_capture_on_commit_callbacks(execute=False), time_machine.travel(due - MINUTE):
        reply = message_reply(actor=owner, case=case, body="Answer by e-mail.")
    answered_at = Message.objects.get(pk=message.pk).answered_at
    email = OutboundEmail.objects.get(message=reply)
    outbox_send(email.pk, now=due + timedelta(days=3))
    assert OutboundEmail.objects.get(pk=email.pk).status == OutboundEmail.Status.SENT
    assert _verdicts(message) == [(True, False)]
    assert Message.objects.get(pk=message.pk).answered_at == answered_at


def test_only_the_customers_rejection_is_marked_on_the_reopen_event(
    owner: User, case: Case, customer: Customer
) -> None:
    def last_reopen() -> TimelineEvent:
        return case.timeline.filter(kind=TimelineEvent.Kind.REOPENED).latest("pk")

    resolve(case, owner)
    case_reject_resolution(actor=customer.user, case=case, reason="Still no dial tone")
    assert last_reopen().rejected_resolution is True
    resolve(case, owner)
    case_reopen(actor=owner, case=case, reason="The technician forgot the second socket")
    assert last_reopen().rejected_resolution is False
    resolve(case, owner)
    message_receive(actor=customer.user, case=case, body="It broke again.")
    assert last_reopen().rejected_resolution is False
