"""Checks every service shares: who acts, on what, and whether the case is still open."""

from django.contrib.auth.models import User

from cases import policies
from cases.models import Case
from portal.errors import NotAllowed, RuleViolation


def require_active_staff(user: User | None, *, field: str = "owner") -> User:
    """Invariant 1: owners are named, active members of staff."""
    if user is None:
        raise RuleViolation("Choose a member of staff.", field=field)
    if not user.is_active:
        raise RuleViolation(f"{user.get_full_name() or user.get_username()} is no longer active.", field=field)
    if not hasattr(user, "staff_profile"):
        raise RuleViolation(
            f"{user.get_full_name() or user.get_username()} is not a member of staff and cannot own cases.",
            field=field,
        )
    return user


def lock_active_staff(user: User | None, *, field: str = "owner") -> User:
    """Invariant 1 for a user about to own a case: re-read the account under a row lock.

    staff_deactivate locks the same row, so a deactivation running at the same moment either
    sees the case this user is about to own, or makes this check see the account inactive.
    """
    if user is not None:
        user = User.objects.select_for_update().filter(pk=user.pk).first()
    return require_active_staff(user, field=field)


def require_text(value: str | None, *, field: str, what: str, max_length: int | None = None) -> str:
    text = (value or "").strip()
    if not text:
        raise RuleViolation(f"Write {what}.", field=field)
    if max_length is not None and len(text) > max_length:
        raise RuleViolation(f"Keep {what} under {max_length} characters (it has {len(text)}).", field=field)
    return text


def require_choice(value: str, choices: list[str], *, field: str, what: str) -> str:
    if value not in choices:
        raise RuleViolation(f"“{value}” is not a valid {what}.", field=field)
    return value


def require_open(case: Case) -> None:
    if case.status == Case.Status.CLOSED:
        raise RuleViolation(f"Case {case.reference} is closed.", field="case", code="closed")


def require_can_work(actor: User, case: Case) -> None:
    if not policies.can_work_on_case(actor, case):
        raise NotAllowed(f"You may not change case {case.reference}: ask its owner or add yourself as a specialist.")


def lock_case(case: Case) -> Case:
    """Re-read the case under a row lock, so concurrent changes queue instead of overwriting."""
    return Case.objects.select_for_update(of=("self",)).select_related("customer", "owner").get(pk=case.pk)
