"""message_receive: whatever the customer (or their delegate, or the mail gateway) sends is
stored at once and starts the reply clock; on a resolved case it reopens the case, on a
closed case it opens a follow-up case, so nothing is ever lost (invariants 3 and 5)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User

from cases.models import Case, Message, TimelineDepartment, TimelineEvent
from cases.services import message_receive, staff_deactivate
from people.models import Customer
from portal.errors import NotAllowed, RuleViolation
from tests.cases.dbstate import events_written, nothing_written
from tests.cases.steps import close_by_confirmation, resolve


def test_customer_message_is_stored_and_starts_the_reply_clock(case: Case, customer: Customer) -> None:
    with events_written() as events:
        message = message_receive(actor=customer.user, case=case, body="Still no internet.\nPlease call.")
    message.refresh_from_db()
    assert message.direction == Message.Direction.INBOUND
    assert message.channel == Message.Channel.PORTAL
    assert message.is_internal is False
    assert message.author == customer.user
    assert message.author_label == "Jeanne Martin"
    assert message.body == "Still no internet.\nPlease call."
    assert "<br>" in message.body_html
    case.refresh_from_db()
    assert case.awaiting_reply_since is not None
    # A vulnerable customer's normal-priority message must be answered within 8 hours.
    assert case.reply_due_at - case.awaiting_reply_since == timedelta(hours=8)
    event = events.one(TimelineEvent.Kind.MESSAGE_IN)
    assert events.kinds() == [TimelineEvent.Kind.MESSAGE_IN]
    assert event.customer_visible is True
    assert event.department == TimelineDepartment.SUPPORT
    assert event.actor_label == "Jeanne Martin"
    assert event.subject_key == f"message:{message.pk}"
    assert event.summary == "Message (Portal): Still no internet. Please call."


def test_delegates_message_is_labelled_on_behalf_of_the_customer(case: Case, delegate: User) -> None:
    with events_written() as events:
        message = message_receive(actor=delegate, case=case, body="My mother has no heating.")
    assert message.author_label == "Paul Martin, on behalf of Jeanne Martin"
    assert events.one(TimelineEvent.Kind.MESSAGE_IN).actor_label == "Paul Martin, on behalf of Jeanne Martin"


def test_gateway_message_uses_the_sender_label_or_the_customers_name(case: Case) -> None:
    first = message_receive(case=case, body="By e-mail", channel=Message.Channel.EMAIL, sender_label="J. Martin")
    second = message_receive(case=case, body="By post", channel=Message.Channel.POST)
    assert first.author is None and first.author_label == "J. Martin"
    assert second.author_label == "Jeanne Martin"


def test_the_reply_clock_keeps_the_oldest_unanswered_message(case: Case, customer: Customer) -> None:
    message_receive(actor=customer.user, case=case, body="First")
    case.refresh_from_db()
    started = case.awaiting_reply_since
    message_receive(actor=customer.user, case=case, body="Second")
    case.refresh_from_db()
    assert case.awaiting_reply_since == started


def test_a_retried_delivery_is_filed_once(case: Case) -> None:
    first = message_receive(case=case, body="Hello", channel=Message.Channel.EMAIL, external_id="<abc@mail>")
    with nothing_written():
        again = message_receive(case=case, body="Hello", channel=Message.Channel.EMAIL, external_id="<abc@mail>")
    assert again.pk == first.pk


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"body": ""}, "body", "Write your message"),
        ({"body": " \n\t"}, "body", "Write your message"),
        ({"body": "x" * 20_001}, "body", "under 20000 characters"),
        ({"channel": "note"}, "channel", "not a valid channel"),
        ({"channel": "fax"}, "channel", "not a valid channel"),
    ],
)
def test_bad_message_is_refused_and_nothing_is_written(
    case: Case, customer: Customer, changes: dict, field: str, words: str
) -> None:
    arguments = {"actor": customer.user, "case": case, "body": "Hello", **changes}
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        message_receive(**arguments)
    assert refused.value.field == field
    assert words in refused.value.message


def test_only_the_customer_side_writes_as_the_customer(
    case: Case, owner: User, other_customer: Customer, contractor_user: User
) -> None:
    for outsider in (other_customer.user, contractor_user, owner):
        with nothing_written(), pytest.raises(NotAllowed):
            message_receive(actor=outsider, case=case, body="Pretending to be the customer")


# --- invariant 3: a reply after the resolution -----------------------------------------------------


def test_customer_message_on_a_resolved_case_reopens_it(owner: User, case: Case, customer: Customer) -> None:
    resolve(case, owner)
    with events_written() as events:
        message = message_receive(actor=customer.user, case=case, body="It broke again this morning")
    case.refresh_from_db()
    assert case.status == Case.Status.IN_PROGRESS
    assert case.reopen_count == 1
    assert case.resolved_at is None
    assert message.case == case
    assert events.kinds() == [TimelineEvent.Kind.REOPENED, TimelineEvent.Kind.MESSAGE_IN]
    assert all(event.customer_visible for event in events)


def test_gateway_message_on_a_resolved_case_reopens_it_too(owner: User, case: Case) -> None:
    resolve(case, owner)
    message_receive(case=case, body="Reply by e-mail: not fixed", channel=Message.Channel.EMAIL)
    case.refresh_from_db()
    assert case.status == Case.Status.IN_PROGRESS


def test_message_on_a_closed_case_opens_a_follow_up_and_nothing_is_lost(
    owner: User, case: Case, customer: Customer
) -> None:
    close_by_confirmation(case, owner)
    with events_written() as events:
        message = message_receive(actor=customer.user, case=case, body="The pipe leaks again")
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    follow_up = message.case
    assert follow_up.pk != case.pk
    assert follow_up.customer == customer
    assert follow_up.owner == owner
    assert follow_up.subject == f"Follow-up to {case.reference}: {case.subject}"
    assert follow_up.awaiting_reply_since is not None
    assert Message.objects.get(pk=message.pk).body == "The pipe leaks again"
    pointer = [event for event in events if event.case_id == case.pk]
    assert [event.kind for event in pointer] == [TimelineEvent.Kind.STATUS_CHANGED]
    assert follow_up.reference in pointer[0].summary and pointer[0].customer_visible
    on_follow_up = [event.kind for event in events if event.case_id == follow_up.pk]
    assert on_follow_up == [TimelineEvent.Kind.CASE_OPENED, TimelineEvent.Kind.MESSAGE_IN]


def test_follow_up_goes_to_an_active_agent_when_the_owner_has_left(
    owner: User, manager: User, case: Case, customer: Customer
) -> None:
    close_by_confirmation(case, owner)
    staff_deactivate(actor=manager, user=owner)
    message = message_receive(case=case, body="Hello again", channel=Message.Channel.EMAIL)
    assert message.case.owner.is_active
    assert message.case.owner != owner
    assert message.case.owner.staff_profile.department.code == "customer-relations"


def test_a_per_case_delegate_follows_their_message_to_the_follow_up_case(
    owner: User, case: Case, customer: Customer
) -> None:
    from cases.policies import can_view_case
    from cases.services import delegate_grant
    from tests.factories import UserFactory

    carer = UserFactory(username="carer2")
    delegate_grant(actor=owner, customer=customer, user=carer, relationship="carer", cases=[case])
    close_by_confirmation(case, owner)
    message = message_receive(case=case, actor=carer, body="The pipe leaks again.")
    assert message.case_id != case.pk
    assert can_view_case(carer, message.case)
