"""The case page: the customer-visible history only, the promises made to them (kept, late,
broken), visits to come with what must happen first, claims with their next step, and the
alerts on their services and area. Opening it marks our replies as read."""

from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from cases.models import Message
from cases.services import (
    alert_post,
    call_log,
    case_link_alert,
    claim_file,
    claim_update,
    flag_raise,
    message_receive,
    message_reply,
    note_add,
    promise_break,
    promise_keep,
    promise_make,
)
from contractors.models import Job
from contractors.services import job_cancel, prerequisite_complete
from tests.conftest import Cast
from tests.factories import ServiceFactory, make_job
from tests.selfservice.pages import html, my_url, text

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _soon(**delta: float) -> timezone.datetime:
    return timezone.now() + timedelta(**delta)


def test_history_shows_what_the_customer_may_see_and_never_internal_notes_or_flags(
    cast: Cast, customer_client: Client
) -> None:
    message_receive(actor=cast.delegate, case=cast.case, body="My mother has no heating.")
    message_reply(actor=cast.owner, case=cast.case, body="A plumber comes tomorrow.")
    note_add(actor=cast.owner, case=cast.case, body="SECRET: contractor blames the operator")
    call_log(actor=cast.owner, case=cast.case, summary="Told her about the plumber.", inbound=False)
    flag_raise(kind="silent_case", subject_key=f"case:{cast.case.pk}", summary="FLAGGED quietly", case=cast.case)
    page = text(customer_client.get(my_url(cast.case)))
    assert "Message from Paul Martin, on behalf of Jeanne Martin" in page
    assert "My mother has no heating." in page
    assert "Reply from Olivia Owner (Customer relations)" in page
    assert "A plumber comes tomorrow." in page
    assert "Told her about the plumber." in page
    assert "SECRET" not in page
    assert "FLAGGED" not in page
    assert "Flag raised" not in page


def test_message_text_is_escaped(cast: Cast, customer_client: Client) -> None:
    message_reply(actor=cast.owner, case=cast.case, body="<script>alert('x')</script> see you")
    body = html(customer_client.get(my_url(cast.case)))
    assert "<script>alert" not in body
    assert "&lt;script&gt;" in body


def test_history_lists_the_files_with_a_link_through_the_policy_check(cast: Cast, customer_client: Client) -> None:
    message = message_receive(
        actor=cast.customer.user, case=cast.case, body="Photo", attachments=[SimpleUploadedFile("leak.png", PNG)]
    )
    page = html(customer_client.get(my_url(cast.case)))
    assert f'href="/my/cases/{cast.case.reference}/files/{message.attachments.get().pk}/"' in page
    assert "/media/" not in page


def test_opening_the_case_marks_our_replies_read(cast: Cast, customer_client: Client) -> None:
    reply = message_reply(actor=cast.owner, case=cast.case, body="Hello")
    customer_client.get(my_url(cast.case))
    reply.refresh_from_db()
    assert reply.read_by_customer_at is not None


def test_a_delegate_opening_the_case_marks_replies_read_too(cast: Cast, delegate_client: Client) -> None:
    message_reply(actor=cast.owner, case=cast.case, body="Hello")
    delegate_client.get(my_url(cast.case))
    assert not Message.objects.filter(case=cast.case, read_by_customer_at__isnull=True, direction="outbound").exists()


def test_another_customer_opening_nothing_marks_nothing(cast: Cast, other_client: Client) -> None:
    reply = message_reply(actor=cast.owner, case=cast.case, body="Hello")
    other_client.get(my_url(cast.case))
    reply.refresh_from_db()
    assert reply.read_by_customer_at is None


def test_promises_show_kept_late_broken_and_due(cast: Cast, customer_client: Client) -> None:
    kept = promise_make(actor=cast.owner, case=cast.case, text="Call you Monday", due_at=_soon(days=1))
    promise_keep(actor=cast.owner, promise=kept, note="Called at 10:00")
    late = promise_make(
        actor=cast.contractor_user, case=cast.case, job=cast.job, text="Back Monday", due_at=_soon(hours=1)
    )
    late.__class__.objects.filter(pk=late.pk).update(due_at=timezone.now() - timedelta(days=1))
    broken = promise_make(actor=cast.owner, case=cast.case, text="Fixed by Friday", due_at=_soon(days=2))
    promise_break(actor=cast.owner, promise=broken, note="The part did not arrive; new date next week.")
    promise_make(actor=cast.owner, case=cast.case, text="Plumber on Tuesday", due_at=_soon(days=3))
    promise_make(
        actor=cast.owner,
        case=cast.case,
        text="Insurer internal check",
        due_at=_soon(days=3),
        owed_to_customer=False,
        owed_to_name="Claims",
    )
    page = text(customer_client.get(my_url(cast.case)))
    assert "Kept Call you Monday" in page and "Called at 10:00" in page
    assert "Late Back Monday" in page and "has not been kept" in page
    assert "Broken Fixed by Friday" in page and "The part did not arrive" in page
    assert "Due Plumber on Tuesday" in page
    assert "Insurer internal check" not in page


