"""The bulk telling (watchers working through a backlog) writes exactly what customer_tell writes
case after case: the same notices, call tasks, outbox e-mails and timeline events."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from cases.models import Case, Promise, TimelineEvent
from correspondence.models import CustomerNotice, OutboundEmail
from correspondence.services.outbox import email_enqueue
from correspondence.services.tell import Telling, customer_tell, customers_tell_many, tellings_prepare
from people.models import Customer, Delegate
from tests.factories import make_case

Channel = CustomerNotice.Channel

CONTEXT = {"reminder": True, "kept": ["Send an engineer"]}


class _Undo(Exception):
    pass


def _written(cases: list[Case]) -> dict[str, list]:
    """What a telling wrote, without ids, creation times and the random Message-IDs (numbered instead)."""
    emails = list(OutboundEmail.objects.filter(case__in=cases).order_by("pk"))
    new_ids = {email.header_message_id: f"new-{n}" for n, email in enumerate(emails)}

    def same(value: str) -> str:
        for real, numbered in new_ids.items():
            value = value.replace(real, numbered)
        return value

    return {
        "notices": list(
            CustomerNotice.objects.filter(case__in=cases)
            .order_by("pk")
            .values_list("case", "topic", "channel", "recipient_name", "is_copy", "language", "subject", "text")
        ),
        "tasks": list(
            Promise.objects.filter(case__in=cases, kind__in=[Promise.Kind.CALL_TASK, Promise.Kind.LETTER_TASK])
            .order_by("pk")
            .values_list(
                "case", "kind", "text", "made_by", "made_by_label", "owed_to_customer", "owed_to_name", "due_at"
            )
        ),
        "notice of each task": list(
            CustomerNotice.objects.filter(case__in=cases, task__isnull=False).values_list("channel", "task__kind")
        ),
        "emails": [
            (
                email.case_id,
                email.notice.channel if email.notice else None,
                email.to_address,
                email.to_name,
                email.language,
                email.subject,
                email.body_text,
                email.body_html,
                same(email.in_reply_to),
                same(email.references),
                email.reply_to,
                email.next_attempt_at,
                email.status,
            )
            for email in emails
        ],
        "events": [
            (event.case_id, event.kind, event.department, event.actor_label, event.summary, event.data)
            for event in TimelineEvent.objects.filter(case__in=cases, kind=TimelineEvent.Kind.CUSTOMER_INFORMED)
            .select_related("case")
            .order_by("pk")
        ]
        + [  # the event names its notice
            (event.subject_key == f"notice:{notice}",)
            for event, notice in zip(
                TimelineEvent.objects.filter(case__in=cases, kind=TimelineEvent.Kind.CUSTOMER_INFORMED).order_by("pk"),
                CustomerNotice.objects.filter(case__in=cases).order_by("pk").values_list("pk", flat=True),
                strict=True,
            )
        ],
    }


def _both_ways(cases: list[Case], now) -> tuple[dict, dict]:
    """What customer_tell writes for the cases one after the other, then what the bulk path writes
    from the same starting point (the first is rolled back)."""
    one_by_one: dict = {}
    try:
        with transaction.atomic():
            for case in cases:
                customer_tell(case=case, topic="confirmation", context=CONTEXT, subject_key=f"case:{case.pk}", now=now)
            one_by_one = _written(cases)
            raise _Undo
    except _Undo:
        pass
    assert not CustomerNotice.objects.exists()
    items = [Telling(case, "confirmation", CONTEXT, subject_key=f"case:{case.pk}") for case in cases]
    with transaction.atomic():
        customers_tell_many(prepared=tellings_prepare(items=items, now=now), now=now)
    return one_by_one, _written(cases)


def _prefers(customer: Customer, channel: str, **fields: str) -> None:
    customer.preferred_channel = channel
    for name, value in fields.items():
        setattr(customer, name, value)
    customer.save()


@pytest.fixture
def now():
    return timezone.now() - timedelta(minutes=5)  # a watcher's "now": the outbox row is due at it


@pytest.fixture
def cases(case, other_case, customer, owner):
    """Two cases of one customer (the e-mails of each stay in their own thread) and one of another."""
    return [case, make_case(customer=customer, owner=owner, subject="Second line"), other_case]


def test_email_customers_and_a_delegate_copy_get_the_same_rows_in_the_same_threads(cases, delegate, now):
    Delegate.objects.filter(user=delegate).update(wants_copies=True)
    delegate.email = "paul@example.test"
    delegate.save(update_fields=["email"])
    # An earlier e-mail on the first case: the reminder answers it.
    email_enqueue(
        case=cases[0],
        to_address="a@example.test",
        to_name="A",
        language="en",
        subject="Hi",
        body_text="x",
        body_html="x",
    )

    one_by_one, bulk = _both_ways(cases, now)

    assert [notice[2:5] for notice in bulk["notices"]] == [
        (Channel.EMAIL, "Jeanne Martin", False),
        (Channel.EMAIL, "Paul Martin", True),
        (Channel.EMAIL, "Jeanne Martin", False),
        (Channel.EMAIL, "Paul Martin", True),
        (Channel.EMAIL, "Omar Other", False),
    ]
    # The reminder answers the earlier e-mail; the delegate's copy answers the reminder.
    assert len(bulk["emails"]) == 6 and (bulk["emails"][1][8], bulk["emails"][2][8]) == ("new-0", "new-1")
    assert bulk == one_by_one


def test_phone_customers_get_the_same_call_tasks(cases, now):
    _prefers(cases[0].customer, Customer.Channel.PHONE, phone="+33 1 23 45 67 89")
    _prefers(cases[2].customer, Customer.Channel.PHONE, phone="+33 6 00 00 00 00")

    one_by_one, bulk = _both_ways(cases, now)

    assert [notice[2] for notice in bulk["notices"]] == [Channel.CALL_TASK] * 3
    assert len(bulk["tasks"]) == 3 and bulk["emails"] == []
    assert bulk == one_by_one


def test_portal_customers_and_customers_with_no_way_to_reach_them_get_the_same_rows(cases, now):
    _prefers(cases[0].customer, Customer.Channel.EMAIL, email="", phone="", address="")
    _prefers(cases[2].customer, Customer.Channel.PORTAL)

    one_by_one, bulk = _both_ways(cases, now)

    assert [notice[2] for notice in bulk["notices"]] == [
        Channel.PORTAL_ONLY,
        Channel.PORTAL_ONLY,
        Channel.PORTAL_NOTICE,
    ]
    assert "will see it on the portal" in bulk["events"][0][4]
    assert bulk == one_by_one


def test_post_customers_get_the_same_letters_and_tasks(cases, now):
    _prefers(cases[0].customer, Customer.Channel.POST, address="12 rue des Lilas, Lyon")

    one_by_one, bulk = _both_ways(cases, now)

    assert [notice[2] for notice in bulk["notices"]][:2] == [Channel.LETTER, Channel.LETTER]
    letters = CustomerNotice.objects.filter(channel=Channel.LETTER)
    assert all(notice.letter.read().startswith(b"%PDF") for notice in letters)
    assert bulk == one_by_one


def test_the_bulk_telling_writes_a_batch_in_a_few_statements(cases, now, django_assert_max_num_queries):
    items = [Telling(case, "confirmation", CONTEXT, subject_key=f"case:{case.pk}") for case in cases]
    prepared = tellings_prepare(items=items, now=now)

    with django_assert_max_num_queries(6):  # tasks, notices, the two thread look-ups, e-mails, events
        customers_tell_many(prepared=prepared, now=now)

    assert CustomerNotice.objects.count() == 3
