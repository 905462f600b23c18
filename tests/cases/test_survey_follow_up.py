"""Closing the loop after a survey: a low score reaches a person with the customer's words, and a
request to talk about services goes to a sales advisor in one step."""

import pytest
from django.contrib.auth.models import User

from cases.models import Case, Flag, Handoff, Survey, TimelineEvent
from cases.services import call_log, flag_dismiss, staff_deactivate, survey_pass_to_sales, survey_submit
from cases.services.surveys import low_score_subject
from people.models import Customer, StaffProfile
from portal.errors import NotAllowed, RuleViolation
from tests.cases.dbstate import nothing_written
from tests.cases.steps import close_by_confirmation
from tests.factories import DepartmentFactory, make_staff


@pytest.fixture
def sales_agent(db) -> User:
    sales = DepartmentFactory(code="sales", name="Sales")
    return make_staff("samir", department=sales, first_name="Samir", last_name="Haddad")


def _low_flags(survey: Survey):
    return Flag.objects.filter(kind=Flag.Kind.LOW_SURVEY_SCORE, subject_key=low_score_subject(survey))


@pytest.mark.parametrize(("score", "flagged"), [(1, True), (2, True), (3, False), (5, False)])
def test_a_score_at_or_below_the_threshold_flags_the_owner(
    owner: User, case: Case, customer: Customer, score: int, flagged: bool
) -> None:
    close_by_confirmation(case, owner)
    survey = survey_submit(actor=customer.user, case=case, score=score, comment="Nobody called me back")
    assert _low_flags(survey).exists() is flagged
    if flagged:
        flag = _low_flags(survey).get()
        assert (flag.assignee, flag.level, flag.case) == (owner, 1, case)
        assert flag.summary == f"Jeanne Martin rated the case {score}/5: “Nobody called me back”"
        assert flag.escalate_at is not None  # it climbs the ladder like any other flag
        assert TimelineEvent.objects.filter(case=case, kind=TimelineEvent.Kind.FLAG_RAISED).exists()


def test_the_threshold_is_a_setting(settings, owner: User, case: Case, customer: Customer) -> None:
    settings.SURVEY_FOLLOW_UP_AT_OR_BELOW = 3
    close_by_confirmation(case, owner)
    survey = survey_submit(actor=customer.user, case=case, score=3)
    assert _low_flags(survey).get().summary == "Jeanne Martin rated the case 3/5 without a comment"


def test_a_low_score_goes_to_an_active_person_when_the_owner_has_left(
    owner: User, manager: User, case: Case, customer: Customer
) -> None:
    close_by_confirmation(case, owner)
    staff_deactivate(actor=manager, user=owner)
    survey = survey_submit(actor=customer.user, case=Case.objects.get(pk=case.pk), score=1)
    flag = _low_flags(survey).get()
    assert flag.assignee.is_active and flag.assignee != owner


def test_a_refused_survey_raises_no_flag(owner: User, case: Case, customer: Customer) -> None:
    close_by_confirmation(case, owner)
    survey_submit(actor=customer.user, case=case, score=1)
    with nothing_written(), pytest.raises(RuleViolation):
        survey_submit(actor=customer.user, case=case, score=1)
    assert Flag.objects.filter(kind=Flag.Kind.LOW_SURVEY_SCORE).count() == 1


def test_a_call_that_reaches_the_customer_clears_the_follow_up(owner: User, case: Case, customer: Customer) -> None:
    close_by_confirmation(case, owner)
    survey = survey_submit(actor=customer.user, case=case, score=2)
    call_log(actor=owner, case=case, summary="Rang her", inbound=False, reached_customer=False)
    assert _low_flags(survey).get().cleared_at is None  # no answer is not a follow-up
    call_log(actor=owner, case=case, summary="Apologised; she is happy now", inbound=False)
    flag = _low_flags(survey).get()
    assert flag.cleared_at is not None and flag.clear_note == "the customer was called"


def test_the_follow_up_can_be_dismissed_with_a_reason(owner: User, case: Case, customer: Customer) -> None:
    close_by_confirmation(case, owner)
    survey = survey_submit(actor=customer.user, case=case, score=1)
    flag = flag_dismiss(flag=_low_flags(survey).get(), actor=owner, note="She wrote to us the next day; answered")
    assert flag.cleared_at is not None
    assert flag.clear_note == "dismissed: She wrote to us the next day; answered"


