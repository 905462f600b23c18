"""Invariant 5: every change writes its timeline event in the same transaction. When a service
fails after writing (here: the timeline write itself fails), the whole change is rolled back;
and timeline events, once written, can be neither changed nor deleted."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from cases.models import Case, TimelineEvent
from cases.services import (
    case_handoff,
    case_open,
    case_resolve,
    claim_file,
    message_receive,
    message_reply,
    note_add,
    promise_make,
)
from cases.services import timeline as timeline_module
from people.models import Customer
from tests.cases.dbstate import nothing_written
from tests.cases.steps import PNG, upload


class TimelineDown(Exception):
    """Stands for any failure after the record was written: disk full, lost connection…"""


def _fail_on_call(monkeypatch: pytest.MonkeyPatch, module: str, *, call: int) -> None:
    """Let the first `call - 1` timeline writes through, then fail."""
    real = timeline_module.record_event
    calls = {"n": 0}

    def failing(**kwargs: object) -> TimelineEvent:
        calls["n"] += 1
        if calls["n"] >= call:
            raise TimelineDown("timeline unavailable")
        return real(**kwargs)

    monkeypatch.setattr(f"cases.services.{module}.record_event", failing)


SERVICES: dict[str, tuple[str, int, Callable[[Case, User, Customer, User], object]]] = {
    # name: (module whose record_event fails, which call fails, the service call)
    "handoff after its first event": (
        "handoff",
        2,
        lambda case, owner, customer, other: case_handoff(
            actor=owner, case=case, to_user=other, reason="Holiday", summary="All on the timeline"
        ),
    ),
    "customer message with attachment": (
        "messages",
        1,
        lambda case, owner, customer, other: message_receive(
            actor=customer.user, case=case, body="Photo of the leak", attachments=[upload("leak.png", PNG)]
        ),
    ),
    "reply": ("messages", 1, lambda case, owner, customer, other: message_reply(actor=owner, case=case, body="Hi")),
    "note": ("messages", 1, lambda case, owner, customer, other: note_add(actor=owner, case=case, body="Internal")),
    "promise": (
        "promises",
        1,
        lambda case, owner, customer, other: promise_make(
            actor=owner, case=case, text="Call back", due_at=timezone.now() + timedelta(hours=2)
        ),
    ),
    "resolution": (
        "lifecycle",
        1,
        lambda case, owner, customer, other: case_resolve(actor=owner, case=case, summary="Fixed"),
    ),
    "claim": (
        "claims",
        1,
        lambda case, owner, customer, other: claim_file(
            actor=owner, case=case, insurer="Axa", policy_holder="customer"
        ),
    ),
    "new case": (
        "lifecycle",
        1,
        lambda case, owner, customer, other: case_open(actor=owner, customer=customer, owner=owner, subject="New"),
    ),
}


@pytest.mark.parametrize("name", list(SERVICES))
def test_a_failing_timeline_write_rolls_back_the_whole_change(
    monkeypatch: pytest.MonkeyPatch, owner: User, other_agent: User, customer: Customer, case: Case, name: str
) -> None:
    module, call, service = SERVICES[name]
    _fail_on_call(monkeypatch, module, call=call)
    with nothing_written(), pytest.raises(TimelineDown):
        service(case, owner, customer, other_agent)


def test_a_message_on_a_resolved_case_rolls_back_its_reopening_too(
    monkeypatch: pytest.MonkeyPatch, owner: User, customer: Customer, case: Case
) -> None:
    case_resolve(actor=owner, case=case, summary="Fixed")
    # The reopening event is written; the message event then fails.
    _fail_on_call(monkeypatch, "messages", call=1)
    with nothing_written(), pytest.raises(TimelineDown):
        message_receive(actor=customer.user, case=case, body="Not fixed")
    case.refresh_from_db()
    assert case.status == Case.Status.RESOLVED


# --- append-only ----------------------------------------------------------------------------------


def test_a_timeline_event_cannot_be_changed(case: Case) -> None:
    event = TimelineEvent.objects.filter(case=case).first()
    event.summary = "Rewritten history"
    with pytest.raises(TypeError, match="append-only"):
        event.save()
    with pytest.raises(TypeError, match="append-only"):
        TimelineEvent.objects.filter(case=case).update(summary="Rewritten history")
    event.refresh_from_db()
    assert event.summary != "Rewritten history"


def test_a_timeline_event_cannot_be_deleted(case: Case) -> None:
    event = TimelineEvent.objects.filter(case=case).first()
    with pytest.raises(TypeError, match="append-only"):
        event.delete()
    with pytest.raises(TypeError, match="append-only"):
        TimelineEvent.objects.filter(case=case).delete()
    assert TimelineEvent.objects.filter(pk=event.pk).exists()
