"""cases 0028 fills in what 0027 added for the rows already there: a customer message answered
while the unanswered-message watcher's flag was up is late (what the reports counted before),
and a reopen whose summary says the customer found it not fixed is a rejected resolution."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from cases.models import Flag, Message, TimelineEvent
from tests.factories import CustomerFactory, make_case, make_staff

BEFORE = [("cases", "0027_report_columns")]


@pytest.fixture
def at_latest() -> Iterator[None]:
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _message(case, created, answered) -> Message:
    message = Message.objects.create(
        case=case,
        direction=Message.Direction.INBOUND,
        channel=Message.Channel.EMAIL,
        author_label="Mrs Martin",
        body="Hello?",
        body_html="<p>Hello?</p>",
    )
    Message.objects.filter(pk=message.pk).update(created_at=created, answered_at=answered)
    return message


@pytest.mark.django_db(transaction=True)
def test_the_backfill_keeps_the_verdicts_the_reports_gave(at_latest: None) -> None:
    now = timezone.now()
    owner = make_staff("owner")
    case = make_case(customer=CustomerFactory(), owner=owner)
    hours = lambda n: now - timedelta(hours=n)  # noqa: E731
    flag = Flag.objects.create(
        case=case, kind=Flag.Kind.UNANSWERED_MESSAGE, subject_key=f"case:{case.pk}", summary="Late", raised_at=hours(40)
    )
    Flag.objects.filter(pk=flag.pk).update(cleared_at=hours(38))
    early = _message(case, hours(60), hours(58))  # answered before the flag
    late = _message(case, hours(44), hours(38))  # waited while it was up
    after = _message(case, hours(30), hours(29))  # came after it was cleared
    waiting = _message(case, hours(41), None)  # not answered: the case's deadline judges it
    for kind, summary in (
        ("reopened", "Reopened: the customer says it is not fixed: still no tone"),
        ("reopened", "Reopened: the customer wrote again"),
    ):
        TimelineEvent(case=case, kind=kind, department="support", actor_label="x", summary=summary).save()

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    verdicts = dict(Message.objects.filter(case=case).values_list("pk", "answered_late"))
    assert {pk: verdicts[pk] for pk in (early.pk, late.pk, after.pk, waiting.pk)} == {
        early.pk: False,
        late.pk: True,
        after.pk: False,
        waiting.pk: False,
    }
    rejected = TimelineEvent.objects.filter(kind="reopened", rejected_resolution=True)
    assert [event.summary for event in rejected] == ["Reopened: the customer says it is not fixed: still no tone"]
