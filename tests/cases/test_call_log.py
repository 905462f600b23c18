"""call_log: a phone call is on the timeline; one that reached the customer answers their
waiting messages, one that did not ("no answer") answers nothing."""

import pytest
from django.contrib.auth.models import User

from cases.models import Case, Message, TimelineDepartment, TimelineEvent
from cases.services import call_log, message_receive
from people.models import Customer
from portal.errors import NotAllowed, RuleViolation
from tests.cases.dbstate import events_written, nothing_written
from tests.cases.steps import resolve


def test_outbound_call_that_reached_the_customer_answers_waiting_messages(
    owner: User, case: Case, customer: Customer
) -> None:
    waiting = message_receive(actor=customer.user, case=case, body="Call me please")
    with events_written() as events:
        call = call_log(actor=owner, case=case, summary="Agreed a visit on Monday.", inbound=False)
    assert call.channel == Message.Channel.PHONE
    assert call.direction == Message.Direction.OUTBOUND
    assert call.is_internal is False
    waiting.refresh_from_db()
    assert waiting.answered_at is not None
    case.refresh_from_db()
    assert case.awaiting_reply_since is None and case.last_outbound_at is not None
    event = events.one(TimelineEvent.Kind.CALL)
    assert event.customer_visible is True
    assert event.department == TimelineDepartment.SUPPORT
    assert event.actor_label == "Olivia Owner (Customer relations)"
    assert event.summary == "Phone call to the customer: Agreed a visit on Monday."


def test_unanswered_call_is_recorded_but_answers_nothing(owner: User, case: Case, customer: Customer) -> None:
    waiting = message_receive(actor=customer.user, case=case, body="Call me please")
    with events_written() as events:
        call_log(actor=owner, case=case, summary="Rang twice", inbound=False, reached_customer=False)
    waiting.refresh_from_db()
    assert waiting.answered_at is None
    case.refresh_from_db()
    assert case.awaiting_reply_since is not None and case.last_outbound_at is None
    assert "(no answer)" in events.one(TimelineEvent.Kind.CALL).summary


def test_inbound_call_is_filed_as_answered(owner: User, case: Case) -> None:
    with events_written() as events:
        call = call_log(actor=owner, case=case, summary="Customer asks about the insurer", inbound=True)
    assert call.direction == Message.Direction.INBOUND
    assert call.answered_at is not None
    case.refresh_from_db()
    assert case.awaiting_reply_since is None
    assert events.one(TimelineEvent.Kind.CALL).summary.startswith("Phone call from the customer")


def test_a_call_does_not_reopen_a_resolved_case(owner: User, case: Case) -> None:
    resolve(case, owner)
    call_log(actor=owner, case=case, summary="Customer says thanks", inbound=True)
    case.refresh_from_db()
    assert case.status == Case.Status.RESOLVED


def test_call_needs_a_summary(owner: User, case: Case) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        call_log(actor=owner, case=case, summary=" ", inbound=False)
    assert refused.value.field == "summary"
    assert "what was said on the call" in refused.value.message


def test_an_inbound_call_always_reached_us(owner: User, case: Case) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        call_log(actor=owner, case=case, summary="Missed?", inbound=True, reached_customer=False)
    assert refused.value.field == "reached_customer"
    assert "reached us" in refused.value.message


def test_customer_side_and_contractors_cannot_log_calls(case: Case, delegate: User, contractor_user: User) -> None:
    for outsider in (case.customer.user, delegate, contractor_user):
        with nothing_written(), pytest.raises(NotAllowed):
            call_log(actor=outsider, case=case, summary="Call", inbound=False)
