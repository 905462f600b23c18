"""The cast every test can ask for: owner, manager, head of department, other agent,
customer, delegate, other customer, contractor user, other contractor user, administrator.

`cast` bundles them with one case of the customer (owned by `owner`) and one job on it.
"""

import importlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.test import override_settings
from django.utils import translation

from cases.models import Case
from cases.services import delegate_grant
from contractors.models import ContractorCompany, Job
from people.models import Customer, Department, Routing, StaffProfile
from tests.factories import (
    CompanyFactory,
    CustomerFactory,
    DepartmentFactory,
    UserFactory,
    make_case,
    make_contractor_user,
    make_job,
    make_staff,
)
from tests.sqlite_template import use_templates


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests sign people in with force_login, which checks no one-time code; tests/test_two_factor.py
    # turns two-step sign-in back on and drives it through its pages.
    settings.TWO_FACTOR_ENFORCED = False


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """On PostgreSQL, STEWARD_TEST_DATABASE_TEMPLATE names a database that already holds the
    migrated schema (CI migrates `steward` before the suite): each test process copies it with
    CREATE DATABASE … TEMPLATE instead of running every migration again, and then migrates only
    what the template lacks. On SQLite the first process saves its migrated schema and the
    others copy it (tests/sqlite_template.py)."""
    use_templates("default", clock_day=a_plain_working_morning(datetime.now(UTC)).date().isoformat())
    template = os.environ.get("STEWARD_TEST_DATABASE_TEMPLATE", "")
    database = django_settings.DATABASES["default"]
    if template and database["ENGINE"] == "django.db.backends.postgresql":
        _refuse_a_template_with_data(database, template)
        database.setdefault("TEST", {})["TEMPLATE"] = template


def _refuse_a_template_with_data(database: dict, template: str) -> None:
    """A copied database starts with the template's rows: tests written for an empty database
    would fail in ways that point nowhere near the cause."""
    import psycopg

    with psycopg.connect(
        host=database["HOST"],
        port=database["PORT"] or 5432,
        user=database["USER"],
        password=database["PASSWORD"],
        dbname=template,
        connect_timeout=5,
    ) as connection:
        users = connection.execute("SELECT count(*) FROM auth_user").fetchone()[0]
    if users:
        pytest.exit(
            f"STEWARD_TEST_DATABASE_TEMPLATE={template} holds {users} user(s): the template must be a "
            "database that was only migrated. Unset it, or migrate a new, empty database.",
            returncode=4,
        )


def a_plain_working_morning(after: datetime) -> datetime:
    """Tuesday 09:30 in Paris of the first week after `after` whose weekdays are all working
    days in France (the departments' default calendar)."""
    paris = ZoneInfo("Europe/Paris")
    day = after.astimezone(paris).date() + timedelta(days=1)
    french = holidays.country_holidays("FR", years=range(day.year, day.year + 2))
    while True:
        monday = day + timedelta(days=(7 - day.weekday()) % 7)
        if not any(monday + timedelta(days=offset) in french for offset in range(5)):
            return datetime.combine(monday + timedelta(days=1), time(9, 30), tzinfo=paris)
        day = monday + timedelta(days=7)


@pytest.fixture(scope="session", autouse=True)
def _a_working_morning():
    """The suite runs on a Tuesday morning of an ordinary week, whenever it is started: deadlines
    count working hours (nights, weekends and holidays do not count), so a test written on a
    weekday must not fail on Saturday. The clock ticks from there; a test that needs another
    moment travels to it."""
    with time_machine.travel(a_plain_working_morning(datetime.now(UTC)), tick=True):
        yield


def _redis_cache() -> bool:
    return django_settings.CACHES["default"]["BACKEND"].endswith("RedisCache")


@pytest.fixture(scope="session", autouse=True)
def _cache_of_this_process():
    """With Redis (the production leg) the parallel test processes share one cache: each gets its
    own key prefix, for the whole session (every thread, the live server's included)."""
    if not _redis_cache():
        yield
        return
    prefix = f"test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    default = django_settings.CACHES["default"]
    with override_settings(CACHES={"default": {**default, "KEY_PREFIX": prefix}}):
        yield