def test_visits_to_come_show_the_window_and_what_must_happen_first(cast: Cast, customer_client: Client) -> None:
    prerequisite = cast.job.prerequisites.get()
    page = text(customer_client.get(my_url(cast.case)))
    start = timezone.localtime(cast.job.window_start)
    assert "Visits to your home" in page
    assert f"Booked: {start:%A} {start.day} {start:%B}, between {start.hour}:{start:%M}" in page
    assert "By FibreCo Installations" in page
    assert "Not done yet Operator connection at the street cabinet. Who does it: The network operator." in page
    prerequisite_complete(actor=cast.owner, prerequisite=prerequisite)
    assert "Done Operator connection at the street cabinet" in text(customer_client.get(my_url(cast.case)))


def test_a_cancelled_visit_is_no_longer_listed(cast: Cast, customer_client: Client) -> None:
    job_cancel(actor=cast.owner, job=cast.job, reason=Job.CancellationReason.CUSTOMER_REQUEST)
    assert "Visits to your home" not in text(customer_client.get(my_url(cast.case)))


def test_claims_show_status_and_next_step(cast: Cast, customer_client: Client) -> None:
    claim = claim_file(
        actor=cast.owner,
        case=cast.case,
        insurer="Maison Sûre",
        policy_holder="customer",
        claim_number="MS-1",
        next_action="Expert visit",
        next_action_due=date.today() + timedelta(days=6),
    )
    claim_update(actor=cast.owner, claim=claim, status="acknowledged", note="Insurer has it")
    page = text(customer_client.get(my_url(cast.case)))
    assert "Maison Sûre, claim MS-1" in page
    assert "On your own insurance. Status: The insurer has received it." in page
    assert "Next step: Expert visit, by" in page
    detail = text(customer_client.get(my_url(cast.case, "my:claim", claim.pk)))
    assert "Claim number MS-1" in detail
    assert "Insurer has it" in detail


def test_alerts_on_the_customers_services_in_their_area_and_linked_ones(cast: Cast, customer_client: Client) -> None:
    fibre, tv = ServiceFactory(code="fibre"), ServiceFactory(code="tv")
    cast.customer.services.add(fibre)
    alert_post(actor=cast.owner, service=fibre, kind="maintenance", title="Cabinet works", starts_at=_soon(hours=-1))
    alert_post(
        actor=cast.owner, service=fibre, kind="outage", title="Elsewhere", area="13001", starts_at=_soon(hours=-1)
    )
    alert_post(actor=cast.owner, service=tv, kind="outage", title="TV down", starts_at=_soon(hours=-1))
    linked = alert_post(actor=cast.owner, service=tv, kind="outage", title="Linked by staff", starts_at=_soon(hours=-1))
    case_link_alert(actor=cast.owner, case=cast.case, alert=linked)
    alert_post(
        actor=cast.owner,
        service=fibre,
        kind="outage",
        title="Long over",
        starts_at=_soon(days=-3),
        ends_at=_soon(days=-2),
    )
    page = text(customer_client.get(my_url(cast.case)))
    assert "Cabinet works" in page
    assert "Linked by staff" in page
    assert "Elsewhere" not in page
    assert "TV down" not in page
    assert "Long over" not in page


def test_delegate_is_told_on_whose_behalf_they_act(cast: Cast, delegate_client: Client) -> None:
    page = text(delegate_client.get(my_url(cast.case)))
    assert "You are helping Jeanne Martin." in page
    assert "shown as done by Paul Martin, on behalf of Jeanne Martin" in page


def test_the_owner_is_named_with_a_way_to_write_to_them(cast: Cast, customer_client: Client) -> None:
    page = text(customer_client.get(my_url(cast.case)))
    assert "Who looks after your case OO Olivia Owner, Agent" in page
    assert "Write to Olivia" in page


def test_the_history_pages_backwards(cast: Cast, customer_client: Client) -> None:
    from selfservice import selectors

    for n in range(selectors.TIMELINE_PAGE_SIZE + 5):
        call_log(actor=cast.owner, case=cast.case, summary=f"Call {n:03d}", inbound=False)
    first = customer_client.get(my_url(cast.case))
    assert "Call 054" in text(first)
    assert "Case opened" not in text(first)
    older_link = next(part for part in html(first).split('"') if "?before=" in part).replace("&amp;", "&")
    older = text(customer_client.get(older_link))
    assert "Case opened" in older
    assert "Back to the latest events" in older


def _fill(cast: Cast, count: int) -> None:
    for n in range(count):
        message = message_receive(
            actor=cast.customer.user,
            case=cast.case,
            body=f"Message {n}",
            attachments=[SimpleUploadedFile(f"p{n}.png", PNG)],
        )
        assert message.case_id == cast.case.pk
        message_reply(actor=cast.owner, case=cast.case, body=f"Reply {n}")
        promise_make(actor=cast.owner, case=cast.case, text=f"Promise {n}", due_at=_soon(days=n + 1))
        claim_file(actor=cast.owner, case=cast.case, insurer=f"Insurer {n}", policy_holder="company")
        make_job(
            case=cast.case,
            company=cast.job.company,
            actor=cast.owner,
            title=f"Visit {n}",
            prerequisites=(("Key from the caretaker", "customer"),),
        )


MAX_CASE_QUERIES = 36


def test_the_case_page_runs_the_same_queries_however_much_it_shows(
    cast: Cast, delegate_client: Client, django_assert_max_num_queries
) -> None:
    _fill(cast, 1)
    with django_assert_max_num_queries(MAX_CASE_QUERIES) as few:
        delegate_client.get(my_url(cast.case))
    _fill(cast, 6)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = delegate_client.get(my_url(cast.case))
    page = text(response)
    assert page.count("Key from the caretaker") == 7
    assert "p5.png" in page
