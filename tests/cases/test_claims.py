"""claim_file and claim_update: insurance claims move along their states, each change on
the case timeline, and any update clears a stalled-claim flag."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from cases.models import Case, Flag, InsuranceClaim, TimelineDepartment, TimelineEvent
from cases.services import claim_file, claim_update, flag_raise
from portal.errors import NotAllowed, RuleViolation
from tests.cases.dbstate import events_written, nothing_written
from tests.cases.steps import close_by_confirmation

Status = InsuranceClaim.Status


def _file(actor: User, case: Case, **overrides: object) -> InsuranceClaim:
    arguments = {"insurer": "Axa", "policy_holder": InsuranceClaim.PolicyHolder.CUSTOMER, **overrides}
    return claim_file(actor=actor, case=case, **arguments)


def test_filed_claim_is_shown_to_the_customer(owner: User, case: Case) -> None:
    with events_written() as events:
        claim = _file(
            owner,
            case,
            claim_number=" C-77 ",
            amount_claimed=Decimal("1200.00"),
            next_action="Adjuster visit",
            next_action_due=date(2030, 1, 10),
        )
    claim.refresh_from_db()
    assert claim.status == Status.FILED and claim.filed_at is not None
    assert claim.claim_number == "C-77"
    assert claim.created_by == owner
    event = events.one(TimelineEvent.Kind.CLAIM_FILED)
    assert event.department == TimelineDepartment.INSURANCE
    assert event.customer_visible is True
    assert event.summary == "Claim filed: Axa no. C-77 (the customer's own policy)"
    assert event.subject_key == f"claim:{claim.pk}"


def test_draft_claim_is_internal(owner: User, case: Case) -> None:
    with events_written() as events:
        claim = _file(owner, case, draft=True)
    assert claim.status == Status.DRAFT and claim.filed_at is None
    assert events.one(TimelineEvent.Kind.CLAIM_FILED).customer_visible is False


def test_two_claims_side_by_side(owner: User, case: Case) -> None:
    _file(owner, case, insurer="Operator's insurer", policy_holder=InsuranceClaim.PolicyHolder.COMPANY)
    _file(owner, case, insurer="Customer's insurer")
    assert case.claims.count() == 2


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"insurer": ""}, "insurer", "the insurer's name"),
        ({"policy_holder": "neighbour"}, "policy_holder", "not a valid policy holder"),
        ({"amount_claimed": Decimal("-1")}, "amount_claimed", "cannot be negative"),
        ({"next_action_due": date(2030, 1, 1)}, "next_action", "Say what the next action is"),
    ],
)
def test_bad_claim_is_refused(owner: User, case: Case, changes: dict, field: str, words: str) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        _file(owner, case, **changes)
    assert refused.value.field == field
    assert words in refused.value.message


def test_outsiders_cannot_file_claims(case: Case, other_agent: User, delegate: User, contractor_user: User) -> None:
    for outsider in (other_agent, case.customer.user, delegate, contractor_user):
        with nothing_written(), pytest.raises(NotAllowed):
            _file(outsider, case)


def test_no_claim_on_a_closed_case(owner: User, case: Case) -> None:
    close_by_confirmation(case, owner)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        _file(owner, case)
    assert refused.value.code == "closed"


# --- updating -------------------------------------------------------------------------------------


def test_claim_moves_along_its_states_and_clears_the_stalled_flag(owner: User, case: Case) -> None:
    claim = _file(owner, case)
    flag = flag_raise(kind=Flag.Kind.STALLED_CLAIM, subject_key=f"claim:{claim.pk}", summary="stalled", case=case)
    with events_written() as events:
        claim = claim_update(actor=owner, claim=claim, status=Status.ASSESSING, adjuster_name="M. Dupont")
    claim.refresh_from_db()
    assert claim.status == Status.ASSESSING
    assert claim.adjuster_name == "M. Dupont"
    event = events.one(TimelineEvent.Kind.CLAIM_UPDATED)
    assert event.department == TimelineDepartment.INSURANCE
    assert event.customer_visible is True
    assert "Filed → Being assessed" in event.summary and "adjuster name" in event.summary
    assert event.data == {"status": "assessing", "sentence": event.data["sentence"]}
    flag.refresh_from_db()
    assert flag.cleared_at is not None


def test_filing_a_draft_sets_the_filing_date(owner: User, case: Case) -> None:
    claim = _file(owner, case, draft=True)
    with events_written() as events:
        claim = claim_update(actor=owner, claim=claim, status=Status.FILED)
    assert claim.filed_at is not None
    assert events.one(TimelineEvent.Kind.CLAIM_UPDATED).customer_visible is True


def test_a_note_alone_is_an_update(owner: User, case: Case) -> None:
    claim = _file(owner, case)
    with events_written() as events:
        claim_update(actor=owner, claim=claim, note="Rang the insurer; waiting for the adjuster.")
    assert "Rang the insurer" in events.one(TimelineEvent.Kind.CLAIM_UPDATED).summary


@pytest.mark.parametrize(
    ("path", "target"),
    [((), Status.ACCEPTED), ((), Status.PAID), ((Status.ASSESSING,), Status.FILED), ((), Status.DRAFT)],
)
def test_claim_cannot_skip_states(owner: User, case: Case, path: tuple, target: str) -> None:
    claim = _file(owner, case)
    for step in path:
        claim = claim_update(actor=owner, claim=claim, status=step)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        claim_update(actor=owner, claim=claim, status=target)
    assert refused.value.field == "status"
    assert "can only become" in refused.value.message


def test_paid_needs_the_amount(owner: User, case: Case) -> None:
    claim = _file(owner, case)
    claim = claim_update(actor=owner, claim=claim, status=Status.ASSESSING)
    claim = claim_update(actor=owner, claim=claim, status=Status.ACCEPTED)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        claim_update(actor=owner, claim=claim, status=Status.PAID)
    assert refused.value.field == "amount_paid"
    claim = claim_update(actor=owner, claim=claim, status=Status.PAID, amount_paid=Decimal("800"))
    assert claim.amount_paid == Decimal("800")


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"status": "lost"}, "status", "not a valid claim status"),
        ({"amount_paid": Decimal("-5")}, "amount_paid", "cannot be negative"),
        ({"next_action_due": date(2030, 1, 1)}, "next_action", "Say what the next action is"),
        ({"insurer": "Other"}, None, "cannot be changed here: insurer"),
        ({}, None, "Nothing changed"),
    ],
)
def test_bad_claim_update_is_refused(owner: User, case: Case, changes: dict, field: str | None, words: str) -> None:
    claim = _file(owner, case)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        claim_update(actor=owner, claim=claim, **changes)
    assert refused.value.field == field
    assert words in refused.value.message


def test_closed_claim_cannot_change(owner: User, case: Case) -> None:
    claim = _file(owner, case)
    claim = claim_update(actor=owner, claim=claim, status=Status.REJECTED)
    claim = claim_update(actor=owner, claim=claim, status=Status.CLOSED)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        claim_update(actor=owner, claim=claim, note="reopen?")
    assert refused.value.field == "status"


def test_outsiders_cannot_update_claims(owner: User, case: Case, other_agent: User, contractor_user: User) -> None:
    claim = _file(owner, case)
    for outsider in (other_agent, case.customer.user, contractor_user):
        with nothing_written(), pytest.raises(NotAllowed):
            claim_update(actor=outsider, claim=claim, note="hello")


# --- the database's half --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        ({"status": "won"}, "claim_status_valid"),
        ({"policy_holder": "neighbour"}, "claim_policy_holder_valid"),
        ({"insurer": ""}, "claim_insurer_required"),
        ({"filed_at": None}, "claim_filed_has_date"),
        ({"amount_paid": Decimal("-1")}, "claim_amounts_not_negative"),
    ],
)
def test_database_refuses_invalid_claims(owner: User, case: Case, changes: dict, constraint: str) -> None:
    claim = _file(owner, case)
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        InsuranceClaim.objects.filter(pk=claim.pk).update(**changes)
