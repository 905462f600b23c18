"""A property-based run of the whole OpenAPI schema (schemathesis), in process over WSGI, with a
member of staff's token: no answer may be a server error or break the schema.

Path parameters are drawn half from what schemathesis generates and half from records that
exist, so the operations are exercised on real cases, jobs and claims and not only on 404s.
The run is bounded (a few examples per operation) to stay within the suite's time budget; the
figures are printed at the end (run with -s to see them).
"""

import json
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.contrib.auth.models import Permission
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from hypothesis import strategies as st
from pytest_django.fixtures import Settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cases.models import Case, Flag, Handoff, InsuranceClaim, Promise, ServiceAlert
from cases.services import case_handoff, claim_file, promise_make
from contractors.models import IncidentReport, Job, Prerequisite
from contractors.services import incident_report
from people.models import Customer
from tests.conftest import Cast
from tests.factories import ServiceAlertFactory, ServiceFactory

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
EXAMPLES_PER_OPERATION = 12
TRIED: Counter[str] = Counter()
ANSWERS: Counter[int] = Counter()

# Which records a path parameter names, by the first segment of the path.
RECORDS: dict[str, Any] = {
    "customers": Customer,
    "promises": Promise,
    "claims": InsuranceClaim,
    "handoffs": Handoff,
    "jobs": Job,
    "prerequisites": Prerequisite,
    "incidents": IncidentReport,
    "flags": Flag,
    "alerts": ServiceAlert,
}


def _world(cast: Cast) -> None:
    """One record of every kind an operation can name."""
    soon = timezone.now() + timedelta(days=2)
    promise_make(actor=cast.owner, case=cast.case, text="Plumber on Monday", due_at=soon)
    claim_file(actor=cast.owner, case=cast.case, insurer="Mutuelle Habitat", policy_holder="customer")
    incident_report(actor=cast.contractor_user, job=cast.job, what="Drilled into a pipe", location="Hall")
    case_handoff(actor=cast.other_agent, case=cast.other_case, to_user=cast.owner, reason="Visit", summary="Router.")
    fibre = ServiceFactory(code="fibre")
    cast.customer.services.add(fibre)
    ServiceAlertFactory(service=fibre, posted_by=cast.owner)


def _load_schema() -> schemathesis.BaseSchema:
    """The schema the API serves, generated in process at collection (schemathesis' lazy
    `from_fixture` loader does not run under pytest 9.2: it sets the removed `Node._nodeid`)."""
    raw = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(json.dumps(raw, default=str)))
    loaded.app = WSGIHandler()
    loaded.location = "/api/v1/schema/"
    return loaded


schema = _load_schema()


@schema.hook
def flatmap_path_parameters(context: Any, path_parameters: dict[str, Any]) -> st.SearchStrategy:
    """Half the time, path parameters that name records which exist."""
    if not path_parameters:
        return st.just(path_parameters)
    segment = context.operation.path.removeprefix("/api/v1/").split("/")[0]
    real: dict[str, list[Any]] = {}
    for name in path_parameters:
        if name == "reference":
            real[name] = list(Case.objects.order_by("pk").values_list("reference", flat=True)[:3])
        elif segment in RECORDS:
            real[name] = list(RECORDS[segment].objects.order_by("pk").values_list("pk", flat=True)[:5])
    if not real or not all(real.values()):
        return st.just(path_parameters)
    existing = st.fixed_dictionaries({name: st.sampled_from(values) for name, values in real.items()})
    return st.one_of(st.just(path_parameters), existing.map(lambda chosen: {**path_parameters, **chosen}))


@pytest.fixture
def staff_token(cast: Cast, settings: Settings) -> str:
    settings.API_THROTTLE_RATES = {"user": "1000000/minute", "anon": "1000000/minute"}
    # The staff token may also deliver inbound messages, so that endpoint is exercised too.
    cast.owner.user_permissions.add(Permission.objects.get(codename="deliver_inbound"))
    _world(cast)
    return Token.objects.create(user=cast.owner).key


@pytest.fixture(autouse=True)
def _keep_the_test_connection() -> Iterator[None]:
    """Requests go straight to Django's WSGI handler, which closes the database connection at
    the end of each request: that would end the test's transaction (PostgreSQL shows it;
    SQLite's in-memory test database is never closed). Django's own test client does the same."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(scope="module", autouse=True)
def _figures() -> Iterator[None]:
    yield
    print(
        f"\nschemathesis: {len(TRIED)} operations, {sum(TRIED.values())} examples, "
        f"answers {dict(sorted(ANSWERS.items()))}"
    )


@schema.parametrize()
@hypothesis.settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_every_operation_answers_within_its_schema(case: schemathesis.Case, staff_token: str) -> None:
    response = case.call_and_validate(headers={"Authorization": f"Token {staff_token}"}, checks=CHECKS)
    TRIED[f"{case.operation.method.upper()} {case.operation.path}"] += 1
    ANSWERS[response.status_code] += 1
