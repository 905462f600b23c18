"""The worklist's stored attention stays what the rule counts from scratch, after every kind of
change to its inputs, through the real services and the watchers' batch paths."""

import importlib
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case, Flag, Promise
from cases.services import (
    case_confirm,
    case_handoff,
    case_merge,
    case_reject_resolution,
    case_resolve,
    flag_acknowledge,
    flag_escalate,
    flag_raise,
    flags_clear,
    message_receive,
    message_reply,
    note_add,
    promise_break,
    promise_keep,
    promise_make,
    promise_withdraw,
)
from cases.services.attention import refresh_attention
from cases.services.flags import flag_dismiss
from cases.watchers import run_all, watch_attention_due, watch_escalations, watch_stale_promises
from people.models import Customer
from tests.attention import assert_attention_counted
from tests.factories import CustomerFactory, make_case

pytestmark = pytest.mark.django_db


def _stored(case: Case) -> tuple[int, int, bool]:
    case.refresh_from_db()
    return case.attention, case.attention_flag_level, case.promise_overdue


def _promise(actor: User, case: Case, hours: float = 2) -> Promise:
    """A promise by the case's owner (`actor` when they own it)."""
    actor = actor if actor.pk == case.owner_id else case.owner
    return promise_make(actor=actor, case=case, text="Call back", due_at=timezone.now() + timedelta(hours=hours))


def test_flags_raised_escalated_acknowledged_cleared(case: Case, other_case: Case, owner: User) -> None:
    flag = flag_raise(kind=Flag.Kind.SILENT_CASE, subject_key=f"case:{case.pk}", summary="Silent", case=case)
    assert flag is not None
    assert _stored(case) == (4, 1, False)
    assert_attention_counted()
    assert flag_escalate(flag=flag)
    assert _stored(case)[:2] == (8, 2)
    flag.refresh_from_db()
    flag_acknowledge(flag=flag, actor=owner)
    assert_attention_counted()
    flags_clear(kind=Flag.Kind.SILENT_CASE, subject_key=f"case:{case.pk}", note="customer contacted")
    assert _stored(case) == (0, 0, False)
    assert_attention_counted()


def test_a_dismissed_flag_leaves_the_count(case: Case, manager: User) -> None:
    flag = flag_raise(kind=Flag.Kind.LOW_SURVEY_SCORE, subject_key="survey:1", summary="Score 1", case=case)
    assert flag is not None and _stored(case)[0] == 4
    flag_dismiss(flag=flag, actor=manager, note="Called them, all fine")
    assert _stored(case)[0] == 0
    assert_attention_counted()


def test_help_requests_do_not_count_for_the_owner(case: Case, owner: User, other_agent: User) -> None:
    note_add(actor=owner, case=case, body="Any idea?", ask_help=[other_agent])
    assert Flag.objects.filter(kind=Flag.Kind.HELP_REQUESTED, cleared_at__isnull=True).count() == 1
    assert _stored(case)[0] == 0
    assert_attention_counted()


def test_promises_made_kept_broken_withdrawn(case: Case, owner: User) -> None:
    kept, broken, withdrawn = (_promise(owner, case, hours) for hours in (1, 2, 3))
    case.refresh_from_db()
    assert case.promise_due_at == kept.due_at and case.attention == 0
    assert_attention_counted()
    promise_keep(actor=owner, promise=kept)
    case.refresh_from_db()
    assert case.promise_due_at == broken.due_at
    promise_break(actor=owner, promise=broken, note="The part did not come")
    promise_withdraw(actor=owner, promise=withdrawn, note="Not needed any more")
    case.refresh_from_db()
    assert case.promise_due_at is None
    assert_attention_counted()


def test_messages_in_and_replies_out(case: Case, owner: User, customer: Customer) -> None:
    message_receive(case=case, actor=customer.user, body="Any news?")
    assert _stored(case)[0] == 1
    assert_attention_counted()
    message_reply(actor=owner, case=case, body="Tomorrow morning.")
    assert _stored(case)[0] == 0
    assert_attention_counted()


def test_a_phone_customer_s_call_task_counts_as_a_promise(owner: User) -> None:
    """Telling a phone customer something writes a call task for the owner: a promise like any."""
    customer = CustomerFactory(preferred_channel=Customer.Channel.PHONE, email="")
    case = make_case(customer=customer, owner=owner)
    _promise(owner, case, hours=400)
    task = Promise.objects.get(case=case, kind=Promise.Kind.CALL_TASK)
    case.refresh_from_db()
    assert case.promise_due_at == task.due_at
    assert_attention_counted()


def test_handoff_and_take_over(case: Case, owner: User, other_agent: User) -> None:
    """The owner's flags follow the case; the new owner's own help request clears when they take it."""
    flag_raise(kind=Flag.Kind.SILENT_CASE, subject_key=f"case:{case.pk}", summary="Silent", case=case)
    note_add(actor=owner, case=case, body="Can you look?", ask_help=[other_agent])
    _promise(owner, case)
    case_handoff(actor=owner, case=case, to_user=other_agent, reason="Holiday", summary="Waiting for the part")
    assert _stored(case)[0] == 4
    assert_attention_counted()


