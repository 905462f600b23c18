"""Every list endpoint runs the same number of SQL queries for a page of 5 rows as for 50."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.services import case_handoff, claim_file, flag_raise, message_receive, note_add, promise_make
from contractors.services import incident_correct, incident_report, job_request
from tests.api.conftest import ApiAs
from tests.conftest import Cast
from tests.factories import CustomerFactory, ServiceAlertFactory, ServiceFactory, make_case, make_job

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass(frozen=True)
class Listing:
    """How to add `count` rows to one list, the URL that lists them, and who reads it."""

    add: Callable[[Cast, int, int], None]  # (cast, first index, count)
    url: Callable[[Cast], str]
    reader: Callable[[Cast], User]


def _on_case(name: str) -> Callable[[Cast], str]:
    return lambda cast: reverse(f"api:case-{name}", args=[cast.case.reference])


def _staff(cast: Cast) -> User:
    return cast.owner


def _customers(cast: Cast, start: int, count: int) -> None:
    fibre = ServiceFactory(code="fibre")
    for number in range(start, start + count):
        CustomerFactory(full_name=f"Customer {number:03d}").services.add(fibre)


def _cases(cast: Cast, start: int, count: int) -> None:
    for number in range(start, start + count):
        make_case(customer=cast.customer, owner=cast.owner, subject=f"Case {number}")


def _notes(cast: Cast, start: int, count: int) -> None:
    for number in range(start, start + count):
        note_add(actor=cast.owner, case=cast.case, body=f"Note {number}")


def _messages(cast: Cast, start: int, count: int) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    for number in range(start, start + count):
        photo = SimpleUploadedFile(f"p{number}.png", PNG, content_type="image/png")
        message_receive(actor=cast.customer.user, case=cast.case, body=f"Message {number}", attachments=[photo])


def _promises(cast: Cast, start: int, count: int) -> None:
    for number in range(start, start + count):
        due = timezone.now() + timedelta(days=1, minutes=number)
        promise_make(actor=cast.owner, case=cast.case, text=f"Promise {number}", due_at=due)


def _claims(cast: Cast, start: int, count: int) -> None:
    for number in range(start, start + count):
        claim_file(actor=cast.owner, case=cast.case, insurer=f"Insurer {number}", policy_holder="customer")


def _handoffs(cast: Cast, start: int, count: int) -> None:
    for _number in range(start, start + count):
        cast.case.refresh_from_db()
        to_user = cast.other_agent if cast.case.owner == cast.owner else cast.owner
        case_handoff(actor=cast.manager, case=cast.case, to_user=to_user, reason="Rota", summary="Over to you.")


def _jobs(cast: Cast, start: int, count: int) -> None:
    for number in range(start, start + count):
        job = make_job(
            case=cast.case,
            company=cast.job.company,
            actor=cast.owner,
            title=f"Visit {number}",
            prerequisites=(("Street connection", "operator"), ("Access code", "customer")),
        )
        incident = incident_report(actor=cast.contractor_user, job=job, what=f"Damage {number}", location="Hall")
        incident_correct(actor=cast.contractor_user, incident=incident, text="Correction")


def _requested_jobs(cast: Cast, start: int, count: int) -> None:
    for number in range(start, start + count):
        job_request(actor=cast.owner, case=cast.case, company=cast.job.company, title=f"Visit {number}")


def _incidents(cast: Cast, start: int, count: int) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    for number in range(start, start + count):
        photo = SimpleUploadedFile(f"d{number}.png", PNG, content_type="image/png")
        incident = incident_report(
            actor=cast.contractor_user, job=cast.job, what=f"Damage {number}", location="Hall", photos=[photo]
        )
        incident_correct(actor=cast.contractor_user, incident=incident, text="Correction")


def _flags(cast: Cast, start: int, count: int) -> None:
    for number in range(start, start + count):
        flag_raise(kind="stale_promise", subject_key=f"promise:{number}", summary=f"Flag {number}", case=cast.case)


def _alerts(cast: Cast, start: int, count: int) -> None:
    fibre = ServiceFactory(code="fibre")
    cast.customer.services.add(fibre)
    for number in range(start, start + count):
        ServiceAlertFactory(service=fibre, title=f"Alert {number}", posted_by=cast.owner)


LISTINGS: dict[str, Listing] = {
    "customers": Listing(_customers, lambda cast: reverse("api:customer-list"), _staff),
    "cases (staff)": Listing(_cases, lambda cast: reverse("api:case-list"), _staff),
    "cases (customer)": Listing(_cases, lambda cast: reverse("api:case-list"), lambda cast: cast.customer.user),
    "cases (delegate)": Listing(_cases, lambda cast: reverse("api:case-list"), lambda cast: cast.delegate),
    "customer cases": Listing(
        _cases, lambda cast: reverse("api:customer-cases", args=[cast.customer.pk]), lambda cast: cast.customer.user
    ),
    "timeline (staff)": Listing(_notes, _on_case("timeline"), _staff),
    "timeline (customer)": Listing(_messages, _on_case("timeline"), lambda cast: cast.customer.user),
    "messages (staff)": Listing(_messages, _on_case("messages"), _staff),
    "messages (customer)": Listing(_messages, _on_case("messages"), lambda cast: cast.customer.user),
    "promises": Listing(_promises, _on_case("promises"), lambda cast: cast.customer.user),
    "claims": Listing(_claims, _on_case("claims"), _staff),
    "handoffs": Listing(_handoffs, _on_case("handoffs"), _staff),
    "case jobs": Listing(_jobs, _on_case("jobs"), _staff),
    "case jobs (customer)": Listing(_jobs, _on_case("jobs"), lambda cast: cast.customer.user),
    "jobs (contractor)": Listing(_jobs, lambda cast: reverse("api:job-list"), lambda cast: cast.contractor_user),
    "jobs requested": Listing(_requested_jobs, lambda cast: reverse("api:job-list"), _staff),
    "job incidents": Listing(
        _incidents, lambda cast: reverse("api:job-incidents", args=[cast.job.pk]), lambda cast: cast.contractor_user
    ),
    "flags": Listing(_flags, lambda cast: reverse("api:flag-list"), _staff),
    "alerts": Listing(_alerts, lambda cast: reverse("api:alert-list"), _staff),
    "case alerts": Listing(_alerts, _on_case("alerts"), lambda cast: cast.customer.user),
}

# Authentication (token, user, profile checks), the policy's scoping, the page and its
# prefetches: a fixed cost, whatever the number of rows.
MAX_QUERIES = 10


def _count(client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"page_size": 200})
    assert response.status_code == 200, response.content
    body = response.json()
    return len(queries), len(body["results"] if isinstance(body, dict) else body)


@pytest.mark.parametrize("name", list(LISTINGS))
def test_a_page_costs_the_same_at_5_and_50_rows(
    name: str, cast: Cast, api_as: ApiAs, django_assert_max_num_queries: Callable
) -> None:
    listing = LISTINGS[name]
    client = api_as(listing.reader(cast))
    url = listing.url(cast)
    client.get(url)  # the token's first use, and any one-off lookups, out of the way
    _base, before = _count(client, url)

    listing.add(cast, 0, 5)
    few, rows_few = _count(client, url)
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get(url, {"page_size": 200})

    listing.add(cast, 5, 45)
    many, rows_many = _count(client, url)
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get(url, {"page_size": 200})

    assert rows_few - before >= 5
    assert rows_many - before >= 50
    assert many == few, f"{name}: {few} queries for {rows_few} rows, {many} for {rows_many}"
