"""Who owns a case nobody picked an owner for: the customer's active owner first, then the
least-loaded eligible member of the department the operator chose, never nobody."""

import importlib
import logging

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from cases.services.routing import Purpose, owner_for_new_case
from people.models import Customer, Department, Routing, StaffProfile
from tests.factories import CustomerFactory, DepartmentFactory, make_case, make_staff

MANAGER = StaffProfile.Role.MANAGER


@pytest.fixture
def support(db) -> Department:
    return DepartmentFactory(code="support", name="Support")


@pytest.fixture
def newcomer(db) -> Customer:
    return CustomerFactory(full_name="Nina Newcomer")


def _route(purpose: str, department: Department, **eligible: bool) -> Routing:
    routing, _created = Routing.objects.update_or_create(
        purpose=purpose, defaults={"department": department, **eligible}
    )
    return routing


def _busy(user: User, cases: int) -> User:
    for number in range(cases):
        make_case(customer=CustomerFactory(full_name=f"Busy {user.username} {number}"), owner=user)
    return user


def test_the_least_loaded_agent_of_the_configured_department_owns_it(
    cast, support: Department, newcomer: Customer
) -> None:
    _route(Purpose.REQUESTS, support)
    busy = _busy(make_staff("busy", department=support), 2)
    light = _busy(make_staff("light", department=support), 1)
    assert owner_for_new_case(customer=newcomer, purpose=Purpose.REQUESTS) == light
    assert busy != light


def test_each_purpose_has_its_own_department(cast, support: Department, newcomer: Customer) -> None:
    support_agent = make_staff("support_agent", department=support)
    _route(Purpose.TRIAGE, support)
    assert owner_for_new_case(customer=newcomer, purpose=Purpose.TRIAGE) == support_agent
    requests = owner_for_new_case(customer=newcomer, purpose=Purpose.REQUESTS)
    assert requests.staff_profile.department == cast.owner.staff_profile.department
    assert requests.staff_profile.role == StaffProfile.Role.AGENT


def test_managers_and_heads_are_left_out_by_default(support: Department, newcomer: Customer) -> None:
    _route(Purpose.REQUESTS, support)
    head = make_staff("support_head", department=support)  # an agent by role, but the head
    support.head = head
    support.save(update_fields=["head"])
    make_staff("support_manager", department=support, role=MANAGER)
    agent = _busy(make_staff("support_agent", department=support), 3)
    assert owner_for_new_case(customer=newcomer, purpose=Purpose.REQUESTS) == agent


def test_the_head_of_another_department_is_left_out_too(support: Department, newcomer: Customer) -> None:
    _route(Purpose.REQUESTS, support)
    heads_sales = make_staff("sales_head", department=support)
    DepartmentFactory(code="sales", head=heads_sales)
    agent = _busy(make_staff("support_agent", department=support), 1)
    assert owner_for_new_case(customer=newcomer, purpose=Purpose.REQUESTS) == agent


def test_managers_take_them_when_the_operator_allows(support: Department, newcomer: Customer) -> None:
    manager = make_staff("support_manager", department=support, role=MANAGER)
    agent = _busy(make_staff("support_agent", department=support), 1)
    _route(Purpose.REQUESTS, support, managers=True)
    assert owner_for_new_case(customer=newcomer, purpose=Purpose.REQUESTS) == manager
    _busy(manager, 2)
    assert owner_for_new_case(customer=newcomer, purpose=Purpose.REQUESTS) == agent
    _route(Purpose.REQUESTS, support, agents=False, managers=True)
    assert owner_for_new_case(customer=newcomer, purpose=Purpose.REQUESTS) == manager


def test_the_head_takes_them_when_the_operator_allows(support: Department, newcomer: Customer) -> None:
    head = make_staff("support_head", department=support, role=MANAGER)
    support.head = head
    support.save(update_fields=["head"])
    _busy(make_staff("support_agent", department=support), 1)
    _route(Purpose.REQUESTS, support, managers=True)  # team managers, but the head stays out
    assert owner_for_new_case(customer=newcomer, purpose=Purpose.REQUESTS) != head
    _route(Purpose.REQUESTS, support, head=True)
    assert owner_for_new_case(customer=newcomer, purpose=Purpose.REQUESTS) == head


