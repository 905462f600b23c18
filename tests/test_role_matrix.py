"""The role matrix: every URL of the project, asked for by every role, answers as its row says.

The table lives in tests/role_matrix.py. The first tests here compare it with the URL resolver:
a URL without a row (a new view nobody decided the access of) fails the suite, and so does a
row for a URL that no longer exists.

The cast and one record of every kind are built once for the module inside a transaction that
is rolled back at the end; each test runs in its own savepoint, so a POST that gets through
(as the administrator's do) is undone before the next test.
"""

from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.db import connection, transaction
from django.db.models import Model
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import reverse
from pytest_django import DjangoDbBlocker

from cases.models import Case, CaseGroupObjectPermission, CaseUserObjectPermission
from contractors.models import JobGroupObjectPermission, JobUserObjectPermission
from people.models import CustomerGroupObjectPermission, CustomerUserObjectPermission, Delegate
from tests.role_matrix import (
    ROLES,
    Outcome,
    Row,
    World,
    build_world,
    matrix,
    resolver_keys,
    url_exists,
)

# Every test here shares the module's world, so none may be reordered away from the others.
pytestmark = pytest.mark.django_db

MATRIX = matrix()
OUTSIDERS = [role for role in ROLES if role != "administrator"]

# Rows every refused POST must leave as they were, besides the record the row is about.
WATCHED = (
    User,
    Group,
    Delegate,
    CaseUserObjectPermission,
    CaseGroupObjectPermission,
    CustomerUserObjectPermission,
    CustomerGroupObjectPermission,
    JobUserObjectPermission,
    JobGroupObjectPermission,
)


