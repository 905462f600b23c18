"""Retention periods: each step drops only what is older than its period, in bounded batches."""

from datetime import timedelta

from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from cases.models import Attachment, Case, TimelineEvent
from cases.services import case_confirm, case_resolve, message_reply
from cases.services.privacy import ERASED
from cases.services.retention import (
    drop_outbox_bodies,
    drop_raw_inbound_emails,
    erase_customers_of_closed_cases,
    retention_apply,
)
from cases.tasks import apply_retention
from correspondence.models import InboundEmail, OutboundEmail
from correspondence.services.inbound import mail_receive
from people.models import Customer
from tests.factories import CustomerFactory, UserFactory, make_case


def _mail(number: int, sender: str) -> InboundEmail:
    return mail_receive(
        (
            f"From: {sender}\r\nTo: support@steward.localhost\r\nSubject: Hello {number}\r\n"
            f"Message-ID: <retention-{number}@example.test>\r\n\r\nText {number}.\r\n"
        ).encode(),
        door="pipe",
    )


def test_raw_emails_older_than_the_period_lose_their_file_only(cast, settings) -> None:
    settings.RETENTION_INBOUND_RAW_DAYS = 30
    email = cast.customer.email
    old, recent = _mail(1, email), _mail(2, email)
    InboundEmail.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(days=31))
    InboundEmail.objects.filter(pk=recent.pk).update(received_at=timezone.now() - timedelta(days=29))
    old_file, recent_file = old.raw.name, recent.raw.name
    storage = old.raw.storage
    assert Attachment.objects.filter(file=old_file).exists()

    assert drop_raw_inbound_emails(now=timezone.now()) == 1

    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.raw.name == "" and not storage.exists(old_file)
    assert not Attachment.objects.filter(file=old_file).exists()
    assert old.message is not None and old.message.body  # the text filed on the case stays
    assert recent.raw.name == recent_file and storage.exists(recent_file)
    assert drop_raw_inbound_emails(now=timezone.now()) == 0  # nothing twice


def test_a_period_of_zero_keeps_everything(cast, settings) -> None:
    settings.RETENTION_INBOUND_RAW_DAYS = 0
    settings.RETENTION_OUTBOX_BODY_DAYS = 0
    settings.RETENTION_CLOSED_CASE_DAYS = 0
    mail = _mail(1, cast.customer.email)
    InboundEmail.objects.filter(pk=mail.pk).update(received_at=timezone.now() - timedelta(days=3650))
    assert retention_apply(now=timezone.now() + timedelta(days=3650)) == {
        "raw_emails": 0,
        "outbox_bodies": 0,
        "customers_erased": 0,
    }
    mail.refresh_from_db()
    assert mail.raw.name


def test_outbox_bodies_of_old_sent_emails_are_dropped_not_the_queued_ones(cast, settings) -> None:
    settings.RETENTION_OUTBOX_BODY_DAYS = 30
    replies = [message_reply(actor=cast.owner, case=cast.case, body=f"Reply number {n}.") for n in range(3)]
    old_sent, recent_sent, old_queued = (OutboundEmail.objects.get(message=reply) for reply in replies)
    long_ago, lately = timezone.now() - timedelta(days=40), timezone.now() - timedelta(days=5)
    OutboundEmail.objects.filter(pk=old_sent.pk).update(status="sent", sent_at=long_ago)
    OutboundEmail.objects.filter(pk=recent_sent.pk).update(status="sent", sent_at=lately)
    OutboundEmail.objects.filter(pk=old_queued.pk).update(status="queued", next_attempt_at=long_ago)

    assert drop_outbox_bodies(now=timezone.now()) == 1

    bodies = dict(OutboundEmail.objects.values_list("pk", "body_text"))
    assert bodies[old_sent.pk] == ERASED
    assert "Reply number 1." in bodies[recent_sent.pk] and "Reply number 2." in bodies[old_queued.pk]
    old_sent.refresh_from_db()
    assert old_sent.to_address and old_sent.subject and old_sent.status == "sent"


def _closed_case(customer: Customer, owner, *, days_ago: int) -> Case:
    case = make_case(customer=customer, owner=owner, subject="Old question")
    case_resolve(actor=owner, case=case, summary="Answered.")
    case_confirm(actor=owner, case=case)
    Case.objects.filter(pk=case.pk).update(closed_at=timezone.now() - timedelta(days=days_ago))
    return case


def _customer(name: str) -> Customer:
    return CustomerFactory(full_name=name, user=UserFactory())


def test_customers_whose_cases_all_closed_long_ago_are_erased(cast, settings) -> None:
    settings.RETENTION_CLOSED_CASE_DAYS = 30
    owner = cast.owner
    gone, recent, still_open = _customer("Ada Gone"), _customer("Rita Recent"), _customer("Otto Open")
    old_case = _closed_case(gone, owner, days_ago=40)
    _closed_case(recent, owner, days_ago=10)
    _closed_case(still_open, owner, days_ago=40)
    make_case(customer=still_open, owner=owner, subject="Still working on it")

    assert erase_customers_of_closed_cases(now=timezone.now()) == 1

    names = dict(Customer.objects.values_list("pk", "full_name"))
    assert names[gone.pk] == f"{ERASED} #{gone.pk}"
    assert names[recent.pk] == "Rita Recent" and names[still_open.pk] == "Otto Open"
    assert names[cast.customer.pk] == cast.customer.full_name  # an open case, never closed
    audit = TimelineEvent.objects.get(case=old_case, kind=TimelineEvent.Kind.PRIVACY)
    assert audit.actor is None
    assert audit.summary == "The customer's personal data was erased: every case had been closed for 30 days."
    assert erase_customers_of_closed_cases(now=timezone.now()) == 0


def test_a_run_handles_at_most_its_batches_and_the_next_run_goes_on(cast, settings) -> None:
    settings.RETENTION_CLOSED_CASE_DAYS = 30
    settings.RETENTION_BATCH_SIZE = 1
    settings.RETENTION_MAX_BATCHES_PER_RUN = 2
    for name in ("Ann One", "Bob Two", "Cyd Three"):
        _closed_case(_customer(name), cast.owner, days_ago=60)
    assert erase_customers_of_closed_cases(now=timezone.now()) == 2
    assert apply_retention.delay().get()["customers_erased"] == 1
    assert Customer.objects.filter(erased_at__isnull=False).count() == 3


def test_beat_runs_the_retention_task(beat_schedule) -> None:
    assert PeriodicTask.objects.filter(task="cases.apply_retention", enabled=True).exists()
