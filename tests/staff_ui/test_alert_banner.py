"""While a service alert lasts, every staff page says so in a banner with a link to it."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import ServiceAlert
from cases.services import alert_end
from tests.conftest import Cast
from tests.factories import ServiceAlertFactory, ServiceFactory
from tests.staff_ui.pages import case_url, html


def _banner(response) -> str:
    found = re.search(r'<section[^>]*id="alerts-banner".*?</section>', html(response), re.S)
    return found.group(0) if found else ""


@pytest.fixture
def outage(cast: Cast) -> ServiceAlert:
    return ServiceAlertFactory(
        service=ServiceFactory(code="mail", name="E-mail"),
        kind=ServiceAlert.Kind.OUTAGE,
        title="Mail server down",
        starts_at=timezone.now() - timedelta(hours=1),
        ends_at=None,
        area="69003",
        posted_by=cast.owner,
    )


def test_every_staff_page_shows_the_alert_while_it_lasts(owner_client: Client, cast: Cast, outage) -> None:
    for url in (reverse("staff:worklist"), case_url(cast.case), reverse("staff:flags")):
        banner = _banner(owner_client.get(url))
        assert 'role="status"' in banner and 'aria-labelledby="alerts-banner-heading"' in banner
        assert "Service alerts under way" in banner
        assert "Known outage: Mail server down" in banner
        assert reverse("staff:alert_edit", args=[outage.pk]) in banner


def test_the_banner_is_gone_once_the_alert_ends(owner_client: Client, cast: Cast, outage) -> None:
    alert_end(actor=cast.owner, alert=outage)
    assert _banner(owner_client.get(reverse("staff:worklist"))) == ""


def test_a_planned_alert_is_not_in_the_banner_before_it_starts(owner_client: Client, cast: Cast, outage) -> None:
    outage.starts_at = timezone.now() + timedelta(days=1)
    outage.save(update_fields=["starts_at"])
    assert _banner(owner_client.get(reverse("staff:worklist"))) == ""


def test_the_banner_costs_the_same_whatever_the_number_of_alerts(
    owner_client: Client, cast: Cast, outage, django_assert_num_queries
) -> None:
    url = reverse("staff:worklist")
    owner_client.get(url)
    with CaptureQueriesContext(connection) as counted:
        owner_client.get(url)
    for code in ("tv", "phone", "fibre"):
        ServiceAlertFactory(service=ServiceFactory(code=code), title=f"{code} down", posted_by=cast.owner)
    with django_assert_num_queries(len(counted.captured_queries)):
        banner = _banner(owner_client.get(url))
    assert banner.count("<li>") == 4


def test_customers_see_no_staff_banner(cast: Cast, outage) -> None:
    client = Client()
    client.force_login(cast.customer.user)
    assert _banner(client.get(reverse("my:cases"))) == ""