def test_resolve_reject_reopen_confirm_close(case: Case, owner: User, customer: Customer) -> None:
    message_receive(case=case, actor=customer.user, body="Still broken")
    message_reply(actor=owner, case=case, body="Fixed now")
    case_resolve(actor=owner, case=case, summary="Replaced the router")
    case_reject_resolution(actor=customer.user, case=case, reason="Still no internet")
    assert _stored(case)[0] == 4  # the rejected resolution's flag
    assert_attention_counted()
    message_reply(actor=owner, case=case, body="Second visit done")
    case_resolve(actor=owner, case=case, summary="Cable replaced")
    case_confirm(actor=customer.user, case=case)
    assert_attention_counted()
    message_receive(case=case, actor=customer.user, body="It broke again")  # a follow-up case
    assert_attention_counted()


def test_merge_moves_the_count(case: Case, owner: User, manager: User, customer: Customer) -> None:
    second = make_case(customer=customer, owner=owner, subject="Same fibre problem")
    flag_raise(kind=Flag.Kind.SILENT_CASE, subject_key=f"case:{second.pk}", summary="Silent", case=second)
    _promise(owner, second, hours=1)
    message_receive(case=second, actor=customer.user, body="Hello?")
    case_merge(actor=manager, survivor=case, merged=second, reason="Same fibre problem")
    assert _stored(case)[0] == 5 and _stored(second)[0] == 0
    assert_attention_counted()


def test_watchers_batch_paths_keep_the_count(case: Case, other_case: Case, owner: User, customer: Customer) -> None:
    """The stale-promise watcher raises in a batch (flags_raise_many), the escalation watcher
    escalates in a batch (flags_escalate_many), the unanswered-message watcher flags the waiting."""
    cases = [case, other_case] + [make_case(customer=customer, owner=owner, subject=f"n{i}") for i in range(3)]
    for each in cases:
        _promise(owner, each, hours=1)
    message_receive(case=cases[2], actor=customer.user, body="Hello?")
    later = timezone.now() + timedelta(days=3)
    with time_machine.travel(later, tick=False):
        assert watch_stale_promises(now=later, batch_size=10).raised == len(cases)
        assert_attention_counted(later)
        assert {_stored(each)[:2] for each in cases} == {(6, 1), (7, 1)}
    much_later = later + timedelta(days=5)
    with time_machine.travel(much_later, tick=False):
        assert watch_escalations(now=much_later, batch_size=10).examined
        run_all(now=much_later)
        assert_attention_counted(much_later)
        assert max(_stored(each)[1] for each in cases) >= 2


def test_a_promise_falling_due_is_counted_by_the_attention_watcher(case: Case, owner: User) -> None:
    promise = _promise(owner, case, hours=2)
    after = promise.due_at + timedelta(seconds=30)
    with time_machine.travel(after, tick=False):
        # Nobody touched the case: until the watcher runs, the stored count lags the clock.
        assert _stored(case) == (0, 0, False)
        with pytest.raises(AssertionError):
            assert_attention_counted(after)
        first = watch_attention_due(now=after)
        assert (first.examined, first.acted) == (1, 1)
        assert _stored(case) == (2, 0, True)
        assert_attention_counted(after)
        again = watch_attention_due(now=after)
        assert again.examined == 0  # counted: the case left the watcher's index


def test_the_attention_watcher_with_nothing_due_costs_one_query(case: Case, owner: User) -> None:
    _promise(owner, case, hours=2)
    with CaptureQueriesContext(connection) as queries:
        assert watch_attention_due().examined == 0
    assert len(queries) == 1


def test_refresh_counts_many_cases_in_few_statements(owner: User, customer: Customer) -> None:
    cases = [make_case(customer=customer, owner=owner, subject=f"n{i}") for i in range(5)]
    Case.objects.update(attention_flag_level=3, promise_overdue=True)
    with CaptureQueriesContext(connection) as queries:
        assert refresh_attention([c.pk for c in cases]) == 5
    assert len(queries) <= 2  # the lock (PostgreSQL) and one UPDATE
    assert_attention_counted()


def test_a_whole_row_save_of_an_old_copy_keeps_the_count(case: Case) -> None:
    stale = Case.objects.get(pk=case.pk)
    flag_raise(kind=Flag.Kind.SILENT_CASE, subject_key=f"case:{case.pk}", summary="Silent", case=case)
    stale.subject = "Fibre installation, second try"
    stale.save()
    assert _stored(case)[0] == 4
    assert_attention_counted()


def test_back_fill_migration_counts_existing_cases(
    case: Case, other_case: Case, owner: User, customer: Customer
) -> None:
    flag_raise(kind=Flag.Kind.SILENT_CASE, subject_key=f"case:{case.pk}", summary="Silent", case=case)
    message_receive(case=other_case, actor=None, body="Hello?")
    _promise(owner, other_case, hours=1)
    Case.objects.update(attention_flag_level=0, promise_due_at=None, promise_overdue=False)
    importlib.import_module("cases.migrations.0024_case_attention_backfill").backfill(apps, None)
    assert_attention_counted()
    assert _stored(case)[0] == 4 and _stored(other_case)[0] == 1
