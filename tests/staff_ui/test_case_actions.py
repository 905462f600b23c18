"""Every action on the case page: it calls its service and goes back to the case; bad input
re-renders the page with what was typed, the reason on the field, and nothing written."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import Case, Flag, InsuranceClaim, Message, Promise, ServiceAlert
from contractors.models import Job
from tests.cases.dbstate import nothing_written
from tests.conftest import Cast
from tests.factories import ServiceAlertFactory, make_job
from tests.staff_ui.pages import assert_field_error, case_url, html, text
from tests.staff_ui.story import FibreStory


def when(**delta: float) -> str:
    return timezone.localtime(timezone.now() + timedelta(**delta)).strftime("%Y-%m-%dT%H:%M")


def post(client, case: Case, name: str, data: dict, *more: object):
    return client.post(case_url(case, name, *more), data)


def refused(client, case: Case, name: str, data: dict, *more: object):
    """Post bad input: the page comes back (400) and nothing at all was written."""
    with nothing_written():
        response = post(client, case, name, data, *more)
    assert response.status_code == 400
    assert "Nothing was saved" in text(response)
    return response


# --- the conversation -------------------------------------------------------------------


def test_reply_reaches_the_customer_and_answers_their_message(owner_client, fibre: FibreStory) -> None:
    response = post(
        owner_client,
        fibre.case,
        "staff:case_reply",
        {"reply-body": "A plumber comes Monday at 9.", "reply-channel": "email"},
    )
    assert response.status_code == 302
    assert response.url == case_url(fibre.case) + "#timeline"
    reply = Message.objects.get(case=fibre.case, direction="outbound", is_internal=False)
    assert reply.body == "A plumber comes Monday at 9." and reply.channel == "email"
    assert Case.objects.get(pk=fibre.case.pk).awaiting_reply_since is None
    followed = owner_client.get(response.url)
    assert f"Your reply is on its way to {fibre.case.customer.full_name} by e-mail." in text(followed)
    assert "A plumber comes Monday at 9." in text(followed)


def test_reply_too_long_keeps_the_text_and_says_why(owner_client, case: Case) -> None:
    long_reply = "Dear Mrs Martin, " + "x" * 20_001
    response = refused(owner_client, case, "staff:case_reply", {"reply-body": long_reply, "reply-channel": "email"})
    assert_field_error(response, "id_reply-body", "Keep your reply under 20000 characters")
    assert long_reply in html(response)


def test_reply_with_an_attachment(owner_client, case: Case) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("quote.pdf", b"%PDF-1.7\n" + b"0" * 64)
    response = owner_client.post(
        case_url(case, "staff:case_reply"),
        {"reply-body": "The quote is attached.", "reply-channel": "email", "reply-attachment": upload},
    )
    assert response.status_code == 302
    assert Message.objects.get(case=case, body="The quote is attached.").attachments.get().original_name == "quote.pdf"
    assert "quote.pdf" in text(owner_client.get(case_url(case)))


def test_internal_note_is_stored_as_internal(owner_client, case: Case) -> None:
    response = post(
        owner_client, case, "staff:case_note", {"note-body": "Her son prefers e-mail.", "note-for_contractor": "on"}
    )
    assert response.status_code == 302
    note = Message.objects.get(case=case, channel="note")
    assert note.is_internal and note.for_contractor


def test_blank_note_is_refused_on_its_field(owner_client, case: Case) -> None:
    response = refused(owner_client, case, "staff:case_note", {"note-body": "   "})
    assert_field_error(response, "id_note-body", "Write the note.")


def test_call_is_logged(owner_client, case: Case) -> None:
    response = post(
        owner_client,
        case,
        "staff:case_call",
        {"call-inbound": "false", "call-summary": "Told her the plumber comes Monday."},
    )
    assert response.status_code == 302
    call = Message.objects.get(case=case, channel="phone")
    assert call.direction == "outbound" and call.body == "Told her the plumber comes Monday."


def test_unanswered_call_from_the_customer_is_refused_and_keeps_the_summary(owner_client, case: Case) -> None:
    response = refused(
        owner_client,
        case,
        "staff:case_call",
        {"call-inbound": "true", "call-summary": "She rang about the leak", "call-no_answer": "on"},
    )
    assert "A call from the customer reached us" in text(response)
    assert "She rang about the leak" in html(response)


# --- promises -----------------------------------------------------------------------------


def test_call_back_promise_is_recorded_and_watched(owner_client, case: Case) -> None:
    response = post(
        owner_client,
        case,
        "staff:promise_make",
        {
            "promise-kind": "callback",
            "promise-text": "Call you back at 15:00",
            "promise-due_at": when(hours=3),
            "promise-owed_to_customer": "on",
        },
    )
    assert response.status_code == 302 and response.url.endswith("#promises")
    promise = Promise.objects.get(case=case)
    assert (promise.kind, promise.text, promise.status, promise.owed_to_customer) == (
        "callback",
        "Call you back at 15:00",
        "open",
        True,
    )
    assert "Call you back at 15:00" in text(owner_client.get(case_url(case)))


def test_promise_due_in_the_past_is_refused_and_keeps_what_was_typed(owner_client, case: Case) -> None:
    response = refused(
        owner_client,
        case,
        "staff:promise_make",
        {
            "promise-kind": "visit",
            "promise-text": "Technician returns Monday",
            "promise-due_at": when(days=-1),
        },
    )
    assert_field_error(response, "id_promise-due_at", "A promise must be due in the future.")
    assert 'value="Technician returns Monday"' in html(response)


def test_promise_without_a_date_is_refused(owner_client, case: Case) -> None:
    response = refused(owner_client, case, "staff:promise_make", {"promise-kind": "general", "promise-text": "Soon"})
    assert_field_error(response, "id_promise-due_at", "This field is required.")


def test_promise_owed_to_someone_else_needs_their_name(owner_client, case: Case) -> None:
    response = refused(
        owner_client,
        case,
        "staff:promise_make",
        {
            "promise-kind": "general",
            "promise-text": "Send the report",
            "promise-due_at": when(days=1),
        },
    )
    assert_field_error(response, "id_promise-owed_to_name", "Say who the promise is owed to.")


@pytest.mark.parametrize(
    ("outcome", "note", "status"),
    [("kept", "", "kept"), ("broken", "Plumber ill", "broken"), ("withdrawn", "Customer cancelled", "withdrawn")],
)
def test_promise_is_settled(owner_client, fibre: FibreStory, outcome: str, note: str, status: str) -> None:
    key = f"settle-{fibre.back_monday.pk}"
    response = post(
        owner_client,
        fibre.case,
        "staff:promise_settle",
        {f"{key}-outcome": outcome, f"{key}-note": note},
        fibre.back_monday.pk,
    )
    assert response.status_code == 302
    assert Promise.objects.get(pk=fibre.back_monday.pk).status == status


def test_breaking_a_promise_needs_a_note(owner_client, fibre: FibreStory) -> None:
    key = f"settle-{fibre.back_monday.pk}"
    response = refused(
        owner_client,
        fibre.case,
        "staff:promise_settle",
        {f"{key}-outcome": "broken", f"{key}-note": ""},
        fibre.back_monday.pk,
    )
    assert_field_error(response, f"id_{key}-note", "Write what happened and what happens next.")


def test_promise_of_another_case_is_not_found(owner_client, fibre: FibreStory, other_case: Case) -> None:
    response = post(owner_client, other_case, "staff:promise_settle", {"x": "y"}, fibre.back_monday.pk)
    assert response.status_code in (403, 404)
    assert Promise.objects.get(pk=fibre.back_monday.pk).status == "open"


# --- the case itself ------------------------------------------------------------------------


def test_resolve_asks_the_customer_to_confirm(owner_client, case: Case) -> None:
    response = post(owner_client, case, "staff:case_resolve", {"resolve-summary": "Socket installed, pipe repaired."})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "resolved" and case.resolution_summary == "Socket installed, pipe repaired."
    assert "waiting for the customer to confirm" in text(owner_client.get(case_url(case)))


def test_resolve_without_a_summary_is_refused(owner_client, case: Case) -> None:
    response = refused(owner_client, case, "staff:case_resolve", {"resolve-summary": " "})
    assert_field_error(response, "id_resolve-summary", "Write what was done to resolve the case.")


def test_status_changes(owner_client, case: Case) -> None:
    assert post(owner_client, case, "staff:case_status", {"status-status": "waiting_contractor"}).status_code == 302
    assert Case.objects.get(pk=case.pk).status == "waiting_contractor"


def test_status_cannot_be_set_to_closed_by_hand(owner_client, case: Case) -> None:
    response = refused(owner_client, case, "staff:case_status", {"status-status": "closed"})
    assert_field_error(
        response, "id_status-status", "A case cannot be closed by hand. Resolve it, saying what was done"
    )
    assert "it closes when the customer confirms it is fixed" in text(response)


def test_status_outside_the_list_is_still_refused(owner_client, case: Case) -> None:
    response = refused(owner_client, case, "staff:case_status", {"status-status": "lost"})
    assert_field_error(response, "id_status-status", "Select a valid choice.")


def test_case_is_linked_to_a_service_alert(owner_client, fibre: FibreStory) -> None:
    response = post(owner_client, fibre.case, "staff:case_link_alert", {"alert-alert": str(fibre.alert.pk)})
    assert response.status_code == 302
    assert list(fibre.case.linked_alerts.all()) == [fibre.alert]
    assert "Linked to this case" in text(owner_client.get(case_url(fibre.case)))


def test_linking_needs_an_alert_that_is_still_live(owner_client, fibre: FibreStory, owner) -> None:
    ended = ServiceAlertFactory(
        service=fibre.alert.service,
        starts_at=timezone.now() - timedelta(days=3),
        ends_at=timezone.now() - timedelta(days=2),
        posted_by=owner,
    )
    response = refused(owner_client, fibre.case, "staff:case_link_alert", {"alert-alert": str(ended.pk)})
    assert_field_error(response, "id_alert-alert", "Select a valid choice.")
    assert ServiceAlert.objects.filter(cases=fibre.case).count() == 0


# --- insurance claims -------------------------------------------------------------------


def test_claim_is_filed(owner_client, case: Case) -> None:
    response = post(
        owner_client,
        case,
        "staff:claim_file",
        {
            "claim-insurer": "Mutuelle Habitat",
            "claim-policy_holder": "customer",
            "claim-claim_number": "MH-1",
            "claim-amount_claimed": "1250.50",
            "claim-next_action": "Adjuster visit",
            "claim-next_action_due": "2099-03-01",
        },
    )
    assert response.status_code == 302
    claim = InsuranceClaim.objects.get(case=case)
    assert (claim.insurer, claim.status, str(claim.amount_claimed), claim.next_action) == (
        "Mutuelle Habitat",
        "filed",
        "1250.50",
        "Adjuster visit",
    )


def test_negative_claim_amount_is_refused_and_the_insurer_kept(owner_client, case: Case) -> None:
    response = refused(
        owner_client,
        case,
        "staff:claim_file",
        {
            "claim-insurer": "Mutuelle Habitat",
            "claim-policy_holder": "customer",
            "claim-amount_claimed": "-5",
        },
    )
    assert_field_error(response, "id_claim-amount_claimed", "Amounts cannot be negative.")
    assert 'value="Mutuelle Habitat"' in html(response)


def test_claim_moves_to_its_next_state(owner_client, fibre: FibreStory) -> None:
    claim = fibre.operator_claim
    key = f"claim-{claim.pk}"
    response = post(
        owner_client,
        fibre.case,
        "staff:claim_update",
        {
            f"{key}-status": "acknowledged",
            f"{key}-claim_number": claim.claim_number,
            f"{key}-next_action": "Adjuster visit",
            f"{key}-next_action_due": claim.next_action_due.isoformat(),
            f"{key}-note": "Insurer confirmed by phone",
        },
        claim.pk,
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == "acknowledged"


def test_claim_next_date_without_an_action_is_refused(owner_client, fibre: FibreStory) -> None:
    claim = fibre.home_claim
    key = f"claim-{claim.pk}"
    response = refused(
        owner_client,
        fibre.case,
        "staff:claim_update",
        {
            f"{key}-claim_number": "MH-77812-B",
            f"{key}-next_action": "",
            f"{key}-next_action_due": "2099-01-01",
        },
        claim.pk,
    )
    assert_field_error(response, f"id_{key}-next_action", "Say what the next action is.")
    assert 'value="MH-77812-B"' in html(response)


def test_claim_update_with_nothing_changed_says_so(owner_client, fibre: FibreStory) -> None:
    claim = fibre.home_claim
    key = f"claim-{claim.pk}"
    response = refused(
        owner_client,
        fibre.case,
        "staff:claim_update",
        {
            f"{key}-claim_number": claim.claim_number,
            f"{key}-next_action": claim.next_action,
            f"{key}-next_action_due": claim.next_action_due.isoformat(),
        },
        claim.pk,
    )
    assert "Nothing changed: change a field or write a note." in text(response)


# --- contractor jobs ----------------------------------------------------------------------


@pytest.fixture
def requested_job(cast: Cast) -> Job:
    return make_job(
        case=cast.case, company=cast.job.company, actor=cast.owner, title="Repair the pipe", scheduled=False
    )


def test_job_visit_is_scheduled(owner_client, requested_job: Job) -> None:
    key = f"schedule-{requested_job.pk}"
    response = post(
        owner_client,
        requested_job.case,
        "staff:job_schedule",
        {f"{key}-window_start": when(days=2), f"{key}-window_end": when(days=2, hours=3)},
        requested_job.pk,
    )
    assert response.status_code == 302 and response.url.endswith(f"#job-{requested_job.pk}")
    requested_job.refresh_from_db()
    assert requested_job.status == "scheduled" and requested_job.window_start is not None


def test_visit_ending_before_it_starts_is_refused(owner_client, requested_job: Job) -> None:
    key = f"schedule-{requested_job.pk}"
    start = when(days=2)
    response = refused(
        owner_client,
        requested_job.case,
        "staff:job_schedule",
        {f"{key}-window_start": start, f"{key}-window_end": when(days=1)},
        requested_job.pk,
    )
    assert_field_error(response, f"id_{key}-window_end", "The window must end after it starts.")
    assert f'value="{start}"' in html(response)


def test_visit_is_cancelled_with_a_reason(owner_client, cast: Cast) -> None:
    key = f"cancel-{cast.job.pk}"
    response = post(
        owner_client,
        cast.case,
        "staff:job_cancel",
        {f"{key}-reason": "customer_request", f"{key}-note": "She is in hospital"},
        cast.job.pk,
    )
    assert response.status_code == 302
    cast.job.refresh_from_db()
    assert cast.job.status == "cancelled" and cast.job.last_cancellation_reason == "customer_request"


def test_other_cancellation_reason_needs_details(owner_client, cast: Cast) -> None:
    key = f"cancel-{cast.job.pk}"
    response = refused(
        owner_client, cast.case, "staff:job_cancel", {f"{key}-reason": "other", f"{key}-note": ""}, cast.job.pk
    )
    assert_field_error(response, f"id_{key}-note", "Explain the reason for cancelling.")


def test_job_is_completed_and_its_flags_clear(owner_client, fibre: FibreStory) -> None:
    key = f"complete-{fibre.job.pk}"
    response = post(
        owner_client,
        fibre.case,
        "staff:job_complete",
        {f"{key}-outcome_report": "Socket installed and tested."},
        fibre.job.pk,
    )
    assert response.status_code == 302
    fibre.job.refresh_from_db()
    assert fibre.job.status == "completed"
    assert not Flag.objects.filter(subject_key=f"job:{fibre.job.pk}", cleared_at__isnull=True).exists()


def test_completing_without_a_report_is_refused(owner_client, fibre: FibreStory) -> None:
    key = f"complete-{fibre.job.pk}"
    response = refused(owner_client, fibre.case, "staff:job_complete", {f"{key}-outcome_report": ""}, fibre.job.pk)
    assert_field_error(response, f"id_{key}-outcome_report", "This field is required.")


def test_job_of_another_case_is_not_found(owner_client, cast: Cast) -> None:
    from cases.services import specialist_add

    specialist_add(actor=cast.other_agent, case=cast.other_case, user=cast.owner)
    key = f"cancel-{cast.job.pk}"
    response = post(owner_client, cast.other_case, "staff:job_cancel", {f"{key}-reason": "no_show"}, cast.job.pk)
    assert response.status_code == 404


def test_repair_plan_clears_the_damage_flag(owner_client, fibre: FibreStory) -> None:
    incident = fibre.job.incidents.get()
    key = f"repair-{incident.pk}"
    response = post(
        owner_client,
        fibre.case,
        "staff:incident_repair",
        {f"{key}-plan": "Plumber Monday 9:00, paid by FibreCo's insurer."},
        incident.pk,
    )
    assert response.status_code == 302
    assert not Flag.objects.filter(subject_key=f"incident:{incident.pk}", cleared_at__isnull=True).exists()


def test_blank_repair_plan_is_refused(owner_client, fibre: FibreStory) -> None:
    incident = fibre.job.incidents.get()
    response = refused(
        owner_client, fibre.case, "staff:incident_repair", {f"repair-{incident.pk}-plan": " "}, incident.pk
    )
    assert_field_error(response, f"id_repair-{incident.pk}-plan", "Write how the damage will be repaired.")
