"""The role matrix: every URL of the project, asked for by every role, answers as its row says.

The table lives in tests/role_matrix.py. The first tests here compare it with the URL resolver:
a URL without a row (a new view nobody decided the access of) fails the suite, and so does a
row for a URL that no longer exists.

The cast and one record of every kind are built once for the module inside a transaction that
is rolled back at the end; each test runs in its own savepoint, so a POST that gets through
(as the administrator's do) is undone before the next test.
"""

from collections.abc import Iterator
from itertools import pairwise
from urllib.parse import parse_qs, urlparse

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.db import connection, transaction
from django.db.models import Model
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import Resolver404, reverse
from django.urls import resolve as resolve_path
from pytest_django import DjangoDbBlocker

from cases.models import Case
from tests.role_matrix import (
    ADMIN_ROLES,
    ROLES,
    STAFF_ROLES,
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
OUTSIDERS = [role for role in ROLES if role not in ADMIN_ROLES]
# The admin site's pages of each registered model (changelist, add, change, delete, history,
# grants…): one test per model runs every role through all of them. Written one test per
# (URL, role) they were ~2,500 tests, nine in ten of which repeated "sent to the admin sign-in".
ADMIN_MODEL_KEYS: dict[str, list[str]] = {}
for _key, _row in sorted(MATRIX.items()):
    if _row.model is not None:
        ADMIN_MODEL_KEYS.setdefault(_row.model._meta.label, []).append(_key)
PORTAL_KEYS = sorted(key for key, row in MATRIX.items() if row.model is None)


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
        built = build_world()
        count_writes()
        yield built
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


def _turned_away_paths() -> set[str]:
    """Where a request that was not taken could be bounced to without a 403: sign-in pages,
    the landing page that sends each person to their own surface, and the page for people
    without one. An "accepted" answer never goes there (rows that mean to, say REDIRECT)."""
    return _sign_in_paths() | {reverse(name) for name in ("landing", "no_surface") if url_exists(name)}


def _target(to: str) -> str:
    return to if to.startswith("/") else reverse(to)


def _answer(response: HttpResponse) -> str:
    location = response.get("Location")
    return f"{response.status_code}" + (f" → {location}" if location else "")


def _is_admin_key(key: str) -> bool:
    return key.startswith(("admin:", "admin/"))


def check(response: HttpResponse, outcome: Outcome, asked: str, client: Client | None = None) -> None:
    status = response.status_code
    location = urlparse(response.get("Location", ""))
    said = f"expected {outcome}, got {_answer(response)}"
    if outcome.kind == "OK":
        assert 200 <= status < 300, said
    elif outcome.kind == "ACCEPTED":
        # Taken: a 2xx answer, or a redirect to a page of this site (not a sign-in or landing
        # page) that the same person then opens: a refusal dressed as a redirect fails here.
        if 200 <= status < 300:
            return
        assert status in (302, 303), said
        assert location.path not in _turned_away_paths(), f"{said}: a redirect to {location.path} is a refusal"
        assert not location.netloc, f"{said}: an accepted form stays on this site"
        try:
            resolve_path(location.path)
        except Resolver404:
            raise AssertionError(f"{said}: no page at {location.path}") from None
        if client is not None:
            landed = client.get(response["Location"])
            assert 200 <= landed.status_code < 300, f"{said}, and that page answered {_answer(landed)}"
    elif outcome.kind == "LOGIN":
        assert status == 302 and location.path == _target(outcome.to), said
        assert parse_qs(location.query).get("next") == [asked], f"{said}: the sign-in page must return to {asked}"
    elif outcome.kind == "REDIRECT":
        assert status in (301, 302) and location.path == _target(outcome.to), said
    else:
        assert status == {"DENIED": 403, "HIDDEN": 404, "NOT_ALLOWED": 405}[outcome.kind], said


def resolve(outcome: Outcome, row: Row, world: World, role: str = "administrator") -> Outcome:
    """Settle an outcome that depends on what the model admin grants the role (one of the
    administrators): the superuser holds every model permission, the partial one a few."""
    if outcome.needs is None:
        return outcome
    model_admin = admin.site._registry[row.model]
    request = world.admin_request(role)
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


# --- what a refused request must leave as it was ------------------------------------------

# Tables a refused request may write by design, so they are left out of the comparison:
# - django_session: Django's session middleware saves the session when a view touches it
#   (a "not allowed" message, a language choice, the CSRF token of a re-rendered form);
# - axes' access logs and attempts: django-axes records every sign-in attempt, refused or not,
#   which is what lockout counts.
UNWATCHED_TABLES = frozenset({"django_session", "axes_accesslog", "axes_accessattempt", "axes_accessfailurelog"})


def watched_tables() -> list[str]:
    """Every table of every installed model (many-to-many tables included), from the app
    registry: a new model is watched the day it is installed."""
    tables = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    return sorted(tables - UNWATCHED_TABLES)


WATCHED_TABLES = watched_tables()


WRITE_LOG = "matrix_rows_written"


def count_writes() -> None:
    """Triggers on every watched table log each row any statement inserts, updates or deletes,
    an update that leaves the values as they were included. They are made inside the world's
    transaction (on SQLite in the connection's temporary schema), so they leave with it.
    Reading every row of every table before and after each refused POST instead cost a quarter
    of the matrix's time on SQLite, and hashing them all a sixth of it on PostgreSQL."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE {WRITE_LOG} (written TEXT NOT NULL)")
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION matrix_row_written() RETURNS trigger LANGUAGE plpgsql AS "  # noqa: S608
                f"$$ BEGIN INSERT INTO {WRITE_LOG} VALUES (TG_TABLE_NAME); RETURN NULL; END $$"
            )
        for number, table in enumerate(WATCHED_TABLES):
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"CREATE TRIGGER matrix_row_written AFTER INSERT OR UPDATE OR DELETE ON {quote(table)} "
                    "FOR EACH ROW EXECUTE FUNCTION matrix_row_written()"
                )
                continue
            for event in ("INSERT", "UPDATE", "DELETE"):
                cursor.execute(
                    f"CREATE TEMP TRIGGER matrix_{number}_{event.lower()} AFTER {event} ON main.{quote(table)} "  # noqa: S608
                    f"BEGIN INSERT INTO {WRITE_LOG} VALUES ('{table}'); END"
                )


def database_state() -> dict[str, int]:
    """How many rows each watched table has had written so far (count_writes): a refused request
    must add none. Table names come from the app registry, quoted; nothing here comes from a
    request."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT written, count(*) FROM {WRITE_LOG} GROUP BY written")  # noqa: S608
        written = dict(cursor.fetchall())
    return {table: written.get(table, 0) for table in WATCHED_TABLES}


