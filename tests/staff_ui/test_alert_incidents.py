"""A service alert that explains an open emerging incident offers to link the incident's cases
and clear its flag (staff:alert_incidents); declining leaves the flag open."""

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Flag, ServiceAlert
from cases.watchers import watch_emerging_incidents
from people.models import Service
from tests.factories import CustomerFactory, ServiceFactory, make_case
from tests.staff_ui.conftest import signed_in
from tests.staff_ui.pages import text

ALERTS = reverse("staff:alerts")
EMERGING = Flag.Kind.EMERGING_INCIDENT


@pytest.fixture(autouse=True)
def _three_in_two_hours(settings):
    settings.EMERGING_INCIDENT_CASES = 3
    settings.EMERGING_INCIDENT_WINDOW_MINUTES = 120


@pytest.fixture
def mail(db) -> Service:
    return ServiceFactory(code="email", name="E-mail")


@pytest.fixture
def incident(owner, mail):
    """Three new e-mail cases in 69003, and the flag the watcher raised about them."""
    cases = [
        make_case(customer=CustomerFactory(service_area="69003"), owner=owner, subject="No e-mail", service=mail)
        for _ in range(3)
    ]
    watch_emerging_incidents(now=timezone.now())
    return Flag.objects.get(kind=EMERGING, cleared_at__isnull=True), cases


def _post_alert(client, mail, area="69003"):
    return client.post(
        ALERTS,
        {
            "alert-service": mail.pk,
            "alert-kind": "outage",
            "alert-title": "Mail down",
            "alert-area": area,
            "alert-starts_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        },
    )


def test_posting_a_matching_alert_offers_the_incidents_cases_all_ticked(manager, mail, incident):
    _flag, cases = incident
    client = signed_in(manager)

    response = _post_alert(client, mail)

    alert = ServiceAlert.objects.get()
    page_url = reverse("staff:alert_incidents", args=[alert.pk])
    assert response.status_code == 302 and response["Location"] == page_url
    page = client.get(page_url)
    assert "Link these 3 cases to this alert" in text(page)
    for case in cases:
        assert f'value="{case.pk}"' in page.content.decode()
    assert page.content.decode().count("checked") == 3


def test_an_alert_about_another_area_offers_nothing(manager, mail, incident):
    response = _post_alert(signed_in(manager), mail, area="75001")
    assert response["Location"] == ALERTS


def test_confirming_links_the_ticked_cases_and_clears_the_flag(manager, mail, incident):
    flag, cases = incident
    client = signed_in(manager)
    _post_alert(client, mail)
    alert = ServiceAlert.objects.get()

    response = client.post(
        reverse("staff:alert_incidents", args=[alert.pk]),
        {"flag": flag.pk, f"incident-{flag.pk}-cases": [cases[0].pk, cases[2].pk]},
    )

    assert response.status_code == 302 and response["Location"] == ALERTS
    assert set(alert.cases.all()) == {cases[0], cases[2]}
    flag.refresh_from_db()
    assert flag.cleared_at is not None
    assert flag.clear_note == "its cases linked to the service alert “Mail down”"


def test_confirming_with_nothing_ticked_is_refused_and_leaves_the_flag_open(manager, mail, incident):
    flag, _cases = incident
    client = signed_in(manager)
    _post_alert(client, mail)
    alert = ServiceAlert.objects.get()

    response = client.post(reverse("staff:alert_incidents", args=[alert.pk]), {"flag": flag.pk})

    assert response.status_code == 400
    assert "Tick at least one case to link, or leave the flag open." in text(response)
    flag.refresh_from_db()
    assert flag.cleared_at is None and not alert.cases.exists()


def test_declining_leaves_the_flag_open_and_the_edit_page_offers_it_again(manager, mail, incident):
    flag, _cases = incident
    client = signed_in(manager)
    _post_alert(client, mail)
    alert = ServiceAlert.objects.get()

    client.get(ALERTS)  # "Not now": back to the list without linking

    flag.refresh_from_db()
    assert flag.cleared_at is None
    edit = text(client.get(reverse("staff:alert_edit", args=[alert.pk])))
    assert "An open emerging incident matches this alert." in edit


def test_a_case_outside_the_offer_cannot_be_slipped_in(manager, owner, mail, incident):
    flag, cases = incident
    client = signed_in(manager)
    _post_alert(client, mail)
    alert = ServiceAlert.objects.get()
    elsewhere = make_case(customer=CustomerFactory(service_area="75001"), owner=owner, subject="x", service=mail)

    response = client.post(
        reverse("staff:alert_incidents", args=[alert.pk]),
        {"flag": flag.pk, f"incident-{flag.pk}-cases": [cases[0].pk, elsewhere.pk]},
    )

    assert response.status_code == 400
    flag.refresh_from_db()
    assert flag.cleared_at is None and not alert.cases.exists()
