"""The demo replays DESIGN.md section 7 through the services: the records, flags and
timeline a visitor sees are the ones the product itself would have written."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.demo.fibre import BACK_MONDAY
from cases.demo.stories import Stories
from cases.models import Case, Flag, InsuranceClaim, Message, Promise, TimelineEvent
from cases.services import case_close
from contractors.models import Job, JobCancellation
from portal.errors import RuleViolation


def _open_flag_kinds(case: Case) -> set[str]:
    return set(case.flags.filter(cleared_at__isnull=True).values_list("kind", flat=True))


def test_fibre_job_was_cancelled_twice_for_the_missing_street_connection(stories: Stories) -> None:
    job = stories.fibre.job
    reasons = list(JobCancellation.objects.filter(job=job).values_list("reason", flat=True))
    assert reasons == [Job.CancellationReason.PREREQUISITE_MISSING] * 2
    assert job.prerequisites.get().state == "open"
    assert {Flag.Kind.REPEATED_CANCELLATION, Flag.Kind.MISSING_PREREQUISITE} <= _open_flag_kinds(stories.fibre.case)


def test_drilled_pipe_leaves_an_open_incident_flag_affecting_water_and_heating(stories: Stories) -> None:
    incident = stories.fibre.job.incidents.get()
    assert incident.affects_water and incident.affects_heating
    assert incident.reported_by.contractor_profile.company.name == "FibreCo Installations"
    assert Flag.Kind.INCIDENT in _open_flag_kinds(stories.fibre.case)
    assert Flag.Kind.PREREQUISITE_OVERRIDE in _open_flag_kinds(stories.fibre.case)


def test_back_monday_is_the_technicians_open_promise_due_last_monday(stories: Stories) -> None:
    promise = Promise.objects.get(text=BACK_MONDAY)
    assert promise.status == Promise.Status.OPEN
    assert promise.made_by.contractor_profile is not None
    assert promise.job == stories.fibre.job
    assert timezone.localtime(promise.due_at).weekday() == 0
    assert promise.due_at < timezone.now()
    assert timezone.now() - promise.due_at < timedelta(days=8)


def test_sons_emails_are_days_old_and_unanswered(stories: Stories) -> None:
    case = Case.objects.get(pk=stories.fibre.case.pk)
    emails = list(case.messages.filter(direction=Message.Direction.INBOUND, channel=Message.Channel.EMAIL))
    assert len(emails) == 2
    assert all(m.answered_at is None and m.author.username == "paul" for m in emails)
    assert case.awaiting_reply_since == emails[0].created_at
    assert case.reply_due_at < timezone.now()
    assert timezone.now() - emails[0].created_at > timedelta(days=2)
    assert case.last_outbound_at < emails[0].created_at


def test_both_insurance_claims_sit_side_by_side_one_already_late(stories: Stories) -> None:
    claims = list(InsuranceClaim.objects.filter(case=stories.fibre.case))
    assert {c.policy_holder for c in claims} == {"company", "customer"}
    assert all(c.status == InsuranceClaim.Status.ACKNOWLEDGED and c.next_action for c in claims)
    today = timezone.localdate()
    late = [c for c in claims if c.next_action_due < today]
    assert [c.policy_holder for c in late] == ["company"]


def test_fibre_case_is_owned_by_customer_relations_after_a_written_handoff(stories: Stories) -> None:
    case = Case.objects.select_related("owner__staff_profile__department", "customer").get(pk=stories.fibre.case.pk)
    assert case.owner.username == "claire"
    assert case.owner.staff_profile.department.code == "customer-relations"
    assert case.owner.staff_profile.manager.username == "marc"
    assert "not at ease with computers" in case.customer.vulnerability_notes
    handoff = case.handoffs.get()
    assert handoff.from_user.username == "samir" and handoff.acknowledged_at is not None
    assert "street cabinet" in handoff.summary and len(handoff.summary) > 200
    assert case.customer.delegates.get().relationship == "son"


def test_mail_maintenance_alert_is_linked_on_three_customers_cases(stories: Stories) -> None:
    alert = stories.mail_alert
    linked = alert.cases.select_related("customer")
    assert len({case.customer_id for case in linked}) >= 3
    assert all(case.customer.service_area == alert.area and case.service == alert.service for case in linked)
    assert alert.starts_at < timezone.now() < alert.ends_at


def test_november_fix_is_resolved_reminded_and_cannot_be_closed_without_the_customer(stories: Stories) -> None:
    case = Case.objects.get(pk=stories.unconfirmed.pk)
    assert case.status == Case.Status.RESOLVED
    assert case.confirmation_reminder_sent_at is not None
    assert case.promises.get(kind=Promise.Kind.FIX).status == Promise.Status.KEPT
    with pytest.raises(RuleViolation):
        case_close(actor=case.owner, case=case)
    assert Case.objects.get(pk=case.pk).status == Case.Status.RESOLVED
    assert case.timeline.filter(kind=TimelineEvent.Kind.NOTE, summary__contains="Steward refused").exists()


def test_warm_transfer_is_acknowledged_and_the_callback_kept_on_time(stories: Stories) -> None:
    case = stories.warm_transfer
    handoff = case.handoffs.get()
    assert case.owner.staff_profile.department.code == "field-operations"
    assert handoff.acknowledged_at is not None and "do not ask again" in handoff.summary
    callback = case.promises.get(kind=Promise.Kind.CALLBACK)
    assert callback.status == Promise.Status.KEPT and callback.resolved_at <= callback.due_at
    assert case.jobs.get().company.name == "Lumière Câblage"


def test_survey_wish_to_talk_reaches_sales_by_handoff(stories: Stories) -> None:
    survey = stories.survey_case.survey
    assert survey.wants_contact and stories.survey_case.status == Case.Status.CLOSED
    request = stories.survey_case.flags.get(kind=Flag.Kind.CONTACT_REQUEST)
    assert request.acknowledged_at is not None
    sales_case = stories.sales_referral
    assert sales_case.owner.username == "samir"
    assert sales_case.handoffs.get().summary.startswith("Happy customer")


def test_every_story_moment_is_in_the_past(stories: Stories) -> None:
    now = timezone.now()
    assert not TimelineEvent.objects.filter(created_at__gt=now).exists()
    assert not Message.objects.filter(created_at__gt=now).exists()
    assert not Case.objects.filter(last_activity_at__gt=now).exists()
    assert TimelineEvent.objects.filter(case=stories.fibre.case).earliest("created_at").created_at < now - timedelta(
        days=60
    )