def changed_tables(before: dict[str, int], after: dict[str, int]) -> list[str]:
    return [
        f"{table} ({after[table] - before[table]} rows written)"
        for table in WATCHED_TABLES
        if before[table] != after[table]
    ]


def expected_for(row: Row, method: str, role: str, world: World) -> Outcome | None:
    table = row.expected(method, world)
    if table is None:
        return None
    assert set(table) == set(ROLES), f"{row.key} {method} must say what every role gets"
    outcome = resolve(table[role], row, world, role if role in ADMIN_ROLES else "administrator")
    # A signed-in person who is turned away is told so (403) or shown nothing (404); only
    # Django's admin site sends an account without its is_staff flag to its own sign-in page.
    assert not (outcome.kind == "LOGIN" and role != "anonymous" and not _is_admin_key(row.key)), (
        f"{row.key} {method}: a signed-in {role} must be refused with 403/404, not sent to sign in"
    )
    return outcome


def test_the_nothing_changed_check_sees_an_update_even_of_one_field(world: World) -> None:
    """What a refused request is held to can fail: an edited subject, an edited name."""
    before = database_state()
    Case.objects.filter(pk=world.cast.case.pk).update(subject=world.cast.case.subject + ".")
    edited = database_state()
    assert [table.split(" ")[0] for table in changed_tables(before, edited)] == [Case._meta.db_table]
    User.objects.filter(pk=world.cast.delegate.pk).update(first_name="Changed")
    renamed = database_state()
    assert [table.split(" ")[0] for table in changed_tables(edited, renamed)] == [User._meta.db_table]
    Group.objects.create(name="Written and taken back")
    Group.objects.filter(name="Written and taken back").delete()
    assert [table.split(" ")[0] for table in changed_tables(renamed, database_state())] == [Group._meta.db_table]


def run_row(row: Row, role: str, world: World, client: Client) -> None:
    """GET the row's page as the role, then POST to it where it takes changes; a POST that is
    refused (and, on the admin site, any POST by someone who is not an administrator) must
    leave every watched table as it was."""
    user = world.sign_in(client, role)
    path = row.path(world)

    check(client.get(path), expected_for(row, "GET", role, world), path, client)

    expected = expected_for(row, "POST", role, world)
    if expected is None:
        return
    must_not_change = expected.refusal or (role not in ADMIN_ROLES and _is_admin_key(row.key))
    payload = row.payload(world, user)
    before = database_state() if must_not_change else None
    response = client.post(path, payload)
    if must_not_change:
        changed = changed_tables(before, database_state())
        assert not changed, f"POST {path} as {role} answered {_answer(response)} and changed {changed}"
    check(response, expected, path, client)


