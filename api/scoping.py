"""Reads the API needs that cases.policies has no single function for, built only from its
functions, so the rule each one applies still lives there.

(Candidates for the policy module itself: see the issue 7 report.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from cases import policies
from cases.models import Handoff, InsuranceClaim, Promise
from people.models import Customer

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


def is_staff_side(user: User | AnonymousUser) -> bool:
    """Sees what staff see: members of staff, and active superusers."""
    return policies.is_staff_member(user) or policies.is_active_superuser(user)


def customers_visible_to(user: User | AnonymousUser) -> QuerySet[Customer]:
    """Staff see every customer (a case is opened for someone who has none yet); anyone else
    their own record and the customers of the cases they may open."""
    if is_staff_side(user):
        return Customer.objects.all()
    if not user.is_authenticated or not user.is_active:
        return Customer.objects.none()
    return Customer.objects.filter(Q(user=user) | Q(pk__in=policies.cases_visible_to(user).values("customer_id")))


def handoffs_visible_to(user: User | AnonymousUser) -> QuerySet[Handoff]:
    """Handoff summaries are written for the next owner: staff only. The customer learns of a
    handoff from the timeline ("… now looks after your case")."""
    if not is_staff_side(user):
        return Handoff.objects.none()
    return Handoff.objects.filter(case__in=policies.cases_visible_to(user))


def can_view_promise(user: User | AnonymousUser, promise: Promise) -> bool:
    """The promises of a case the user may read, plus, for a contractor user, the promises
    made about a job they may see (they make and keep those)."""
    if policies.promises_for(user, promise.case).filter(pk=promise.pk).exists():
        return True
    return bool(
        promise.job_id
        and policies.contractor_company_of(user) is not None
        and policies.jobs_visible_to(user).filter(pk=promise.job_id).exists()
    )


def can_view_claim(user: User | AnonymousUser, claim: InsuranceClaim) -> bool:
    return policies.claims_for(user, claim.case).filter(pk=claim.pk).exists()
