"""Administrators register endpoints in the admin site; only superusers read the secret."""

import pytest
from django.contrib.auth.models import Permission

from tests.factories import UserFactory
from webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db

PUBLIC_URL = "https://93.184.216.34/hooks"


def test_an_administrator_registers_an_endpoint_with_the_events_it_wants(administrator, client):
    client.force_login(administrator)

    page = client.post(
        "/admin/webhooks/endpoint/add/",
        {"url": PUBLIC_URL, "description": "CRM", "event_kinds": ["case.opened", "flag.raised"], "active": "on"},
    )

    assert page.status_code == 302
    endpoint = Endpoint.objects.get()
    assert endpoint.event_kinds == ["case.opened", "flag.raised"]
    assert len(endpoint.secret) >= 43  # 32 random bytes, URL-safe base64
    assert endpoint.secret in client.get(f"/admin/webhooks/endpoint/{endpoint.pk}/change/").content.decode()


def test_an_unknown_event_or_none_at_all_is_a_form_error(administrator, client):
    client.force_login(administrator)

    for kinds in (["case.exploded"], []):
        page = client.post("/admin/webhooks/endpoint/add/", {"url": PUBLIC_URL, "event_kinds": kinds})
        assert page.status_code == 200
        assert page.context["adminform"].form.errors["event_kinds"]
    assert not Endpoint.objects.exists()


def test_an_administrator_who_is_not_superuser_never_sees_the_secret(client):
    endpoint = Endpoint.objects.create(url=PUBLIC_URL, event_kinds=["case.opened"])
    clerk = UserFactory(username="clerk", is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(content_type__app_label="webhooks"))
    client.force_login(clerk)

    page = client.get(f"/admin/webhooks/endpoint/{endpoint.pk}/change/").content.decode()

    assert endpoint.secret not in page
    assert "Only superusers can read the secret." in page
    changelist = client.get("/admin/webhooks/endpoint/")
    assert "rotate_secret" not in changelist.content.decode()


def test_rotating_makes_a_new_secret(administrator, client):
    endpoint = Endpoint.objects.create(url=PUBLIC_URL, event_kinds=["case.opened"])
    old = endpoint.secret
    client.force_login(administrator)

    client.post("/admin/webhooks/endpoint/", {"action": "rotate_secret", "_selected_action": [endpoint.pk]})

    endpoint.refresh_from_db()
    assert endpoint.secret != old
    assert len(endpoint.secret) >= 43


def test_turning_an_endpoint_back_on_starts_its_count_again(administrator, client):
    endpoint = Endpoint.objects.create(
        url=PUBLIC_URL, event_kinds=["case.opened"], active=False, consecutive_failures=10
    )
    Endpoint.objects.filter(pk=endpoint.pk).update(disabled_at="2026-01-01T00:00:00Z")
    client.force_login(administrator)

    client.post(
        f"/admin/webhooks/endpoint/{endpoint.pk}/change/",
        {"url": PUBLIC_URL, "event_kinds": ["case.opened"], "active": "on"},
    )

    endpoint.refresh_from_db()
    assert endpoint.active
    assert (endpoint.consecutive_failures, endpoint.disabled_at) == (0, None)


def test_the_endpoint_page_lists_its_latest_deliveries_with_their_answers(administrator, client):
    endpoint = Endpoint.objects.create(url=PUBLIC_URL, event_kinds=["case.opened"])
    Delivery.objects.create(
        endpoint=endpoint,
        kind="case.opened",
        body="{}",
        next_attempt_at="2026-01-01T00:00:00Z",
        attempts=2,
        response_status=502,
        response_body="Bad gateway from the CRM",
    )
    client.force_login(administrator)

    page = client.get(f"/admin/webhooks/endpoint/{endpoint.pk}/change/").content.decode()

    assert "Bad gateway from the CRM" in page
    assert "502" in page
    assert f"?endpoint__id__exact={endpoint.pk}" in page
    delivery_page = client.get(f"/admin/webhooks/delivery/{Delivery.objects.get().pk}/change/")
    assert delivery_page.status_code == 200