@pytest.mark.parametrize(("key", "role"), [(key, role) for key in PORTAL_KEYS for role in ROLES])
def test_role_matrix(key: str, role: str, world: World, client: Client) -> None:
    run_row(MATRIX[key], role, world, client)


@pytest.mark.parametrize("label", sorted(ADMIN_MODEL_KEYS))
def test_admin_model_pages(label: str, world: World) -> None:
    """Every admin page of one model as every role; each request in its own savepoint, so an
    administrator's delete does not take the record away from the next."""
    failures = []
    for key in ADMIN_MODEL_KEYS[label]:
        for role in ROLES:
            try:
                with transaction.atomic():
                    run_row(MATRIX[key], role, world, Client())
                    transaction.set_rollback(True)
            except AssertionError as failure:
                failures.append(f"{key} as {role}: {failure}")
    assert not failures, "\n".join(failures)


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


# --- other parties' ids in the URL ---------------------------------------------------------

# What an id in a URL names, read from the path segment before it ("…/claims/<int:pk>/").
KIND_BY_SEGMENT = {
    "cases": "case",
    "customers": "customer",
    "helping": "customer",
    "promises": "promise",
    "claims": "claim",
    "sales": "sale",
    "jobs": "job",
    "prerequisites": "prerequisite",
    "incidents": "incident",
    "damage": "incident",
    "photos": "photo",
    "attachments": "attachment",
    "files": "attachment",
    "flags": "flag",
    "handoffs": "handoff",
    "specialists": "specialist",
    "helpers": "grant",
}
# The other parties' records of each kind (World.far): one representative per kind and party,
# which keeps the test to a few thousand requests. Service alerts and letters are not here:
# alerts belong to no customer (every member of staff manages them), and the one letter
# the matrix has is made by its own row.
FAR_RECORDS = {"promise": ("promise", "job_promise")}
# Rows whose staff access follows the person's role, not the case: a manager merges any two
# records (policies.can_merge_records), whoever's team they are in.
BY_ROLE_NOT_CASE = {
    "staff:customer_merge_pick",
    "staff:customer_merge",
    "staff:case_merge_pick",
    "staff:case_merge",
}
# Left out of the cross-owner part (a far record in a URL with no other id):
# - the administrator, an active superuser, may open and change every record by design;
# - the other customer and the other contractor company's user: the far records are theirs
#   (their case, their company's job), and every matrix row already runs them against the
#   cast's records, which are another party's to them.
# All of them are in the mismatched-ids part (a far record next to the cast's case).
CROSS_OWNER_SKIPPED = ("administrator", "other_customer", "other_contractor_user")
# Rows left out of the other-parties test, with the reason.
FAR_SKIPPED_ROWS = {
    # Only emerging-incident flags may be dismissed: another kind of flag is turned away by the
    # service with a message (a redirect), not by an access rule, and the far flag is not one.
    # Who may dismiss one is policies.can_dismiss_flag; its row checks the roles on the cast's
    # case and tests/staff_ui/test_notifications.py a manager of another team.
    "staff:flag_dismiss",
    # The second record of a merge is made by the row's own path (a duplicate of the cast's
    # customer or case) and is gone once that path is read; the pick pages take the far ids.
    "staff:case_merge",
    "staff:customer_merge",
    # The payload names the owner the sender saw (the cast's owner): on another team's case the
    # service answers 409 "just handed to …" before it asks can_handoff. Nothing is written and
    # every member of staff may read the owner, but the refusal is not a 403. Deliberate: an
    # owner whose case was just handed away is told who has it now rather than "not allowed".
    "api:case-handoffs",
}


def _takes_ids(route: str) -> bool:
    return any(before in KIND_BY_SEGMENT and part.startswith("<") for before, part in pairwise(route.split("/")))


ID_ROWS = sorted(
    key
    for key, row in MATRIX.items()
    if row.model is None and key not in FAR_SKIPPED_ROWS and _takes_ids(resolver_keys()[key])
)


