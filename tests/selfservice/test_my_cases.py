"""My cases: each open case with its status in plain words, the owner's name, initials, direct
line and hours, the next promised date, and whether the last message was read and answered."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, Message
from cases.services import (
    case_resolve,
    case_set_status,
    message_receive,
    message_reply,
    messages_mark_read,
    promise_make,
)
from people.models import StaffProfile
from tests.cases.steps import close_by_confirmation
from tests.conftest import Cast
from tests.factories import make_case
from tests.selfservice.pages import html, text

LIST = "/my/"


@pytest.fixture
def reachable_owner(owner: User) -> User:
    StaffProfile.objects.filter(user=owner).update(phone="+33 4 26 00 18 00", working_hours="Mon–Fri 9:00–17:30")
    return User.objects.select_related("staff_profile").get(pk=owner.pk)


def test_the_list_is_mounted_where_sign_in_sends_customers() -> None:
    assert reverse("my:cases") == LIST


def test_open_case_shows_the_owner_initials_direct_line_and_hours(
    cast: Cast, reachable_owner: User, customer_client: Client
) -> None:
    response = customer_client.get(LIST)
    page = text(response)
    assert "Fibre installation" in page
    assert f"Case {cast.case.reference}" in page
    assert "Olivia Owner" in page
    assert 'class="my-owner__initials" aria-hidden="true">OO<' in html(response)
    assert "Phone: +33 4 26 00 18 00" in page
    assert 'href="tel:+33426001800"' in html(response)
    assert "Working hours: Mon–Fri 9:00–17:30" in page


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (Case.Status.IN_PROGRESS, "We are working on it"),
        (Case.Status.WAITING_CONTRACTOR, "We are waiting for the contractor"),
        (Case.Status.WAITING_CUSTOMER, "Waiting for your answer"),
        (Case.Status.WAITING_INSURER, "We are waiting for the insurer"),
    ],
)
def test_status_is_said_in_plain_words(cast: Cast, customer_client: Client, status: str, words: str) -> None:
    case_set_status(actor=cast.owner, case=cast.case, status=status)
    assert words in text(customer_client.get(LIST))


def test_a_resolved_case_asks_for_an_answer(cast: Cast, customer_client: Client) -> None:
    case_resolve(
        actor=cast.owner,
        case=cast.case,
        summary="Socket fitted.",
        override_reason="The fibre job left open is a courtesy visit.",
    )
    assert "We think it is fixed: please tell us if it is" in text(customer_client.get(LIST))


def test_next_promised_date_is_the_earliest_open_promise_to_the_customer(cast: Cast, customer_client: Client) -> None:
    soon = timezone.now() + timedelta(days=2)
    promise_make(actor=cast.owner, case=cast.case, text="Plumber comes", due_at=soon + timedelta(days=3))
    promise_make(actor=cast.owner, case=cast.case, text="I call you back", due_at=soon)
    promise_make(
        actor=cast.owner,
        case=cast.case,
        text="Chase the insurer",
        due_at=soon - timedelta(days=1),
        owed_to_customer=False,
        owed_to_name="Claims team",
    )
    page = text(customer_client.get(LIST))
    assert f"Next promised date {timezone.localtime(soon):%A} {timezone.localtime(soon).day}" in page
    assert "I call you back" in page
    assert "Chase the insurer" not in page


def test_nothing_promised_is_said_plainly(cast: Cast, customer_client: Client) -> None:
    assert "Nothing is promised at the moment." in text(customer_client.get(LIST))


def test_a_late_promise_is_pointed_out(cast: Cast, customer_client: Client) -> None:
    promise = promise_make(
        actor=cast.owner, case=cast.case, text="Back Monday", due_at=timezone.now() + timedelta(hours=1)
    )
    cast.case.promises.filter(pk=promise.pk).update(due_at=timezone.now() - timedelta(days=1))
    page = text(customer_client.get(LIST))
    assert "Late" in page
    assert "A promise made to you was not kept on time." in page


def test_last_message_not_read_then_read_then_answered(cast: Cast, customer_client: Client) -> None:
    assert "You have not written on this case." in text(customer_client.get(LIST))
    message_receive(actor=cast.customer.user, case=cast.case, body="Is anyone there?")
    assert "Not read yet." in text(customer_client.get(LIST))
    messages_mark_read(actor=cast.owner, case=cast.case)
    page = text(customer_client.get(LIST))
    assert "Read on" in page and "not answered yet" in page
    assert "We aim to answer by" in page
    message_reply(actor=cast.owner, case=cast.case, body="Yes, Olivia here.")
    page = text(customer_client.get(LIST))
    assert "Read and answered" in page
    assert "1 new reply you have not opened yet." in page


def test_closed_cases_are_listed_apart(cast: Cast, customer_client: Client) -> None:
    close_by_confirmation(cast.case, cast.owner)
    page = text(customer_client.get(LIST))
    assert "You have no open case at the moment." in page
    assert "Closed cases Fibre installation" in page


def test_a_delegate_sees_whose_cases_they_are(cast: Cast, delegate_client: Client) -> None:
    page = text(delegate_client.get(LIST))
    assert "You help Jeanne Martin." in page
    assert "Cases of Jeanne Martin" in page
    assert "Fibre installation" in page
    assert "Mail outage" not in page


def test_alerts_for_the_customers_services_and_area_are_shown(
    cast: Cast, customer_client: Client, other_client: Client
) -> None:
    from cases.services import alert_post
    from tests.factories import ServiceFactory

    fibre = ServiceFactory(code="fibre")
    cast.customer.services.add(fibre)
    alert_post(
        actor=cast.owner,
        service=fibre,
        kind="outage",
        title="Fibre cut in Lyon 3",
        area="69003",
        starts_at=timezone.now() - timedelta(hours=1),
    )
    alert_post(
        actor=cast.owner,
        service=fibre,
        kind="outage",
        title="Fibre cut in Paris",
        area="75001",
        starts_at=timezone.now() - timedelta(hours=1),
    )
    page = text(customer_client.get(LIST))
    assert "Fibre cut in Lyon 3" in page
    assert "Fibre cut in Paris" not in page
    assert "Fibre cut" not in text(other_client.get(LIST))  # Omar holds no fibre service


def _busy_cases(cast: Cast, count: int) -> None:
    for n in range(count):
        case = make_case(customer=cast.customer, owner=cast.owner, subject=f"Request {n}")
        message_receive(actor=cast.customer.user, case=case, body=f"Message {n}")
        message_reply(actor=cast.owner, case=case, body=f"Reply {n}")
        promise_make(actor=cast.owner, case=case, text=f"Promise {n}", due_at=timezone.now() + timedelta(days=n + 1))
    close_by_confirmation(make_case(customer=cast.customer, owner=cast.owner, subject="Old"), cast.owner)


MAX_LIST_QUERIES = 12


def test_the_list_runs_the_same_queries_for_one_case_or_many(
    cast: Cast, customer_client: Client, django_assert_max_num_queries
) -> None:
    _busy_cases(cast, 1)
    with django_assert_max_num_queries(MAX_LIST_QUERIES) as few:
        customer_client.get(LIST)
    _busy_cases(cast, 8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = customer_client.get(LIST)
    assert text(response).count("Open this case") == 10
    assert Message.objects.filter(case__customer=cast.customer).count() == 18


def test_an_answer_past_its_target_is_said_to_be_late(cast: Cast, customer_client: Client) -> None:
    message_receive(actor=cast.customer.user, case=cast.case, body="Hello?")
    Case.objects.filter(pk=cast.case.pk).update(reply_due_at=timezone.now() - timedelta(hours=2))
    page = text(customer_client.get(LIST))
    assert "Our answer is late: it was due by" in page
    assert "We aim to answer by" not in page
