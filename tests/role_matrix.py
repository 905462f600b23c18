"""The role matrix: for every URL of the project, what each role gets when it reads it (GET)
and, where the URL changes something, when it tries to change it (POST).

Rows are keyed by the fully-qualified URL name (``admin:cases_case_change``), or by the route
of a pattern that has no name. The admin site's rows are generated from ``admin.site._registry``
so that they stay complete as models are registered; every other URL needs a row written here.
tests/test_role_matrix.py walks the URL resolver and fails for any pattern without a row:
a new view without a matrix row is a bug.

Outcomes, checked on the response:
  OK           2xx
  ACCEPTED     the form was taken: 200 with its answer, or a redirect that is not a sign-in page
  LOGIN        a redirect to a sign-in page, with ``next`` naming the page asked for
  REDIRECT     a redirect to a named page (or a path)
  DENIED       403
  HIDDEN       404, the same answer as for a record that does not exist
  NOT_ALLOWED  405 (wrong HTTP method)
An outcome may hold only when the model admin grants the administrator a permission
(``OK.given("change")``); when it does not, the row expects ``otherwise`` (403 by default).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.http import HttpRequest
from django.test import Client, RequestFactory
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from guardian.admin import GuardedModelAdminMixin
from guardian.shortcuts import assign_perm

from cases import policies
from cases.services import (
    alert_post,
    call_log,
    case_confirm,
    case_handoff,
    case_link_alert,
    case_resolve,
    claim_file,
    delegate_grant,
    message_receive,
    message_reply,
    note_add,
    promise_make,
    sale_record,
    specialist_add,
    survey_submit,
)
from contractors.services import incident_correct, incident_report, job_cancel, job_share
from tests import conftest
from tests.conftest import Cast
from tests.factories import (
    PASSWORD,
    CompanyFactory,
    DepartmentFactory,
    ServiceFactory,
    UserFactory,
    make_case,
    make_contractor_user,
    make_job,
    make_staff,
)

ROLES: tuple[str, ...] = (
    "staff",
    "manager",
    "head",
    "specialist",
    "colleague",
    "customer",
    "delegate",
    "other_customer",
    "contractor_user",
    "other_contractor_user",
    "anonymous",
    "administrator",
    "partial_admin",
)
# Roles that are staff in the policy sense (a staff profile): they read every case, and change
# only the cases they work on (cases/policies.py can_work_on_case).
STAFF_ROLES: tuple[str, ...] = ("staff", "manager", "head", "specialist", "colleague")
# Roles that may use the admin site (Django's is_staff flag).
ADMIN_ROLES: tuple[str, ...] = ("administrator", "partial_admin")
# A row that does not name one of these roles gives it what it gives the role the policy treats
# it like: the head of the owner's department is the owner's manager's equal in
# policies._manages_owner, and a specialist works on the case as its owner does (they may not
# hand it off: the handoff rows say so). The read-only colleague (staff who may view but not
# change the case) and the administrator with only some model permissions differ from everyone
# else often enough that rows name them, or they get the row's default.
LIKE: dict[str, str] = {"head": "manager", "specialist": "staff"}
# What the administrator with some model permissions may do in the admin site: read cases and
# customers, change customers, nothing else (no users, no grants, no jobs).
PARTIAL_ADMIN_PERMS: tuple[str, ...] = ("cases.view_case", "people.view_customer", "people.change_customer")
NEW_PASSWORD = "Fresh-steward-pass-42"
OUTSIDER_TEXT = "changed by an outsider"
# The smallest file the upload checks accept as a PNG photo.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


# --- outcomes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    kind: str
    to: str | None = None
    needs: str | None = None
    otherwise: Outcome | None = None

    def given(self, needs: str, otherwise: Outcome | None = None) -> Outcome:
        """This outcome when the model admin grants the administrator `needs`; `otherwise`
        (403) when it does not. `needs` is "view", "add", "change", "delete" (the record),
        "delete_cascade" (the record and everything deleting it would take with it) or
        "bulk_delete" (the changelist's delete_selected action on the record, when offered)."""
        return replace(self, needs=needs, otherwise=otherwise or DENIED)

    @property
    def refusal(self) -> bool:
        """The request was turned away: it must have changed nothing."""
        return self.kind in {"LOGIN", "DENIED", "HIDDEN", "NOT_ALLOWED"}

    def __str__(self) -> str:
        return self.kind + (f" → {self.to}" if self.to else "")


OK = Outcome("OK")
ACCEPTED = Outcome("ACCEPTED")
DENIED = Outcome("DENIED")
HIDDEN = Outcome("HIDDEN")
NOT_ALLOWED = Outcome("NOT_ALLOWED")
LOGIN = Outcome("LOGIN", to="login")
ADMIN_LOGIN = Outcome("LOGIN", to="admin:login")


# Upper case, as it reads in the table next to the other outcomes.
def REDIRECT(to: str) -> Outcome:
    return Outcome("REDIRECT", to=to)


Expectations = dict[str, Outcome]


def every(outcome: Outcome, **per_role: Outcome) -> Expectations:
    """`outcome` for every role, except those named."""
    unknown = set(per_role) - set(ROLES)
    if unknown:
        raise ValueError(f"Unknown roles in a matrix row: {sorted(unknown)}")
    return {role: per_role.get(role, per_role.get(LIKE.get(role, role), outcome)) for role in ROLES}


# --- the world the matrix runs in -------------------------------------------------------


@dataclass
class World:
    """The test cast plus one record of everything the admin site manages."""

    cast: Cast
    # People and records of other parties (another team's case, the other contractor company's
    # job, …), by kind: the mismatched-id and cross-owner tests put their ids in the URLs.
    specialist: User | None = None
    partial_admin: User | None = None
    far: dict[str, models.Model] = field(default_factory=dict)
    # Each role's session cookie, signed in once for the whole matrix: signing in is the
    # costliest part of a request (axes records it), and the matrix makes thousands.
    sessions: dict[str, str] = field(default_factory=dict)
    _first_rows: dict[type[models.Model], models.Model] = field(default_factory=dict)

    def user(self, role: str) -> User | None:
        cast = self.cast
        return {
            "staff": cast.owner,
            "manager": cast.manager,
            "customer": cast.customer.user,
            "delegate": cast.delegate,
            "other_customer": cast.other_customer.user,
            "contractor_user": cast.contractor_user,
            "other_contractor_user": cast.other_contractor_user,
            "anonymous": None,
            "administrator": cast.administrator,
            "head": cast.head,
            "specialist": self.specialist,
            # Same department and manager as the owner: sees the case, does not work on it.
            "colleague": cast.other_agent,
            "partial_admin": self.partial_admin,
        }[role]

    def admin_request(self, role: str = "administrator") -> HttpRequest:
        request = RequestFactory().get("/admin/")
        request.user = self.user(role)
        return request

    def first_row(self, model: type[models.Model]) -> models.Model:
        """The object an admin row opens: the first the model admin lists. Each test rolls
        its changes back, so the first row stays the same for the whole matrix."""
        if model not in self._first_rows:
            model_admin = admin.site._registry[model]
            row = model_admin.get_queryset(self.admin_request()).order_by("pk").first()
            assert row is not None, (
                f"No {model._meta.label} exists for the admin rows to open: create one in build_world() "
                "(through a service) or add a maker to tests/role_matrix.py MAKERS."
            )
            self._first_rows[model] = row
        return self._first_rows[model]

    def open_sessions(self) -> None:
        """Sign every role in once, with the world (outside any test's savepoint, which would
        roll the session back)."""
        for role in ROLES:
            user = self.user(role)
            if user is not None:
                signing_in = Client()
                signing_in.force_login(user)
                self.sessions[role] = signing_in.cookies[settings.SESSION_COOKIE_NAME].value

    def sign_in(self, client: Client, role: str) -> User | None:
        """Put the role's session cookie on the client; anonymous gets none."""
        user = self.user(role)
        if user is not None:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[role]
        return user


def build_cast() -> Cast:
    """The `cast` fixture of tests/conftest.py, built once for the whole matrix.

    The matrix makes thousands of requests against one cast; pytest cannot hand a
    function-scoped fixture to a module-scoped one, so the fixture functions are called
    here in their dependency order (``db`` is provided by the caller's open database).
    """
    made: dict[str, object] = {"db": None}

    def make(name: str) -> object:
        if name not in made:
            function = getattr(conftest, name).__wrapped__
            made[name] = function(**{param: make(param) for param in inspect.signature(function).parameters})
        return made[name]

    return make("cast")


def build_world() -> World:
    """The cast, plus a record of every kind the admin site shows, made through the services.

    Nothing here changes what the matrix roles may reach: new grants go to people and groups
    outside the cast, and the cast's own case, job and customer keep their shape."""
    cast = build_cast()
    owner, case, job = cast.owner, cast.case, cast.job
    now = timezone.now()
    fibre = ServiceFactory(code="fibre")
    cast.customer.services.add(fibre)
    alert = alert_post(actor=owner, service=fibre, kind="maintenance", title="Street cabinet works", starts_at=now)
    case_link_alert(actor=owner, case=case, alert=alert)
    photo = SimpleUploadedFile("leak.png", PNG, content_type="image/png")
    message_receive(actor=cast.customer.user, case=case, body="The pipe still leaks.", attachments=[photo])
    message_reply(actor=owner, case=case, body="A plumber comes on Monday.")
    note_add(actor=owner, case=case, body="Contractor drilled into the heating pipe.")
    call_log(actor=owner, case=case, summary="Called Mrs Martin about Monday.", inbound=False)
    promise_make(actor=owner, case=case, text="Plumber on Monday", due_at=now + timedelta(days=3))
    claim_file(actor=owner, case=case, insurer="Mutuelle Habitat", policy_holder="customer")
    sale_record(actor=owner, case=case, product="Fibre 1 Gb/s", advisor=owner, monthly_price=Decimal("39.90"))

    specialist = make_staff("matrix_specialist", department=owner.staff_profile.department)
    specialist_add(actor=owner, case=case, user=specialist)
    carer = UserFactory(username="matrix_carer")
    delegate_grant(actor=owner, customer=cast.customer, user=carer, relationship="carer", cases=[case])

    incident = incident_report(
        actor=cast.contractor_user,
        job=job,
        what="Drilled into the heating pipe",
        location="Living room",
        affects_heating=True,
        photos=[SimpleUploadedFile("pipe.png", PNG, content_type="image/png")],
    )
    incident_correct(actor=cast.contractor_user, incident=incident, text="It was the hot water pipe.")
    second_job = make_job(case=case, company=job.company, actor=owner, title="Return visit")
    job_cancel(actor=owner, job=second_job, reason="customer_request")
    third_company = CompanyFactory(name="Matrix Plumbing")
    job_share(actor=owner, job=job, company=third_company)
    plumber = make_contractor_user(third_company, "matrix_plumber")
    assign_perm(f"contractors.{policies.SHARED_JOB_PERM}", plumber, job)

    moving = make_case(customer=cast.other_customer, owner=cast.other_agent, subject="Router swap")
    case_handoff(
        actor=cast.other_agent, case=moving, to_user=owner, reason="Field visit needed", summary="Router dead."
    )
    settled = make_case(customer=cast.customer, owner=owner, subject="Billing question")
    settled = case_resolve(actor=owner, case=settled, summary="Refund issued.")
    settled = case_confirm(actor=cast.customer.user, case=settled)
    # Asking to talk about her services: the owner may hand it to sales (a sales agent to take it).
    survey_submit(actor=cast.customer.user, case=settled, score=4, wants_contact=True)
    make_staff("matrix_sales", department=DepartmentFactory(code="sales", name="Sales"))

    # Grants to a group nobody is in: the admin shows them, and no role gains anything.
    empty_group = Group.objects.create(name="Matrix: nobody")
    assign_perm(f"cases.{policies.SPECIALIST_PERM}", empty_group, case)
    assign_perm(f"people.{policies.DELEGATE_PERM}", empty_group, cast.customer)

    for label, maker in MAKERS.items():
        model = _model_by_label(label)
        if model is not None and model in admin.site._registry and not model._default_manager.exists():
            maker()
    partial_admin = UserFactory(username="matrix_partial_admin", is_staff=True)
    for perm in PARTIAL_ADMIN_PERMS:
        app_label, codename = perm.split(".")
        partial_admin.user_permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    world = World(
        cast=cast,
        specialist=User.objects.get(pk=specialist.pk),
        partial_admin=User.objects.get(pk=partial_admin.pk),
        far=build_far_party(cast),
    )
    world.open_sessions()
    return world


def build_far_party(cast: Cast) -> dict[str, models.Model]:
    """One record of each kind a URL takes an id of, owned by parties none of the matrix's
    roles work for: a case of the other customer owned by an agent of another department, the
    other contractor company's job on it (with its promise, prerequisite, incident and photo),
    a claim, a sale, a photo the customer sent, a flag, a handoff between two of that team's
    agents, a specialist on it and a helper of the other customer. The other contractor company
    now has work of its own, so "this job" and "any job" differ for every contractor role."""
    from cases.models import Flag
    from contractors.models import JobPhoto, Prerequisite
    from people.models import Delegate
    from tests.factories import DepartmentFactory

    now = timezone.now()
    field_ops = DepartmentFactory(code="field-ops", name="Field operations")
    far_agent = make_staff("matrix_far_agent", department=field_ops)
    far_colleague = make_staff("matrix_far_colleague", department=field_ops)
    far_specialist = make_staff("matrix_far_specialist", department=field_ops)
    customer = cast.other_customer
    far_case = make_case(customer=customer, owner=far_agent, subject="Noisy line")
    photo = SimpleUploadedFile("socket.png", PNG, content_type="image/png")
    message = message_receive(actor=customer.user, case=far_case, body="Here is the socket.", attachments=[photo])
    promise = promise_make(actor=far_agent, case=far_case, text="Call back Friday", due_at=now + timedelta(days=2))
    claim = claim_file(actor=far_agent, case=far_case, insurer="Assur Sud", policy_holder="customer")
    sale = sale_record(actor=far_agent, case=far_case, product="Landline", advisor=far_agent)
    specialist_add(actor=far_agent, case=far_case, user=far_specialist)
    helper = UserFactory(username="matrix_far_helper")
    grant = delegate_grant(actor=customer.user, customer=customer, user=helper, relationship="neighbour")
    job = make_job(
        case=far_case,
        company=cast.other_contractor_user.contractor_profile.company,
        actor=far_agent,
        title="Replace the wall socket",
        prerequisites=(("Bring a 20 m cable", "contractor"),),
    )
    job_promise = promise_make(
        actor=cast.other_contractor_user, case=far_case, job=job, text="Back Monday", due_at=now + timedelta(days=3)
    )
    incident = incident_report(
        actor=cast.other_contractor_user,
        job=job,
        what="Scratched the skirting board",
        location="Hall",
        photos=[SimpleUploadedFile("board.png", PNG, content_type="image/png")],
    )
    handoff = case_handoff(
        actor=far_agent, case=far_case, to_user=far_colleague, reason="Holiday", summary="Line test booked."
    )
    flag = Flag.objects.filter(case=far_case, cleared_at__isnull=True).order_by("pk").first()
    assert flag is not None, "the far incident should have raised a flag"
    return {
        "case": far_case,
        "customer": customer,
        "attachment": message.attachments.get(),
        "promise": promise,
        "job_promise": job_promise,
        "claim": claim,
        "sale": sale,
        "job": job,
        "prerequisite": Prerequisite.objects.get(job=job),
        "incident": incident,
        "photo": JobPhoto.objects.filter(incident=incident).get(),
        "flag": flag,
        "handoff": handoff,
        "specialist": far_specialist,
        "grant": Delegate.objects.get(pk=grant.pk),
    }


def _model_by_label(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def _periodic_task() -> models.Model:
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    every_hour = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.HOURS)
    return PeriodicTask.objects.create(name="matrix: hourly", task="portal.celery.debug_task", interval=every_hour)


def _celery(model_name: str, **fields: object) -> Callable[[], models.Model]:
    return lambda: _model_by_label(f"django_celery_beat.{model_name}")._default_manager.create(**fields)


def _axes(model_name: str, **fields: object) -> Callable[[], models.Model]:
    # An address and name the matrix's own sign-in attempts never use, so no lockout follows.
    base = {"username": "intruder", "ip_address": "203.0.113.9", "user_agent": "matrix", "http_accept": "*/*"}
    return lambda: _model_by_label(f"axes.{model_name}")._default_manager.create(**base, path_info="/login/", **fields)


# Records of third-party models no Steward service writes.
MAKERS: dict[str, Callable[[], models.Model]] = {
    "axes.AccessAttempt": _axes("AccessAttempt", get_data="", post_data="", failures_since_start=1),
    "axes.AccessLog": _axes("AccessLog"),
    "axes.AccessFailureLog": _axes("AccessFailureLog"),
    "django_celery_beat.IntervalSchedule": _celery("IntervalSchedule", every=10, period="minutes"),
    "django_celery_beat.CrontabSchedule": _celery("CrontabSchedule", minute="0", hour="7"),
    "django_celery_beat.SolarSchedule": _celery("SolarSchedule", event="sunrise", latitude=45.76, longitude=4.83),
    "django_celery_beat.ClockedSchedule": lambda: _celery("ClockedSchedule", clocked_time=timezone.now())(),
    "django_celery_beat.PeriodicTask": _periodic_task,
    # Written by the watchers' first sweep; the matrix runs none.
    "cases.WatcherCursor": lambda: _model_by_label("cases.WatcherCursor")._default_manager.create(name="matrix"),
    # Written by the watcher task after each run; a name no watcher has, so no banner depends on it.
    "cases.WatcherHeartbeat": lambda: _model_by_label("cases.WatcherHeartbeat")._default_manager.create(
        name="matrix", last_completed_at=timezone.now()
    ),
    # An e-mail from the customer, through the mail server's door.
    "cases.InboundDelivery": lambda: _inbound_email(message_id="matrix-delivery").message.inbound_delivery,
    "correspondence.InboundEmail": lambda: _inbound_email(),
    # Seeded by a migration, set in the admin site; the cast's department fixture writes it already.
    "people.Routing": lambda: _model_by_label("people.Routing")._default_manager.create(
        purpose="requests", department=_model_by_label("people.Department")._default_manager.order_by("pk").first()
    ),
    "correspondence.CannedReply": lambda: _model_by_label("correspondence.CannedReply")._default_manager.create(
        title="Visit booked", body="Hello {customer_name}, the visit is booked."
    ),
    # Registered in the admin site; turned off, so the matrix's own changes send nothing anywhere.
    "webhooks.Endpoint": lambda: _webhook_endpoint(),
    "webhooks.Delivery": lambda: _model_by_label("webhooks.Delivery")._default_manager.create(
        endpoint=_webhook_endpoint(), kind="case.opened", body="{}", next_attempt_at=timezone.now()
    ),
}


def _webhook_endpoint() -> models.Model:
    endpoint, _created = _model_by_label("webhooks.Endpoint")._default_manager.get_or_create(
        url="https://93.184.216.34/matrix", defaults={"event_kinds": ["case.opened"], "active": False}
    )
    return endpoint


def _inbound_email(message_id: str = "matrix-1") -> models.Model:
    from correspondence.services.inbound import mail_receive

    raw = (
        b"From: Jeanne Martin <jeanne@example.test>\r\nTo: support@steward.localhost\r\n"
        b"Subject: The pipe\r\nMessage-ID: <" + message_id.encode() + b"@example.test>\r\n\r\nIt still leaks.\r\n"
    )
    return mail_receive(raw, door="pipe")


# --- rows -------------------------------------------------------------------------------


def _no_payload(world: World, user: User | None) -> dict[str, object]:
    return {}


@dataclass(frozen=True)
class Row:
    key: str
    path: Callable[[World], str]
    get: Expectations | Callable[[World], Expectations]
    post: Expectations | Callable[[World], Expectations] | None = None
    payload: Callable[[World, User | None], dict[str, object]] = _no_payload
    model: type[models.Model] | None = None
    on_object: bool = False  # the page is about one record: permissions are asked for that record

    def __post_init__(self) -> None:
        for expected in (self.get, self.post):
            if isinstance(expected, dict) and set(expected) != set(ROLES):
                raise ValueError(f"Row {self.key} must say what every role gets: {sorted(set(ROLES) ^ set(expected))}")

    def expected(self, method: str, world: World) -> Expectations | None:
        table = self.get if method == "GET" else self.post
        return table(world) if callable(table) else table


def named(name: str, *args: Callable[[World], object]) -> Callable[[World], str]:
    return lambda world: reverse(name, args=[arg(world) for arg in args])


def url_exists(name: str) -> bool:
    try:
        reverse(name)
    except NoReverseMatch:
        return False
    return True


def _wrong_password(world: World, user: User | None) -> dict[str, object]:
    return {"username": user.get_username() if user else "nobody", "password": "not-the-password"}


def _landing(world: World) -> Expectations:
    """Each person lands on their own surface; one not installed yet sends them to no_surface."""

    def surface(name: str) -> Outcome:
        return REDIRECT(name if url_exists(name) else "no_surface")

    staff, customers, contractors = surface("staff:worklist"), surface("my:cases"), surface("contractor:jobs")
    return {
        "staff": staff,
        "manager": staff,
        "head": staff,
        "specialist": staff,
        "colleague": staff,
        "customer": customers,
        "delegate": customers,
        "other_customer": customers,
        "contractor_user": contractors,
        "other_contractor_user": contractors,
        "anonymous": REDIRECT("login"),
        "administrator": REDIRECT("admin:index"),
        "partial_admin": REDIRECT("admin:index"),
    }


SIGNED_IN_GO_HOME = every(REDIRECT("landing"), anonymous=OK)


def _health_after_fresh_runs(world: World, name: str = "health_watchers") -> str:
    """Every watcher just finished a run, so the endpoint answers 200 (503 when stale is in
    tests/watchers/test_liveness.py and tests/ops/test_health.py)."""
    from cases.watchers import WATCHERS
    from cases.watchers.liveness import record_completed_run

    for watcher in WATCHERS:
        record_completed_run(watcher)
    return reverse(name)


PORTAL_ROWS: list[Row] = [
    Row("landing", named("landing"), get=_landing),
    Row("login", named("login"), get=SIGNED_IN_GO_HOME, post=SIGNED_IN_GO_HOME, payload=_wrong_password),
    Row("logout", named("logout"), get=every(NOT_ALLOWED), post=every(REDIRECT("login"))),
    Row("no_surface", named("no_surface"), get=every(OK)),
    # For a monitor or load balancer: no sign-in, no case data (watcher names and times only).
    Row("health_watchers", _health_after_fresh_runs, get=every(OK), post=every(NOT_ALLOWED)),
    # The load balancer's liveness and readiness probes (portal/health.py): the same for everyone.
    Row("health_live", named("health_live"), get=every(OK), post=every(NOT_ALLOWED)),
    Row(
        "health_ready",
        lambda world: _health_after_fresh_runs(world, "health_ready"),
        get=every(OK),
        post=every(NOT_ALLOWED),
    ),
    # Anyone may switch the language (a cookie for visitors, the preference for a signed-in person);
    # without a page to go back to, they land on their own surface.
    Row(
        "language_switch",
        named("language_switch"),
        get=every(NOT_ALLOWED),
        post=every(REDIRECT("landing")),
        payload=lambda world, user: {"language": "en"},
    ),
    Row(
        "preferences",
        named("preferences"),
        get=every(OK, anonymous=LOGIN),
        post=every(ACCEPTED, anonymous=LOGIN),
        payload=lambda world, user: {"language": "en", "time_zone": "Europe/Paris"},
    ),
    # Two-step sign-in, off in tests (tests/conftest.py): nobody needs it, so everyone signed in is
    # sent on to their landing page; tests/test_two_factor.py drives the pages with it on.
    Row(
        "two_factor_setup",
        named("two_factor_setup"),
        get=every(REDIRECT("landing"), anonymous=LOGIN),
        post=every(REDIRECT("landing"), anonymous=LOGIN),
        payload=lambda world, user: {"code": "123456"},
    ),
    Row(
        "two_factor_verify",
        named("two_factor_verify"),
        get=every(REDIRECT("landing"), anonymous=LOGIN),
        post=every(REDIRECT("landing"), anonymous=LOGIN),
        payload=lambda world, user: {"code": "123456"},
    ),
]


def _autocomplete_path(world: World) -> str:
    source = _autocomplete_source()
    if source is None:
        return reverse("admin:autocomplete")
    model, field_name = source
    query = f"app_label={model._meta.app_label}&model_name={model._meta.model_name}&field_name={field_name}&term=a"
    return f"{reverse('admin:autocomplete')}?{query}"


def _autocomplete_source() -> tuple[type[models.Model], str] | None:
    """The first autocomplete field the admin site offers, if any."""
    for model, model_admin in sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label):
        if model_admin.autocomplete_fields:
            return model, model_admin.autocomplete_fields[0]
    return None


