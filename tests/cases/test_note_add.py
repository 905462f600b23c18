"""note_add: internal notes are written by staff and never reach the customer's side."""

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from cases import policies
from cases.models import Case, Message, TimelineDepartment, TimelineEvent
from cases.services import note_add
from people.models import Customer
from portal.errors import NotAllowed, RuleViolation
from tests.cases.dbstate import events_written, nothing_written


def test_note_is_internal_and_never_customer_visible(owner: User, case: Case, delegate: User) -> None:
    with events_written() as events:
        note = note_add(actor=owner, case=case, body="Customer is hard of hearing; speak slowly.")
    assert note.is_internal is True
    assert note.channel == Message.Channel.NOTE
    assert note.direction == Message.Direction.OUTBOUND
    assert note.for_contractor is False
    event = events.one(TimelineEvent.Kind.NOTE)
    assert event.customer_visible is False
    assert event.department == TimelineDepartment.SUPPORT
    assert event.actor_label == "Olivia Owner (Customer relations)"
    for customer_side in (case.customer.user, delegate):
        assert not policies.timeline_for(customer_side, case).filter(pk=event.pk).exists()
        assert not policies.messages_for(customer_side, case).filter(pk=note.pk).exists()
    assert policies.timeline_for(owner, case).filter(pk=event.pk).exists()


def test_note_shared_with_the_contractor_stays_internal(owner: User, case: Case) -> None:
    with events_written() as events:
        note = note_add(actor=owner, case=case, body="Gate code 1234", for_contractor=True)
    assert note.is_internal and note.for_contractor
    event = events.one(TimelineEvent.Kind.NOTE)
    assert event.customer_visible is False
    assert "shared with the contractor" in event.summary


def test_any_member_of_staff_may_leave_a_note(other_agent: User, case: Case) -> None:
    note_add(actor=other_agent, case=case, body="Customer rang the switchboard.")
    assert case.messages.filter(author=other_agent, is_internal=True).exists()


@pytest.mark.parametrize(("body", "words"), [("", "Write the note"), ("x" * 20_001, "under 20000 characters")])
def test_bad_note_is_refused(owner: User, case: Case, body: str, words: str) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        note_add(actor=owner, case=case, body=body)
    assert refused.value.field == "body"
    assert words in refused.value.message


def test_customer_side_and_contractors_cannot_leave_notes(
    case: Case, delegate: User, contractor_user: User, other_customer: Customer
) -> None:
    for outsider in (case.customer.user, delegate, contractor_user, other_customer.user):
        with nothing_written(), pytest.raises(NotAllowed):
            note_add(actor=outsider, case=case, body="Sneaky")


# --- the database refuses messages that would leak or make no sense ---------------------------------


def _raw_message(case: Case, **fields: object) -> Message:
    values = {"direction": "outbound", "channel": "note", "author_label": "x", "body": "b", "body_html": "b", **fields}
    return Message.objects.create(case=case, **values)


@pytest.mark.parametrize(
    ("fields", "constraint"),
    [
        ({"is_internal": True, "direction": "inbound"}, "message_internal_is_outbound"),
        ({"is_internal": False, "for_contractor": True}, "message_contractor_note_internal"),
        ({"body": ""}, "message_body_required"),
        ({"direction": "sideways"}, "message_direction_valid"),
        ({"channel": "pigeon"}, "message_channel_valid"),
    ],
)
def test_database_refuses_invalid_messages(case: Case, fields: dict, constraint: str) -> None:
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        _raw_message(case, **fields)


def test_database_refuses_turning_a_note_into_an_inbound_message(owner: User, case: Case) -> None:
    note = note_add(actor=owner, case=case, body="Internal")
    with pytest.raises(IntegrityError, match="message_internal_is_outbound"), transaction.atomic():
        Message.objects.filter(pk=note.pk).update(direction="inbound")
