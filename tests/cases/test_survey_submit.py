"""survey_submit: a rating after closure; "I'd like to talk to someone" becomes a promise
and a flag for a person, never a void."""

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from cases.models import Case, Flag, Promise, Survey, TimelineDepartment, TimelineEvent
from cases.services import staff_deactivate, survey_submit
from people.models import Customer
from portal.errors import NotAllowed, RuleViolation
from tests.cases.dbstate import events_written, nothing_written
from tests.cases.steps import close_by_confirmation


def test_rating_is_recorded_on_the_timeline(owner: User, case: Case, customer: Customer) -> None:
    close_by_confirmation(case, owner)
    with events_written() as events:
        survey = survey_submit(actor=customer.user, case=case, score=4, comment=" Olivia was great ")
    assert (survey.score, survey.comment, survey.wants_contact) == (4, "Olivia was great", False)
    event = events.one(TimelineEvent.Kind.SURVEY)
    assert events.kinds() == [TimelineEvent.Kind.SURVEY]
    assert event.customer_visible is True
    assert event.actor_label == "Jeanne Martin"
    assert event.summary == "Survey: 4/5 — Olivia was great"
    assert not Promise.objects.filter(case=case).exists()


def test_wanting_contact_makes_a_promise_and_flags_the_owner(owner: User, case: Case, delegate: User) -> None:
    close_by_confirmation(case, owner)
    with events_written() as events:
        survey = survey_submit(actor=delegate, case=case, score=5, wants_contact=True)
    assert events.one(TimelineEvent.Kind.SURVEY).actor_label == "Paul Martin, on behalf of Jeanne Martin"
    promise = Promise.objects.get(case=case)
    assert promise.kind == Promise.Kind.CALLBACK
    assert promise.made_by == owner
    assert promise.status == Promise.Status.OPEN
    made = events.one(TimelineEvent.Kind.PROMISE_MADE)
    assert made.customer_visible is True
    assert made.department == TimelineDepartment.SALES
    flag = Flag.objects.get(kind=Flag.Kind.CONTACT_REQUEST, subject_key=f"survey:{survey.pk}")
    assert flag.assignee == owner
    assert flag.cleared_at is None
    # Wanting to talk about their services is not a call-back request: each has its own kind.
    assert flag.get_kind_display() == "Customer asks to talk about their services"
    assert not Flag.objects.filter(kind=Flag.Kind.CALLBACK_REQUEST).exists()


def test_contact_request_goes_to_an_active_person_when_the_owner_has_left(
    owner: User, manager: User, case: Case, customer: Customer
) -> None:
    close_by_confirmation(case, owner)
    staff_deactivate(actor=manager, user=owner)
    case.refresh_from_db()
    survey = survey_submit(actor=customer.user, case=case, score=2, wants_contact=True)
    flag = Flag.objects.get(subject_key=f"survey:{survey.pk}")
    assert flag.assignee.is_active and flag.assignee != owner
    assert Promise.objects.get(case=case).made_by == flag.assignee


def test_survey_only_after_closure(case: Case, customer: Customer) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        survey_submit(actor=customer.user, case=case, score=3)
    assert refused.value.field == "case"
    assert "once the case is closed" in refused.value.message


@pytest.mark.parametrize("score", [0, 6, -1, "5", None, 4.5])
def test_score_must_be_one_to_five(owner: User, case: Case, customer: Customer, score: object) -> None:
    close_by_confirmation(case, owner)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        survey_submit(actor=customer.user, case=case, score=score)
    assert refused.value.field == "score"


def test_survey_is_answered_once(owner: User, case: Case, customer: Customer) -> None:
    close_by_confirmation(case, owner)
    survey_submit(actor=customer.user, case=case, score=3)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        survey_submit(actor=customer.user, case=case, score=5)
    assert refused.value.field == "case"
    assert "already answered" in refused.value.message


def test_only_the_customer_side_answers(
    owner: User, case: Case, other_customer: Customer, contractor_user: User
) -> None:
    close_by_confirmation(case, owner)
    for outsider in (owner, other_customer.user, contractor_user):
        with nothing_written(), pytest.raises(NotAllowed):
            survey_submit(actor=outsider, case=case, score=1)


def test_database_refuses_a_score_out_of_range(owner: User, case: Case, customer: Customer) -> None:
    close_by_confirmation(case, owner)
    survey = survey_submit(actor=customer.user, case=case, score=3)
    with pytest.raises(IntegrityError, match="survey_score_1_to_5"), transaction.atomic():
        Survey.objects.filter(pk=survey.pk).update(score=9)
