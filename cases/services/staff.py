"""Staff accounts: deactivation waits until every open case has been handed off (invariant 4)."""

from django.contrib.auth.models import User
from django.db import transaction
from django.utils.translation import gettext as _

from cases import policies
from cases.models import Case
from cases.services.help import DEACTIVATED, help_requests_clear_for
from portal.errors import NotAllowed, RuleViolation


@transaction.atomic
def staff_deactivate(*, actor: User, user: User) -> User:
    if not policies.can_deactivate_staff(actor, user):
        raise NotAllowed(_("Only an administrator or the person's manager can deactivate a staff account."))
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not locked.is_active:
        raise RuleViolation(_("This account is already inactive."))
    open_refs = list(
        Case.objects.filter(owner=locked).exclude(status=Case.Status.CLOSED).values_list("reference", flat=True)[:11]
    )
    if open_refs:
        said = (
            _("%(name)s still owns open cases (%(cases)s and more). Hand them off first.")
            if len(open_refs) > 10
            else _("%(name)s still owns open cases (%(cases)s). Hand them off first.")
        )
        raise RuleViolation(
            said % {"name": locked.get_full_name() or locked.get_username(), "cases": ", ".join(open_refs[:10])},
            code="owns_open_cases",
        )
    locked.is_active = False
    locked.save(update_fields=["is_active"])
    # Nobody would answer these any more; the asker sees the request cleared on the case.
    help_requests_clear_for(colleague=locked, why=DEACTIVATED, actor=actor)
    return locked
