"""cases.services.selfservice: what the customer side starts, checked at the service layer
(the pages' tests cover the same through the forms)."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cases.models import Case, Flag, Promise
from cases.services.selfservice import (
    MAX_HELPERS,
    callback_request,
    case_open_from_portal,
    delegate_invite,
    send_helper_email,
)
from people.models import Delegate
from portal.errors import NotAllowed, RuleViolation
from tests.cases.dbstate import events_written, nothing_written
from tests.cases.steps import EXECUTABLE
from tests.conftest import Cast
from tests.factories import UserFactory


def _window(hours_ahead: float, length: float = 3) -> tuple:
    start = timezone.now() + timedelta(hours=hours_ahead)
    return start, start + timedelta(hours=length)


# --- call back -------------------------------------------------------------------------------


def test_callback_is_watched_like_any_promise(cast: Cast) -> None:
    starts_at, ends_at = _window(20)
    with events_written() as events:
        promise = callback_request(
            actor=cast.customer.user, case=cast.case, starts_at=starts_at, ends_at=ends_at, phone="0478251407"
        )
    assert (promise.kind, promise.status, promise.due_at, promise.made_by) == (
        Promise.Kind.CALLBACK,
        Promise.Status.OPEN,
        ends_at,
        cast.owner,
    )
    assert promise.made_by_label == "Olivia Owner"
    assert events.kinds() == ["promise_made", "flag_raised"]
    flag = Flag.objects.get(kind=Flag.Kind.CALLBACK_REQUEST, subject_key=f"callback:{promise.pk}")
    assert flag.case_id == cast.case.pk and flag.cleared_at is None


@pytest.mark.parametrize("role", ["owner", "other_agent", "contractor_user", "administrator"])
def test_only_the_customer_side_asks_for_a_call_back(cast: Cast, role: str) -> None:
    starts_at, ends_at = _window(20)
    with nothing_written(), pytest.raises(NotAllowed):
        callback_request(
            actor=getattr(cast, role), case=cast.case, starts_at=starts_at, ends_at=ends_at, phone="0478251407"
        )


def test_another_customer_cannot_ask_on_her_case(cast: Cast) -> None:
    starts_at, ends_at = _window(20)
    with nothing_written(), pytest.raises(NotAllowed):
        callback_request(
            actor=cast.other_customer.user, case=cast.case, starts_at=starts_at, ends_at=ends_at, phone="0478251407"
        )


@pytest.mark.parametrize(
    ("hours_ahead", "length", "message"),
    [
        (-5, 3, "already passed"),
        (0, 0.2, "already passed"),
        (24 * 31, 3, "within the next 30 days"),
        (20, 0, "Choose a time"),
    ],
)
def test_callback_windows_that_cannot_be_kept_are_refused(
    cast: Cast, hours_ahead: float, length: float, message: str
) -> None:
    starts_at, ends_at = _window(hours_ahead, length)
    with nothing_written(), pytest.raises(RuleViolation, match=message) as refused:
        callback_request(
            actor=cast.customer.user, case=cast.case, starts_at=starts_at, ends_at=ends_at, phone="0478251407"
        )
    assert refused.value.field == "starts_at"


# --- new request -----------------------------------------------------------------------------


def test_new_request_refused_for_another_customer_and_a_per_case_delegate(cast: Cast, carer: User) -> None:
    for actor in (cast.other_customer.user, carer, cast.contractor_user):
        with nothing_written(), pytest.raises(NotAllowed):
            case_open_from_portal(actor=actor, customer=cast.customer, subject="New", details="Please help")


def test_new_request_refuses_a_bad_file_before_opening_anything(cast: Cast) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        case_open_from_portal(
            actor=cast.customer.user,
            customer=cast.customer,
            subject="New",
            details="Please help",
            attachments=[SimpleUploadedFile("a.png", EXECUTABLE)],
        )
    assert refused.value.field == "attachments"


def test_new_request_has_an_owner_from_the_first_minute(cast: Cast) -> None:
    case = case_open_from_portal(actor=cast.delegate, customer=cast.customer, subject="New", details="Please help")
    assert case.owner.is_active and hasattr(case.owner, "staff_profile")
    assert case.status == Case.Status.NEW
    assert case.created_by == cast.delegate


# --- helpers ---------------------------------------------------------------------------------


def test_only_the_customer_or_staff_invites(cast: Cast) -> None:
    for actor in (cast.delegate, cast.other_customer.user):
        with nothing_written(), pytest.raises(NotAllowed):
            delegate_invite(
                actor=actor, customer=cast.customer, email="x@example.test", full_name="X Y", relationship="friend"
            )


def test_an_address_shared_by_two_accounts_is_refused_neutrally(cast: Cast) -> None:
    UserFactory(username="twin1", email="twin@example.test")
    UserFactory(username="twin2", email="TWIN@example.test")
    with nothing_written(), pytest.raises(RuleViolation, match="cannot add this person online"):
        delegate_invite(
            actor=cast.customer.user, customer=cast.customer, email="twin@example.test", full_name="T", relationship="x"
        )


def test_an_inactive_account_is_refused_neutrally(cast: Cast) -> None:
    UserFactory(username="gone", email="gone@example.test", is_active=False)
    with nothing_written(), pytest.raises(RuleViolation, match="cannot add this person online"):
        delegate_invite(
            actor=cast.customer.user, customer=cast.customer, email="gone@example.test", full_name="G", relationship="x"
        )


def test_the_number_of_helpers_is_capped(cast: Cast) -> None:
    for n in range(MAX_HELPERS - 1):  # Paul is the first
        delegate_invite(
            actor=cast.customer.user,
            customer=cast.customer,
            email=f"h{n}@example.test",
            full_name=f"Helper {n}",
            relationship="friend",
        )
    with nothing_written(), pytest.raises(RuleViolation, match=f"already have {MAX_HELPERS} helpers"):
        delegate_invite(
            actor=cast.customer.user, customer=cast.customer, email="one@example.test", full_name="O", relationship="x"
        )


def test_a_usernames_clash_still_makes_a_distinct_account(cast: Cast) -> None:
    UserFactory(username="clash@example.test", email="someone-else@example.test")
    delegate = delegate_invite(
        actor=cast.customer.user, customer=cast.customer, email="clash@example.test", full_name="C", relationship="x"
    )
    assert delegate.user.username.startswith("clash@example.test-")
    assert Delegate.objects.filter(customer=cast.customer, revoked_at__isnull=True).count() == 2


def test_a_mail_server_failure_is_not_an_error(cast: Cast, settings) -> None:
    settings.EMAIL_BACKEND = "tests.selfservice.test_selfservice_services.BrokenBackend"
    assert send_helper_email(user=cast.delegate, customer=cast.customer) is False
    assert not mail.outbox


class BrokenBackend:
    def __init__(self, *args: object, **kwargs: object) -> None:
        pass

    def send_messages(self, messages: list) -> int:
        raise ConnectionError("mail server down")
