"""Rule: only a real manager (the manager role) of the person, or an administrator, deactivates a
staff account. Being recorded as someone's manager, or as head of their department, without the
manager role is not enough: the policy and the service both refuse, and nothing is written."""

import pytest
from django.contrib.auth.models import User

from cases.policies import can_deactivate_staff
from cases.services import staff_deactivate
from people.models import Department, StaffProfile
from portal.errors import NotAllowed
from tests.cases.dbstate import nothing_written
from tests.factories import make_staff


@pytest.fixture
def team_lead_agent(department: Department) -> User:
    """An agent who leads a colleague day to day and is recorded as their manager."""
    return make_staff("lead", department=department, role=StaffProfile.Role.AGENT)


@pytest.fixture
def report(department: Department, head: User, team_lead_agent: User) -> User:
    """Owns no open case, so only the actor's right decides."""
    return make_staff("report", department=department, manager=team_lead_agent)


def test_an_agent_recorded_as_manager_cannot_deactivate(team_lead_agent: User, report: User) -> None:
    assert report.staff_profile.manager_id == team_lead_agent.pk
    assert can_deactivate_staff(team_lead_agent, report) is False
    with nothing_written(), pytest.raises(NotAllowed):
        staff_deactivate(actor=team_lead_agent, user=report)
    report.refresh_from_db()
    assert report.is_active


def test_an_agent_recorded_as_head_of_department_cannot_deactivate(report: User) -> None:
    agent_head = make_staff("agent_head", role=StaffProfile.Role.AGENT)
    agent_department = agent_head.staff_profile.department
    agent_department.head = agent_head
    agent_department.save(update_fields=["head"])
    StaffProfile.objects.filter(user=report).update(department=agent_department, manager=None)
    report = User.objects.select_related("staff_profile__department").get(pk=report.pk)

    assert can_deactivate_staff(agent_head, report) is False
    with nothing_written(), pytest.raises(NotAllowed):
        staff_deactivate(actor=agent_head, user=report)


def test_the_same_link_with_the_manager_role_may_deactivate(team_lead_agent: User, report: User) -> None:
    StaffProfile.objects.filter(user=team_lead_agent).update(role=StaffProfile.Role.MANAGER)
    lead = User.objects.select_related("staff_profile").get(pk=team_lead_agent.pk)
    assert can_deactivate_staff(lead, report) is True
    staff_deactivate(actor=lead, user=report)
    report.refresh_from_db()
    assert report.is_active is False


def test_a_manager_who_is_not_theirs_cannot_deactivate(manager: User, report: User) -> None:
    """The manager role alone is not enough either: it must be the person's own manager or head."""
    assert report.staff_profile.manager_id != manager.pk
    assert report.staff_profile.department.head_id != manager.pk
    with nothing_written(), pytest.raises(NotAllowed):
        staff_deactivate(actor=manager, user=report)


def test_an_administrator_may_deactivate(administrator: User, report: User) -> None:
    staff_deactivate(actor=administrator, user=report)
    report.refresh_from_db()
    assert report.is_active is False
