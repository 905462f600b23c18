"""case_edit and customer_edit: each changed field is one timeline event (who, before → after),
nothing is written when nothing changed, and every version of the customer record is kept."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone, translation

from cases import policies
from cases.models import Case, TimelineEvent
from cases.sentences import event_text
from cases.services import case_edit, customer_edit, message_receive, specialist_add
from people.models import Customer
from portal.errors import NotAllowed, RuleViolation
from tests.cases.dbstate import events_written, nothing_written
from tests.cases.steps import close_by_confirmation
from tests.factories import make_case, make_staff

DETAILS = TimelineEvent.Kind.DETAILS_CHANGED


# --- the case ---------------------------------------------------------------------------


def test_each_changed_field_of_the_case_is_one_event_with_before_and_after(owner: User, case: Case) -> None:
    with events_written() as events:
        case_edit(actor=owner, case=case, subject="Fibre and heating", priority="high", human_impact="No heating")
    case.refresh_from_db()
    assert (case.subject, case.priority, case.human_impact) == ("Fibre and heating", "high", "No heating")
    assert events.kinds() == [DETAILS] * 3
    assert [e.summary for e in events] == [
        "Subject: Fibre installation → Fibre and heating",
        "Priority: Normal → High",
        "Impact on the customer: (empty) → No heating",
    ]
    assert {e.actor_id for e in events} == {owner.pk}
    assert all(e.actor_label == "Olivia Owner (Customer relations)" for e in events)
    assert not any(e.customer_visible for e in events)
    assert [e.data["field"] for e in events] == ["subject", "priority", "human_impact"]


def test_only_the_fields_that_changed_are_recorded(owner: User, case: Case) -> None:
    with events_written() as events:
        case_edit(actor=owner, case=case, subject="  Fibre installation ", priority="urgent", human_impact="")
    assert [e.summary for e in events] == ["Priority: Normal → Urgent"]


def test_nothing_is_written_when_nothing_changed(owner: User, case: Case) -> None:
    with nothing_written():
        case_edit(actor=owner, case=case, subject=case.subject, priority=case.priority, human_impact="")


def test_a_new_priority_moves_the_reply_deadline_of_a_waiting_message(owner: User, case: Case) -> None:
    message_receive(case=case, actor=case.customer.user, body="Any news?")
    case.refresh_from_db()
    before = case.reply_due_at
    case_edit(actor=owner, case=case, priority="urgent")
    case.refresh_from_db()
    assert case.reply_due_at < before
    assert case.reply_due_at > case.awaiting_reply_since


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"subject": "   "}, "subject", "Write a subject."),
        ({"subject": "x" * 201}, "subject", "Keep a subject under 200 characters"),
        ({"priority": "whenever"}, "priority", "“whenever” is not a valid priority."),
        ({"human_impact": "y" * 201}, "human_impact", "under 200 characters"),
    ],
)
def test_bad_values_are_refused_and_write_nothing(owner: User, case: Case, changes, field, message) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        case_edit(actor=owner, case=case, **changes)
    assert refused.value.field == field
    assert message in refused.value.message


def test_a_field_that_is_not_editable_is_a_programming_error(owner: User, case: Case) -> None:
    with pytest.raises(TypeError):
        case_edit(actor=owner, case=case, status="closed")


def test_a_colleague_who_may_only_read_the_case_may_not_edit_it(other_agent: User, case: Case) -> None:
    with nothing_written(), pytest.raises(NotAllowed):
        case_edit(actor=other_agent, case=case, subject="Mine now")


def test_manager_and_specialist_may_edit(owner: User, manager: User, case: Case) -> None:
    specialist = make_staff("specialist", department=owner.staff_profile.department)
    specialist_add(actor=owner, case=case, user=specialist)
    case_edit(actor=specialist, case=case, human_impact="Cannot work from home")
    case_edit(actor=manager, case=case, priority="high")
    case.refresh_from_db()
    assert (case.human_impact, case.priority) == ("Cannot work from home", "high")


def test_a_closed_case_is_not_edited(owner: User, case: Case) -> None:
    closed = close_by_confirmation(case, owner)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        case_edit(actor=owner, case=closed, subject="Too late")
    assert refused.value.code == "closed"


# --- the customer ---------------------------------------------------------------------------


def test_customer_changes_go_on_every_open_case_of_theirs(owner: User, customer: Customer, case: Case) -> None:
    second = make_case(customer=customer, owner=owner, subject="Mail account")
    closed = close_by_confirmation(make_case(customer=customer, owner=owner, subject="Old bill"), owner)
    with events_written() as events:
        customer_edit(actor=owner, customer=customer, phone="+33 4 78 00 11 22", preferred_channel="phone")
    customer.refresh_from_db()
    assert (customer.phone, customer.preferred_channel) == ("+33 4 78 00 11 22", "phone")
    assert sorted({e.case_id for e in events}) == sorted([case.pk, second.pk])
    assert closed.pk not in {e.case_id for e in events}
    for each in (case, second):
        written = [e.summary for e in events if e.case_id == each.pk]
        assert written[0].startswith("Customer's phone: +33 6 00 00 ") and written[0].endswith("→ +33 4 78 00 11 22")
        assert written[1] == "Customer's preferred channel: E-mail → Phone"


def test_vulnerability_notes_keep_every_version_with_who_changed_them(
    owner: User, customer: Customer, case: Case
) -> None:
    assert customer.history.count() == 1  # created by the factory
    customer_edit(actor=owner, customer=customer, vulnerability_notes="89 years old, hard of hearing")
    customer_edit(actor=owner, customer=customer, vulnerability_notes="")
    versions = list(customer.history.order_by("history_id"))
    assert [v.vulnerability_notes for v in versions] == ["89 years old", "89 years old, hard of hearing", ""]
    assert [v.history_user_id for v in versions[1:]] == [owner.pk, owner.pk]
    summaries = list(case.timeline.filter(kind=DETAILS).order_by("pk").values_list("summary", flat=True))
    assert summaries == [
        "Vulnerability notes: 89 years old → 89 years old, hard of hearing",
        "Vulnerability notes: 89 years old, hard of hearing → (empty)",
    ]


def test_nothing_is_written_when_the_customer_record_is_unchanged(owner: User, customer: Customer, case: Case) -> None:
    with nothing_written():
        customer_edit(
            actor=owner,
            customer=customer,
            full_name=f" {customer.full_name} ",
            email=customer.email,
            vulnerability_notes=customer.vulnerability_notes,
        )


def test_no_longer_vulnerable_relaxes_the_reply_deadline(owner: User, customer: Customer, case: Case) -> None:
    message_receive(case=case, actor=customer.user, body="Still no fibre.")
    case.refresh_from_db()
    tight = case.reply_due_at
    customer_edit(actor=owner, customer=customer, vulnerability_notes="")
    case.refresh_from_db()
    assert case.reply_due_at > tight


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"full_name": " "}, "full_name", "Write the customer's full name."),
        ({"email": "jeanne.example.test"}, "email", "Enter a valid e-mail address."),
        ({"email": ""}, "email", "give an e-mail address, or choose another channel"),
        ({"phone": "", "preferred_channel": "phone"}, "phone", "give a phone number"),
        ({"address": "", "preferred_channel": "post"}, "address", "give a postal address"),
        ({"preferred_channel": "pigeon"}, "preferred_channel", "“pigeon” is not a valid preferred channel."),
        ({"language": "de"}, "language", "“de” is not a valid language."),
        ({"postcode": "6" * 21}, "postcode", "under 20 characters"),
    ],
)
def test_bad_customer_details_are_refused_and_write_nothing(
    owner: User, customer: Customer, case: Case, changes, field, message
) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        customer_edit(actor=owner, customer=customer, **changes)
    assert refused.value.field == field
    assert message in refused.value.message


def test_only_staff_working_on_an_open_case_of_the_customer_may_edit_them(
    owner: User, other_agent: User, manager: User, customer: Customer, case: Case, other_case: Case
) -> None:
    assert policies.can_edit_customer(owner, customer)
    assert policies.can_edit_customer(manager, customer)
    # other_agent owns a case of another customer only.
    assert not policies.can_edit_customer(other_agent, customer)
    with nothing_written(), pytest.raises(NotAllowed):
        customer_edit(actor=other_agent, customer=customer, phone="+33 1 00 00 00 00")
    assert not policies.can_edit_customer(customer.user, customer)


def test_a_closed_case_gives_no_right_to_edit_the_customer(owner: User, customer: Customer, case: Case) -> None:
    close_by_confirmation(case, owner)
    assert not policies.can_edit_customer(owner, customer)
    with pytest.raises(NotAllowed):
        customer_edit(actor=owner, customer=customer, phone="+33 1 00 00 00 00")


def test_a_specialist_on_an_open_case_may_edit_the_customer(owner: User, customer: Customer, case: Case) -> None:
    specialist = make_staff("specialist", department=owner.staff_profile.department)
    assert not policies.can_edit_customer(specialist, customer)
    specialist_add(actor=owner, case=case, user=specialist)
    customer_edit(actor=specialist, customer=customer, access_notes="Key with the neighbour at no. 14")
    customer.refresh_from_db()
    assert customer.access_notes == "Key with the neighbour at no. 14"


def test_choice_values_read_in_the_readers_language(owner: User, customer: Customer, case: Case) -> None:
    customer_edit(actor=owner, customer=customer, language="fr")
    event = case.timeline.get(kind=DETAILS)
    assert event.summary == "Customer's language: English → Français"
    with translation.override("en"):
        assert event_text(event) == "Customer's language: English → Français"


def test_edits_touch_the_case_activity(owner: User, customer: Customer, case: Case) -> None:
    earlier = timezone.now() - timedelta(days=3)
    Case.objects.filter(pk=case.pk).update(last_activity_at=earlier)
    customer_edit(actor=owner, customer=customer, postcode="69007")
    case.refresh_from_db()
    assert case.last_activity_at > earlier
