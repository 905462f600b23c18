"""Fixtures for the customer pages: signed-in clients for the customer, her delegate and
another customer, and a per-case delegate who was granted one case only."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from cases.models import Case
from cases.services import delegate_grant
from people.models import Customer
from tests.factories import UserFactory, make_case


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def customer_client(customer: Customer) -> Client:
    return signed_in(customer.user)


@pytest.fixture
def delegate_client(delegate: User) -> Client:
    return signed_in(delegate)


@pytest.fixture
def other_client(other_customer: Customer) -> Client:
    return signed_in(other_customer.user)


@pytest.fixture
def second_case(customer: Customer, owner: User) -> Case:
    """Another case of the same customer: a per-case delegate must not see it."""
    return make_case(customer=customer, owner=owner, subject="Landline crackles")


@pytest.fixture
def carer(customer: Customer, case: Case, second_case: Case, owner: User) -> User:
    """A carer granted the first case only."""
    user = UserFactory(username="carer", first_name="Claude", last_name="Carer")
    delegate_grant(actor=owner, customer=customer, user=user, relationship="carer", cases=[case])
    return user
