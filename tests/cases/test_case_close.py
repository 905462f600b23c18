"""case_send_confirmation_reminder and case_close: a case closes only on the customer's
confirmation, or after the confirmation window in which a reminder was sent (invariant 3),
and the database refuses any other way to "closed"."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone
from pytest_django.fixtures import Settings

from cases.models import Case, Flag, TimelineDepartment, TimelineEvent
from cases.services import case_close, case_send_confirmation_reminder, flag_raise
from portal.errors import NotAllowed, RuleViolation
from tests.cases.dbstate import events_written, nothing_written
from tests.cases.steps import (
    CLOSING_ANYWAY,
    after_window,
    close_after_window,
    close_by_confirmation,
    later,
    resolve,
)


def _remind(case: Case) -> Case:
    assert case_send_confirmation_reminder(case=case) is True
    case.refresh_from_db()
    return case


# --- the reminder -----------------------------------------------------------------------------------


def test_reminder_is_recorded_and_restarts_the_window(owner: User, case: Case, settings: Settings) -> None:
    settings.CONFIRMATION_WINDOW_DAYS = 4
    resolve(case, owner)
    reminded_at = later(days=3)
    with events_written() as events:
        sent = case_send_confirmation_reminder(case=case, now=reminded_at)
    assert sent is True
    case.refresh_from_db()
    assert case.confirmation_reminder_sent_at == reminded_at
    assert case.confirmation_due_at == reminded_at + timedelta(days=4)
    event = events.one(TimelineEvent.Kind.REMINDER)
    assert event.customer_visible is True
    assert event.actor is None and event.actor_label == "Steward"
    assert event.department == TimelineDepartment.SUPPORT


def test_reminder_is_sent_once(owner: User, case: Case) -> None:
    resolve(case, owner)
    _remind(case)
    with nothing_written():
        assert case_send_confirmation_reminder(case=case) is False


def test_no_reminder_for_a_case_that_is_not_resolved(owner: User, case: Case) -> None:
    with nothing_written():
        assert case_send_confirmation_reminder(case=case) is False


# --- closing by the window rule ---------------------------------------------------------------------


def test_close_after_the_window_with_a_reminder(owner: User, case: Case) -> None:
    resolve(case, owner)
    case = _remind(case)
    moment = after_window(case.confirmation_reminder_sent_at)
    with events_written() as events:
        closed = case_close(actor=owner, case=case, now=moment)
    closed.refresh_from_db()
    assert closed.status == Case.Status.CLOSED
    assert closed.close_reason == Case.CloseReason.WINDOW_ELAPSED
    assert closed.closed_at == moment
    event = events.one(TimelineEvent.Kind.CLOSED)
    assert event.customer_visible is True
    assert event.actor_label == "Olivia Owner (Customer relations)"
    assert "no answer" in event.summary


def test_the_system_closes_without_an_actor(owner: User, case: Case) -> None:
    resolve(case, owner)
    case = _remind(case)
    flag = flag_raise(kind=Flag.Kind.UNCONFIRMED_RESOLUTION, subject_key=f"case:{case.pk}", summary="w", case=case)
    with events_written() as events:
        case_close(actor=None, case=case, now=after_window(case.confirmation_reminder_sent_at))
    assert events.one(TimelineEvent.Kind.CLOSED).actor_label == "Steward"
    flag.refresh_from_db()
    assert flag.cleared_at is not None


def test_close_before_the_window_ends_is_refused(owner: User, case: Case) -> None:
    resolve(case, owner)
    case = _remind(case)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        case_close(actor=owner, case=case, now=case.confirmation_due_at - timedelta(minutes=1))
    assert refused.value.field == "status"
    assert "has until" in refused.value.message


def test_close_without_a_reminder_is_refused_even_after_the_window(owner: User, case: Case) -> None:
    resolve(case, owner)
    case.refresh_from_db()
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        case_close(actor=owner, case=case, now=after_window(case.confirmation_due_at))
    assert refused.value.field == "status"
    assert "not been reminded" in refused.value.message


def test_close_of_a_case_that_was_never_resolved_is_refused(owner: User, case: Case) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        case_close(actor=owner, case=case, now=later(days=30))
    assert refused.value.field == "status"
    assert "Resolve the case first" in refused.value.message


def test_closing_twice_is_refused(owner: User, case: Case) -> None:
    close_after_window(case, owner)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        case_close(actor=owner, case=case, now=later(days=60))
    assert refused.value.field == "status"
    assert "already closed" in refused.value.message


def test_outsiders_cannot_close(owner: User, case: Case, other_agent: User, contractor_user: User) -> None:
    resolve(case, owner)
    case = _remind(case)
    for outsider in (other_agent, case.customer.user, contractor_user):
        with nothing_written(), pytest.raises(NotAllowed):
            case_close(actor=outsider, case=case, now=after_window(case.confirmation_reminder_sent_at))


# --- the database's half of invariant 3 ------------------------------------------------------------


def test_database_refuses_a_direct_update_to_closed(case: Case) -> None:
    with pytest.raises(IntegrityError, match="case_closed_only_by_rule"), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(status=Case.Status.CLOSED, closed_at=timezone.now())
    case.refresh_from_db()
    assert case.status == Case.Status.NEW


def test_database_refuses_closing_a_resolved_case_by_window_without_reminder(owner: User, case: Case) -> None:
    resolve(case, owner)
    with pytest.raises(IntegrityError, match="case_closed_only_by_rule"), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(
            status=Case.Status.CLOSED, closed_at=timezone.now(), close_reason=Case.CloseReason.WINDOW_ELAPSED
        )


def test_database_refuses_a_confirmed_close_that_was_never_resolved(case: Case) -> None:
    with pytest.raises(IntegrityError, match="case_closed_only_by_rule"), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(
            status=Case.Status.CLOSED, closed_at=timezone.now(), close_reason=Case.CloseReason.CONFIRMED
        )


def test_database_refuses_an_open_case_with_a_close_date(case: Case) -> None:
    with pytest.raises(IntegrityError, match="case_open_not_closed"), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(closed_at=timezone.now(), close_reason=Case.CloseReason.CONFIRMED)


def test_database_accepts_both_lawful_closures(owner: User, case: Case, other_case: Case, other_agent: User) -> None:
    close_by_confirmation(case, owner)
    close_after_window(other_case, other_agent)
    assert set(Case.objects.filter(status=Case.Status.CLOSED).values_list("close_reason", flat=True)) == {
        Case.CloseReason.CONFIRMED,
        Case.CloseReason.WINDOW_ELAPSED,
    }


def test_closing_clears_the_conversation_flags_of_the_case(owner, case) -> None:
    from cases.models import Flag
    from cases.services import case_confirm, flag_raise
    from tests.cases.steps import resolve

    for kind in (Flag.Kind.UNANSWERED_MESSAGE, Flag.Kind.SILENT_CASE):
        flag_raise(kind=kind, subject_key=f"case:{case.pk}", summary="Waiting", case=case)
    resolve(case, owner)
    case_confirm(actor=case.customer.user, case=case)
    assert not Flag.objects.filter(case=case, cleared_at__isnull=True).exists()


def _rejected_then_resolved_again(case: Case, owner: User) -> Flag:
    from cases.services import case_reject_resolution

    resolve(case, owner, override_reason=CLOSING_ANYWAY)
    case_reject_resolution(actor=case.customer.user, case=case, reason="The socket still has no signal")
    rejected = Flag.objects.get(kind=Flag.Kind.REJECTED_RESOLUTION, case=case)
    resolve(case, owner, summary="Signal restored at the cabinet.", override_reason=CLOSING_ANYWAY)
    return rejected


@pytest.mark.parametrize("closure", ["confirmed", "window elapsed"])
def test_closing_clears_a_rejected_resolution_flag_which_then_never_escalates(owner, case, closure) -> None:
    from cases.services import case_confirm
    from cases.watchers import watch_escalations

    rejected = _rejected_then_resolved_again(case, owner)
    flag_raise(kind=Flag.Kind.UNANSWERED_MESSAGE, subject_key=f"case:{case.pk}", summary="Waiting", case=case)
    if closure == "confirmed":
        case_confirm(actor=case.customer.user, case=case)
    else:
        _remind(case)
        case_close(actor=None, case=case, now=after_window(case.confirmation_reminder_sent_at))

    rejected.refresh_from_db()
    assert rejected.cleared_at is not None and rejected.clear_note == "case closed"
    assert not Flag.objects.filter(case=case, cleared_at__isnull=True).exists()
    assert TimelineEvent.objects.filter(
        case=case, kind=TimelineEvent.Kind.FLAG_CLEARED, subject_key=f"flag:{rejected.pk}"
    )
    assert watch_escalations(now=later(days=60)).acted == 0
    rejected.refresh_from_db()
    assert rejected.level == 1


def test_flags_are_cleared_in_the_closing_transaction(owner, case, monkeypatch) -> None:
    from cases.services import case_confirm, lifecycle

    rejected = _rejected_then_resolved_again(case, owner)

    def survey_fails(*args: object, **kwargs: object) -> None:
        raise RuntimeError("mail server down")

    monkeypatch.setattr(lifecycle, "_tell", survey_fails)  # the last step of the closure
    with pytest.raises(RuntimeError):
        case_confirm(actor=case.customer.user, case=case)

    case.refresh_from_db()
    rejected.refresh_from_db()
    assert case.status == Case.Status.RESOLVED
    assert rejected.cleared_at is None  # undone with the closure, not cleared on its own
