"""The export and the erasure from the admin site: offered only to administrators holding the
permission, the erasure after a confirmation page, and a refused request changes nothing."""

import io
import zipfile

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from cases.models import TimelineEvent
from cases.services import case_confirm, case_resolve
from cases.services.privacy import ERASED
from people.models import Customer
from tests.privacy.conftest import NAME

CHANGELIST = reverse("admin:people_customer_changelist")


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _administrator(*codenames: str) -> User:
    """An admin-site user who may see and change customers, plus the given permissions."""
    user = User.objects.create_user("clerk", "clerk@example.test", "steward-test-pass-1", is_staff=True)
    wanted = ("view_customer", "change_customer", *codenames)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="people", codename__in=wanted))
    return User.objects.get(pk=user.pk)


def _post(client: Client, action: str, customer: Customer, **extra: str):
    return client.post(CHANGELIST, {"action": action, ACTION_CHECKBOX_NAME: [customer.pk], **extra})


def _unchanged(customer: Customer) -> bool:
    return (
        Customer.objects.get(pk=customer.pk).full_name == NAME
        and not TimelineEvent.objects.filter(kind=TimelineEvent.Kind.PRIVACY).exists()
    )


def test_the_administrator_downloads_the_export_and_it_is_logged(story, administrator) -> None:
    client = _client(administrator)
    page = client.get(CHANGELIST)
    assert b'value="export_personal_data"' in page.content and b'value="erase_personal_data"' in page.content

    response = _post(client, "export_personal_data", story.customer)

    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert f'filename="customer-{story.customer.pk}-data.zip"' in response["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert f"customer-{story.customer.pk}/messages.json" in archive.namelist()
    assert LogEntry.objects.filter(user=administrator, object_id=str(story.customer.pk)).exists()
    assert TimelineEvent.objects.filter(kind=TimelineEvent.Kind.PRIVACY, actor=administrator).count() == 2


def test_the_erasure_asks_first_then_refuses_an_open_case_unless_forced(story, administrator) -> None:
    client = _client(administrator)
    confirm = _post(client, "erase_personal_data", story.customer)
    assert confirm.status_code == 200
    assert story.open_case.reference in confirm.content.decode()
    assert b'name="force"' in confirm.content and b'name="post" value="yes"' in confirm.content
    assert _unchanged(story.customer)

    refused = _post(client, "erase_personal_data", story.customer, post="yes")
    assert refused.status_code == 302
    assert _unchanged(story.customer)
    shown = client.get(refused["Location"]).content.decode()
    assert story.open_case.reference in shown and "still open" in shown

    _post(client, "erase_personal_data", story.customer, post="yes", force="yes")
    assert Customer.objects.get(pk=story.customer.pk).full_name == f"{ERASED} #{story.customer.pk}"


def test_a_customer_with_only_closed_cases_is_erased_without_forcing(story, cast, administrator) -> None:
    case_resolve(actor=cast.owner, case=story.open_case, summary="Radiator fixed.", override_reason="Test")
    case_confirm(actor=cast.owner, case=story.open_case)
    confirm = _post(_client(administrator), "erase_personal_data", story.customer)
    assert b'name="force"' not in confirm.content
    _post(_client(administrator), "erase_personal_data", story.customer, post="yes")
    assert Customer.objects.get(pk=story.customer.pk).erased_at is not None


@pytest.mark.parametrize("action", ["export_personal_data", "erase_personal_data"])
def test_without_the_permission_the_action_is_not_offered_and_refused(story, action) -> None:
    client = _client(_administrator())
    page = client.get(CHANGELIST)
    assert page.status_code == 200
    assert f'value="{action}"'.encode() not in page.content
    response = _post(client, action, story.customer, post="yes", force="yes")
    assert response.get("Content-Type") != "application/zip"
    assert _unchanged(story.customer)
    assert not LogEntry.objects.exists()


def test_each_permission_offers_its_own_action_only(story) -> None:
    client = _client(_administrator("export_customer_data"))
    page = client.get(CHANGELIST).content
    assert b'value="export_personal_data"' in page and b'value="erase_personal_data"' not in page
    _post(client, "erase_personal_data", story.customer, post="yes", force="yes")
    assert _unchanged(story.customer)
    assert _post(client, "export_personal_data", story.customer)["Content-Type"] == "application/zip"
