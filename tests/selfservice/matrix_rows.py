"""The role-matrix rows of the customer self-service pages (issue 5).

Only the customer side reaches these pages: in the matrix's world "customer" is Mrs Martin,
"delegate" her son with a grant on all her cases, and "other_customer" a customer of his own.
Every case-level row is about Mrs Martin's case, so the other customer gets the same 404 as for
a case that does not exist; staff, contractor users and the administrator get a 404 on every
page; anonymous visitors are sent to sign in. The password-reset pages serve everybody.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from cases.models import Attachment
from cases.services import case_confirm, case_resolve
from people.models import Delegate
from selfservice.forms import day_choices
from tests.role_matrix import (
    ACCEPTED,
    HIDDEN,
    LOGIN,
    NOT_ALLOWED,
    OK,
    Expectations,
    Outcome,
    Row,
    World,
    every,
)

Payload = Callable[[World, User | None], dict[str, object]]


def customer_side(
    outcome: Outcome, *, delegate: Outcome | None = None, other_customer: Outcome = HIDDEN
) -> Expectations:
    """`outcome` for the customer (and, unless said, her delegate); 404 for everyone who is
    not on the customer side, sign-in for anonymous visitors."""
    return every(HIDDEN, customer=outcome, delegate=delegate or outcome, other_customer=other_customer, anonymous=LOGIN)


# Pages every customer-side person has (their own version of): lists, forms to fill in.
ANY_CUSTOMER = customer_side(OK, other_customer=OK)
ANY_CUSTOMER_CHANGES = customer_side(ACCEPTED, other_customer=ACCEPTED)
# Mrs Martin's case: hers and her son's; the other customer gets 404.
HER_CASE = customer_side(OK)
# Actions take POST only: the method is refused before any case is looked up.
POST_ONLY = customer_side(NOT_ALLOWED, other_customer=NOT_ALLOWED)
HER_CASE_CHANGES = customer_side(ACCEPTED)
# Only the customer themself manages helpers; her son is a delegate, not a customer.
HELPERS_PAGE = customer_side(OK, delegate=HIDDEN, other_customer=OK)
HELPERS_CHANGE = customer_side(ACCEPTED, delegate=HIDDEN, other_customer=ACCEPTED)


def _case(world: World) -> str:
    return world.cast.case.reference


def case_page(name: str, *more: Callable[[World], object]) -> Callable[[World], str]:
    return lambda world: reverse(name, args=[_case(world), *(arg(world) for arg in more)])


def _claim(world: World) -> int:
    return world.cast.case.claims.order_by("pk").first().pk


def _attachment(world: World) -> int:
    return Attachment.objects.filter(message__case=world.cast.case).order_by("pk").first().pk


def _sons_grant(world: World) -> int:
    return Delegate.objects.get(user=world.cast.delegate, customer=world.cast.customer, revoked_at__isnull=True).pk


def _payload(**fields: object) -> Payload:
    return lambda world, user: dict(fields)


def _new_request(world: World, user: User | None) -> dict[str, object]:
    """Each customer-side role asks for a customer they may open requests for."""
    own = getattr(user, "customer_profile", None) if user is not None else None
    customer = own or world.cast.customer
    return {"customer": str(customer.pk), "subject": "TV has no picture", "details": "Since this morning."}


def _invite(world: World, user: User | None) -> dict[str, object]:
    return {"full_name": "Chloé Carer", "email": "matrix-helper@example.test", "relationship": "carer", "scope": "all"}


def _call_back_payload(world: World, user: User | None) -> dict[str, object]:
    tomorrow_or_next = day_choices(timezone.now())[1][0]
    return {"callback-day": tomorrow_or_next, "callback-slot": "morning", "callback-phone": "04 78 25 14 07"}


def _resolved(world: World) -> None:
    """The resolution rows need a case waiting for the customer's answer (the test's savepoint
    undoes it)."""
    case_resolve(
        actor=world.cast.owner,
        case=world.cast.case,
        summary="Socket fitted and tested.",
        override_reason="The fibre job left open is a courtesy visit.",
    )


def _fixed_payload(world: World, user: User | None) -> dict[str, object]:
    _resolved(world)
    return {}


def _not_fixed_payload(world: World, user: User | None) -> dict[str, object]:
    _resolved(world)
    return {"notfixed-reason": "Still no heating."}


def _rating_payload(world: World, user: User | None) -> dict[str, object]:
    _resolved(world)
    case_confirm(actor=world.cast.customer.user, case=world.cast.case)
    return {"rating-score": "4", "rating-comment": "Kind people"}


def _reset_link(world: World) -> str:
    """A link of the right shape with a token that is not valid: it must reveal nothing."""
    uid = urlsafe_base64_encode(force_bytes(world.cast.customer.user_id))
    return reverse("my:password_reset_confirm", args=[uid, "cz3kq1-0123456789abcdef0123456789abcdef"])


def _change_row(name: str, payload: Payload) -> Row:
    return Row(f"my:{name}", case_page(f"my:{name}"), get=POST_ONLY, post=HER_CASE_CHANGES, payload=payload)


CUSTOMER_ROWS: list[Row] = [
    Row("my:cases", lambda world: reverse("my:cases"), get=ANY_CUSTOMER),
    Row(
        "my:new_request",
        lambda world: reverse("my:new_request"),
        get=ANY_CUSTOMER,
        post=ANY_CUSTOMER_CHANGES,
        payload=_new_request,
    ),
    Row("my:helpers", lambda world: reverse("my:helpers"), get=HELPERS_PAGE, post=HELPERS_CHANGE, payload=_invite),
    # Her son's grant: she may remove it; nobody else reaches it, not even the other customer.
    Row(
        "my:helper_remove",
        lambda world: reverse("my:helper_remove", args=[_sons_grant(world)]),
        get=customer_side(OK, delegate=HIDDEN),
        post=customer_side(ACCEPTED, delegate=HIDDEN),
    ),
    # Her son asks for copies of what Steward tells her; only her delegates can.
    Row(
        "my:copies",
        lambda world: reverse("my:copies", args=[world.cast.customer.pk]),
        get=POST_ONLY,
        post=customer_side(HIDDEN, delegate=ACCEPTED),
        payload=lambda world, user: {"wants_copies": "on"},
    ),
    Row("my:case", case_page("my:case"), get=HER_CASE),
    Row("my:claim", case_page("my:claim", _claim), get=HER_CASE),
    Row("my:attachment", case_page("my:attachment", _attachment), get=HER_CASE),
    _change_row("write", _payload(**{"write-body": "The pipe still leaks."})),
    _change_row("call_me_back", _call_back_payload),
    _change_row("fixed", _fixed_payload),
    _change_row("not_fixed", _not_fixed_payload),
    _change_row("rate", _rating_payload),
    Row(
        "my:password_reset",
        lambda world: reverse("my:password_reset"),
        get=every(OK),
        post=every(ACCEPTED),
        payload=_payload(email="customer@example.test"),
    ),
    Row("my:password_reset_done", lambda world: reverse("my:password_reset_done"), get=every(OK)),
    Row(
        "my:password_reset_confirm",
        _reset_link,
        get=every(OK),
        post=every(OK),
        payload=_payload(new_password1="Matrix-pass-2026", new_password2="Matrix-pass-2026"),
    ),
    Row("my:password_reset_complete", lambda world: reverse("my:password_reset_complete"), get=every(OK)),
]
