"""`manage.py load_demo`: loads once, prints working logins, refuses to take over existing
accounts, and `--volume N` adds N customers whose cases keep the product's invariants."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db.models import Count, Max, Min, QuerySet
from django.test import RequestFactory
from django.utils import timezone
from pytest_django.fixtures import Settings

from cases.demo import bulk
from cases.demo.cast import DEMO_PASSWORD, demo_usernames
from cases.demo.logins import LOGINS
from cases.demo.volume import VOLUME_EMAIL_DOMAIN
from cases.models import Case, Message, ReferenceCounter, TimelineEvent
from cases.services import case_open
from people.models import Customer
from people.phones import phone_search_key
from tests.demo.conftest import database_state

ROLES = [
    "administrator",
    "staff owner",
    "manager",
    "customer",
    "delegate",
    "other customer",
    "contractor user",
    "other contractor user",
]


def _load(**options: object) -> str:
    out = StringIO()
    call_command("load_demo", stdout=out, **options)
    return out.getvalue()


def test_every_printed_login_signs_in_with_the_demo_password(db: None) -> None:
    output = _load()
    assert f"every password is: {DEMO_PASSWORD}" in output
    assert {role for role, _username, _look in LOGINS} >= set(ROLES)
    printed = {username for _role, username, _look in LOGINS}
    assert all(f" {username} " in output for username in printed)
    assert printed <= set(demo_usernames())
    request = RequestFactory().post("/login/")
    for username in demo_usernames():
        user = authenticate(request, username=username, password=DEMO_PASSWORD)
        assert user is not None and user.username == username, username
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert not User.objects.filter(is_superuser=True).exclude(username="admin").exists()


def test_second_run_says_so_and_changes_nothing(db: None) -> None:
    _load()
    before = database_state()
    output = _load()
    assert "already loaded; nothing changed" in output
    assert database_state() == before


def test_refuses_to_take_over_an_existing_account(db: None) -> None:
    User.objects.create_user("claire", password="her-own-password-1")
    with pytest.raises(CommandError, match="user claire"):
        _load()
    assert not Case.objects.exists()
    assert User.objects.get(username="claire").check_password("her-own-password-1")


def test_refuses_when_debug_is_off_unless_told_it_is_a_throwaway(db: None, settings: Settings) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        _load()
    assert not User.objects.exists()
    _load(allow_without_debug=True)
    assert User.objects.filter(username="admin").exists()


def _assert_volume_cases_consistent(customers: QuerySet[Customer]) -> None:
    # Bulk inserts bypass save(): the loader derives the phone's search key itself.
    for phone, digits in customers.values_list("phone", "phone_digits"):
        assert digits == phone_search_key(phone) and digits.startswith("06"), phone
    cases = Case.objects.filter(customer__in=customers)
    assert cases.count() >= customers.count()
    assert not cases.exclude(owner__is_active=True, owner__staff_profile__isnull=False).exists()
    assert not Case.objects.values("reference").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert not TimelineEvent.objects.filter(created_at__gt=timezone.now()).exists()
    for case in cases.annotate(last_event=Max("timeline__created_at"), first_event=Min("timeline__created_at")):
        assert case.last_activity_at == case.last_event and case.created_at == case.first_event
        waiting = case.messages.filter(direction=Message.Direction.INBOUND, answered_at__isnull=True)
        oldest = waiting.aggregate(first=Min("created_at"))["first"]
        assert case.awaiting_reply_since == oldest, case.reference
        assert (case.reply_due_at is not None) == (oldest is not None)
        replies = case.messages.filter(direction=Message.Direction.OUTBOUND, is_internal=False)
        assert case.last_outbound_at == replies.aggregate(last=Max("created_at"))["last"], case.reference
        if case.status == Case.Status.CLOSED:
            assert case.close_reason == "confirmed" or case.confirmation_reminder_sent_at is not None
    for event in TimelineEvent.objects.filter(case__in=cases, subject_key__startswith="message:"):
        assert Message.objects.filter(pk=event.subject_key.split(":")[1], case_id=event.case_id).exists()
    # Every year's counter moved past the references drawn in it.
    for counter in ReferenceCounter.objects.all():
        numbers = Case.objects.filter(reference__startswith=f"CS-{counter.year}-").values_list("reference", flat=True)
        assert counter.last_number == max(int(reference.rsplit("-", 1)[1]) for reference in numbers)


def test_volume_adds_customers_whose_cases_keep_the_invariants(db: None) -> None:
    _load()
    story_cases = Case.objects.count()
    output = _load(volume=200, batch_size=70, seed=11)
    assert "already loaded" in output and "customers: 200" in output

    customers = Customer.objects.filter(email__endswith=VOLUME_EMAIL_DOMAIN)
    assert customers.count() == 200
    cases = Case.objects.filter(customer__in=customers)
    assert Case.objects.count() == story_cases + cases.count()
    assert cases.values("owner__staff_profile__department").distinct().count() == 5
    _assert_volume_cases_consistent(customers)

    # The next case opened through the service gets a fresh reference.
    year = timezone.now().year
    last_number = ReferenceCounter.objects.get(year=year).last_number
    claire = User.objects.get(username="claire")
    fresh = case_open(actor=claire, customer=customers.first(), owner=claire, subject="After the volume")
    assert fresh.reference == f"CS-{year}-{last_number + 1:06d}"


def test_volume_without_fast_inserts_writes_the_same_kind_of_rows(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Databases other than SQLite and PostgreSQL take Django's bulk_create path."""
    monkeypatch.setattr(bulk, "fast_inserts_supported", lambda: False)
    _load(volume=40, seed=5)
    customers = Customer.objects.filter(email__endswith=VOLUME_EMAIL_DOMAIN)
    assert customers.count() == 40
    _assert_volume_cases_consistent(customers)


def test_volume_on_its_own_loads_the_stories_first(db: None) -> None:
    output = _load(volume=5, seed=3)
    assert "Demo stories loaded" in output
    assert Customer.objects.filter(email__endswith=VOLUME_EMAIL_DOMAIN).count() == 5


def test_with_history_adds_a_month_of_figures_once_with_the_stories(db: None) -> None:
    """What ./bin/start runs: the reports have a month to show, and a second start adds nothing."""
    from datetime import timedelta

    from django.utils import timezone

    from cases.models import Promise

    output = _load(with_history=True)
    assert "Adding 500 customers" in output
    month_ago = timezone.now() - timedelta(days=30)
    assert Promise.objects.filter(created_at__gte=month_ago, status=Promise.Status.KEPT).count() > 10
    before = database_state()
    assert "already loaded; nothing changed" in _load(with_history=True)
    assert database_state() == before
