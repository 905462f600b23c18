"""A small, hand-built history for the reports: two teams of one department and one agent of
another, with replies, promises, flags, a handoff, resolutions, surveys, cancellations and an
incident, made through the services and then moved back in time where a duration matters."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.utils import timezone

from cases.models import Case, Flag, Handoff, Message, Promise
from cases.services import (
    case_confirm,
    case_handoff,
    case_reject_resolution,
    case_resolve,
    flag_raise,
    handoff_acknowledge,
    message_receive,
    message_reply,
    promise_break,
    promise_keep,
    promise_make,
    promise_withdraw,
    survey_submit,
)
from contractors.services import incident_report, job_cancel
from people.models import StaffProfile
from tests.conftest import Cast
from tests.factories import CustomerFactory, DepartmentFactory, ServiceFactory, UserFactory, make_case, make_staff


@dataclass
class History:
    cast: Cast
    now: datetime
    second_manager: User
    second_team_agent: User
    far_agent: User
    late_case: Case
    far_case: Case


def _customer(name: str) -> tuple:
    user = UserFactory(username=name.lower().replace(" ", "_"))
    return user, CustomerFactory(user=user, full_name=name)


def _ago(now: datetime, hours: float) -> datetime:
    return now - timedelta(hours=hours)


def _received(
    case: Case, *, at: datetime, answered_after: float | None, by: User, past_deadline: bool = False
) -> Message:
    """A customer message received at `at`, answered `answered_after` hours later (or not yet).

    `past_deadline`: the reply is sent ten days later, well after the case's reply deadline
    (a working day or three), so the reply service itself stores it as late; the moments are
    then moved back to `at` like the others."""
    message = message_receive(actor=case.customer.user, case=case, body="Where is my technician?")
    if answered_after is not None:
        if past_deadline:
            with time_machine.travel(timezone.now() + timedelta(days=10)):
                message_reply(actor=by, case=case, body="Tomorrow morning.")
        else:
            message_reply(actor=by, case=case, body="Tomorrow morning.")
        Message.objects.filter(pk=message.pk).update(created_at=at, answered_at=at + timedelta(hours=answered_after))
    else:
        Message.objects.filter(pk=message.pk).update(created_at=at)
    return message


@pytest.fixture
def history(cast: Cast) -> History:
    now = timezone.now()
    owner, head = cast.owner, cast.head
    department = owner.staff_profile.department
    fibre = ServiceFactory(code="fibre", name="Fibre")
    second_manager = make_staff(
        "manager2", department=department, manager=head, role=StaffProfile.Role.MANAGER, first_name="Mona"
    )
    second_team_agent = make_staff("agent3", department=department, manager=second_manager, first_name="Zoé")
    elsewhere = DepartmentFactory(code="field", name="Field operations")
    far_agent = make_staff("far", department=elsewhere, first_name="Farid")

    case = cast.case
    case.service = fibre
    case.save(update_fields=["service"])
    # Replies: 2 h, 5 h (after the reply deadline, and flagged by the watcher), 9 h, and one still waiting.
    _received(case, at=_ago(now, 60), answered_after=2, by=owner)
    late_at = _ago(now, 50)
    _received(case, at=late_at, answered_after=5, by=owner, past_deadline=True)
    flag = flag_raise(
        kind=Flag.Kind.UNANSWERED_MESSAGE, subject_key=f"case:{case.pk}", case=case, summary="Reply late", now=now
    )
    Flag.objects.filter(pk=flag.pk).update(
        raised_at=late_at + timedelta(hours=4), cleared_at=late_at + timedelta(hours=5), level=2
    )
    _received(case, at=_ago(now, 30), answered_after=9, by=owner)
    _received(case, at=_ago(now, 3), answered_after=None, by=owner)

    # Promises: kept on time, kept late, broken, open past due, withdrawn, open not yet due.
    def promise(text: str, due_in_hours: float) -> Promise:
        made = promise_make(actor=owner, case=case, text=text, due_at=now + timedelta(hours=1))
        Promise.objects.filter(pk=made.pk).update(due_at=now + timedelta(hours=due_in_hours))
        made.refresh_from_db()
        return made

    promise_keep(actor=owner, promise=promise("Call back today", 5))
    kept_late = promise_keep(actor=owner, promise=promise("Send the form", 5))
    Promise.objects.filter(pk=kept_late.pk).update(due_at=now - timedelta(hours=2))
    promise_break(actor=owner, promise=promise("Visit Monday", 5), note="Technician ill")
    promise("Refund by Friday", -24)
    promise_withdraw(actor=owner, promise=promise("Courtesy call", 5), note="Customer declined")
    promise("Check the line", 48)

    # The colleague's case: handed to the owner, acknowledged three hours later; resolved, rejected,
    # resolved again and confirmed, with a survey.
    other = cast.other_case
    other.service = fibre
    other.save(update_fields=["service"])
    handoff = case_handoff(actor=cast.other_agent, case=other, to_user=owner, reason="Holiday", summary="Line test.")
    handoff_acknowledge(actor=owner, handoff=handoff)
    Handoff.objects.filter(pk=handoff.pk).update(
        created_at=_ago(now, 10), acknowledged_at=_ago(now, 7), acknowledge_due_at=None
    )
    other.refresh_from_db()
    case_resolve(actor=owner, case=other, summary="Line repaired.")
    case_reject_resolution(actor=cast.other_customer.user, case=other, reason="Still no dial tone")
    case_resolve(actor=owner, case=other, summary="Socket replaced.")
    case_confirm(actor=cast.other_customer.user, case=other)
    survey_submit(actor=cast.other_customer.user, case=other, score=4)

    # Contractor: the cast's job cancelled for a missing prerequisite, and damage on site.
    job_cancel(actor=cast.contractor_user, job=cast.job, reason="prerequisite_missing")
    incident_report(
        actor=cast.contractor_user, job=cast.job, what="Drilled a pipe", location="Kitchen", affects_water=True
    )

    # The other team of the department, and another department: outside the manager's report.
    _user, second_customer = _customer("Sacha Second")
    second_case = make_case(customer=second_customer, owner=second_team_agent, subject="Router")
    promise_break(
        actor=second_team_agent,
        promise=promise_make(
            actor=second_team_agent, case=second_case, text="Ship a router", due_at=now + timedelta(hours=1)
        ),
        note="Out of stock",
    )
    far_user, far_customer = _customer("Fanny Far")
    far_case = make_case(customer=far_customer, owner=far_agent, subject="Heating")
    _received(far_case, at=_ago(now, 20), answered_after=1, by=far_agent)
    case_resolve(actor=far_agent, case=far_case, summary="Boiler fixed.")
    case_confirm(actor=far_user, case=far_case)
    survey_submit(actor=far_user, case=far_case, score=1)
    return History(
        cast=cast,
        now=now,
        second_manager=second_manager,
        second_team_agent=second_team_agent,
        far_agent=far_agent,
        late_case=case,
        far_case=far_case,
    )
