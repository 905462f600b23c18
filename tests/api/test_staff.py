"""Flags and service alerts: staff only, like their pages."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from cases.models import ServiceAlert
from cases.services import flag_raise
from tests.api.conftest import ApiAs
from tests.conftest import Cast
from tests.factories import ServiceAlertFactory, ServiceFactory


def _flag(cast: Cast):
    return flag_raise(kind="stale_promise", subject_key="promise:1", summary="Plumber not back", case=cast.case)


def test_staff_list_flags_and_acknowledge_theirs(cast: Cast, api_as: ApiAs) -> None:
    flag = _flag(cast)
    client = api_as(cast.owner)
    rows = client.get(reverse("api:flag-list"), {"mine": "true", "open": "true"}).json()["results"]
    assert [(row["id"], row["case"], row["level"]) for row in rows] == [(flag.pk, cast.case.reference, 1)]
    assert client.get(reverse("api:flag-list"), {"kind": "incident"}).json()["results"] == []
    acknowledged = client.post(reverse("api:flag-acknowledge", args=[flag.pk]))
    assert acknowledged.status_code == 200
    assert acknowledged.json()["acknowledged_by"]["id"] == cast.owner.pk


def test_flags_do_not_exist_for_customers_and_contractors(cast: Cast, api_as: ApiAs) -> None:
    flag = _flag(cast)
    for outsider in (cast.customer.user, cast.delegate, cast.contractor_user):
        client = api_as(outsider)
        assert client.get(reverse("api:flag-list")).status_code == 404
        assert client.get(reverse("api:flag-detail", args=[flag.pk])).status_code == 404
        assert client.post(reverse("api:flag-acknowledge", args=[flag.pk])).status_code == 404


def test_a_colleague_not_on_the_case_cannot_acknowledge_its_flag(cast: Cast, api_as: ApiAs) -> None:
    flag = _flag(cast)
    response = api_as(cast.other_agent).post(reverse("api:flag-acknowledge", args=[flag.pk]))
    assert response.status_code == 403
    assert response.json()["code"] == "not_allowed"


def test_staff_post_change_and_end_an_alert(cast: Cast, api_as: ApiAs) -> None:
    ServiceFactory(code="mail")
    client = api_as(cast.owner)
    start = timezone.now() + timedelta(hours=2)
    posted = client.post(
        reverse("api:alert-list"),
        {"service": "mail", "kind": "maintenance", "title": "Mail server move", "starts_at": start.isoformat()},
    )
    assert posted.status_code == 201
    detail = reverse("api:alert-detail", args=[posted.json()["id"]])
    changed = client.patch(detail, {"area": "69003"})
    assert changed.json()["area"] == "69003"
    assert changed.json()["title"] == "Mail server move"
    end = reverse("api:alert-end", args=[posted.json()["id"]])
    too_early = client.post(end, {"ended_at": timezone.now().isoformat()})
    assert too_early.status_code == 400
    assert list(too_early.json()) == ["ends_at"]
    ended = client.post(end, {"ended_at": (start + timedelta(hours=1)).isoformat()})
    assert ended.status_code == 200
    assert ended.json()["ends_at"] is not None
    assert client.get(reverse("api:alert-list"), {"live": "false"}).json()["results"] == []
    client.post(end)  # now: it started two hours from now, so the end comes too early
    ServiceAlert.objects.filter(pk=posted.json()["id"]).update(
        starts_at=timezone.now() - timedelta(hours=3), ends_at=timezone.now() - timedelta(hours=1)
    )
    assert [row["id"] for row in client.get(reverse("api:alert-list"), {"live": "false"}).json()["results"]] == [
        posted.json()["id"]
    ]


def test_an_alert_that_ends_before_it_starts_is_refused(cast: Cast, api_as: ApiAs) -> None:
    ServiceFactory(code="mail")
    start = timezone.now()
    response = api_as(cast.owner).post(
        reverse("api:alert-list"),
        {
            "service": "mail",
            "kind": "outage",
            "title": "Down",
            "starts_at": start.isoformat(),
            "ends_at": (start - timedelta(hours=1)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert response.json() == {"ends_at": ["The end must come after the start."]}
    assert not ServiceAlert.objects.exists()


def test_alerts_are_hidden_from_customers_who_read_them_on_their_cases(cast: Cast, api_as: ApiAs) -> None:
    alert = ServiceAlertFactory(posted_by=cast.owner)
    client = api_as(cast.customer.user)
    assert client.get(reverse("api:alert-list")).status_code == 404
    assert client.patch(reverse("api:alert-detail", args=[alert.pk]), {"title": "Hacked"}).status_code == 404
    assert ServiceAlert.objects.get(pk=alert.pk).title == alert.title


def test_a_date_outside_the_calendar_is_a_field_error(cast: Cast, api_as: ApiAs) -> None:
    ServiceFactory(code="mail")
    response = api_as(cast.owner).post(
        reverse("api:alert-list"),
        {"service": "mail", "kind": "outage", "title": "Down", "starts_at": "9999-12-31T23:59:59-14:00"},
    )
    assert response.status_code == 400
    assert list(response.json()) == ["starts_at"]