def _autocomplete(world: World) -> Expectations:
    # Without a field to complete the view has nothing it may answer: 403 even for administrators.
    return admins(OK if _autocomplete_source() else DENIED)


def _view_on_site_path(world: World) -> str:
    case = world.cast.case
    return reverse("admin:view_on_site", args=[ContentType.objects.get_for_model(case).pk, case.pk])


def _view_on_site(world: World) -> Expectations:
    # "View on site" follows the record's own page; a record without one is not found.
    case = world.cast.case
    page = case.get_absolute_url() if hasattr(case, "get_absolute_url") else None
    return admins(REDIRECT(page) if page else HIDDEN)


def _admin_password_change(world: World, user: User | None) -> dict[str, object]:
    return {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}


def admins(outcome: Outcome, *, partial: Outcome | None = None) -> Expectations:
    """`outcome` for both administrators (`partial` for the one with some model permissions,
    when it differs); the admin site's sign-in page for everyone else, signed in or not: Django's
    admin sends any account without the is_staff flag there."""
    return every(ADMIN_LOGIN, administrator=outcome, partial_admin=partial or outcome)


ADMIN_ONLY = admins(OK)

ADMIN_SITE_ROWS: list[Row] = [
    Row("admin:index", named("admin:index"), get=ADMIN_ONLY),
    Row(
        "admin:login",
        named("admin:login"),
        get=every(OK, administrator=REDIRECT("admin:index"), partial_admin=REDIRECT("admin:index")),
        post=every(OK),
        payload=_wrong_password,
    ),
    Row(
        "admin:logout",
        named("admin:logout"),
        get=every(REDIRECT("admin:index"), administrator=NOT_ALLOWED, partial_admin=NOT_ALLOWED),
        post=every(REDIRECT("admin:index"), administrator=REDIRECT("login"), partial_admin=REDIRECT("login")),
    ),
    Row(
        "admin:password_change",
        named("admin:password_change"),
        get=ADMIN_ONLY,
        post=admins(REDIRECT("admin:password_change_done")),
        payload=_admin_password_change,
    ),
    Row("admin:password_change_done", named("admin:password_change_done"), get=ADMIN_ONLY),
    Row("admin:autocomplete", _autocomplete_path, get=_autocomplete),
    Row("admin:jsi18n", named("admin:jsi18n"), get=ADMIN_ONLY),
    Row("admin:view_on_site", _view_on_site_path, get=_view_on_site),
    Row("admin:app_list", lambda world: reverse("admin:app_list", kwargs={"app_label": "cases"}), get=ADMIN_ONLY),
    # Anything else under /admin/: outsiders are sent to sign in before learning whether it exists.
    Row("admin/(?P<url>.*)$", lambda world: "/admin/no-such-page/", get=admins(HIDDEN)),
]