# --- one click to sales ------------------------------------------------------------------------


def _asked_to_talk(owner: User, case: Case, customer: Customer) -> Survey:
    close_by_confirmation(case, owner)
    return survey_submit(actor=customer.user, case=case, score=4, comment="Faster plan?", wants_contact=True)


def test_the_owner_hands_the_request_to_sales(owner: User, case: Case, customer: Customer, sales_agent: User) -> None:
    survey = _asked_to_talk(owner, case, customer)
    summary = "Survey 4/5: “Faster plan?”. Call after 18:00."

    sales_case = survey_pass_to_sales(actor=owner, case=case, summary=summary)

    assert sales_case.customer == customer and sales_case.owner == sales_agent and sales_case.is_open
    handoff = Handoff.objects.get(case=sales_case)
    assert (handoff.from_user, handoff.to_user, handoff.summary) == (owner, sales_agent, summary)
    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED  # the closed case stays closed; the new one carries it
    request = Flag.objects.get(kind=Flag.Kind.CONTACT_REQUEST, subject_key=f"survey:{survey.pk}")
    assert request.cleared_at is not None and request.clear_note == "handed to sales"
    passed = TimelineEvent.objects.get(case=case, subject_key=f"survey:{survey.pk}:sales")
    assert passed.summary == f"Survey request passed to Samir Haddad (sales) on {sales_case.reference}."


def test_handing_to_sales_happens_once(owner: User, case: Case, customer: Customer, sales_agent: User) -> None:
    _asked_to_talk(owner, case, customer)
    survey_pass_to_sales(actor=owner, case=case, summary="Faster plan")
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        survey_pass_to_sales(actor=owner, case=case, summary="Faster plan")
    assert "already been handed to sales" in refused.value.message


def test_only_the_owner_side_may_hand_to_sales(
    owner: User, other_agent: User, case: Case, customer: Customer, delegate: User, sales_agent: User
) -> None:
    _asked_to_talk(owner, case, customer)
    for outsider in (other_agent, customer.user, delegate, sales_agent):
        with nothing_written(), pytest.raises(NotAllowed):
            survey_pass_to_sales(actor=outsider, case=case, summary="Faster plan")


def test_the_person_promised_may_hand_to_sales_when_the_owner_left(
    owner: User, other_agent: User, manager: User, case: Case, customer: Customer, sales_agent: User
) -> None:
    close_by_confirmation(case, owner)
    staff_deactivate(actor=manager, user=owner)
    # The customer's next owner is the least-loaded agent, who may be a sales agent: two of them.
    make_staff("chloe", department=sales_agent.staff_profile.department)
    survey = survey_submit(actor=customer.user, case=Case.objects.get(pk=case.pk), score=5, wants_contact=True)
    contact = Flag.objects.get(kind=Flag.Kind.CONTACT_REQUEST, subject_key=f"survey:{survey.pk}").assignee
    assert contact != owner
    sales_case = survey_pass_to_sales(actor=contact, case=case, summary="Faster plan")
    assert sales_case.owner.staff_profile.department.code == "sales" and sales_case.owner != contact


@pytest.mark.parametrize(
    ("wants_contact", "summary", "field", "words"),
    [
        (False, "Faster plan", "case", "did not ask to talk"),
        (True, "  ", "summary", "summary the sales advisor"),
    ],
)
def test_bad_hand_to_sales_is_refused(
    owner: User,
    case: Case,
    customer: Customer,
    sales_agent: User,
    wants_contact: bool,
    summary: str,
    field: str,
    words: str,
) -> None:
    close_by_confirmation(case, owner)
    survey_submit(actor=customer.user, case=case, score=4, wants_contact=wants_contact)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        survey_pass_to_sales(actor=owner, case=case, summary=summary)
    assert refused.value.field == field and words in refused.value.message


def test_with_nobody_in_sales_the_handoff_is_refused(owner: User, case: Case, customer: Customer) -> None:
    _asked_to_talk(owner, case, customer)
    make_staff("sales-head", department=DepartmentFactory(code="sales"), role=StaffProfile.Role.MANAGER)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        survey_pass_to_sales(actor=owner, case=case, summary="Faster plan")
    assert "Nobody in the sales department" in refused.value.message
