"""promise_make, promise_keep, promise_break, promise_withdraw: every commitment is recorded
with its due date, which never moves, and settled honestly on the timeline."""

from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.models import Case, Flag, Promise, TimelineDepartment, TimelineEvent
from cases.services import (
    case_handoff,
    flag_raise,
    message_receive,
    promise_break,
    promise_keep,
    promise_make,
    promise_withdraw,
)
from cases.services.timeline import person_name
from contractors.models import Job
from correspondence.models import CustomerNotice
from people.models import Customer
from portal.errors import NotAllowed, RuleViolation
from tests.cases.dbstate import events_written, nothing_written
from tests.cases.steps import close_by_confirmation, later


def _promise(actor: User, case: Case, **overrides: object) -> Promise:
    arguments = {"text": "I will call you back at 15:00", "due_at": later(hours=3), **overrides}
    return promise_make(actor=actor, case=case, **arguments)


# --- making -------------------------------------------------------------------------------------------


def test_promise_to_the_customer_is_recorded_and_shown_to_them(owner: User, case: Case) -> None:
    due = later(hours=3)
    with events_written() as events:
        promise = _promise(owner, case, due_at=due, kind=Promise.Kind.CALLBACK)
    promise.refresh_from_db()
    assert promise.status == Promise.Status.OPEN
    assert promise.due_at == due
    assert promise.kind == Promise.Kind.CALLBACK
    assert promise.made_by == owner
    assert promise.made_by_label == "Olivia Owner (Customer relations)"
    assert promise.owed_to_customer is True
    event = events.one(TimelineEvent.Kind.PROMISE_MADE)
    assert event.customer_visible is True
    assert event.department == TimelineDepartment.SUPPORT
    assert event.subject_key == f"promise:{promise.pk}"
    assert event.data == {"due_at": due.isoformat(), "sentence": event.data["sentence"]}
    assert "I will call you back at 15:00" in event.summary


def test_promise_owed_to_someone_else_stays_internal(owner: User, case: Case) -> None:
    with events_written() as events:
        promise = _promise(
            owner, case, text="Send photos to the insurer", owed_to_customer=False, owed_to_name="Axa adjuster"
        )
    assert promise.owed_to_name == "Axa adjuster"
    assert events.one(TimelineEvent.Kind.PROMISE_MADE).customer_visible is False


def test_the_customer_is_told_of_a_promise_owed_to_them_and_not_of_an_internal_one(owner: User, case: Case) -> None:
    with events_written() as told:
        theirs = _promise(owner, case)
    with events_written() as untold:
        internal = _promise(owner, case, owed_to_customer=False, owed_to_name="Axa adjuster")
    assert told.kinds() == [TimelineEvent.Kind.PROMISE_MADE, TimelineEvent.Kind.CUSTOMER_INFORMED]
    assert untold.kinds() == [TimelineEvent.Kind.PROMISE_MADE]
    notices = CustomerNotice.objects.filter(case=case, topic=CustomerNotice.Topic.PROMISE)
    assert [notice.subject_key for notice in notices] == [f"promise:{theirs.pk}"]
    assert not CustomerNotice.objects.filter(subject_key=f"promise:{internal.pk}").exists()


def test_contractor_promises_through_their_job(case: Case, job: Job, contractor_user: User) -> None:
    with events_written() as events:
        promise = _promise(contractor_user, case, text="Back Monday with more workers", job=job)
    assert promise.job == job
    assert promise.made_by_label == f"{person_name(contractor_user)} (FibreCo Installations)"
    event = events.one(TimelineEvent.Kind.PROMISE_MADE)
    assert event.department == TimelineDepartment.FIELD
    assert event.actor_label == promise.made_by_label
    assert event.customer_visible is True


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"text": ""}, "text", "Write what is promised"),
        ({"text": "x" * 301}, "text", "under 300 characters"),
        ({"kind": "vow"}, "kind", "not a valid kind of promise"),
        ({"due_at": None}, "due_at", "Say by when"),
        ({"due_at": timezone.now() - timedelta(minutes=1)}, "due_at", "due in the future"),
        ({"owed_to_customer": False, "owed_to_name": " "}, "owed_to_name", "who the promise is owed to"),
    ],
)
def test_bad_promise_is_refused_and_nothing_is_written(
    owner: User, case: Case, changes: dict, field: str, words: str
) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        _promise(owner, case, **changes)
    assert refused.value.field == field
    assert words in refused.value.message


