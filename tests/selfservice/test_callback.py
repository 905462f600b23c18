"""Call me back: a preferred day and time become a promise on the case, made in the owner's
name and owed to the customer, with a flag for the owner."""

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from cases.models import Flag, Promise, TimelineEvent
from selfservice.forms import day_choices
from tests.cases.dbstate import nothing_written
from tests.cases.steps import close_by_confirmation
from tests.conftest import Cast
from tests.selfservice.pages import assert_field_error, my_url, text


def _next_working_day() -> str:
    return day_choices(timezone.now())[1][0]


def _ask(client: Client, case, **fields: str):
    data = {"callback-day": _next_working_day(), "callback-slot": "morning", "callback-phone": "04 78 25 14 07"}
    data.update({f"callback-{key}": value for key, value in fields.items()})
    return client.post(my_url(case, "my:call_me_back"), data)


def test_a_call_back_becomes_a_promise_in_the_owners_name_and_a_flag(cast: Cast, customer_client: Client) -> None:
    response = _ask(customer_client, cast.case, note="The insurance letter")
    assert response.status_code == 302
    promise = Promise.objects.get(case=cast.case, kind=Promise.Kind.CALLBACK)
    assert promise.made_by == cast.owner
    assert promise.owed_to_customer
    assert promise.status == Promise.Status.OPEN
    due = timezone.localtime(promise.due_at)
    assert (due.date().isoformat(), due.hour) == (_next_working_day(), 12)
    assert promise.text.startswith("Olivia Owner will call you back on ")
    assert "between 9:00 and 12:00, on 04 78 25 14 07" in promise.text
    flag = Flag.objects.get(case=cast.case, kind=Flag.Kind.CALLBACK_REQUEST)
    assert flag.assignee == cast.owner
    assert "asks to be called back" in flag.summary
    assert flag.get_kind_display() == "Customer asks to be called back"
    # A call-back is its own kind: never mixed with survey requests to talk about their services.
    assert not Flag.objects.filter(kind=Flag.Kind.CONTACT_REQUEST).exists()
    event = cast.case.timeline.get(kind=TimelineEvent.Kind.PROMISE_MADE)
    assert event.customer_visible and event.actor_label == "Jeanne Martin"
    assert "About: The insurance letter" in event.summary
    page = text(customer_client.get(response["Location"]))
    assert "Thank you. Olivia Owner will call you back on" in page
    assert "Due Olivia Owner will call you back" in page


def test_a_delegate_asks_and_is_shown_on_behalf(cast: Cast, delegate_client: Client) -> None:
    _ask(delegate_client, cast.case, phone="+33 6 11 22 33 44")
    event = cast.case.timeline.get(kind=TimelineEvent.Kind.PROMISE_MADE)
    assert event.actor_label == "Paul Martin, on behalf of Jeanne Martin"
    assert "+33 6 11 22 33 44" in Promise.objects.get(case=cast.case).text


def test_the_customers_number_is_offered_but_a_delegate_types_theirs(
    cast: Cast, customer_client: Client, delegate_client: Client
) -> None:
    assert f'value="{cast.customer.phone}"' in customer_client.get(my_url(cast.case)).content.decode()
    assert cast.customer.phone not in delegate_client.get(my_url(cast.case)).content.decode()


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"phone": ""}, "id_callback-phone", "Write the phone number we should call"),
        ({"phone": "call me maybe"}, "id_callback-phone", "That does not look like a phone number."),
        ({"phone": "12"}, "id_callback-phone", "That does not look like a phone number."),
        ({"day": ""}, "id_callback-day", "Choose a day."),
        ({"day": "2001-01-01"}, "id_callback-day", "Choose one of the days in the list."),
        ({"note": "x" * 301}, "id_callback-note", "Keep your note under 300 characters (it has 301)."),
    ],
)
def test_bad_input_says_what_to_do_and_stores_nothing(
    cast: Cast, customer_client: Client, fields: dict, field_id: str, message: str
) -> None:
    with nothing_written():
        response = _ask(customer_client, cast.case, **fields)
    assert response.status_code == 400
    assert_field_error(response, field_id, message)


def test_a_missing_time_of_day_is_explained(cast: Cast, customer_client: Client) -> None:
    with nothing_written():
        response = _ask(customer_client, cast.case, slot="")
    assert response.status_code == 400
    assert "At what time?: Choose a time of day." in text(response)


def test_a_time_already_passed_is_refused(cast: Cast, customer_client: Client) -> None:
    today = timezone.localdate()
    late_evening = timezone.make_aware(datetime.combine(today, datetime.min.time())) + timedelta(hours=22)
    from cases.services.selfservice import callback_request
    from portal.errors import RuleViolation

    with nothing_written(), pytest.raises(RuleViolation, match="already passed"):
        callback_request(
            actor=cast.customer.user,
            case=cast.case,
            starts_at=late_evening - timedelta(days=1),
            ends_at=late_evening - timedelta(days=1, hours=-1),
            phone="0478251407",
        )


def test_a_closed_case_offers_no_call_back_and_refuses_one(cast: Cast, customer_client: Client) -> None:
    close_by_confirmation(cast.case, cast.owner)
    assert "Call me back" not in text(customer_client.get(my_url(cast.case)))
    with nothing_written():
        response = _ask(customer_client, cast.case)
    assert response.status_code == 400
    assert f"Case {cast.case.reference} is closed." in text(response)