def hostile_form(model: type[models.Model]) -> dict[str, object]:
    """What an outsider would post to take a record over: every text replaced, every flag set
    (is_staff, is_superuser, is_active…)."""
    data: dict[str, object] = {}
    for model_field in model._meta.concrete_fields:
        if not model_field.editable or model_field.primary_key:
            continue
        if isinstance(model_field, models.BooleanField):
            data[model_field.name] = "on"
        elif isinstance(model_field, models.CharField | models.TextField) and not model_field.choices:
            data[model_field.name] = OUTSIDER_TEXT
    return data


def admin_model_rows(model: type[models.Model], model_admin: admin.ModelAdmin) -> list[Row]:
    """The rows of one registered model: the standard admin pages, django-guardian's
    object-permission pages where the admin has them, and the user password page."""
    opts = model._meta
    prefix = f"admin:{opts.app_label}_{opts.model_name}"

    def obj_pk(world: World) -> str:
        return quote(world.first_row(model).pk)

    def object_page(suffix: str) -> Callable[[World], str]:
        return named(f"{prefix}_{suffix}", obj_pk)

    def delete_selected(world: World, user: User | None) -> dict[str, object]:
        return {"action": "delete_selected", "_selected_action": [world.first_row(model).pk], "post": "yes"}

    def hostile(world: World, user: User | None) -> dict[str, object]:
        return hostile_form(model)

    def confirm_delete(world: World, user: User | None) -> dict[str, object]:
        return {"post": "yes"}

    def reads(needs: str) -> Expectations:
        return admins(OK.given(needs))

    def writes(needs: str) -> Expectations:
        return admins(ACCEPTED.given(needs))

    def old_change_url(world: World) -> Expectations:
        return admins(REDIRECT(object_page("change")(world)))

    rows = [
        Row(
            f"{prefix}_changelist",
            named(f"{prefix}_changelist"),
            get=reads("view"),
            post=writes("bulk_delete"),
            payload=delete_selected,
            model=model,
        ),
        Row(
            f"{prefix}_add", named(f"{prefix}_add"), get=reads("add"), post=writes("add"), payload=hostile, model=model
        ),
        Row(f"{prefix}_history", object_page("history"), get=reads("view"), model=model, on_object=True),
        Row(
            f"{prefix}_delete",
            object_page("delete"),
            get=reads("delete"),
            post=writes("delete_cascade"),
            payload=confirm_delete,
            model=model,
            on_object=True,
        ),
        Row(
            f"{prefix}_change",
            object_page("change"),
            get=reads("view"),
            post=writes("change"),
            payload=hostile,
            model=model,
            on_object=True,
        ),
        # The pre-1.9 change URL, kept by Django as a redirect.
        Row(
            f"admin/{opts.app_label}/{opts.model_name}/<path:object_id>/",
            lambda world: f"/admin/{opts.app_label}/{opts.model_name}/{obj_pk(world)}/",
            get=old_change_url,
            model=model,
        ),
    ]
    if isinstance(model_admin, GuardedModelAdminMixin):
        rows += guardian_rows(model, prefix, obj_pk)
    if isinstance(model_admin, UserAdmin):
        rows.append(
            Row(
                f"{prefix}_password_change",
                object_page("password_change"),
                get=reads("change"),
                post=writes("change"),
                payload=lambda world, user: {
                    "password1": NEW_PASSWORD,
                    "password2": NEW_PASSWORD,
                    "usable_password": "true",
                },
                model=model,
                on_object=True,
            )
        )
    return rows