def test_promise_about_a_job_of_another_case_is_refused(
    owner: User, other_agent: User, case: Case, other_case: Case, contractor_user: User, job: Job
) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        _promise(contractor_user, other_case, job=job)
    assert refused.value.field == "job"


def test_outsiders_cannot_make_promises(
    case: Case,
    job: Job,
    other_agent: User,
    contractor_user: User,
    other_contractor_user: User,
    other_customer: Customer,
) -> None:
    attempts = [
        (other_agent, {}),
        (case.customer.user, {}),
        (other_customer.user, {}),
        (contractor_user, {}),  # a contractor promises only about one of their jobs
        (other_contractor_user, {"job": job}),
    ]
    for outsider, extra in attempts:
        with nothing_written(), pytest.raises(NotAllowed):
            _promise(outsider, case, **extra)


def test_no_promise_on_a_closed_case(owner: User, case: Case) -> None:
    close_by_confirmation(case, owner)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        _promise(owner, case)
    assert refused.value.code == "closed"


# --- settling -----------------------------------------------------------------------------------------


def test_keeping_a_promise_clears_its_stale_flag(owner: User, case: Case) -> None:
    promise = _promise(owner, case)
    flag = flag_raise(kind=Flag.Kind.STALE_PROMISE, subject_key=f"promise:{promise.pk}", summary="late", case=case)
    with events_written() as events:
        kept = promise_keep(actor=owner, promise=promise, note=" Called at 14:55 ")
    assert kept.status == Promise.Status.KEPT
    assert kept.resolved_by == owner and kept.resolved_at is not None
    assert kept.resolution_note == "Called at 14:55"
    event = events.one(TimelineEvent.Kind.PROMISE_KEPT)
    assert event.customer_visible is True
    assert event.department == TimelineDepartment.SUPPORT
    assert event.summary == "Promise kept: “I will call you back at 15:00” — Called at 14:55"
    flag.refresh_from_db()
    assert flag.cleared_at is not None


def test_breaking_a_promise_is_said_to_the_customer(owner: User, case: Case) -> None:
    promise = _promise(owner, case)
    with events_written() as events:
        broken = promise_break(actor=owner, promise=promise, note="Off sick; Adam calls tomorrow 9:00")
    assert broken.status == Promise.Status.BROKEN
    event = events.one(TimelineEvent.Kind.PROMISE_BROKEN)
    assert event.customer_visible is True
    assert "Off sick" in event.summary


def test_promise_broken_by_the_system_keeps_its_flag_for_a_person(owner: User, case: Case) -> None:
    promise = _promise(owner, case)
    flag_raise(kind=Flag.Kind.STALE_PROMISE, subject_key=f"promise:{promise.pk}", summary="late", case=case)
    with events_written() as events:
        promise_break(actor=None, promise=promise, note="Past due with no news")
    assert events.one(TimelineEvent.Kind.PROMISE_BROKEN).actor_label == "Steward"
    assert Flag.objects.filter(subject_key=f"promise:{promise.pk}", cleared_at__isnull=True).exists()


def test_withdrawing_a_promise_needs_a_reason(owner: User, case: Case) -> None:
    promise = _promise(owner, case)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        promise_withdraw(actor=owner, promise=promise, note="")
    assert refused.value.field == "note"
    with events_written() as events:
        withdrawn = promise_withdraw(actor=owner, promise=promise, note="Customer cancelled the visit")
    assert withdrawn.status == Promise.Status.WITHDRAWN
    assert events.one(TimelineEvent.Kind.PROMISE_WITHDRAWN).customer_visible is True


