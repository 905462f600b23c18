"""Checks every service shares: who acts, on what, and whether the case is still open."""

from django.contrib.auth.models import User
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cases import policies
from cases.models import Case
from portal.errors import NotAllowed, RuleViolation


def require_active_staff(user: User | None, *, field: str = "owner") -> User:
    """Invariant 1: owners are named, active members of staff."""
    if user is None:
        raise RuleViolation(_("Choose a member of staff."), field=field)
    name = user.get_full_name() or user.get_username()
    if not user.is_active:
        raise RuleViolation(_("%(name)s is no longer active.") % {"name": name}, field=field)
    if not hasattr(user, "staff_profile"):
        raise RuleViolation(
            _("%(name)s is not a member of staff and cannot own cases.") % {"name": name},
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
    """`what` names the text in the reader's language ("your reply"): callers pass it through gettext."""
    text = (value or "").strip()
    if not text:
        # Translators: %(what)s is what is missing, already translated, e.g. "your reply", "a subject".
        raise RuleViolation(_("Write %(what)s.") % {"what": what}, field=field)
    if max_length is not None and len(text) > max_length:
        raise RuleViolation(
            ngettext(
                # Translators: %(what)s is the text, already translated, e.g. "your reply"; %(count)d is always
                # more than %(max)d.
                "Keep %(what)s under %(max)d character (it has %(count)d).",
                "Keep %(what)s under %(max)d characters (it has %(count)d).",
                max_length,
            )
            % {"what": what, "max": max_length, "count": len(text)},
            field=field,
        )
    return text


def require_choice(value: str, choices: list[str], *, field: str, what: str) -> str:
    """`what` names the kind of choice in the reader's language ("priority"): callers pass it through gettext."""
    if value not in choices:
        # Translators: %(value)s is what was sent; %(what)s the kind of choice, already translated, e.g. "priority".
        raise RuleViolation(_("“%(value)s” is not a valid %(what)s.") % {"value": value, "what": what}, field=field)
    return value


def require_open(case: Case) -> None:
    if case.status == Case.Status.CLOSED:
        raise RuleViolation(
            _("Case %(reference)s is closed.") % {"reference": case.reference}, field="case", code="closed"
        )


def require_can_work(actor: User, case: Case) -> None:
    if not policies.can_work_on_case(actor, case):
        raise NotAllowed(
            _("You may not change case %(reference)s: ask its owner or add yourself as a specialist.")
            % {"reference": case.reference}
        )


def lock_case(case: Case) -> Case:
    """Re-read the case under a row lock, so concurrent changes queue instead of overwriting."""
    return Case.objects.select_for_update(of=("self",)).select_related("customer", "owner").get(pk=case.pk)