@pytest.fixture(scope="module")
def world(
    django_db_setup: None, django_db_blocker: DjangoDbBlocker, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    # The same settings the conftest gives every test, for the records built here once.
    quiet = override_settings(
        MEDIA_ROOT=tmp_path_factory.mktemp("matrix-media"),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        CELERY_TASK_ALWAYS_EAGER=True,
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        # Sessions come from force_login, which types no one-time code (tests/test_two_factor.py).
        TWO_FACTOR_ENFORCED=False,
    )
    with django_db_blocker.unblock(), quiet, transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _media_in_tmp(world: World) -> None:
    """Replaces the conftest's per-test settings here: `world` keeps the same ones in force for
    the whole module, and a media folder for each of the matrix's thousands of tests costs more
    than the requests themselves."""


# --- the matrix covers the project's URLs ----------------------------------------------


def test_every_url_has_a_matrix_row() -> None:
    routes = resolver_keys()
    missing = sorted(set(routes) - set(MATRIX))
    assert not missing, "URLs without a row in tests/role_matrix.py (decide who may use them):\n" + "\n".join(
        f"  {key}  ({routes[key]})" for key in missing
    )


def test_every_matrix_row_is_a_url() -> None:
    stale = sorted(set(MATRIX) - set(resolver_keys()))
    assert not stale, f"Matrix rows for URLs that no longer exist: {stale}"


def test_every_admin_model_has_a_record_to_open(world: World) -> None:
    for model in admin.site._registry:
        assert world.first_row(model).pk is not None


# --- each (URL, role) -------------------------------------------------------------------


def _sign_in_paths() -> set[str]:
    return {reverse(name) for name in ("login", "admin:login") if url_exists(name)}


def _target(to: str) -> str:
    return to if to.startswith("/") else reverse(to)


def _answer(response: HttpResponse) -> str:
    location = response.get("Location")
    return f"{response.status_code}" + (f" → {location}" if location else "")


def check(response: HttpResponse, outcome: Outcome, asked: str) -> None:
    status = response.status_code
    location = urlparse(response.get("Location", ""))
    said = f"expected {outcome}, got {_answer(response)}"
    if outcome.kind == "OK":
        assert 200 <= status < 300, said
    elif outcome.kind == "ACCEPTED":
        assert status == 200 or (status == 302 and location.path not in _sign_in_paths()), said
    elif outcome.kind == "LOGIN":
        assert status == 302 and location.path == _target(outcome.to), said
        assert parse_qs(location.query).get("next") == [asked], f"{said}: the sign-in page must return to {asked}"
    elif outcome.kind == "REDIRECT":
        assert status in (301, 302) and location.path == _target(outcome.to), said
    else:
        assert status == {"DENIED": 403, "HIDDEN": 404, "NOT_ALLOWED": 405}[outcome.kind], said


def resolve(outcome: Outcome, row: Row, world: World) -> Outcome:
    """Settle an outcome that depends on what the model admin grants the administrator."""
    if outcome.needs is None:
        return outcome
    model_admin = admin.site._registry[row.model]
    request = world.admin_request()
    obj = world.first_row(row.model) if row.on_object else None

    def may_delete(record: Model) -> bool:
        # Deleting also deletes what cascades from the record: Django refuses (403) when the
        # administrator may not delete one of those, e.g. a user's staff profile. A record that
        # others protect (a customer with cases) is not deleted either, but the page says why.
        _deleted, _counts, perms_needed, protected = model_admin.get_deleted_objects([record], request)
        return model_admin.has_delete_permission(request, record) and (bool(protected) or not perms_needed)

    def may_bulk_delete() -> bool:
        if not model_admin.has_view_or_change_permission(request):
            return False
        if "delete_selected" not in model_admin.get_actions(request):
            return True  # no such action here: the changelist says so and changes nothing
        return may_delete(world.first_row(row.model))

    granted = {
        "view": lambda: model_admin.has_view_or_change_permission(request, obj),
        "add": lambda: model_admin.has_add_permission(request),
        "change": lambda: model_admin.has_change_permission(request, obj),
        "delete": lambda: model_admin.has_delete_permission(request, obj),
        "delete_cascade": lambda: may_delete(obj),
        "bulk_delete": may_bulk_delete,
    }[outcome.needs]()
    return outcome if granted else outcome.otherwise


def fingerprint(world: World, row: Row) -> tuple:
    """What a refused request must not have changed: every account's privileges and
    password, every grant, and the record the row is about."""
    accounts = list(
        User.objects.order_by("pk").values_list(
            "pk", "username", "password", "is_active", "is_staff", "is_superuser", "email", "first_name", "last_name"
        )
    )
    watched = sorted({*WATCHED, row.model} - {None}, key=lambda model: model._meta.db_table)
    counts = _row_counts(watched)
    record = None
    if row.model is not None:
        obj = world.first_row(row.model)
        record = row.model._default_manager.filter(pk=obj.pk).values().first()
    return accounts, counts, record


def _row_counts(watched: list[type[Model]]) -> tuple[int, ...]:
    """How many rows each table holds, in one query: the matrix asks this thousands of times."""
    # Table names come from the models, quoted; nothing here comes from a request.
    tables = [connection.ops.quote_name(model._meta.db_table) for model in watched]
    counts = ", ".join(f"(SELECT COUNT(*) FROM {table})" for table in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")
        return tuple(cursor.fetchone())


def expected_for(row: Row, method: str, role: str, world: World) -> Outcome | None:
    table = row.expected(method, world)
    if table is None:
        return None
    assert set(table) == set(ROLES), f"{row.key} {method} must say what every role gets"
    return resolve(table[role], row, world)


@pytest.mark.parametrize(("key", "role"), [(key, role) for key in sorted(MATRIX) for role in ROLES])
def test_role_matrix(key: str, role: str, world: World, client: Client) -> None:
    row = MATRIX[key]
    user = world.sign_in(client, role)
    path = row.path(world)

    check(client.get(path), expected_for(row, "GET", role, world), path)

    expected = expected_for(row, "POST", role, world)
    if expected is None:
        return
    # On the admin site only administrators change anything; elsewhere a refusal changes nothing.
    must_not_change = expected.refusal or (role != "administrator" and key.startswith(("admin:", "admin/")))
    before = fingerprint(world, row) if must_not_change else None
    check(client.post(path, row.payload(world, user)), expected, path)
    if must_not_change:
        assert fingerprint(world, row) == before, f"POST {path} as {role} changed something"


# --- outsiders cannot take records over through the admin ------------------------------


@pytest.mark.parametrize("role", OUTSIDERS)
def test_outsider_posting_to_admin_change_pages_changes_nothing(role: str, world: World) -> None:
    """Each outsider tries to make their own account (or the owner's) a superuser and to move
    the cast's case to another status from the admin: they are sent to sign in, and nothing moves."""
    client = Client()
    user = world.sign_in(client, role)
    account = user or world.cast.owner
    case = world.cast.case
    account_before = User.objects.values().get(pk=account.pk)
    case_before = Case.objects.values().get(pk=case.pk)

    takeover = {"username": account.get_username(), "is_staff": "on", "is_superuser": "on", "is_active": "on"}
    response = client.post(reverse("admin:auth_user_change", args=[account.pk]), takeover)
    assert urlparse(response["Location"]).path == reverse("admin:login")

    response = client.post(reverse("admin:cases_case_change", args=[case.pk]), {"status": "waiting_customer"})
    assert urlparse(response["Location"]).path == reverse("admin:login")

    account_after = User.objects.values().get(pk=account.pk)
    assert not account_after["is_staff"]
    assert not account_after["is_superuser"]
    assert account_after == account_before
    assert Case.objects.values().get(pk=case.pk) == case_before