def test_breaking_needs_a_note(owner: User, case: Case) -> None:
    promise = _promise(owner, case)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        promise_break(actor=owner, promise=promise, note="  ")
    assert refused.value.field == "note"
    assert "what happened and what happens next" in refused.value.message


def test_settling_internal_promise_stays_internal(owner: User, case: Case) -> None:
    promise = _promise(owner, case, owed_to_customer=False, owed_to_name="Insurer")
    with events_written() as events:
        promise_keep(actor=owner, promise=promise)
    assert events.one(TimelineEvent.Kind.PROMISE_KEPT).customer_visible is False


def test_a_settled_promise_cannot_be_settled_again(owner: User, case: Case) -> None:
    promise = _promise(owner, case)
    promise_keep(actor=owner, promise=promise)
    for settle in (
        lambda: promise_keep(actor=owner, promise=promise),
        lambda: promise_break(actor=owner, promise=promise, note="late"),
        lambda: promise_withdraw(actor=owner, promise=promise, note="no"),
    ):
        with nothing_written(), pytest.raises(RuleViolation) as refused:
            settle()
        assert refused.value.field == "status"
        assert "already kept" in refused.value.message


def test_outsiders_cannot_settle_promises(
    owner: User, case: Case, other_agent: User, delegate: User, contractor_user: User
) -> None:
    promise = _promise(owner, case)
    for outsider in (other_agent, case.customer.user, delegate, contractor_user):
        with nothing_written(), pytest.raises(NotAllowed):
            promise_keep(actor=outsider, promise=promise)


def test_contractor_keeps_their_own_job_promise_but_not_another_companys(
    owner: User, case: Case, job: Job, contractor_user: User, other_contractor_user: User
) -> None:
    promise = _promise(contractor_user, case, text="Back Monday", job=job)
    with nothing_written(), pytest.raises(NotAllowed):
        promise_keep(actor=other_contractor_user, promise=promise)
    with events_written() as events:
        promise_keep(actor=contractor_user, promise=promise)
    assert events.one(TimelineEvent.Kind.PROMISE_KEPT).department == TimelineDepartment.FIELD


# --- the due date never moves -------------------------------------------------------------------------


def _due_dates(case: Case) -> dict[int, datetime]:
    return dict(Promise.objects.filter(case=case).values_list("pk", "due_at"))


def test_due_date_never_changes_on_keep_break_withdraw_reply_or_handoff(
    owner: User, other_agent: User, case: Case, customer: Customer
) -> None:
    promises = [_promise(owner, case, text=f"Promise {n}", due_at=later(days=n + 1)) for n in range(4)]
    before = _due_dates(case)
    message_receive(actor=customer.user, case=case, body="When will you call?")
    promise_keep(actor=owner, promise=promises[0])
    promise_break(actor=owner, promise=promises[1], note="Missed")
    promise_withdraw(actor=owner, promise=promises[2], note="Not needed")
    case_handoff(actor=owner, case=case, to_user=other_agent, reason="Holiday", summary="All in the timeline")
    assert _due_dates(case) == before


def test_settling_writes_no_due_date(owner: User, case: Case) -> None:
    promise = _promise(owner, case, due_at=later(hours=1))
    # A stale in-memory due date must not be written back by settling.
    promise.due_at = later(days=30)
    promise_keep(actor=owner, promise=promise)
    promise.refresh_from_db()
    assert promise.due_at < later(hours=2)


# --- the database's half ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        ({"status": "forgotten", "resolved_at": timezone.now(), "resolution_note": "Lost"}, "promise_status_valid"),
        ({"kind": "oath"}, "promise_kind_valid"),
        ({"text": ""}, "promise_text_required"),
        ({"status": "kept"}, "promise_resolved_iff_not_open"),
        ({"status": "broken", "resolved_at": timezone.now()}, "promise_broken_or_withdrawn_has_note"),
        ({"owed_to_customer": False}, "promise_owed_to_someone"),
    ],
)
def test_database_refuses_invalid_promises(owner: User, case: Case, changes: dict, constraint: str) -> None:
    promise = _promise(owner, case)
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        Promise.objects.filter(pk=promise.pk).update(**changes)
