"""An operator sets who owns new requests and triage in the admin site, with the right permission."""

from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse

from people.models import Department, Routing, StaffProfile
from tests.admin.formdata import post_change
from tests.factories import DepartmentFactory, UserFactory, make_staff


def _operator(*codenames: str) -> Client:
    user = UserFactory(username="operator", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="people", codename__in=codenames))
    client = Client()
    client.force_login(user)
    return client


def _change_url(routing: Routing) -> str:
    return reverse("admin:people_routing_change", args=[routing.pk])


def _requests() -> Routing:
    return Routing.objects.get(purpose=Routing.Purpose.REQUESTS)


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_an_operator_with_the_permission_routes_new_requests_elsewhere(cast) -> None:
    support = DepartmentFactory(code="support", name="Support")
    manager = make_staff("support_manager", department=support, role=StaffProfile.Role.MANAGER)
    client = _operator("view_routing", "change_routing")
    page = client.get(_change_url(_requests()))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Adam Agent, Olivia Owner" in text  # who may own them now: the agents, not Marc or Hélène
    assert "team managers may own them too." in text
    response = post_change(client, _change_url(_requests()), department=str(support.pk), managers="on")
    assert response.status_code == 302
    assert (_requests().department, _requests().managers) == (support, True)
    assert Routing.objects.get(purpose=Routing.Purpose.TRIAGE).department == cast.owner.staff_profile.department
    assert "Support" in _messages(client.get(response["Location"]))[0]
    assert str(manager.get_full_name()) in client.get(_change_url(_requests())).content.decode()


def test_without_the_permission_the_routing_cannot_be_changed(cast) -> None:
    client = _operator("view_routing")
    assert client.get(_change_url(_requests())).status_code == 200
    support = DepartmentFactory(code="support")
    response = client.post(_change_url(_requests()), {"purpose": "requests", "department": support.pk, "agents": "on"})
    assert response.status_code == 403
    assert _requests().department == cast.owner.staff_profile.department
    assert _operator_without_anything().get(_change_url(_requests())).status_code == 403


def _operator_without_anything() -> Client:
    user = UserFactory(username="stranger", is_staff=True)
    client = Client()
    client.force_login(user)
    return client


def test_unticking_everyone_is_refused_and_changes_nothing(cast) -> None:
    client = _operator("view_routing", "change_routing")
    response = post_change(client, _change_url(_requests()), agents=None)
    assert response.status_code == 200
    assert "Tick at least one of agents, team managers or head of department." in response.content.decode()
    assert _requests().agents is True


def test_a_department_with_nobody_eligible_is_saved_with_a_warning(cast) -> None:
    empty: Department = DepartmentFactory(code="claims", name="Claims")
    client = _operator("view_routing", "change_routing")
    response = post_change(client, _change_url(_requests()), department=str(empty.pk))
    assert response.status_code == 302
    assert _requests().department == empty
    shown = _messages(client.get(response["Location"]))
    assert any("Nobody active in Claims may own these cases" in message for message in shown)


def test_a_purpose_has_one_routing(cast, administrator: User) -> None:
    client = Client()
    client.force_login(administrator)
    response = client.post(
        reverse("admin:people_routing_add"),
        {"purpose": "requests", "department": cast.owner.staff_profile.department.pk, "agents": "on"},
    )
    assert response.status_code == 200
    assert Routing.objects.filter(purpose="requests").count() == 1
