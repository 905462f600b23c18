"""Outage and maintenance notices reach the affected customers in the way each prefers: once when
posted, once per change they would notice, once at the end; never twice."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail as sent_mail
from django.utils import timezone

from cases.models import Case, Promise, ServiceAlert
from cases.services import alert_end, alert_post, alert_update
from cases.services.alerts import POSTED, UPDATED, alert_tell
from correspondence.models import CustomerNotice
from people.models import Customer, Service
from tests.cases.steps import close_by_confirmation
from tests.factories import CustomerFactory, ServiceFactory, make_case

Channel = CustomerNotice.Channel


@pytest.fixture
def mail(db: None) -> Service:
    return ServiceFactory(code="mail", name="E-mail")


@pytest.fixture
def affected(case: Case, other_case: Case, mail: Service) -> list[Case]:
    """Jeanne and Omar hold the mail service in 69003, each with an open case."""
    for customer in (case.customer, other_case.customer):
        customer.services.add(mail)
    return [case, other_case]


@pytest.fixture
def run_tasks(django_capture_on_commit_callbacks):
    """Run what a change queues after its commit (cases.tell_alert), as a worker would."""

    def run(change, **arguments):
        with django_capture_on_commit_callbacks(execute=True):
            return change(**arguments)

    return run


def _post(run_tasks, actor: User, service: Service, **overrides: object) -> ServiceAlert:
    arguments = {
        "actor": actor,
        "service": service,
        "kind": ServiceAlert.Kind.OUTAGE,
        "title": "Mail server down",
        "starts_at": timezone.now() - timedelta(minutes=30),
        "area": "69003",
        **overrides,
    }
    return run_tasks(alert_post, **arguments)


def _told(alert: ServiceAlert, key_end: str = "") -> list[str]:
    notices = CustomerNotice.objects.filter(subject_key=f"alert:{alert.pk}{key_end}", is_copy=False)
    return sorted(notices.values_list("recipient_name", flat=True))


def test_posting_tells_each_affected_customer_once(run_tasks, owner: User, affected: list[Case], mail: Service) -> None:
    elsewhere = CustomerFactory(full_name="Eric Elsewhere", service_area="75001")
    elsewhere.services.add(mail)
    make_case(customer=elsewhere, owner=owner, subject="No mail")
    not_a_holder = make_case(customer=CustomerFactory(full_name="Nina Nomail"), owner=owner, subject="Router")
    make_case(customer=affected[0].customer, owner=owner, subject="Second open case")

    alert = _post(run_tasks, owner, mail)

    assert _told(alert) == ["Jeanne Martin", "Omar Other"]
    assert not CustomerNotice.objects.filter(case=not_a_holder).exists()
    assert all(n.subject == "Service notice: Mail server down" for n in CustomerNotice.objects.all())


def test_customers_without_an_open_case_are_not_told(
    run_tasks, owner: User, affected: list[Case], mail: Service
) -> None:
    close_by_confirmation(affected[1], affected[1].owner)  # Omar's only case
    no_case = CustomerFactory(full_name="Nadia Nocase")
    no_case.services.add(mail)
    alert = _post(run_tasks, owner, mail)
    assert _told(alert) == ["Jeanne Martin"]


def test_a_change_customers_would_notice_is_told_once(
    run_tasks, owner: User, affected: list[Case], mail: Service
) -> None:
    alert = _post(run_tasks, owner, mail)
    later = timezone.now() + timedelta(hours=3)

    alert = run_tasks(alert_update, actor=owner, alert=alert, ends_at=later, description="Disk replaced at 3 pm")

    assert alert.revision == 1
    assert _told(alert, ":update:1") == ["Jeanne Martin", "Omar Other"]
    notice = CustomerNotice.objects.filter(subject_key=f"alert:{alert.pk}:update:1").first()
    assert notice.subject == "Service notice changed: Mail server down"
    assert "has changed" in notice.text and "Disk replaced at 3 pm" in notice.text
    # A second change is a second telling, once again.
    run_tasks(alert_update, actor=owner, alert=alert, title="Mail server being replaced")
    assert _told(alert, ":update:2") == ["Jeanne Martin", "Omar Other"]


def test_saving_again_without_a_change_tells_nobody(
    run_tasks, owner: User, affected: list[Case], mail: Service
) -> None:
    alert = _post(run_tasks, owner, mail, description="Disk failure")
    before = CustomerNotice.objects.count()
    # What the edit form sends back: the same values, the moments to the minute, the area as typed.
    same = {
        "title": " Mail server down ",
        "description": "Disk failure",
        "kind": alert.kind,
        "starts_at": alert.starts_at.replace(second=0, microsecond=0),
        "ends_at": None,
        "area": "69003 ",
        "service": mail,
    }
    alert = run_tasks(alert_update, actor=owner, alert=alert, **same)
    assert alert.revision == 0
    assert CustomerNotice.objects.count() == before


def test_the_end_is_told_once(run_tasks, owner: User, affected: list[Case], mail: Service) -> None:
    alert = _post(run_tasks, owner, mail)
    alert = run_tasks(alert_end, actor=owner, alert=alert)
    assert _told(alert, ":end") == ["Jeanne Martin", "Omar Other"]
    notice = CustomerNotice.objects.filter(subject_key=f"alert:{alert.pk}:end").first()
    assert notice.subject == "Service notice ended: Mail server down" and "It is over" in notice.text
    # Ending again, or editing an ended alert, tells nobody anything more.
    before = CustomerNotice.objects.count()
    run_tasks(alert_end, actor=owner, alert=alert)
    run_tasks(alert_update, actor=owner, alert=alert, title="Mail server was down")
    assert CustomerNotice.objects.count() == before


def test_an_end_set_in_the_past_by_an_edit_is_told_as_the_end(
    run_tasks, owner: User, affected: list[Case], mail: Service
) -> None:
    alert = _post(run_tasks, owner, mail)
    alert = run_tasks(alert_update, actor=owner, alert=alert, ends_at=timezone.now() - timedelta(minutes=1))
    assert _told(alert, ":end") == ["Jeanne Martin", "Omar Other"]
    assert not CustomerNotice.objects.filter(subject_key__contains=":update:").exists()


def test_a_new_area_reaches_the_new_customers_and_those_told_before(
    run_tasks, owner: User, affected: list[Case], mail: Service
) -> None:
    alert = _post(run_tasks, owner, mail)
    lyon_7 = CustomerFactory(full_name="Louis Lyon", service_area="69007")
    lyon_7.services.add(mail)
    make_case(customer=lyon_7, owner=owner, subject="No mail")
    alert = run_tasks(alert_update, actor=owner, alert=alert, area="69007")
    # Jeanne and Omar heard of it: they hear it no longer concerns their area.
    assert _told(alert, ":update:1") == ["Jeanne Martin", "Louis Lyon", "Omar Other"]


def test_a_run_again_tells_nobody_twice(run_tasks, owner: User, affected: list[Case], mail: Service) -> None:
    alert = _post(run_tasks, owner, mail)
    assert alert_tell(alert_id=alert.pk, telling=POSTED, revision=0) == 0
    alert = run_tasks(alert_update, actor=owner, alert=alert, title="Mail server being replaced")
    # The message of an earlier change arriving late: the later change told them already.
    assert alert_tell(alert_id=alert.pk, telling=UPDATED, revision=0) == 0
    assert CustomerNotice.objects.filter(is_copy=False).count() == 4


def test_each_customer_is_told_in_their_channel(run_tasks, owner: User, affected: list[Case], mail: Service) -> None:
    by_phone = CustomerFactory(full_name="Paula Phone", preferred_channel=Customer.Channel.PHONE)
    by_portal = CustomerFactory(full_name="Pierre Portal", preferred_channel=Customer.Channel.PORTAL)
    for customer in (by_phone, by_portal):
        customer.services.add(mail)
        make_case(customer=customer, owner=owner, subject="No mail")
    sent_mail.outbox.clear()

    alert = _post(run_tasks, owner, mail)
    run_tasks(alert_end, actor=owner, alert=alert)

    channels = {
        (notice.recipient_name, notice.subject_key.rsplit(":", 1)[-1]): notice.channel
        for notice in CustomerNotice.objects.filter(is_copy=False)
    }
    assert channels[("Jeanne Martin", str(alert.pk))] == Channel.EMAIL
    assert channels[("Paula Phone", str(alert.pk))] == Channel.CALL_TASK
    assert channels[("Pierre Portal", str(alert.pk))] == Channel.PORTAL_NOTICE
    assert channels[("Paula Phone", "end")] == Channel.CALL_TASK
    calls = Promise.objects.filter(kind=Promise.Kind.CALL_TASK, owed_to_name="Paula Phone")
    assert calls.count() == 2 and all(call.made_by == owner for call in calls)


def test_a_telling_whose_task_was_lost_is_run_by_the_sweep(owner: User, affected: list[Case], mail: Service) -> None:
    """Posted while no worker ran the after-commit task (the callbacks are dropped here): the
    alert keeps the telling pending, and the sweep runs it once it is overdue, and only once."""
    from cases.services.alerts import TELLING_LOST_AFTER, alerts_tell_pending

    alert = alert_post(
        actor=owner,
        service=mail,
        kind=ServiceAlert.Kind.OUTAGE,
        title="Mail server down",
        starts_at=timezone.now() - timedelta(minutes=30),
        area="69003",
    )
    alert.refresh_from_db()
    assert alert.telling_pending == POSTED
    assert not _told(alert)
    assert alerts_tell_pending() == 0  # not yet overdue: its task may still be on the way

    later = timezone.now() + TELLING_LOST_AFTER + timedelta(seconds=1)
    assert alerts_tell_pending(now=later) == 2
    assert len(_told(alert)) == 2
    alert.refresh_from_db()
    assert (alert.telling_pending, alert.telling_queued_at) == ("", None)
    assert alerts_tell_pending(now=later) == 0


def test_a_finished_telling_is_no_longer_pending(run_tasks, owner: User, affected: list[Case], mail: Service) -> None:
    alert = _post(run_tasks, owner, mail)
    alert.refresh_from_db()
    assert alert.telling_pending == ""
    assert len(_told(alert)) == 2


def test_beat_runs_the_sweep_of_lost_tellings(beat_schedule) -> None:
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="cases.tell_pending_alerts")
    assert (task.interval.every, task.interval.period, task.enabled) == (1, "minutes", True)