def test_inactive_members_are_never_picked(support: Department, newcomer: Customer) -> None:
    _route(Purpose.REQUESTS, support)
    make_staff("gone", department=support, is_active=False)
    agent = _busy(make_staff("support_agent", department=support), 2)
    assert owner_for_new_case(customer=newcomer, purpose=Purpose.REQUESTS) == agent


def test_the_customers_active_owner_keeps_priority_over_the_routing(cast, support: Department) -> None:
    make_staff("support_agent", department=support)
    _route(Purpose.REQUESTS, support)
    _route(Purpose.TRIAGE, support)
    assert owner_for_new_case(customer=cast.customer, purpose=Purpose.REQUESTS) == cast.owner
    assert owner_for_new_case(customer=cast.customer, purpose=Purpose.TRIAGE) == cast.owner


def test_nothing_configured_falls_back_to_the_least_loaded_agent_of_any_department(
    support: Department, newcomer: Customer, caplog
) -> None:
    assert not Routing.objects.exists()
    head = make_staff("support_head", department=support)
    support.head = head
    support.save(update_fields=["head"])
    make_staff("support_manager", department=support, role=MANAGER)
    _busy(make_staff("support_agent", department=support), 1)
    claims_agent = make_staff("claims_agent", department=DepartmentFactory(code="claims"))
    with caplog.at_level(logging.WARNING, logger="cases.services.routing"):
        assert owner_for_new_case(customer=newcomer, purpose=Purpose.TRIAGE) == claims_agent
    assert "No routing set for triage" in caplog.text


def test_nobody_eligible_falls_back_with_a_warning(support: Department, newcomer: Customer, caplog) -> None:
    _route(Purpose.REQUESTS, support)
    make_staff("support_manager", department=support, role=MANAGER)  # not eligible by default
    elsewhere = make_staff("claims_agent", department=DepartmentFactory(code="claims"))
    with caplog.at_level(logging.WARNING, logger="cases.services.routing"):
        assert owner_for_new_case(customer=newcomer, purpose=Purpose.REQUESTS) == elsewhere
    assert "Nobody active may own new cases for requests in Support" in caplog.text


def test_with_only_managers_and_heads_left_the_case_still_gets_an_owner(
    support: Department, newcomer: Customer
) -> None:
    head = make_staff("support_head", department=support, role=MANAGER)
    support.head = head
    support.save(update_fields=["head"])
    _route(Purpose.REQUESTS, support)
    owner = owner_for_new_case(customer=newcomer, purpose=Purpose.REQUESTS)
    assert owner == head and owner.is_active


def test_a_routing_allows_someone(support: Department) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Routing.objects.create(purpose=Purpose.REQUESTS, department=support, agents=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        Routing.objects.create(purpose="sales", department=support)
    Routing.objects.create(purpose=Purpose.REQUESTS, department=support)
    with pytest.raises(IntegrityError), transaction.atomic():
        Routing.objects.create(purpose=Purpose.REQUESTS, department=support)


# --- the seed migration ------------------------------------------------------------------------

_seed = importlib.import_module("people.migrations.0006_seed_routing").seed


def test_the_seed_routes_both_purposes_to_customer_relations_agents(db) -> None:
    relations = DepartmentFactory(code="customer-relations", name="Customer relations")
    DepartmentFactory(code="support")
    _seed(apps, None)
    rows = {r.purpose: (r.department, r.agents, r.managers, r.head) for r in Routing.objects.all()}
    assert rows == {"requests": (relations, True, False, False), "triage": (relations, True, False, False)}


def test_the_seed_leaves_a_database_without_customer_relations_unrouted(db) -> None:
    DepartmentFactory(code="support")
    _seed(apps, None)
    assert not Routing.objects.exists()
