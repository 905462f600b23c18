"""alert_post, alert_update, alert_end and case_link_alert: known outages and maintenance,
and cases explained by them."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases.models import Case, Flag, ServiceAlert, TimelineDepartment, TimelineEvent
from cases.services import alert_end, alert_post, alert_update, case_link_alert, case_open, flag_raise
from people.models import Customer, Service
from portal.errors import NotAllowed, RuleViolation
from tests.cases.dbstate import events_written, nothing_written
from tests.factories import ServiceFactory


@pytest.fixture
def mail(db: None) -> Service:
    return ServiceFactory(code="mail", name="E-mail")


def _post(actor: User, service: Service, **overrides: object) -> ServiceAlert:
    arguments = {
        "kind": ServiceAlert.Kind.MAINTENANCE,
        "title": "Mail server migration",
        "starts_at": timezone.now(),
        "ends_at": timezone.now() + timedelta(hours=4),
        **overrides,
    }
    return alert_post(actor=actor, service=service, **arguments)


def test_staff_post_an_alert(owner: User, mail: Service) -> None:
    alert = _post(owner, mail, area=" 69003 ", description=" New server; clients need new settings ")
    alert.refresh_from_db()
    assert alert.posted_by == owner
    assert alert.area == "69003"
    assert alert.description == "New server; clients need new settings"


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"title": ""}, "title", "Write a title"),
        ({"kind": "rumour"}, "kind", "not a valid kind of alert"),
        ({"starts_at": None}, "starts_at", "when it starts"),
        ({"ends_at": timezone.now() - timedelta(days=1)}, "ends_at", "end must come after the start"),
    ],
)
def test_bad_alert_is_refused(owner: User, mail: Service, changes: dict, field: str, words: str) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        _post(owner, mail, **changes)
    assert refused.value.field == field
    assert words in refused.value.message


def test_customers_and_contractors_cannot_post_alerts(customer: Customer, contractor_user: User, mail: Service) -> None:
    for outsider in (customer.user, contractor_user):
        with nothing_written(), pytest.raises(NotAllowed):
            _post(outsider, mail)


def test_alert_update_and_end(owner: User, mail: Service) -> None:
    alert = _post(owner, mail, ends_at=None)
    alert = alert_update(actor=owner, alert=alert, title=" Mail outage ", kind=ServiceAlert.Kind.OUTAGE)
    assert (alert.title, alert.kind) == ("Mail outage", ServiceAlert.Kind.OUTAGE)
    ended = alert_end(actor=owner, alert=alert)
    ended.refresh_from_db()
    assert ended.ends_at is not None and ended.ends_at > ended.starts_at


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"title": " "}, "title", "Write a title"),
        ({"kind": "rumour"}, "kind", "not a valid kind"),
        ({"ends_at": timezone.now() - timedelta(days=1)}, "ends_at", "after the start"),
        ({"posted_by": None}, None, "cannot be changed: posted_by"),
    ],
)
def test_bad_alert_update_is_refused(owner: User, mail: Service, changes: dict, field: str | None, words: str) -> None:
    alert = _post(owner, mail)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        alert_update(actor=owner, alert=alert, **changes)
    assert refused.value.field == field
    assert words in refused.value.message


def test_alert_cannot_end_before_it_started(owner: User, mail: Service) -> None:
    alert = _post(owner, mail, starts_at=timezone.now() + timedelta(days=1), ends_at=None)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        alert_end(actor=owner, alert=alert)
    assert refused.value.field == "ends_at"


def test_outsiders_cannot_change_alerts(owner: User, mail: Service, customer: Customer, contractor_user: User) -> None:
    alert = _post(owner, mail)
    for outsider in (customer.user, contractor_user):
        with nothing_written(), pytest.raises(NotAllowed):
            alert_update(actor=outsider, alert=alert, title="Hacked")
        with nothing_written(), pytest.raises(NotAllowed):
            alert_end(actor=outsider, alert=alert)


# --- linking a case ----------------------------------------------------------------------------


def test_linking_a_case_tells_the_customer_and_clears_the_emerging_incident(
    owner: User, customer: Customer, mail: Service
) -> None:
    case = case_open(actor=owner, customer=customer, owner=owner, subject="No mail", service=mail)
    alert = _post(owner, mail)
    area_key = f"area:{mail.pk}:{customer.service_area}"
    flag = flag_raise(kind=Flag.Kind.EMERGING_INCIDENT, subject_key=area_key, summary="Five mail cases", case=None)
    with events_written() as events:
        case_link_alert(actor=owner, case=case, alert=alert)
    assert case.linked_alerts.filter(pk=alert.pk).exists()
    event = events.one(TimelineEvent.Kind.ALERT_LINKED)
    assert event.customer_visible is True
    assert event.department == TimelineDepartment.SUPPORT
    assert event.summary == "Linked to the service alert “Mail server migration”."
    flag.refresh_from_db()
    assert flag.cleared_at is not None


def test_linking_twice_is_refused(owner: User, case: Case, mail: Service) -> None:
    alert = _post(owner, mail)
    case_link_alert(actor=owner, case=case, alert=alert)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        case_link_alert(actor=owner, case=case, alert=alert)
    assert refused.value.field == "alert"


def test_outsiders_cannot_link(
    owner: User, case: Case, other_agent: User, contractor_user: User, mail: Service
) -> None:
    alert = _post(owner, mail)
    for outsider in (other_agent, case.customer.user, contractor_user):
        with nothing_written(), pytest.raises(NotAllowed):
            case_link_alert(actor=outsider, case=case, alert=alert)


@pytest.mark.parametrize(
    ("changes", "constraint"),
    [
        ({"kind": "rumour"}, "alert_kind_valid"),
        ({"ends_at": timezone.now() - timedelta(days=9)}, "alert_ends_after_start"),
    ],
)
def test_database_refuses_invalid_alerts(owner: User, mail: Service, changes: dict, constraint: str) -> None:
    alert = _post(owner, mail)
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        ServiceAlert.objects.filter(pk=alert.pk).update(**changes)