def _substitutions(path: str, world: World) -> list[tuple[str, str, bool]]:
    """Each way to put one other party's record in the path: (new path, what was put, whether
    the URL also names one of the cast's records, i.e. a mismatch)."""
    parsed = urlparse(path)
    match = resolve_path(parsed.path)
    segments = match.route.split("/")
    kinds = {}
    for before, segment in pairwise(segments):
        if segment.startswith("<") and before in KIND_BY_SEGMENT:
            kinds[segment.strip("<>").split(":")[-1]] = KIND_BY_SEGMENT[before]
    found = []
    for name, kind in kinds.items():
        for record_name in FAR_RECORDS.get(kind, (kind,)):
            record = world.far[record_name]
            value = record.reference if kind == "case" else record.pk
            new = reverse(match.view_name, kwargs={**match.kwargs, name: value})
            found.append((new + (f"?{parsed.query}" if parsed.query else ""), record_name, len(kinds) > 1))
    return found


def _refused(response: HttpResponse, role: str) -> bool:
    """403, 404 or 405; or, for anonymous visitors, the sign-in page."""
    if response.status_code in (403, 404, 405):
        return True
    location = urlparse(response.get("Location", "")).path
    return role == "anonymous" and response.status_code == 302 and location in _sign_in_paths()


def _far_expectation(row: Row, key: str, method: str, role: str, world: World, mismatch: bool) -> Outcome | None:
    """What the role must get with another party's record in the URL; None when any refusal
    will do, and NOT_ALLOWED when the method is refused before any record is looked up."""
    own = expected_for(row, method, role, world)
    if own is None or own.kind == "NOT_ALLOWED":
        return own
    if mismatch:
        # Someone who gets through on the cast's records is shown nothing for a record that is
        # not the case's (404); someone refused there is refused here too.
        return None if own.refusal else Outcome("HIDDEN")
    if role in STAFF_ROLES and key in BY_ROLE_NOT_CASE:
        return own
    if role in STAFF_ROLES:
        # Another team's case: every member of staff reads it (search must reach any case) and
        # changes it as the colleague changes the cast's case: notes and calls only.
        colleague = expected_for(row, method, "colleague", world)
        if colleague.kind == "REDIRECT":
            # The same page of the other case.
            far = world.far["case"].reference
            return Outcome("REDIRECT", to=_target(colleague.to).replace(world.cast.case.reference, far))
        return colleague
    return None


def _far_request(row: Row, key: str, path: str, mismatch: bool, on_parent: bool, role: str, world: World) -> list[str]:
    failures = []
    for method in ("GET", "POST"):
        expected = _far_expectation(row, key, method, role, world, mismatch)
        if expected is None and method == "POST" and row.post is None:
            continue
        if expected is not None and expected.kind == "NOT_ALLOWED":
            continue
        with transaction.atomic():
            client = Client()
            user = world.sign_in(client, role)
            payload = row.payload(world, user) if method == "POST" else None
            refusal = expected is None or expected.refusal
            before = database_state() if method == "POST" and refusal else None
            response = client.post(path, payload) if method == "POST" else client.get(path)
            try:
                if expected is None or (mismatch and expected.kind == "HIDDEN" and on_parent):
                    assert _refused(response, role), f"expected a refusal, got {_answer(response)}"
                else:
                    check(response, expected, path, client)
                if before is not None:
                    changed = changed_tables(before, database_state())
                    assert not changed, f"answered {_answer(response)} and changed {changed}"
            except AssertionError as failure:
                failures.append(f"{method} {path} as {role}: {failure}")
            transaction.set_rollback(True)
    return failures


def _first_id(path: str) -> object:
    return next(iter(resolve_path(urlparse(path).path).kwargs.values()))


@pytest.mark.parametrize("key", ID_ROWS)
def test_other_parties_ids(key: str, world: World) -> None:
    """The row's URL with one of its ids swapped for another party's record, as every role:

    - a mismatch (the cast's case with another case's claim, promise, job, attachment…):
      404 for whoever gets through on the cast's records, a refusal for everyone else;
    - a cross-owner request (the only id is another party's: another team's case, the other
      contractor company's job, the other customer's helper…): what the read-only colleague
      gets for staff, a refusal (403/404, sign-in for anonymous) for everyone else.

    A refused POST changes no table. The roles left out are listed at CROSS_OWNER_SKIPPED."""
    row = MATRIX[key]
    failures: list[str] = []
    with transaction.atomic():
        own_path = row.path(world)
        substitutions = _substitutions(own_path, world)
        transaction.set_rollback(True)
    assert substitutions, f"{key}: no id of a known kind in its URL"
    for path, _record, mismatch in substitutions:
        # The far record took the place of the first id (the case or job the rest hangs from):
        # the view may refuse on it (403) before it looks at the rest (404).
        on_parent = _first_id(path) != _first_id(own_path)
        for role in ROLES:
            if not mismatch and role in CROSS_OWNER_SKIPPED:
                continue
            failures += _far_request(row, key, path, mismatch, on_parent, role, world)
    assert not failures, "\n".join(failures)
