"""Invariant 3: closed only on the customer's confirmation, or after a reminder and a renewed
window with no answer. The watcher sends the reminder, flags the owner, then closes."""

from datetime import timedelta

import pytest
from django.core import mail

from cases.models import Case, Flag
from cases.services import case_confirm, case_resolve, message_receive
from cases.watchers import watch_unconfirmed_resolutions
from tests.watchers.conftest import open_flags

UNCONFIRMED = Flag.Kind.UNCONFIRMED_RESOLUTION


@pytest.fixture
def resolved(case, owner, settings, clock):
    settings.CONFIRMATION_WINDOW_DAYS = 7
    return case_resolve(actor=owner, case=case, summary="Fibre socket installed and tested")


def test_reminder_and_flag_when_the_window_passes_then_close_after_the_renewed_window(
    resolved, owner, customer, django_capture_on_commit_callbacks
):
    first_window = resolved.confirmation_due_at
    assert watch_unconfirmed_resolutions(now=first_window - timedelta(minutes=1)).acted == 0

    reminded_at = first_window + timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        result = watch_unconfirmed_resolutions(now=reminded_at)
    assert (result.acted, result.raised) == (1, 1)
    resolved.refresh_from_db()
    assert resolved.status == Case.Status.RESOLVED
    assert resolved.confirmation_reminder_sent_at == reminded_at
    assert resolved.confirmation_due_at == reminded_at + timedelta(days=7)
    [flag] = open_flags(UNCONFIRMED)
    assert flag.assignee == owner
    reminder = next(m for m in mail.outbox if any(customer.email in to for to in m.to))
    assert resolved.reference in reminder.subject and f"/my/cases/{resolved.reference}/" in reminder.body

    assert watch_unconfirmed_resolutions(now=resolved.confirmation_due_at - timedelta(minutes=1)).acted == 0
    assert Case.objects.get(pk=resolved.pk).status == Case.Status.RESOLVED

    watch_unconfirmed_resolutions(now=resolved.confirmation_due_at + timedelta(minutes=1))
    resolved.refresh_from_db()
    assert (resolved.status, resolved.close_reason) == (Case.Status.CLOSED, Case.CloseReason.WINDOW_ELAPSED)
    assert open_flags(UNCONFIRMED) == []


def test_customer_confirming_during_the_reminder_window_closes_and_clears(resolved, customer):
    watch_unconfirmed_resolutions(now=resolved.confirmation_due_at + timedelta(minutes=1))

    case_confirm(actor=customer.user, case=resolved)

    assert open_flags(UNCONFIRMED) == []
    assert Case.objects.get(pk=resolved.pk).close_reason == Case.CloseReason.CONFIRMED


def test_customer_writing_again_reopens_and_clears(resolved, customer):
    watch_unconfirmed_resolutions(now=resolved.confirmation_due_at + timedelta(minutes=1))

    message_receive(case=resolved, actor=customer.user, body="The heating is still broken.")

    resolved.refresh_from_db()
    assert resolved.status == Case.Status.IN_PROGRESS
    assert open_flags(UNCONFIRMED) == []
    assert watch_unconfirmed_resolutions(now=resolved.created_at + timedelta(days=60)).examined == 0


def test_running_twice_sends_one_reminder(resolved):
    after = resolved.confirmation_due_at + timedelta(minutes=1)

    assert watch_unconfirmed_resolutions(now=after).acted == 1
    assert watch_unconfirmed_resolutions(now=after + timedelta(minutes=1)).acted == 0
    assert Flag.objects.filter(kind=UNCONFIRMED).count() == 1
