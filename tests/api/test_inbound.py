"""Inbound messages from a mail gateway or a phone system: the right case, once, never lost."""

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases.models import Case, InboundDelivery, Message
from cases.services import case_confirm, case_resolve
from cases.services import inbound as inbound_service
from cases.services.inbound import inbound_receive
from cases.services.messages import MAX_BODY
from people.models import Customer, Routing
from tests.api.conftest import ApiAs
from tests.conftest import Cast
from tests.factories import DepartmentFactory, UserFactory, make_case, make_staff

URL = reverse("api:inbound-messages")


def _mail(cast: Cast, **fields: Any) -> dict[str, Any]:
    return {
        "external_id": "<a1@mail.example>",
        "channel": "email",
        "sender_name": "Jeanne Martin",
        "sender_email": cast.customer.email,
        "subject": "The leak",
        "body": "The pipe still leaks.",
        **fields,
    }


def test_a_message_quoting_its_case_reference_is_filed_on_that_case(cast: Cast, gateway: User, api_as: ApiAs) -> None:
    later = make_case(customer=cast.customer, owner=cast.owner, subject="Billing")
    payload = _mail(cast, subject=f"Re: [{cast.case.reference.lower()}] Fibre installation")
    response = api_as(gateway).post(URL, payload)
    assert response.status_code == 201
    assert response.json() == {
        "case": cast.case.reference,
        "message": Message.objects.get(case=cast.case).pk,
        "route": "reference",
        "duplicate": False,
    }
    message = Message.objects.get(pk=response.json()["message"])
    assert (message.direction, message.channel, message.author_label) == ("inbound", "email", "Jeanne Martin")
    assert not later.messages.exists()
    assert Case.objects.get(pk=cast.case.pk).awaiting_reply_since is not None


def test_a_retried_delivery_is_filed_once(cast: Cast, gateway: User, api_as: ApiAs) -> None:
    client = api_as(gateway)
    first = client.post(URL, _mail(cast))
    again = client.post(URL, _mail(cast))
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == {**first.json(), "duplicate": True}
    assert Message.objects.filter(direction="inbound").count() == 1
    assert InboundDelivery.objects.count() == 1


def test_the_same_id_on_another_channel_is_another_message(cast: Cast, gateway: User, api_as: ApiAs) -> None:
    client = api_as(gateway)
    client.post(URL, _mail(cast, external_id="42"))
    call = client.post(URL, _mail(cast, external_id="42", channel="phone", body="Voicemail: call me back"))
    assert call.status_code == 201
    assert Message.objects.filter(direction="inbound").count() == 2


def test_a_reused_id_with_a_different_message_is_a_conflict(cast: Cast, gateway: User, api_as: ApiAs) -> None:
    client = api_as(gateway)
    client.post(URL, _mail(cast))
    response = client.post(URL, _mail(cast, body="Something else entirely."))
    assert response.status_code == 409
    assert response.json()["field"] == "external_id"
    assert cast.case.reference in response.json()["detail"]
    assert Message.objects.filter(direction="inbound").count() == 1


def test_a_known_sender_without_a_reference_lands_on_their_open_case(cast: Cast, gateway: User) -> None:
    filing = inbound_receive(
        delivered_by=gateway, channel="email", external_id="m2", body="Any news?", sender_email=cast.customer.email
    )
    assert (filing.case, filing.delivery.route) == (cast.case, "sender")


def test_a_caller_known_by_another_spelling_of_their_number_gets_a_new_case(cast: Cast, gateway: User) -> None:
    case_resolve(actor=cast.owner, case=cast.case, summary="Fixed.", override_reason="The job only tidies up.")
    case_confirm(actor=cast.customer.user, case=cast.case)
    digits = "".join(c for c in cast.customer.phone if c.isdigit())  # "+33 6 00 00 0001" → "33600000001"
    filing = inbound_receive(
        delivered_by=gateway,
        channel="phone",
        external_id="call-7",
        body="Voicemail: the router blinks red.",
        sender_phone=f"0{digits[2:]}",
    )
    assert filing.delivery.route == "new_case"
    assert filing.case.customer == cast.customer
    assert filing.case != cast.case
    assert filing.case.owner == cast.owner  # the owner of her latest case
    assert filing.case.subject == "Voicemail: the router blinks red."


