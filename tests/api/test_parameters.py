"""Query and body parameters the schema declares are checked as declared: a value of the wrong
type is a 400 naming the parameter, never silently ignored (the schemathesis run found these)."""

import pytest
from django.urls import reverse

from cases.models import ServiceAlert
from tests.api.conftest import ApiAs
from tests.conftest import Cast
from tests.factories import ServiceAlertFactory


@pytest.mark.parametrize("value", ["abc", "0", "-3", "1.5", ""])
def test_a_page_size_that_is_not_a_positive_whole_number_is_refused(cast: Cast, api_as: ApiAs, value: str) -> None:
    response = api_as(cast.owner).get(reverse("api:case-list"), {"page_size": value})

    assert response.status_code == 400
    assert "page_size" in response.json()


def test_a_page_size_above_the_maximum_gets_the_largest_page(cast: Cast, api_as: ApiAs) -> None:
    response = api_as(cast.owner).get(reverse("api:case-list"), {"page_size": "5000"})

    assert response.status_code == 200


@pytest.mark.parametrize(
    "value", ["", "yesterday", "2026-13-45T00:00:00Z", "12", "2026-05-04", "2026-05-04 09:30", "0001-01-01T00:00:00Z"]
)
def test_since_that_is_not_a_moment_is_refused(cast: Cast, api_as: ApiAs, value: str) -> None:
    response = api_as(cast.owner).get(reverse("api:case-messages", args=[cast.case.reference]), {"since": value})

    assert response.status_code == 400
    assert "since" in response.json()


def test_since_with_its_offset_filters(cast: Cast, api_as: ApiAs) -> None:
    url = reverse("api:case-messages", args=[cast.case.reference])

    response = api_as(cast.owner).get(url, {"since": "2199-01-01T00:00:00+02:00"})

    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize("parameter", ["status", "owner", "open", "active_since"])
def test_a_filter_sent_without_a_value_is_refused(cast: Cast, api_as: ApiAs, parameter: str) -> None:
    response = api_as(cast.owner).get(reverse("api:case-list"), {parameter: ""})

    assert response.status_code == 400
    assert parameter in response.json()


@pytest.mark.parametrize("value", ["null", "unknown", "yes", "2"])
def test_a_yes_no_filter_that_is_not_true_or_false_is_refused(cast: Cast, api_as: ApiAs, value: str) -> None:
    response = api_as(cast.owner).get(reverse("api:case-list"), {"open": value})

    assert response.status_code == 400
    assert "open" in response.json()


def test_a_yes_no_filter_reads_true_and_false(cast: Cast, api_as: ApiAs) -> None:
    client = api_as(cast.owner)
    open_cases = client.get(reverse("api:case-list"), {"open": "true"}).json()["results"]
    closed_cases = client.get(reverse("api:case-list"), {"open": "false"}).json()["results"]

    assert cast.case.reference in [row["reference"] for row in open_cases]
    assert closed_cases == []


def test_an_empty_search_text_is_no_filter(cast: Cast, api_as: ApiAs) -> None:
    response = api_as(cast.owner).get(reverse("api:case-list"), {"q": ""})

    assert response.status_code == 200
    assert cast.case.reference in [row["reference"] for row in response.json()["results"]]


@pytest.mark.parametrize("value", ["", "soon", "2026-02-30T10:00:00Z", "7", "2026-05-04", "2026-05-04T09:30:00"])
def test_visit_until_that_is_not_a_moment_is_refused(cast: Cast, api_as: ApiAs, value: str) -> None:
    response = api_as(cast.owner).get(reverse("api:job-list"), {"visit_until": value})

    assert response.status_code == 400
    assert "visit_until" in response.json()


@pytest.mark.parametrize("encoding", ["json", "multipart"])
def test_ending_an_alert_with_an_empty_moment_is_refused(cast: Cast, api_as: ApiAs, encoding: str) -> None:
    alert = ServiceAlertFactory(posted_by=cast.owner)

    response = api_as(cast.owner).post(reverse("api:alert-end", args=[alert.pk]), {"ended_at": ""}, format=encoding)

    assert response.status_code == 400
    assert "ended_at" in response.json()
    assert ServiceAlert.objects.get(pk=alert.pk).ends_at == alert.ends_at


def test_ending_an_alert_without_a_moment_ends_it_now(cast: Cast, api_as: ApiAs) -> None:
    alert = ServiceAlertFactory(posted_by=cast.owner)

    response = api_as(cast.owner).post(reverse("api:alert-end", args=[alert.pk]), {}, format="multipart")

    assert response.status_code == 200
    assert ServiceAlert.objects.get(pk=alert.pk).ends_at is not None
