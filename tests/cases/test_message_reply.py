"""message_reply and messages_mark_read: staff answer the customer; a reply answers every
waiting message, stops the reply clock and clears the flags it caused."""

import pytest
from django.contrib.auth.models import User

from cases.models import Case, Flag, Message, TimelineDepartment, TimelineEvent
from cases.services import (
    case_set_status,
    flag_raise,
    message_receive,
    message_reply,
    messages_mark_read,
    note_add,
    specialist_add,
)
from people.models import Customer
from portal.errors import NotAllowed, RuleViolation
from tests.cases.dbstate import events_written, nothing_written
from tests.cases.steps import close_by_confirmation, resolve


def test_reply_answers_waiting_messages_and_stops_the_clock(owner: User, case: Case, customer: Customer) -> None:
    first = message_receive(actor=customer.user, case=case, body="Hello?")
    second = message_receive(actor=customer.user, case=case, body="Anyone?")
    with events_written() as events:
        reply = message_reply(actor=owner, case=case, body="Sorry, I call you at 15:00.")
    assert reply.direction == Message.Direction.OUTBOUND
    assert reply.channel == Message.Channel.EMAIL
    assert reply.author_label == "Olivia Owner (Customer relations)"
    for waiting in (first, second):
        waiting.refresh_from_db()
        assert waiting.answered_at is not None
    case.refresh_from_db()
    assert case.awaiting_reply_since is None and case.reply_due_at is None
    assert case.last_outbound_at is not None
    assert case.status == Case.Status.IN_PROGRESS
    event = events.one(TimelineEvent.Kind.MESSAGE_OUT)
    assert event.customer_visible is True
    assert event.department == TimelineDepartment.SUPPORT
    assert event.actor_label == "Olivia Owner (Customer relations)"
    assert event.subject_key == f"message:{reply.pk}"


def test_reply_clears_unanswered_and_silent_case_flags(owner: User, case: Case) -> None:
    for kind in (Flag.Kind.UNANSWERED_MESSAGE, Flag.Kind.SILENT_CASE):
        flag_raise(kind=kind, subject_key=f"case:{case.pk}", summary=kind, case=case)
    with events_written() as events:
        message_reply(actor=owner, case=case, body="Here is an update.")
    assert not Flag.objects.filter(case=case, cleared_at__isnull=True).exists()
    assert len(events.of_kind(TimelineEvent.Kind.FLAG_CLEARED)) == 2


def test_only_staff_working_on_the_case_may_reply(owner: User, other_agent: User, case: Case) -> None:
    with nothing_written(), pytest.raises(NotAllowed, match="working on the case"):
        message_reply(actor=other_agent, case=case, body="Covering for Olivia today.")
    specialist_add(actor=owner, case=case, user=other_agent)
    message_reply(actor=other_agent, case=case, body="Covering for Olivia today.")
    assert case.messages.filter(author=other_agent).exists()


def test_reply_on_a_waiting_case_keeps_its_status(owner: User, case: Case) -> None:
    case_set_status(actor=owner, case=case, status=Case.Status.WAITING_INSURER)
    message_reply(actor=owner, case=case, body="Still waiting for the insurer.")
    case.refresh_from_db()
    assert case.status == Case.Status.WAITING_INSURER


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"body": ""}, "body", "Write your reply"),
        ({"body": "x" * 20_001}, "body", "under 20000 characters"),
        ({"channel": "note"}, "channel", "not a valid channel"),
    ],
)
def test_bad_reply_is_refused_and_nothing_is_written(
    owner: User, case: Case, changes: dict, field: str, words: str
) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        message_reply(**{"actor": owner, "case": case, "body": "Hello", **changes})
    assert refused.value.field == field
    assert words in refused.value.message


def test_reply_on_a_closed_case_is_refused(owner: User, case: Case) -> None:
    close_by_confirmation(case, owner)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        message_reply(actor=owner, case=case, body="Hello")
    assert refused.value.code == "closed"


def test_reply_on_a_resolved_case_keeps_it_resolved(owner: User, case: Case) -> None:
    resolve(case, owner)
    message_reply(actor=owner, case=case, body="Please tell us if it works.")
    case.refresh_from_db()
    assert case.status == Case.Status.RESOLVED


def test_customers_and_contractors_cannot_reply_as_staff(
    case: Case, delegate: User, contractor_user: User, other_customer: Customer
) -> None:
    for outsider in (case.customer.user, delegate, contractor_user, other_customer.user):
        with nothing_written(), pytest.raises(NotAllowed):
            message_reply(actor=outsider, case=case, body="Hello")


# --- read receipts ----------------------------------------------------------------------------------


def test_customer_reads_replies_but_not_internal_notes(owner: User, case: Case, customer: Customer) -> None:
    reply = message_reply(actor=owner, case=case, body="Reply")
    note = note_add(actor=owner, case=case, body="Internal")
    assert messages_mark_read(actor=customer.user, case=case) == 1
    reply.refresh_from_db()
    note.refresh_from_db()
    assert reply.read_by_customer_at is not None
    assert note.read_by_customer_at is None


def test_staff_read_the_customers_messages(owner: User, case: Case, customer: Customer) -> None:
    inbound = message_receive(actor=customer.user, case=case, body="Hello")
    assert messages_mark_read(actor=owner, case=case) == 1
    inbound.refresh_from_db()
    assert inbound.read_by_staff_at is not None


def test_outsiders_mark_nothing_read(owner: User, case: Case, other_customer: Customer, contractor_user: User) -> None:
    message_reply(actor=owner, case=case, body="Reply")
    with nothing_written():
        assert messages_mark_read(actor=other_customer.user, case=case) == 0
        assert messages_mark_read(actor=contractor_user, case=case) == 0