def test_an_unknown_sender_goes_to_a_triage_case_with_an_owner(cast: Cast, gateway: User) -> None:
    support = make_staff("support_agent", department=DepartmentFactory(code="support"))
    # Olivia and Adam own a case each; the manager and the head own none but are not eligible.
    idle = make_staff("idle_agent", department=cast.owner.staff_profile.department)
    filing = inbound_receive(
        delivered_by=gateway,
        channel="email",
        external_id="m3",
        subject="Do you cover Villeurbanne?",
        body="Hello, I would like fibre.",
        sender_name="Nadia Newcomer",
        sender_email="nadia@example.test",
    )
    assert filing.delivery.route == "triage"
    assert filing.case.subject == "Triage: Do you cover Villeurbanne?"
    # The least-loaded agent of customer relations (the routing set for triage), not support.
    assert filing.case.owner == idle
    assert filing.case.owner != support
    assert filing.case.customer.full_name == "Nadia Newcomer"
    assert filing.case.customer.email == "nadia@example.test"
    assert filing.message.author_label == "Nadia Newcomer"
    # Her next message finds her.
    follow = inbound_receive(
        delivered_by=gateway, channel="email", external_id="m4", body="Any answer?", sender_email="NADIA@example.test"
    )
    assert (follow.case, follow.delivery.route) == (filing.case, "sender")


def test_triage_follows_the_department_the_operator_chose(cast: Cast, gateway: User) -> None:
    support = make_staff("support_agent", department=DepartmentFactory(code="support"))
    Routing.objects.filter(purpose=Routing.Purpose.TRIAGE).update(department=support.staff_profile.department)
    filing = inbound_receive(
        delivered_by=gateway,
        channel="email",
        external_id="t1",
        subject="Do you cover Villeurbanne?",
        body="Hello, I would like fibre.",
        sender_email="nadia@example.test",
    )
    assert filing.delivery.route == "triage"
    assert filing.case.owner == support
    # A known customer with no open case is a new request, which still goes where requests go.
    case_resolve(actor=cast.other_agent, case=cast.other_case, summary="Fixed.")
    case_confirm(actor=cast.other_customer.user, case=cast.other_case)
    cast.other_agent.is_active = False
    cast.other_agent.save(update_fields=["is_active"])
    filing = inbound_receive(
        delivered_by=gateway,
        channel="email",
        external_id="t2",
        subject="New question",
        body="Another thing.",
        sender_email=cast.other_customer.email,
    )
    assert filing.delivery.route == "new_case"
    assert filing.case.owner.staff_profile.department.code == "customer-relations"


def test_a_reference_quoted_by_a_stranger_does_not_put_them_on_that_case(cast: Cast, gateway: User) -> None:
    filing = inbound_receive(
        delivered_by=gateway,
        channel="email",
        external_id="t2",
        subject=f"About {cast.case.reference}",
        body="Please pay the invoice at this link.",
        sender_email="someone@elsewhere.test",
    )
    assert filing.delivery.route == "triage"
    assert filing.case != cast.case
    assert cast.case.reference in filing.case.description
    assert not cast.case.messages.exists()


def test_a_delegate_writing_about_the_case_is_shown_on_whose_behalf(cast: Cast, gateway: User) -> None:
    filing = inbound_receive(
        delivered_by=gateway,
        channel="email",
        external_id="m6",
        subject=f"Re: {cast.case.reference}",
        body="My mother still has no heating.",
        sender_email=cast.delegate.email,
    )
    assert (filing.case, filing.delivery.route) == (cast.case, "reference")
    assert filing.message.author_label == "Paul Martin, on behalf of Jeanne Martin"


def test_a_reply_to_a_closed_case_opens_a_follow_up(cast: Cast, gateway: User) -> None:
    case_resolve(actor=cast.owner, case=cast.case, summary="Fixed.", override_reason="The job only tidies up.")
    case_confirm(actor=cast.customer.user, case=cast.case)
    filing = inbound_receive(
        delivered_by=gateway,
        channel="email",
        external_id="m7",
        subject=f"Re: {cast.case.reference}",
        body="It broke again.",
        sender_email=cast.customer.email,
    )
    assert filing.delivery.route == "reference"
    assert filing.case.subject.startswith(f"Follow-up to {cast.case.reference}")


