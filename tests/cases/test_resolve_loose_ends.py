"""Resolving asks the right questions: open promises (owed to the customer or not), damage without
a repair plan, an unanswered customer message, open claims and unfinished contractor jobs are
loose ends; resolving over them needs a reason, which the timeline keeps for staff."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from cases.models import Case, InsuranceClaim, Promise, TimelineEvent
from cases.selectors import loose_ends
from cases.services import (
    case_resolve,
    case_send_confirmation_reminder,
    claim_file,
    claim_update,
    message_receive,
    message_reply,
    promise_keep,
    promise_make,
)
from contractors.models import Job
from contractors.services import incident_plan_repair, incident_report, job_cancel
from correspondence.models import CustomerNotice
from portal.errors import RuleViolation
from tests.cases.dbstate import events_written, nothing_written
from tests.factories import make_job

SUMMARY = "Fibre socket installed and tested."


def _promise(case: Case, owner: User, **kwargs: object) -> Promise:
    due = timezone.now() + timedelta(days=2)
    return promise_make(actor=owner, case=case, text="Call back with the engineer's report", due_at=due, **kwargs)


def _claim(case: Case, owner: User) -> InsuranceClaim:
    return claim_file(actor=owner, case=case, insurer="MAIF", policy_holder=InsuranceClaim.PolicyHolder.CUSTOMER)


def _job(case: Case, owner: User, company) -> Job:
    return make_job(case=case, company=company, actor=owner, title="Install fibre socket")


# Each kind of loose end, and words the refusal must say about it.
LOOSE_ENDS: dict[str, tuple[Callable[..., object], str]] = {
    "promise to the customer": (
        lambda case, owner, company: _promise(case, owner),
        "Open promise to the customer, due",
    ),
    "promise to a colleague": (
        lambda case, owner, company: _promise(case, owner, owed_to_customer=False, owed_to_name="Claims team"),
        "Open promise to Claims team, due",
    ),
    "unanswered message": (
        lambda case, owner, company: message_receive(case=case, body="Any news about my socket?"),
        "A message from the customer has waited for an answer since",
    ),
    "open claim": (lambda case, owner, company: _claim(case, owner), "Insurance claim with MAIF is not closed"),
    "unfinished job": (
        lambda case, owner, company: _job(case, owner, company),
        "with FibreCo Installations is not finished (Scheduled)",
    ),
}


@pytest.mark.parametrize("kind", LOOSE_ENDS)
def test_a_loose_end_stops_the_resolution_and_is_named(owner: User, case: Case, company, kind: str) -> None:
    make, said = LOOSE_ENDS[kind]
    make(case, owner, company)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        case_resolve(actor=owner, case=case, summary=SUMMARY)
    assert refused.value.field == "override_reason"
    assert refused.value.code == "loose_ends"
    assert said in refused.value.message
    assert refused.value.message.startswith("One thing is still open on this case:")
    assert refused.value.message.endswith("Say why you resolve it anyway.")
    case.refresh_from_db()
    assert case.status == Case.Status.NEW


def test_a_blank_reason_is_no_reason(owner: User, case: Case) -> None:
    _promise(case, owner)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        case_resolve(actor=owner, case=case, summary=SUMMARY, override_reason="   \n ")
    assert refused.value.field == "override_reason"


def test_every_loose_end_is_listed_and_counted(owner: User, case: Case, company) -> None:
    for make, _said in LOOSE_ENDS.values():
        make(case, owner, company)
    case.refresh_from_db()
    found = loose_ends(case)
    assert len(found) == 5
    assert [item.anchor for item in found.items] == ["reply-form", "promises", "promises", "jobs", "claims"]
    with pytest.raises(RuleViolation) as refused:
        case_resolve(actor=owner, case=case, summary=SUMMARY)
    assert refused.value.message.startswith("5 things are still open on this case:")
    for _make, said in LOOSE_ENDS.values():
        assert said in refused.value.message


def test_with_a_reason_it_resolves_and_the_reason_is_on_the_staff_timeline(owner: User, case: Case, company) -> None:
    _promise(case, owner)
    _claim(case, owner)
    reason = "The insurer answers in weeks; the customer's line works now."
    with events_written() as events:
        resolved = case_resolve(actor=owner, case=case, summary=SUMMARY, override_reason=f"  {reason} ")
    resolved.refresh_from_db()
    assert resolved.status == Case.Status.RESOLVED
    told, kept_for_staff = [e for e in events if e.kind == TimelineEvent.Kind.RESOLVED]
    # The customer reads what was done; only staff read why it was resolved over open things.
    assert told.customer_visible is True
    assert reason not in told.summary
    assert kept_for_staff.customer_visible is False
    assert kept_for_staff.actor == owner
    assert kept_for_staff.data["override_reason"] == reason
    assert kept_for_staff.summary == (
        f"Resolved although things were still open (open promises: 1, open insurance claims: 1). Why: {reason}"
    )
    # The open things stay open: resolving does not settle them.
    assert Promise.objects.get(case=case).status == Promise.Status.OPEN
    assert InsuranceClaim.objects.get(case=case).status == InsuranceClaim.Status.FILED


def test_nothing_open_needs_no_reason_and_writes_no_extra_event(owner: User, case: Case) -> None:
    with events_written() as events:
        case_resolve(actor=owner, case=case, summary=SUMMARY, override_reason="Just in case")
    assert events.kinds() == [TimelineEvent.Kind.RESOLVED, TimelineEvent.Kind.CUSTOMER_INFORMED]
    assert "Just in case" not in events[0].summary


def test_settled_things_are_not_loose_ends(owner: User, case: Case, company, contractor_user: User) -> None:
    promise_keep(actor=owner, promise=_promise(case, owner), note="Called on Tuesday.")
    message_receive(case=case, body="Any news about my socket?")
    message_reply(actor=owner, case=case, body="The engineer comes on Thursday.")
    claim = _claim(case, owner)
    claim = claim_update(actor=owner, claim=claim, status=InsuranceClaim.Status.REJECTED, note="Not covered.")
    claim_update(actor=owner, claim=claim, status=InsuranceClaim.Status.CLOSED, note="Customer agrees.")
    job = _job(case, owner, company)
    incident = incident_report(actor=contractor_user, job=job, what="Scratched the skirting board", location="Hall")
    incident_plan_repair(actor=owner, incident=incident, plan="The painter comes with the next visit.")
    job_cancel(actor=owner, job=job, reason=Job.CancellationReason.CUSTOMER_REQUEST)
    assert not loose_ends(case)
    case.refresh_from_db()
    case_resolve(actor=owner, case=case, summary=SUMMARY)


def test_damage_without_a_repair_plan_is_a_loose_end_until_planned(
    owner: User, case: Case, company, contractor_user: User
) -> None:
    job = _job(case, owner, company)
    incident = incident_report(actor=contractor_user, job=job, what="Drilled into a heating pipe", location="Hall")
    found = loose_ends(case)
    assert found.incidents == [incident]
    assert "(Hall) has no repair plan: “Drilled into a heating pipe”." in found.items[0].text
    assert found.items[0].anchor == "jobs"
    incident_plan_repair(actor=owner, incident=incident, plan="A plumber comes tomorrow at 8:00.")
    assert loose_ends(case).incidents == []


def test_the_is_it_fixed_question_lists_the_promises_kept(owner: User, case: Case) -> None:
    promise_keep(actor=owner, promise=_promise(case, owner), note="Done.")
    task = _promise(case, owner, owed_to_customer=False, owed_to_name="Field team")
    promise_keep(actor=owner, promise=task, note="Done.")
    case_resolve(actor=owner, case=case, summary=SUMMARY)
    asked = CustomerNotice.objects.get(case=case, topic=CustomerNotice.Topic.CONFIRMATION)
    assert SUMMARY in asked.text
    assert "What we promised you and did:\n  - Call back with the engineer's report\n" in asked.text
    assert asked.text.count("Call back with the engineer's report") == 1  # the colleague's promise is not listed


def test_the_reminder_lists_them_too(owner: User, case: Case) -> None:
    promise_keep(actor=owner, promise=_promise(case, owner), note="Done.")
    case_resolve(actor=owner, case=case, summary=SUMMARY)
    assert case_send_confirmation_reminder(case=case)
    reminder = CustomerNotice.objects.filter(case=case, topic=CustomerNotice.Topic.CONFIRMATION).latest("pk")
    assert "We have not heard from you yet" in reminder.text
    assert "- Call back with the engineer's report" in reminder.text


def test_no_kept_promises_no_list(owner: User, case: Case) -> None:
    case_resolve(actor=owner, case=case, summary=SUMMARY)
    asked = CustomerNotice.objects.get(case=case, topic=CustomerNotice.Topic.CONFIRMATION)
    assert "What we promised you and did" not in asked.text


def test_a_long_reason_is_cut_at_300_characters_in_the_sentence_and_kept_whole_in_the_data(
    owner: User, case: Case
) -> None:
    _promise(case, owner)
    # Numbered words, so a cut one character early or late reads differently.
    reason = " ".join(f"w{n}" for n in range(200))
    assert len(reason) > 300
    with events_written() as events:
        case_resolve(actor=owner, case=case, summary=SUMMARY, override_reason=reason)
    _told, kept_for_staff = [e for e in events if e.kind == TimelineEvent.Kind.RESOLVED]
    assert kept_for_staff.summary == (
        f"Resolved although things were still open (open promises: 1). Why: {reason[:300]}"
    )
    assert kept_for_staff.data["override_reason"] == reason
