"""Rule: every watcher handler claims its row with a conditional update before acting, so a second
worker holding a copy read before the first one acted does nothing. PostgreSQL's row locks keep
two workers apart too (tests/watchers/test_idempotency.py races real threads there); these tests
interleave two calls on stale copies in one process, so the claim itself is checked on SQLite.

Between the two calls the cause is fixed (promise kept, reply sent, ...), which clears the first
flag: a handler without its claim would raise a fresh flag for a cause that is gone."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from cases.models import Case, Flag, InsuranceClaim, Promise
from cases.services import (
    call_log,
    case_resolve,
    claim_file,
    claim_update,
    message_receive,
    message_reply,
    promise_keep,
    promise_make,
)
from cases.watchers.base import ScanResult, start_of_day
from cases.watchers.claims import _check_claim, claims_past_next_action
from cases.watchers.conversation import _flag_silent, _flag_unanswered, unanswered_cases
from cases.watchers.promises import _flag_overdue, overdue_promises
from cases.watchers.resolution import _follow_up, resolutions_past_window
from tests.cases.dbstate import nothing_written


def _two_copies(queryset, pk: int) -> tuple:
    """What two workers read before either acted: the same due row, twice."""
    first, second = queryset.get(pk=pk), queryset.get(pk=pk)
    return first, second


def _open(kind: str) -> list[Flag]:
    return list(Flag.objects.filter(kind=kind, cleared_at__isnull=True))


def test_stale_promise_claim_holds_on_a_stale_copy(case: Case, owner: User) -> None:
    promise = promise_make(
        actor=owner, case=case, text="Back Monday with more workers", due_at=timezone.now() + timedelta(days=3)
    )
    now = promise.due_at + timedelta(minutes=1)
    first, second = _two_copies(overdue_promises(now), promise.pk)

    done = ScanResult("stale_promises")
    assert _flag_overdue(first, now, done) is True
    assert done.raised == 1
    assert len(_open(Flag.Kind.STALE_PROMISE)) == 1
    promise_keep(actor=owner, promise=Promise.objects.get(pk=promise.pk), note="Came on Monday")
    assert _open(Flag.Kind.STALE_PROMISE) == []

    late = ScanResult("stale_promises")
    with nothing_written():
        assert _flag_overdue(second, now, late) is False
    assert late.raised == 0
    assert Flag.objects.filter(kind=Flag.Kind.STALE_PROMISE).count() == 1


def test_stale_promise_claim_holds_while_the_first_flag_is_still_open(case: Case, owner: User) -> None:
    promise = promise_make(
        actor=owner, case=case, text="Call back at 15:00", due_at=timezone.now() + timedelta(hours=2)
    )
    now = promise.due_at + timedelta(minutes=1)
    first, second = _two_copies(overdue_promises(now), promise.pk)
    _flag_overdue(first, now, ScanResult("stale_promises"))
    flagged_at = Promise.objects.get(pk=promise.pk).overdue_flagged_at

    with nothing_written():
        assert _flag_overdue(second, now + timedelta(seconds=5), ScanResult("stale_promises")) is False
    assert Promise.objects.get(pk=promise.pk).overdue_flagged_at == flagged_at


def test_unanswered_message_claim_holds_on_a_stale_copy(case: Case, owner: User, customer) -> None:
    message_receive(case=case, actor=customer.user, body="The pipe is still leaking.")
    due = Case.objects.get(pk=case.pk).reply_due_at
    now = due + timedelta(minutes=1)
    first, second = _two_copies(unanswered_cases(now), case.pk)

    done = ScanResult("unanswered_messages")
    assert _flag_unanswered(first, now, done) is True
    assert done.raised == 1
    assert len(_open(Flag.Kind.UNANSWERED_MESSAGE)) == 1
    message_reply(actor=owner, case=Case.objects.get(pk=case.pk), body="The plumber comes on Monday at 9:00.")
    assert _open(Flag.Kind.UNANSWERED_MESSAGE) == []

    late = ScanResult("unanswered_messages")
    with nothing_written():
        assert _flag_unanswered(second, now, late) is False
    assert late.raised == 0
    assert Flag.objects.filter(kind=Flag.Kind.UNANSWERED_MESSAGE).count() == 1


def test_silent_case_claim_holds_on_a_stale_copy(case: Case, owner: User) -> None:
    now = timezone.now() + timedelta(days=60)
    first, second = Case.objects.get(pk=case.pk), Case.objects.get(pk=case.pk)
    assert first.last_outbound_at is None

    done = ScanResult("silent_cases")
    assert _flag_silent(first, now, done) is True
    assert done.raised == 1
    assert len(_open(Flag.Kind.SILENT_CASE)) == 1
    call_log(actor=owner, case=Case.objects.get(pk=case.pk), summary="Told her the date", inbound=False)
    assert _open(Flag.Kind.SILENT_CASE) == []

    late = ScanResult("silent_cases")
    with nothing_written():
        assert _flag_silent(second, now, late) is False
    assert late.raised == 0
    assert Flag.objects.filter(kind=Flag.Kind.SILENT_CASE).count() == 1


def test_stalled_claim_check_holds_on_a_stale_copy(case: Case, owner: User) -> None:
    claim = claim_file(
        actor=owner,
        case=case,
        insurer="Maison Sûre Assurances",
        policy_holder=InsuranceClaim.PolicyHolder.CUSTOMER,
        next_action="Expert visit to assess the water damage",
        next_action_due=timezone.localdate() + timedelta(days=2),
    )
    now = start_of_day(claim.next_action_due) + timedelta(days=1, hours=9)
    first, second = _two_copies(claims_past_next_action(now), claim.pk)

    assert _check_claim(first, now, ScanResult("stalled_claims")) is True
    claim_update(actor=owner, claim=InsuranceClaim.objects.get(pk=claim.pk), note="The expert comes on the 14th")
    assert _open(Flag.Kind.STALLED_CLAIM) == []

    with nothing_written():
        assert _check_claim(second, now, ScanResult("stalled_claims")) is False
    assert Flag.objects.filter(kind=Flag.Kind.STALLED_CLAIM).count() == 1


@pytest.fixture
def resolved(case: Case, owner: User, settings) -> Case:
    settings.CONFIRMATION_WINDOW_DAYS = 7
    return case_resolve(actor=owner, case=case, summary="Fibre socket installed and tested")


def test_confirmation_reminder_is_sent_once_from_two_stale_copies(resolved: Case) -> None:
    now = resolved.confirmation_due_at + timedelta(minutes=1)
    first, second = _two_copies(resolutions_past_window(now), resolved.pk)

    done = ScanResult("unconfirmed_resolutions")
    assert _follow_up(first, now, done) is True
    assert (done.acted, done.raised) == (1, 1)

    late = ScanResult("unconfirmed_resolutions")
    with nothing_written():
        assert _follow_up(second, now, late) is False  # its copy still says "not reminded yet"
    assert (late.acted, late.raised) == (0, 0)
    assert Case.objects.get(pk=resolved.pk).confirmation_reminder_sent_at == now
