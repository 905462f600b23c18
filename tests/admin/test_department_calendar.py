"""A department's working calendar is set in the admin site, and refused when it cannot be counted in."""

from datetime import time

import pytest
from django.test import Client
from django.urls import reverse

from people.models import Department

ADD = "admin:people_department_add"


def _form(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Americas",
        "code": "americas",
        "working_days": ["1", "2", "3", "4", "5", "6"],
        "opens_at": "08:30",
        "closes_at": "17:00",
        "time_zone": "America/New_York",
        "holiday_country": "us",
        "holiday_subdivision": "ny",
    }
    data.update(changes)
    return data


def test_a_department_calendar_is_saved_from_the_admin(admin_client_for: Client) -> None:
    response = admin_client_for.post(reverse(ADD), _form())
    assert response.status_code == 302, response.context["adminform"].form.errors
    department = Department.objects.get(code="americas")
    assert department.working_days == "123456"
    assert (department.opens_at, department.closes_at) == (time(8, 30), time(17, 0))
    assert (department.time_zone, department.holiday_country, department.holiday_subdivision) == (
        "America/New_York",
        "US",
        "NY",
    )
    assert department.round_the_clock is False

    listing = admin_client_for.get(reverse("admin:people_department_changelist"))
    assert "Mon, Tue, Wed, Thu, Fri, Sat, 08:30–17:00 (America/New_York)" in listing.content.decode()


def test_the_add_form_offers_the_demo_defaults(admin_client_for: Client) -> None:
    form = admin_client_for.get(reverse(ADD)).context["adminform"].form
    shown = {name: form[name].value() for name in ("working_days", "opens_at", "closes_at", "time_zone")}
    assert shown == {
        "working_days": ["1", "2", "3", "4", "5"],
        "opens_at": time(9),
        "closes_at": time(18),
        "time_zone": "Europe/Paris",
    }
    assert form["holiday_country"].value() == "FR"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"closes_at": "08:00"}, "closes_at", "later than the opening time"),
        ({"working_days": []}, "working_days", "This field is required."),
        ({"time_zone": "Paris"}, "time_zone", "is not a time zone name"),
        ({"holiday_country": "XX", "holiday_subdivision": ""}, "holiday_country", "No public holidays are known"),
        ({"holiday_subdivision": "ZZ"}, "holiday_subdivision", "is not a region of US"),
        ({"holiday_country": "", "holiday_subdivision": "NY"}, "holiday_subdivision", "country of this region"),
    ],
)
def test_a_calendar_that_cannot_be_counted_in_is_refused(admin_client_for: Client, changes, field, message) -> None:
    response = admin_client_for.post(reverse(ADD), _form(**changes))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors[field])
    assert not Department.objects.filter(code="americas").exists()
