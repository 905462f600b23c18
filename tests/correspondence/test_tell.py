"""Every customer is told in the channel they prefer: e-mail, a "something is waiting" e-mail, a call
task for the owner, or a letter to post; delegates who asked get copies; each telling is on the timeline."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, Message, Promise, TimelineEvent
from cases.services import (
    alert_post,
    case_confirm,
    case_handoff,
    case_resolve,
    message_reply,
    promise_keep,
    promise_make,
)
from contractors.models import Job
from contractors.services import job_cancel, job_schedule
from correspondence.models import CustomerNotice, OutboundEmail
from people.models import Customer, Delegate
from portal.errors import RuleViolation
from tests.factories import ServiceFactory

Channel = CustomerNotice.Channel


@pytest.fixture
def send_now(monkeypatch):
    """Run after-commit work (the outbox's send) at once, as a committed transaction would."""
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


def _prefers(customer: Customer, channel: str, **fields: str) -> None:
    customer.preferred_channel = channel
    for name, value in fields.items():
        setattr(customer, name, value)
    customer.save()


def _handoff(owner, case, to_user):
    return case_handoff(
        actor=owner, case=case, to_user=to_user, reason="Claims expertise", summary="Two insurers, one leak."
    )


def test_an_email_customer_gets_the_new_owner_by_email(owner, other_agent, case, send_now):
    _handoff(owner, case, other_agent)

    (notice,) = CustomerNotice.objects.filter(case=case)
    assert (notice.topic, notice.channel, notice.is_copy) == ("new_owner", Channel.EMAIL, False)
    (sent,) = mail.outbox
    assert "Adam Agent now looks after your case" in sent.subject
    assert "Adam Agent (Customer relations) now looks after your case" in sent.body
    event = TimelineEvent.objects.get(case=case, kind=TimelineEvent.Kind.CUSTOMER_INFORMED)
    assert event.subject_key == f"notice:{notice.pk}" and not event.customer_visible


def test_a_customer_who_prefers_the_phone_gets_a_call_task_owed_by_the_new_owner(owner, other_agent, case, send_now):
    _prefers(case.customer, Customer.Channel.PHONE)
    before = timezone.now()

    _handoff(owner, case, other_agent)

    notice = CustomerNotice.objects.get(case=case)
    assert notice.channel == Channel.CALL_TASK and mail.outbox == []
    task = notice.task
    assert (task.kind, task.made_by, task.owed_to_name, task.status) == (
        Promise.Kind.CALL_TASK,
        other_agent,
        "Jeanne Martin",
        Promise.Status.OPEN,
    )
    assert task.text == "Call Jeanne Martin to tell them: A new owner for the case"
    assert not task.owed_to_customer  # the owner's task: she gets the call itself
    # Due within the reply target (tighter for this 89-year-old customer), watched like any promise.
    assert before < task.due_at <= timezone.now() + timedelta(hours=24)
    assert "Adam Agent (Customer relations) now looks after your case" in notice.text
    assert "phone Jeanne Martin" in TimelineEvent.objects.get(kind=TimelineEvent.Kind.CUSTOMER_INFORMED).summary


def test_keeping_a_call_task_tells_the_customer_nothing_more(owner, other_agent, case, send_now):
    _prefers(case.customer, Customer.Channel.PHONE)
    _handoff(owner, case, other_agent)
    task = CustomerNotice.objects.get(case=case).task

    promise_keep(actor=other_agent, promise=task, note="Called her at 10:05; she knows Adam now.")

    assert CustomerNotice.objects.filter(case=case).count() == 1


def test_nobody_can_promise_a_call_task_by_hand(owner, case):
    with pytest.raises(RuleViolation) as refused:
        promise_make(
            actor=owner,
            case=case,
            text="Call her",
            kind=Promise.Kind.CALL_TASK,
            due_at=timezone.now() + timedelta(days=1),
        )
    assert refused.value.field == "kind"


def test_a_customer_who_prefers_the_post_gets_a_letter_and_the_owner_a_task_to_post_it(
    owner, other_agent, case, send_now, client
):
    _prefers(case.customer, Customer.Channel.POST, address="12 rue des Lilas", postcode="69003 Lyon")

    _handoff(owner, case, other_agent)

    notice = CustomerNotice.objects.get(case=case)
    assert notice.channel == Channel.LETTER and notice.task.kind == Promise.Kind.LETTER_TASK
    assert notice.letter.read().startswith(b"%PDF")
    client.force_login(other_agent)
    response = client.get(reverse("staff:letter", args=[notice.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    page = client.get(reverse("staff:case", args=[case.reference])).content.decode()
    assert reverse("staff:letter", args=[notice.pk]) in page


def test_a_portal_customer_gets_an_email_that_says_something_is_waiting_without_the_content(owner, case, send_now):
    _prefers(case.customer, Customer.Channel.PORTAL)

    message_reply(actor=owner, case=case, body="Your new router is on its way.", channel=Message.Channel.PORTAL)

    (sent,) = mail.outbox
    assert "Your new router" not in sent.body
    assert f"/my/cases/{case.reference}/" in sent.body
    assert OutboundEmail.objects.get().message is None  # the notice carries no message
    assert sent.extra_headers["Auto-Submitted"] == "auto-generated"


def test_a_reply_sent_by_email_goes_by_email_even_to_a_customer_who_prefers_the_phone(owner, case, send_now):
    _prefers(case.customer, Customer.Channel.PHONE)

    message_reply(actor=owner, case=case, body="Here is the invoice.", channel=Message.Channel.EMAIL)

    assert CustomerNotice.objects.get().channel == Channel.EMAIL
    assert "Here is the invoice." in mail.outbox[0].body


def test_without_an_email_address_the_next_way_that_works_is_used(owner, case, send_now):
    _prefers(case.customer, Customer.Channel.EMAIL, email="")

    message_reply(actor=owner, case=case, body="Your claim was accepted.", channel=Message.Channel.EMAIL)

    notice = CustomerNotice.objects.get()
    assert notice.channel == Channel.CALL_TASK and "Your claim was accepted." in notice.text
    assert mail.outbox == []


def test_with_no_way_to_reach_them_the_customer_sees_it_on_the_portal_and_the_timeline_says_so(owner, case, send_now):
    _prefers(case.customer, Customer.Channel.EMAIL, email="", phone="", address="")

    message_reply(actor=owner, case=case, body="Your claim was accepted.", channel=Message.Channel.PORTAL)

    assert CustomerNotice.objects.get().channel == Channel.PORTAL_ONLY
    assert "will see it on the portal" in TimelineEvent.objects.get(kind=TimelineEvent.Kind.CUSTOMER_INFORMED).summary


def test_a_reply_by_phone_or_chat_sends_nothing(owner, case, send_now):
    message_reply(actor=owner, case=case, body="As said on the chat: Monday.", channel=Message.Channel.CHAT)

    assert CustomerNotice.objects.count() == 0 and mail.outbox == []


def test_a_delegate_who_asked_for_copies_gets_one_in_their_language(owner, case, delegate, send_now):
    Delegate.objects.filter(user=delegate).update(wants_copies=True)
    delegate.email = "paul@example.test"
    delegate.save(update_fields=["email"])

    message_reply(actor=owner, case=case, body="The plumber comes Monday.", channel=Message.Channel.EMAIL)

    copy = CustomerNotice.objects.get(is_copy=True)
    assert copy.recipient_name == "Paul Martin" and copy.channel == Channel.EMAIL
    to_paul = next(m for m in mail.outbox if "paul@example.test" in m.to[0])
    assert "someone Jeanne Martin trusts" in to_paul.body and "The plumber comes Monday." in to_paul.body


def test_a_revoked_delegate_gets_no_copy(owner, case, delegate, send_now):
    Delegate.objects.filter(user=delegate).update(wants_copies=True, revoked_at=timezone.now())

    message_reply(actor=owner, case=case, body="The plumber comes Monday.", channel=Message.Channel.EMAIL)

    assert not CustomerNotice.objects.filter(is_copy=True).exists()


def test_a_promise_made_to_the_customer_is_told_and_one_owed_to_someone_else_is_not(owner, case, send_now):
    due = timezone.now() + timedelta(days=2)
    promise_make(actor=owner, case=case, text="The plumber returns Monday", due_at=due)
    promise_make(
        actor=owner, case=case, text="Send the photos", due_at=due, owed_to_customer=False, owed_to_name="Insurer"
    )

    (notice,) = CustomerNotice.objects.all()
    assert notice.topic == "promise" and "The plumber returns Monday" in notice.text


def test_a_visit_moved_then_cancelled_is_told_each_time(owner, case, job, contractor_user, send_now):
    start = timezone.now() + timedelta(days=3)
    job_schedule(actor=owner, job=job, window_start=start, window_end=start + timedelta(hours=2))
    job_cancel(actor=contractor_user, job=Job.objects.get(pk=job.pk), reason=Job.CancellationReason.NO_ACCESS)

    *_earlier, booked, cancelled = CustomerNotice.objects.filter(topic="visit").order_by("pk")
    assert "has moved" in booked.subject and "FibreCo Installations" in booked.text
    assert "is cancelled" in cancelled.subject


def test_an_alert_reaches_each_affected_customer_once(owner, case, other_case, send_now):
    service = ServiceFactory(name="Mail")
    for customer in (case.customer, other_case.customer):
        customer.services.add(service)
    Case.objects.create(
        reference="CS-2026-999999",
        customer=case.customer,
        owner=owner,
        subject="Second case",
        last_activity_at=timezone.now() - timedelta(days=9),
    )
    alert_post(
        actor=owner,
        service=service,
        kind="outage",
        title="Mail server change",
        starts_at=timezone.now(),
        area="69003",
    )

    notices = CustomerNotice.objects.filter(topic="alert")
    assert sorted(n.recipient_name for n in notices) == ["Jeanne Martin", "Omar Other"]
    assert all("Mail server change" in n.subject for n in notices)


def test_resolving_asks_is_it_fixed_and_confirming_asks_for_an_opinion(owner, case, customer, send_now):
    case_resolve(actor=owner, case=case, summary="The pipe was repaired.")
    case_confirm(actor=customer.user, case=Case.objects.get(pk=case.pk))

    topics = list(CustomerNotice.objects.order_by("pk").values_list("topic", flat=True))
    assert topics == ["confirmation", "survey"]
    assert "The pipe was repaired." in mail.outbox[0].body


def test_a_delegate_asks_for_copies_from_their_page_and_the_customer_cannot(client, case, customer, delegate):
    delegate.email = "paul@example.test"
    delegate.save(update_fields=["email"])
    client.force_login(delegate)

    response = client.post(reverse("my:copies", args=[customer.pk]), {"wants_copies": "on"}, follow=True)

    assert Delegate.objects.get(user=delegate).wants_copies is True
    assert "You will receive a copy by e-mail of what we tell Jeanne Martin." in response.content.decode()
    assert TimelineEvent.objects.filter(case=case, kind=TimelineEvent.Kind.ACCESS, actor=delegate).exists()
    client.post(reverse("my:copies", args=[customer.pk]), {})
    assert Delegate.objects.get(user=delegate).wants_copies is False

    client.force_login(customer.user)
    assert client.post(reverse("my:copies", args=[customer.pk]), {"wants_copies": "on"}).status_code == 404


def test_a_delegate_without_an_email_address_is_told_to_add_one(client, customer, delegate):
    delegate.email = ""
    delegate.save(update_fields=["email"])
    client.force_login(delegate)

    response = client.post(reverse("my:copies", args=[customer.pk]), {"wants_copies": "on"}, follow=True)

    assert "Add your e-mail address to your account first" in response.content.decode()
    assert Delegate.objects.get(user=delegate).wants_copies is False


def test_a_french_customer_is_written_to_in_french_whatever_the_staff_language(
    owner, other_agent, case, send_now, settings
):
    case.customer.language = "fr"
    case.customer.save(update_fields=["language"])

    _handoff(owner, case, other_agent)  # the request runs in English

    (sent,) = mail.outbox
    assert sent.subject == f"Adam Agent s'occupe désormais de votre dossier [{case.reference}]"
    assert sent.body.startswith("Bonjour Jeanne Martin,")
    assert '<html lang="fr">' in sent.alternatives[0][0]
    event = TimelineEvent.objects.get(kind=TimelineEvent.Kind.CUSTOMER_INFORMED)
    assert event.summary.startswith("E-mail to Jeanne Martin:")  # staff read the timeline in their language


def test_a_french_letter_and_call_script_are_in_french(owner, other_agent, case, send_now):
    _prefers(case.customer, Customer.Channel.POST, language="fr")

    _handoff(owner, case, other_agent)

    notice = CustomerNotice.objects.get(case=case)
    assert notice.text.startswith("Bonjour Jeanne Martin,") and "e-mail" not in notice.text.split("\n")[-1]
    assert notice.letter.read().startswith(b"%PDF")
    # The task is in Adam's language (English), the letter in hers.
    assert notice.task.text == "Print and post the letter to Jeanne Martin: A new owner for the case"
