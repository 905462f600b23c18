"""Jeanne Martin's whole story, written through the services, with details that are hers alone
(SECRETS) so a test can look for them anywhere: in an export, in every row after an erasure."""

import io
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from cases.models import Case, Flag
from cases.services import (
    case_confirm,
    case_resolve,
    claim_file,
    customer_edit,
    flag_raise,
    message_receive,
    message_reply,
    note_add,
    promise_keep,
    promise_make,
    sale_record,
    survey_submit,
)
from contractors.services import incident_report
from correspondence.services.inbound import mail_receive
from people.models import Customer
from tests.factories import make_case

NAME = "Jeanne Martin"
EMAIL = "jeanne.martin@example.test"
PHONE = "+33 6 12 34 56 78"
OLD_ADDRESS = "3 place Bellecour"
ADDRESS = "7 impasse des Glycines"
VULNERABILITY = "Lives alone, hard of hearing"
WRITTEN = "The radiator in my bedroom drips on the parquet"
SURVEY = "Lovely technician called Bruno"
POLICY = "POL-JM-4471"
# The other customer's own details: never in Jeanne's export.
OTHER_WRITTEN = "Omar's mailbox is full again"
SECRETS = (NAME, EMAIL, PHONE, OLD_ADDRESS, ADDRESS, VULNERABILITY, WRITTEN, SURVEY, POLICY)


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (10, 200, 10)).save(buffer, format="JPEG")
    return buffer.getvalue()


@dataclass
class Story:
    customer: Customer
    open_case: Case
    closed_case: Case


@pytest.fixture
def story(cast) -> Story:
    owner, customer = cast.owner, cast.customer
    Customer.objects.filter(pk=customer.pk).update(
        email=EMAIL, phone=PHONE, address=OLD_ADDRESS, vulnerability_notes=VULNERABILITY
    )
    customer.refresh_from_db()
    customer_edit(actor=owner, customer=customer, address=ADDRESS)  # the old address stays on the timeline
    case = cast.case
    message_receive(
        case=case,
        actor=customer.user,
        body=WRITTEN,
        attachments=[SimpleUploadedFile("parquet.jpg", jpeg(), content_type="image/jpeg")],
    )
    message_reply(actor=owner, case=case, body=f"Dear {NAME}, a plumber comes on Monday.")
    note_add(actor=owner, case=case, body=f"{NAME} ({PHONE}) prefers mornings; {ADDRESS}, second floor.")
    promise = promise_make(
        actor=owner, case=case, text=f"Call {NAME} back about the radiator", due_at=timezone.now() + timedelta(days=1)
    )
    flag_raise(
        kind=Flag.Kind.STALE_PROMISE,
        subject_key=f"promise:{promise.pk}",
        summary=f"Promise to {NAME} past due",
        case=case,
        assignee=owner,
    )
    sale_record(actor=owner, case=case, product="Fibre 1 Gb", advisor=owner, monthly_price=Decimal("39.99"))
    claim_file(actor=owner, case=case, insurer="Mutuelle du Rhône", policy_holder="customer", policy_number=POLICY)
    incident_report(
        actor=cast.contractor_user,
        job=cast.job,
        what="Drilled into the heating pipe",
        location=f"Bedroom at {ADDRESS}",
        affects_heating=True,
        photos=[SimpleUploadedFile("pipe.jpg", jpeg(), content_type="image/jpeg")],
    )
    mail_receive(
        (
            f"From: {NAME} <{EMAIL}>\r\nTo: support@steward.localhost\r\nSubject: The radiator\r\n"
            f"Message-ID: <privacy-test@example.test>\r\n\r\n{WRITTEN}, still.\r\n"
        ).encode(),
        door="pipe",
    )

    closed = make_case(customer=customer, owner=owner, subject="Mail set-up")
    kept = promise_make(actor=owner, case=closed, text="Send the settings", due_at=timezone.now() + timedelta(hours=2))
    promise_keep(actor=owner, promise=kept)
    case_resolve(actor=owner, case=closed, summary="Settings sent.")
    closed = case_confirm(actor=customer.user, case=closed)
    survey_submit(actor=customer.user, case=closed, score=5, comment=SURVEY)

    message_receive(case=cast.other_case, actor=cast.other_customer.user, body=OTHER_WRITTEN)
    customer.refresh_from_db()
    return Story(customer=customer, open_case=case, closed_case=Case.objects.get(pk=closed.pk))