@pytest.fixture(autouse=True)
def _empty_cache(_cache_of_this_process):
    """Each test starts with an empty cache: a cached value outlives the test's rolled-back
    transaction, and one test's (the webhook kinds nobody wanted, a digest marker) would steer
    the next. With Redis only this process's keys are removed."""
    from django.core.cache import cache

    if not _redis_cache():
        cache.clear()
        return
    prefix = django_settings.CACHES["default"]["KEY_PREFIX"]
    client = cache._cache.get_client(write=True)
    stale = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if stale:
        client.delete(*stale)


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a service or view that activates a reader's
    language (French) must not leak it into the next test the same process runs."""
    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


# The data migrations that write beat's schedule rows.
SCHEDULE_MIGRATIONS = (
    "cases.migrations.0004_watcher_schedule",
    "cases.migrations.0018_handoff_watcher_schedule",
    "cases.migrations.0020_retention_schedule",
    "cases.migrations.0022_alert_telling_pending",
    "cases.migrations.0025_attention_watcher_schedule",
    "correspondence.migrations.0002_outbox_schedule",
    "correspondence.migrations.0003_mailbox_schedule",
    "webhooks.migrations.0002_delivery_schedule",
)


@pytest.fixture
def beat_schedule(db) -> None:
    """Beat's schedule as the data migrations write it, written afresh for this test.

    A transactional test earlier in the same process flushes every table, migration rows
    included, so a test must not count on rows the migrations left behind. Each migration's
    function is idempotent (get_or_create), so running them again is what `migrate` does."""
    from django.apps import apps

    for name in SCHEDULE_MIGRATIONS:
        importlib.import_module(name).create_schedule(apps, None)


@pytest.fixture
def department(db) -> Department:
    """Customer relations, whose agents take new requests and triage, as the seed migration sets
    up in a database that has the department (the test database is migrated empty)."""
    department = DepartmentFactory(code="customer-relations", name="Customer relations")
    for purpose in Routing.Purpose:
        Routing.objects.get_or_create(purpose=purpose, defaults={"department": department})
    return department


@pytest.fixture
def head(department: Department) -> User:
    user = make_staff(
        "head", department=department, role=StaffProfile.Role.MANAGER, first_name="Hélène", last_name="Head"
    )
    department.head = user
    department.save(update_fields=["head"])
    return user


@pytest.fixture
def manager(department: Department, head: User) -> User:
    return make_staff(
        "manager",
        department=department,
        manager=head,
        role=StaffProfile.Role.MANAGER,
        first_name="Marc",
        last_name="Manager",
    )


@pytest.fixture
def owner(department: Department, manager: User) -> User:
    return make_staff("owner", department=department, manager=manager, first_name="Olivia", last_name="Owner")


@pytest.fixture
def other_agent(department: Department, manager: User) -> User:
    return make_staff("agent2", department=department, manager=manager, first_name="Adam", last_name="Agent")


@pytest.fixture
def customer(db) -> Customer:
    user = UserFactory(username="customer", first_name="Jeanne", last_name="Martin")
    return CustomerFactory(user=user, full_name="Jeanne Martin", vulnerability_notes="89 years old")


@pytest.fixture
def other_customer(db) -> Customer:
    user = UserFactory(username="other_customer", first_name="Omar", last_name="Other")
    return CustomerFactory(user=user, full_name="Omar Other")


@pytest.fixture
def case(customer: Customer, owner: User) -> Case:
    return make_case(customer=customer, owner=owner, subject="Fibre installation")


@pytest.fixture
def other_case(other_customer: Customer, other_agent: User) -> Case:
    return make_case(customer=other_customer, owner=other_agent, subject="Mail outage")


@pytest.fixture
def delegate(customer: Customer, case: Case, owner: User) -> User:
    user = UserFactory(username="delegate", first_name="Paul", last_name="Martin")
    delegate_grant(actor=owner, customer=customer, user=user, relationship="son")
    return user


@pytest.fixture
def company(db) -> ContractorCompany:
    return CompanyFactory(name="FibreCo Installations")


@pytest.fixture
def other_company(db) -> ContractorCompany:
    return CompanyFactory(name="Other Works")


@pytest.fixture
def contractor_user(company: ContractorCompany) -> User:
    return make_contractor_user(company, "tech")


@pytest.fixture
def other_contractor_user(other_company: ContractorCompany) -> User:
    return make_contractor_user(other_company, "other_tech")


@pytest.fixture
def job(case: Case, company: ContractorCompany, owner: User) -> Job:
    return make_job(
        case=case,
        company=company,
        actor=owner,
        prerequisites=(("Operator connection at the street cabinet", "operator"),),
    )


@pytest.fixture
def administrator(db) -> User:
    return User.objects.create_superuser("admin", "admin@example.test", "steward-test-pass-1")


@dataclass
class Cast:
    owner: User
    manager: User
    head: User
    other_agent: User
    customer: Customer
    delegate: User
    other_customer: Customer
    contractor_user: User
    other_contractor_user: User
    administrator: User
    case: Case
    other_case: Case
    job: Job


@pytest.fixture
def cast(
    owner,
    manager,
    head,
    other_agent,
    customer,
    delegate,
    other_customer,
    contractor_user,
    other_contractor_user,
    administrator,
    case,
    other_case,
    job,
) -> Cast:
    return Cast(
        owner,
        manager,
        head,
        other_agent,
        customer,
        delegate,
        other_customer,
        contractor_user,
        other_contractor_user,
        administrator,
        case,
        other_case,
        job,
    )