def test_nothing_sent_is_lost(cast: Cast, gateway: User, api_as: ApiAs) -> None:
    photo = SimpleUploadedFile("leak.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png")
    program = SimpleUploadedFile("invoice.exe", b"MZ\x90\x00\x03\x00\x00\x00" + bytes(range(256)))
    long_text = "The pipe leaks. " * 2000
    response = api_as(gateway).post(
        URL, {**_mail(cast, body=long_text), "attachments": [photo, program]}, format="multipart"
    )
    assert response.status_code == 201
    message = Message.objects.get(pk=response.json()["message"])
    assert len(message.body) <= MAX_BODY
    assert "full text is attached" in message.body
    assert "invoice.exe" in message.body
    names = sorted(message.attachments.values_list("original_name", flat=True))
    assert names == ["full-message.txt", "leak.png"]
    full = message.attachments.get(original_name="full-message.txt")
    assert full.file.read().decode() == long_text.strip()


def test_a_message_with_only_a_subject_keeps_the_subject(cast: Cast, gateway: User) -> None:
    filing = inbound_receive(
        delivered_by=gateway,
        channel="email",
        external_id="m8",
        subject="Call me back please",
        body="",
        sender_email=cast.customer.email,
    )
    assert filing.message.body == "Call me back please"


def test_an_empty_delivery_is_refused(cast: Cast, gateway: User, api_as: ApiAs) -> None:
    response = api_as(gateway).post(URL, _mail(cast, subject="", body="  "))
    assert response.status_code == 400
    assert list(response.json()) == ["body"]
    assert not InboundDelivery.objects.exists()


def test_a_channel_gateways_do_not_use_is_refused(cast: Cast, gateway: User, api_as: ApiAs) -> None:
    response = api_as(gateway).post(URL, _mail(cast, channel="portal"))
    assert response.status_code == 400
    assert list(response.json()) == ["channel"]


@pytest.mark.parametrize("who", ["owner", "customer", "contractor_user"])
def test_only_an_account_allowed_to_deliver_may_deliver(cast: Cast, api_as: ApiAs, who: str) -> None:
    user = {"owner": cast.owner, "customer": cast.customer.user, "contractor_user": cast.contractor_user}[who]
    response = api_as(user).post(URL, _mail(cast))
    assert response.status_code == 403
    assert not Message.objects.filter(direction="inbound").exists()


def test_the_service_refuses_an_account_without_the_permission(cast: Cast) -> None:
    from portal.errors import NotAllowed

    with pytest.raises(NotAllowed):
        inbound_receive(delivered_by=UserFactory(), channel="email", external_id="x", body="Hi")


def test_a_delivery_racing_the_same_key_returns_the_first_filing(
    cast: Cast, gateway: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = inbound_receive(delivered_by=gateway, channel="email", external_id="race", body="Hello", sender_email="")
    # The second delivery's check runs before the first commits: it sees nothing, and its
    # insert hits the unique key instead.
    real = inbound_service._delivered
    calls: list[str] = []

    def not_yet(key: str) -> InboundDelivery | None:
        calls.append(key)
        return None if len(calls) == 1 else real(key)

    monkeypatch.setattr(inbound_service, "_delivered", not_yet)
    second = inbound_receive(delivered_by=gateway, channel="email", external_id="race", body="Hello", sender_email="")
    assert second.duplicate is True
    assert second.delivery.pk == first.delivery.pk
    assert InboundDelivery.objects.count() == 1


def test_a_failure_after_routing_writes_nothing(cast: Cast, gateway: User, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(**kwargs: Any) -> Message:
        raise RuntimeError("disk full")

    monkeypatch.setattr(inbound_service, "message_receive", broken)
    customers, cases = Customer.objects.count(), Case.objects.count()
    with pytest.raises(RuntimeError):
        inbound_receive(
            delivered_by=gateway, channel="email", external_id="m9", body="Hi", sender_email="new@example.test"
        )
    assert (Customer.objects.count(), Case.objects.count()) == (customers, cases)
    assert not InboundDelivery.objects.exists()
