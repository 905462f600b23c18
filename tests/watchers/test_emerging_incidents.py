from datetime import timedelta

import pytest

from cases.models import Case, Flag
from cases.services import case_link_alert
from cases.services.flags import flag_dismiss
from cases.watchers import watch_emerging_incidents
from people.models import Service
from portal.errors import NotAllowed, RuleViolation
from tests.factories import CustomerFactory, ServiceAlertFactory, ServiceFactory, make_case
from tests.watchers.conftest import open_flags

EMERGING = Flag.Kind.EMERGING_INCIDENT


@pytest.fixture(autouse=True)
def _three_in_two_hours(settings):
    settings.EMERGING_INCIDENT_CASES = 3
    settings.EMERGING_INCIDENT_WINDOW_MINUTES = 120


@pytest.fixture
def mail_service(db) -> Service:
    return ServiceFactory(code="mail", name="E-mail")


def _report(owner: object, service: Service, area: str = "69003") -> Case:
    customer = CustomerFactory(service_area=area)
    return make_case(customer=customer, owner=owner, subject="I cannot send e-mail", service=service)


def test_three_new_cases_in_one_service_and_area_raise_one_flag_on_the_latest(owner, other_agent, mail_service, clock):
    _report(owner, mail_service)
    clock.advance(minutes=20)
    _report(owner, mail_service)
    assert watch_emerging_incidents(now=clock.now).raised == 0  # two are not yet a pattern
    clock.advance(minutes=20)
    latest = _report(other_agent, mail_service)

    assert watch_emerging_incidents(now=clock.now + timedelta(minutes=1)).raised == 1
    [flag] = open_flags(EMERGING)
    assert flag.subject_key == f"area:{mail_service.pk}:69003"
    assert (flag.case, flag.assignee) == (latest, other_agent)
    assert "3 new cases" in flag.summary and "E-mail" in flag.summary
    assert watch_emerging_incidents(now=clock.now + timedelta(minutes=2)).raised == 0  # once


def test_cases_spread_out_or_in_different_areas_are_not_a_pattern(owner, mail_service, clock):
    _report(owner, mail_service, area="69003")
    _report(owner, mail_service, area="69007")
    _report(owner, mail_service, area="75011")
    clock.advance(hours=3)
    _report(owner, mail_service, area="69003")
    clock.advance(hours=3)
    _report(owner, mail_service, area="69003")

    assert watch_emerging_incidents(now=clock.now + timedelta(minutes=1)).raised == 0


def test_a_burst_while_the_watcher_was_down_is_still_seen(owner, mail_service, clock):
    watch_emerging_incidents(now=clock.now)
    clock.advance(hours=5)
    for _ in range(3):
        _report(owner, mail_service)
        clock.advance(minutes=10)

    assert watch_emerging_incidents(now=clock.now + timedelta(hours=6)).raised == 1


def test_linking_a_case_to_a_service_alert_clears_it_and_a_running_alert_keeps_it_quiet(owner, mail_service, clock):
    cases = [_report(owner, mail_service) for _ in range(3)]
    watch_emerging_incidents(now=clock.now + timedelta(minutes=1))
    alert = ServiceAlertFactory(
        service=mail_service, area="69003", title="Mail server migration", starts_at=clock.now - timedelta(hours=1)
    )

    case_link_alert(actor=owner, case=cases[-1], alert=alert)
    assert open_flags(EMERGING) == []

    clock.advance(minutes=5)
    for _ in range(3):
        _report(owner, mail_service)
    assert watch_emerging_incidents(now=clock.now + timedelta(minutes=1)).raised == 0


def test_dismissed_flag_stays_dismissed_until_a_new_burst(owner, manager, mail_service, clock):
    for _ in range(3):
        _report(owner, mail_service)
    watch_emerging_incidents(now=clock.now + timedelta(minutes=1))
    [flag] = open_flags(EMERGING)

    clock.advance(minutes=2)
    flag_dismiss(flag=flag, actor=manager, note="Three neighbours with the same old router; not an outage")
    flag.refresh_from_db()
    assert flag.cleared_at is not None and flag.clear_note.startswith("dismissed:")

    clock.advance(minutes=1)
    assert watch_emerging_incidents(now=clock.now).raised == 0
    for _ in range(3):
        clock.advance(minutes=1)
        _report(owner, mail_service)
    assert watch_emerging_incidents(now=clock.now + timedelta(minutes=1)).raised == 1


def test_only_emerging_incidents_can_be_dismissed_and_only_by_someone_concerned(owner, mail_service, customer, clock):
    for _ in range(3):
        _report(owner, mail_service)
    watch_emerging_incidents(now=clock.now + timedelta(minutes=1))
    [flag] = open_flags(EMERGING)

    with pytest.raises(NotAllowed):
        flag_dismiss(flag=flag, actor=customer.user, note="Nothing to see")
    with pytest.raises(RuleViolation):
        flag_dismiss(flag=flag, actor=owner, note="  ")
    other = Flag.objects.create(
        kind=Flag.Kind.STALE_PROMISE, subject_key="promise:0", summary="x", case=flag.case, raised_at=clock.now
    )
    with pytest.raises(RuleViolation):
        flag_dismiss(flag=other, actor=owner, note="Not needed")