def guardian_rows(model: type[models.Model], prefix: str, obj_pk: Callable[[World], str]) -> list[Row]:
    """django-guardian's pages for per-object grants. An outsider posting here tries to make
    the other customer a delegate of the cast's customer."""
    back_to_index = REDIRECT("admin:index")

    def outsider_id(world: World) -> int:
        return world.cast.other_customer.user_id

    def group_id(world: World) -> int:
        return world.cast.job.company.group_id

    def pick_outsider(world: World, user: User | None) -> dict[str, object]:
        return {"submit_manage_user": "1", "user": world.cast.other_customer.user.get_username()}

    def grant_delegate(world: World, user: User | None) -> dict[str, object]:
        return {"permissions": [policies.DELEGATE_PERM], "relationship": "neighbour"}

    def back_to_grants(world: World) -> Expectations:
        # Steward grants people, never groups: the group page sends the administrator back.
        return admins(REDIRECT(named(f"{prefix}_permissions", obj_pk)(world)))

    return [
        Row(
            f"{prefix}_permissions",
            named(f"{prefix}_permissions", obj_pk),
            get=admins(OK.given("change", back_to_index)),
            post=admins(ACCEPTED.given("change", back_to_index)),
            payload=pick_outsider,
            model=model,
        ),
        Row(
            f"{prefix}_permissions_manage_user",
            named(f"{prefix}_permissions_manage_user", obj_pk, outsider_id),
            get=admins(OK.given("change", back_to_index)),
            post=admins(ACCEPTED.given("change", back_to_index)),
            payload=grant_delegate,
            model=model,
        ),
        Row(
            f"{prefix}_permissions_manage_group",
            named(f"{prefix}_permissions_manage_group", obj_pk, group_id),
            get=back_to_grants,
            post=back_to_grants,
            payload=grant_delegate,
            model=model,
        ),
    ]


