"""Incremental: a scan reads only rows that became due. Its queries go through partial
indexes that hold nothing else, and a scan with nothing new costs the same number of
queries, and examines no row, whatever the size of the tables."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases.models import Case, Flag, InsuranceClaim, Promise
from cases.watchers import WATCHERS, run_all
from cases.watchers.claims import claims_past_next_action
from cases.watchers.conversation import silent_cases_never_contacted, silent_cases_since_contact, unanswered_cases
from cases.watchers.escalation import flags_due_for_escalation
from cases.watchers.promises import overdue_promises
from cases.watchers.resolution import resolutions_past_window

DUE_QUERIES = [
    (overdue_promises, "promise_overdue_unflagged"),
    (unanswered_cases, "case_reply_due_unflagged"),
    (silent_cases_never_contacted, "case_silent_never_contacted"),
    (silent_cases_since_contact, "case_silent_since_contact"),
    (claims_past_next_action, "claim_stall_unchecked"),
    (flags_due_for_escalation, "flag_escalation_due"),
]

# PostgreSQL may read the stall scan through the other partial index of claims, which holds only
# open claims with a next action: as narrow a read, and which one it picks on tiny test tables
# depends on when it last gathered statistics.
ALSO_PARTIAL = {"claim_stall_unchecked": "claim_next_action_open"}


@pytest.mark.parametrize(("due", "index"), DUE_QUERIES, ids=[index for _, index in DUE_QUERIES])
def test_each_scan_reads_through_its_partial_index(db, due, index):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")  # tiny test tables: ask what it would use
    # The due rows alone: the rows a batch joins are read by primary key, and on tiny test tables
    # PostgreSQL may start a join from any side.
    plan = due(timezone.now()).select_related(None)[:500].explain()
    assert index in plan or ALSO_PARTIAL.get(index, "-") in plan, plan


def test_resolution_scan_reads_through_a_partial_index_of_resolved_cases(db):
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
    plan = resolutions_past_window(timezone.now())[:500].explain()
    assert "case_resolution_window" in plan or "case_confirmation_due" in plan


def _rows_already_dealt_with(case: Case, owner: object, count: int) -> None:
    """Rows a naive scan would read on every run: past due, but already flagged or checked."""
    now = timezone.now()
    long_ago = now - timedelta(days=60)
    cases = Case.objects.bulk_create(
        Case(
            reference=f"BULK-{n}",
            customer=case.customer,
            owner=owner,
            subject="Old case",
            status=Case.Status.IN_PROGRESS,
            last_activity_at=long_ago,
            last_outbound_at=long_ago,
            silent_flagged_at=long_ago + timedelta(days=10),
            awaiting_reply_since=long_ago,
            reply_due_at=long_ago + timedelta(hours=8),
            reply_flagged_due_at=long_ago + timedelta(hours=8),
        )
        for n in range(count)
    )
    Promise.objects.bulk_create(
        Promise(
            case=c, text="Call back", made_by=owner, made_by_label="Owner", due_at=long_ago, overdue_flagged_at=long_ago
        )
        for c in cases
    )
    InsuranceClaim.objects.bulk_create(
        InsuranceClaim(
            case=c,
            insurer="Insurer",
            policy_holder="customer",
            status="filed",
            filed_at=long_ago,
            next_action="Call",
            next_action_due=long_ago.date(),
            stall_checked_due=long_ago.date(),
            created_by=owner,
            last_update_at=long_ago,
        )
        for c in cases
    )
    Flag.objects.bulk_create(
        Flag(
            case=c,
            kind=Flag.Kind.STALE_PROMISE,
            subject_key=f"promise:bulk-{c.pk}",
            summary="Old",
            level=3,
            assignee=owner,
            raised_at=long_ago,
            escalate_at=None,
        )
        for c in cases
    )


def _idle_run_queries(now: object) -> dict[str, int]:
    counts = {}
    for name, watcher in WATCHERS.items():
        with CaptureQueriesContext(connection) as queries:
            result = watcher(now=now)
        assert (result.examined, result.raised, result.acted) == (0, 0, 0), name
        counts[name] = len(queries)
    return counts


def test_a_scan_with_nothing_new_costs_the_same_whatever_the_table_size(
    case, owner, clock, django_assert_max_num_queries
):
    now = clock.now + timedelta(minutes=1)
    run_all(now=now)  # the fixtures' own case is silent-free and due nowhere; settle the cursors
    small = _idle_run_queries(now)

    _rows_already_dealt_with(case, owner, 300)
    with django_assert_max_num_queries(sum(small.values())):
        large = _idle_run_queries(now)

    assert large == small
    assert max(large.values()) <= 8
