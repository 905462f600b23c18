"""Who reaches the customer pages: customers and delegates only, and each only what is theirs.

A customer or delegate reaching another customer's case, claim or file gets a 404 whatever id
or reference is tried; staff, contractor users and the administrator get a 404 on every page;
anonymous visitors are sent to sign in.
"""

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from cases.models import Attachment, Case
from cases.services import claim_file, delegate_revoke, message_receive, note_add
from people.models import Customer, Delegate
from tests.conftest import Cast
from tests.selfservice.conftest import signed_in
from tests.selfservice.pages import my_url, text

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _photo(case: Case, actor: User) -> Attachment:
    message = message_receive(
        actor=actor, case=case, body="Here is the leak.", attachments=[SimpleUploadedFile("leak.png", PNG)]
    )
    return message.attachments.get()


def _pages(cast: Cast) -> list[str]:
    case = cast.case
    claim = claim_file(actor=cast.owner, case=case, insurer="Mutuelle Habitat", policy_holder="customer")
    photo = _photo(case, cast.customer.user)
    delegate = Delegate.objects.get(user=cast.delegate)
    return [
        reverse("my:cases"),
        reverse("my:new_request"),
        reverse("my:helpers"),
        reverse("my:helper_remove", args=[delegate.pk]),
        my_url(case),
        my_url(case, "my:claim", claim.pk),
        my_url(case, "my:attachment", photo.pk),
    ]


@pytest.mark.parametrize("role", ["owner", "manager", "contractor_user", "administrator"])
def test_staff_contractors_and_the_administrator_get_404_on_every_page(cast: Cast, role: str) -> None:
    client = signed_in(getattr(cast, role))
    for path in _pages(cast):
        assert client.get(path).status_code == 404, path


def test_anonymous_visitors_are_sent_to_sign_in_and_back(cast: Cast, client: Client) -> None:
    for path in _pages(cast):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={path}"


def test_a_staff_member_who_is_also_a_customer_gets_404(cast: Cast, owner: User) -> None:
    Customer.objects.create(user=owner, full_name="Olivia Owner")
    assert signed_in(owner).get(reverse("my:cases")).status_code == 404


def test_an_account_with_no_customer_and_no_grant_gets_404(cast: Cast) -> None:
    stranger = User.objects.create_user("stranger", "stranger@example.test", "pw-stranger-1")
    assert signed_in(stranger).get(reverse("my:cases")).status_code == 404


# --- another customer's records ------------------------------------------------------------


def test_other_customer_gets_404_for_the_case_by_its_reference(cast: Cast, other_client: Client) -> None:
    for reference in (cast.case.reference, cast.case.reference.lower(), f" {cast.case.reference}", "CS-0000-000000"):
        assert other_client.get(reverse("my:case", args=[reference])).status_code == 404


def test_other_customer_gets_404_for_every_action_on_the_case(cast: Cast, other_client: Client) -> None:
    for name in ("my:write", "my:call_me_back", "my:fixed", "my:not_fixed", "my:rate"):
        assert other_client.post(my_url(cast.case, name), {"write-body": "hello"}).status_code == 404, name
    assert not cast.case.messages.exists()


def test_a_claim_is_reached_only_through_its_own_case(cast: Cast, customer_client: Client) -> None:
    """Jeanne's own case reference with Omar's claim id, and Omar's case with his claim: 404 both."""
    other_claim = claim_file(actor=cast.other_agent, case=cast.other_case, insurer="Axa", policy_holder="customer")
    mine = claim_file(actor=cast.owner, case=cast.case, insurer="Mutuelle Habitat", policy_holder="customer")
    assert customer_client.get(my_url(cast.case, "my:claim", mine.pk)).status_code == 200
    assert customer_client.get(my_url(cast.case, "my:claim", other_claim.pk)).status_code == 404
    assert customer_client.get(my_url(cast.other_case, "my:claim", other_claim.pk)).status_code == 404
    assert customer_client.get(my_url(cast.case, "my:claim", 999999)).status_code == 404


def test_a_file_is_reached_only_through_its_own_case(cast: Cast, customer_client: Client) -> None:
    theirs = _photo(cast.other_case, cast.other_customer.user)
    mine = _photo(cast.case, cast.customer.user)
    assert customer_client.get(my_url(cast.case, "my:attachment", mine.pk)).status_code == 200
    assert customer_client.get(my_url(cast.case, "my:attachment", theirs.pk)).status_code == 404
    assert customer_client.get(my_url(cast.other_case, "my:attachment", theirs.pk)).status_code == 404
    assert customer_client.get(my_url(cast.case, "my:attachment", 999999)).status_code == 404


def test_a_file_on_an_internal_note_is_never_served(cast: Cast, customer_client: Client) -> None:
    note = note_add(actor=cast.owner, case=cast.case, body="Photo from the technician")
    hidden = Attachment.objects.create(
        message=note,
        file=SimpleUploadedFile("internal.png", PNG),
        original_name="internal.png",
        content_type="image/png",
        size=len(PNG),
    )
    assert customer_client.get(my_url(cast.case, "my:attachment", hidden.pk)).status_code == 404


def test_the_file_is_served_with_its_type_and_never_cached_publicly(cast: Cast, customer_client: Client) -> None:
    photo = _photo(cast.case, cast.customer.user)
    response = customer_client.get(my_url(cast.case, "my:attachment", photo.pk))
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, no-store"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"".join(response.streaming_content) == PNG


def test_a_document_downloads_instead_of_opening_as_a_page(cast: Cast, customer_client: Client) -> None:
    message = message_receive(
        actor=cast.customer.user,
        case=cast.case,
        body="My contract",
        attachments=[SimpleUploadedFile("contract.txt", b"<script>alert(1)</script>")],
    )
    response = customer_client.get(my_url(cast.case, "my:attachment", message.attachments.get().pk))
    assert response["Content-Type"] == "text/plain"
    assert response["Content-Disposition"].startswith("attachment;")


# --- delegates -------------------------------------------------------------------------------


def test_a_per_case_delegate_sees_exactly_the_case_granted(cast: Cast, carer: User, second_case: Case) -> None:
    client = signed_in(carer)
    listing = text(client.get(reverse("my:cases")))
    assert cast.case.subject in listing
    assert second_case.subject not in listing
    assert cast.other_case.subject not in listing
    assert client.get(my_url(cast.case)).status_code == 200
    assert client.get(my_url(second_case)).status_code == 404
    assert client.post(my_url(second_case, "my:write"), {"write-body": "hello"}).status_code == 404
    assert not second_case.messages.exists()


def test_a_delegate_for_all_cases_sees_new_cases_but_no_other_customer(
    cast: Cast, delegate_client: Client, second_case: Case
) -> None:
    assert delegate_client.get(my_url(second_case)).status_code == 200
    assert delegate_client.get(my_url(cast.other_case)).status_code == 404


def test_a_removed_delegate_sees_nothing(cast: Cast, delegate_client: Client) -> None:
    delegate_revoke(actor=cast.customer.user, delegate=Delegate.objects.get(user=cast.delegate))
    assert delegate_client.get(my_url(cast.case)).status_code == 404
    assert delegate_client.get(reverse("my:cases")).status_code == 404


def test_a_deactivated_customer_is_sent_to_sign_in(cast: Cast, customer_client: Client) -> None:
    User.objects.filter(pk=cast.customer.user_id).update(is_active=False)
    response = customer_client.get(my_url(cast.case))
    assert response.status_code == 302
