"""Service alerts: post, edit and end maintenance and outage notices."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import ServiceAlert
from people.models import Service
from tests.factories import ServiceAlertFactory, ServiceFactory
from tests.staff_ui.pages import assert_field_error, html, text

ALERTS = reverse("staff:alerts")


def when(**delta: float) -> str:
    return timezone.localtime(timezone.now() + timedelta(**delta)).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def mail(db) -> Service:
    return ServiceFactory(code="email", name="E-mail")


def test_alert_is_posted_and_listed(owner_client, mail: Service) -> None:
    response = owner_client.post(
        ALERTS,
        {
            "alert-service": mail.pk,
            "alert-kind": "maintenance",
            "alert-title": "Mail server move",
            "alert-area": "69003",
            "alert-starts_at": when(hours=-1),
        },
    )
    assert response.status_code == 302
    alert = ServiceAlert.objects.get()
    assert (alert.title, alert.area, alert.ends_at) == ("Mail server move", "69003", None)
    page = text(owner_client.get(ALERTS))
    assert "Mail server move" in page and "until not known" in page


def test_alert_ending_before_it_starts_is_refused_and_keeps_what_was_typed(owner_client, mail: Service) -> None:
    response = owner_client.post(
        ALERTS,
        {
            "alert-service": mail.pk,
            "alert-kind": "outage",
            "alert-title": "Mail down",
            "alert-starts_at": when(hours=1),
            "alert-ends_at": when(hours=-1),
        },
    )
    assert response.status_code == 400
    assert_field_error(response, "id_alert-ends_at", "The end must come after the start.")
    assert 'value="Mail down"' in html(response)
    assert not ServiceAlert.objects.exists()


def test_alert_without_a_service_is_refused(owner_client, mail: Service) -> None:
    response = owner_client.post(ALERTS, {"alert-kind": "outage", "alert-title": "Down", "alert-starts_at": when()})
    assert response.status_code == 400
    assert_field_error(response, "id_alert-service", "This field is required.")


def test_alert_is_edited(owner_client, owner, mail: Service) -> None:
    alert = ServiceAlertFactory(service=mail, posted_by=owner, title="Mail server move")
    url = reverse("staff:alert_edit", args=[alert.pk])
    assert 'value="Mail server move"' in html(owner_client.get(url))
    response = owner_client.post(
        url,
        {
            "alert-service": mail.pk,
            "alert-kind": "outage",
            "alert-title": "Mail outage after the move",
            "alert-starts_at": when(hours=-2),
        },
    )
    assert response.status_code == 302
    alert.refresh_from_db()
    assert (alert.title, alert.kind) == ("Mail outage after the move", "outage")


def test_edit_with_a_blank_title_is_refused_and_nothing_changes(owner_client, owner, mail: Service) -> None:
    alert = ServiceAlertFactory(service=mail, posted_by=owner, title="Mail server move")
    response = owner_client.post(
        reverse("staff:alert_edit", args=[alert.pk]),
        {
            "alert-service": mail.pk,
            "alert-kind": "outage",
            "alert-title": "  ",
            "alert-area": "69001",
            "alert-starts_at": when(hours=-2),
        },
    )
    assert response.status_code == 400
    assert_field_error(response, "id_alert-title", "Write a title.")
    assert 'value="69001"' in html(response)
    alert.refresh_from_db()
    assert (alert.title, alert.area) == ("Mail server move", "")


def test_alert_is_ended_now(owner_client, owner, mail: Service) -> None:
    alert = ServiceAlertFactory(service=mail, posted_by=owner, starts_at=timezone.now() - timedelta(hours=2))
    response = owner_client.post(reverse("staff:alert_end", args=[alert.pk]), follow=True)
    alert.refresh_from_db()
    assert alert.ends_at is not None and alert.ends_at <= timezone.now()
    assert "has ended" in text(response) and "Recently ended" in text(response)


def test_an_alert_that_has_not_started_cannot_end(owner_client, owner, mail: Service) -> None:
    alert = ServiceAlertFactory(service=mail, posted_by=owner, starts_at=timezone.now() + timedelta(days=1))
    response = owner_client.post(reverse("staff:alert_end", args=[alert.pk]), follow=True)
    assert "An alert cannot end before it started." in text(response)
    assert ServiceAlert.objects.get(pk=alert.pk).ends_at is None


def test_unknown_alert_is_not_found(owner_client, db) -> None:
    assert owner_client.get(reverse("staff:alert_edit", args=[999])).status_code == 404