def matrix() -> dict[str, Row]:
    """Every row, by key: the portal's pages, the admin site's own, and each registered model's."""
    # Each surface keeps its rows beside its own tests.
    from tests.api.matrix_rows import API_ROWS
    from tests.contractor_ui.matrix_rows import CONTRACTOR_ROWS
    from tests.reports.matrix_rows import REPORT_ROWS
    from tests.selfservice.matrix_rows import CUSTOMER_ROWS
    from tests.staff_ui.matrix_rows import STAFF_ROWS

    rows = [*PORTAL_ROWS, *ADMIN_SITE_ROWS, *STAFF_ROWS, *CUSTOMER_ROWS, *CONTRACTOR_ROWS, *API_ROWS, *REPORT_ROWS]
    for model, model_admin in admin.site._registry.items():
        rows += admin_model_rows(model, model_admin)
    table: dict[str, Row] = {}
    for row in rows:
        if row.key in table:
            raise ValueError(f"Two matrix rows for {row.key}")
        table[row.key] = row
    return table


def resolver_keys() -> dict[str, str]:
    """Every URL pattern of the project, by fully-qualified name (or by route when unnamed),
    with its full route."""
    found: dict[str, str] = {}

    def walk(patterns: list, prefix: str, namespaces: tuple[str, ...]) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route, (*namespaces, pattern.namespace) if pattern.namespace else namespaces)
            elif isinstance(pattern, URLPattern):
                found[":".join((*namespaces, pattern.name)) if pattern.name else route] = route

    walk(get_resolver().url_patterns, "", ())
    return found
