"""Who may see and change what — the one place these rules live (DESIGN.md invariant 6).

Views, the API, templates and the admin site ask here. It is also the only module that
reads django-guardian's grants: delegates on a customer or on single cases, specialists
added to a case, and jobs shared with a second contractor company.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeGuard, TypeVar

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, Q, QuerySet

from cases.models import (
    Case,
    CaseUserObjectPermission,
    Flag,
    Handoff,
    InsuranceClaim,
    Message,
    Promise,
    Sale,
    TimelineEvent,
)
from people.models import Customer, CustomerUserObjectPermission

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from contractors.models import ContractorCompany, ContractorUser, Job

DELEGATE_PERM = "act_for_customer"
SPECIALIST_PERM = "work_on_case"
SHARED_JOB_PERM = "work_on_job"

_Row = TypeVar("_Row", bound=Model)


# --- who is this user -----------------------------------------------------------------


def is_staff_member(user: User | AnonymousUser) -> TypeGuard[User]:
    """An active employee with a staff profile: may own cases and use the staff pages."""
    return bool(user.is_authenticated and user.is_active and hasattr(user, "staff_profile"))


def is_manager(user: User | AnonymousUser) -> bool:
    return is_staff_member(user) and user.staff_profile.role == "manager"


def is_active_superuser(user: User | AnonymousUser) -> bool:
    """A superuser counts only while their account is active, like everyone else."""
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def is_administrator(user: User | AnonymousUser) -> bool:
    """May use the admin site (Django's is_staff flag), with model permissions or as superuser."""
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def must_use_two_factor(user: User | AnonymousUser) -> bool:
    """Asked for a one-time code after the password: whoever may reach the admin site, and staff
    whose role is listed in TWO_FACTOR_STAFF_ROLES. TWO_FACTOR_ENFORCED off asks nobody."""
    if not settings.TWO_FACTOR_ENFORCED or not user.is_authenticated or not user.is_active:
        return False
    if is_administrator(user) or user.is_superuser:
        return True
    return is_staff_member(user) and user.staff_profile.role in settings.TWO_FACTOR_STAFF_ROLES


def customer_of(user: User | AnonymousUser) -> Customer | None:
    if not user.is_authenticated or not user.is_active:
        return None
    return getattr(user, "customer_profile", None)


def contractor_company_of(user: User | AnonymousUser) -> ContractorCompany | None:
    if not user.is_authenticated or not user.is_active:
        return None
    profile: ContractorUser | None = getattr(user, "contractor_profile", None)
    if profile is None or not profile.company.is_active:
        return None
    return profile.company


def is_any_delegate(user: User | AnonymousUser) -> bool:
    """Holds a delegate grant on at least one customer or case."""
    if not user.is_authenticated or not user.is_active:
        return False
    return (
        CaseUserObjectPermission.objects.filter(user=user, permission__codename=DELEGATE_PERM).exists()
        or CustomerUserObjectPermission.objects.filter(user=user, permission__codename=DELEGATE_PERM).exists()
    )


def _delegated_case_ids(user: User) -> QuerySet[CaseUserObjectPermission, dict[str, Any]]:
    return CaseUserObjectPermission.objects.filter(user=user, permission__codename=DELEGATE_PERM).values(
        "content_object_id"
    )


def _delegated_customer_ids(user: User) -> QuerySet[CustomerUserObjectPermission, dict[str, Any]]:
    return CustomerUserObjectPermission.objects.filter(user=user, permission__codename=DELEGATE_PERM).values(
        "content_object_id"
    )


# --- cases ------------------------------------------------------------------------------


def cases_visible_to(user: User | AnonymousUser) -> QuerySet[Case]:
    """Every case the user may open. Staff see all cases (search must reach any of them);
    customers their own; delegates what they were granted; contractors none (they see jobs)."""
    if sees_every_case(user):
        return Case.objects.all()
    if not user.is_authenticated or not user.is_active:
        return Case.objects.none()
    if contractor_company_of(user) is not None:
        return Case.objects.none()
    # One IN over a UNION of three index lookups (own customer's cases, cases granted, cases of
    # customers granted). An OR of three IN-subqueries, or a join to customers inside the OR,
    # makes PostgreSQL read every case and SQLite every customer (1–2 s at 100k).
    # (Each part unordered: a compound statement takes no ORDER BY in its parts.)
    own = Case.objects.filter(customer__user=user).order_by().values("pk")
    of_delegated_customers = Case.objects.filter(customer_id__in=_delegated_customer_ids(user)).order_by().values("pk")
    delegated = _delegated_case_ids(user).order_by()
    return Case.objects.filter(pk__in=own.union(delegated, of_delegated_customers, all=True))


def sees_every_case(user: User | AnonymousUser) -> bool:
    """Staff and administrators may open any case (search must reach any of them)."""
    return is_staff_member(user) or is_active_superuser(user)


def on_visible_cases(queryset: QuerySet[_Row], user: User | AnonymousUser, *, path: str = "case") -> QuerySet[_Row]:
    """The rows of `queryset` hanging (through the non-null relation `path`) on a case the user
    may see. For those who see every case there is no filter at all: `case_id IN (SELECT id
    FROM cases_case)` would make the database read every case to learn nothing."""
    if sees_every_case(user):
        return queryset
    return queryset.filter(**{f"{path}__in": cases_visible_to(user)})


def can_view_case(user: User | AnonymousUser, case: Case) -> bool:
    return cases_visible_to(user).filter(pk=case.pk).exists()


def is_customer_side(user: User | AnonymousUser, case: Case) -> bool:
    """The case's customer or one of their delegates for this case."""
    if not user.is_authenticated or not user.is_active or is_staff_member(user):
        return False
    if case.customer.user_id == user.pk:
        return True
    return (
        CaseUserObjectPermission.objects.filter(
            user=user, permission__codename=DELEGATE_PERM, content_object=case
        ).exists()
        or CustomerUserObjectPermission.objects.filter(
            user=user, permission__codename=DELEGATE_PERM, content_object_id=case.customer_id
        ).exists()
    )


def case_delegates(case: Case) -> QuerySet[User]:
    """Users granted this one case as delegates (not those granted the whole customer)."""
    from django.contrib.auth.models import User

    return User.objects.filter(
        pk__in=CaseUserObjectPermission.objects.filter(permission__codename=DELEGATE_PERM, content_object=case).values(
            "user_id"
        )
    )


def cases_delegated_to(user: User, customer: Customer) -> QuerySet[Case]:
    """The customer's cases granted to `user` one by one."""
    return customer.cases.filter(pk__in=_delegated_case_ids(user))


def is_customer_side_of(user: User | AnonymousUser, customer: Customer) -> bool:
    """The customer themself, or a delegate granted on all their cases."""
    if not user.is_authenticated or not user.is_active or is_staff_member(user):
        return False
    return (
        customer.user_id == user.pk
        or CustomerUserObjectPermission.objects.filter(
            user=user, permission__codename=DELEGATE_PERM, content_object=customer
        ).exists()
    )


def is_specialist(user: User | AnonymousUser, case: Case) -> bool:
    return CaseUserObjectPermission.objects.filter(
        user=user, permission__codename=SPECIALIST_PERM, content_object=case
    ).exists()


def case_specialists(case: Case) -> QuerySet[User]:
    """Colleagues added to help on this case (not those granted through a group)."""
    from django.contrib.auth.models import User

    return User.objects.filter(
        pk__in=CaseUserObjectPermission.objects.filter(
            permission__codename=SPECIALIST_PERM, content_object=case
        ).values("user_id")
    )


def _manages_owner(user: User, case: Case) -> bool:
    """The owner's manager or the head of the owner's department."""
    owner_profile = getattr(case.owner, "staff_profile", None)
    return owner_profile is not None and user.pk in (owner_profile.manager_id, owner_profile.department.head_id)


def can_work_on_case(user: User | AnonymousUser, case: Case) -> bool:
    """Change the case and its records: the owner, the owner's manager, the head of the
    owner's department, a specialist added to the case, or a superuser."""
    if not user.is_authenticated or not user.is_active:
        return False
    if is_active_superuser(user):
        return True
    if not is_staff_member(user):
        return False
    return case.owner_id == user.pk or _manages_owner(user, case) or is_specialist(user, case)


def can_edit_customer(user: User | AnonymousUser, customer: Customer) -> bool:
    """Change a customer's details (contact, channel, language, vulnerability and access notes):
    staff who may work on one of the customer's open cases, or a superuser. The record is shared
    by every case, so having helped on a closed one long ago is not enough."""
    # Both checks below require a signed-in, active account.
    if is_active_superuser(user):
        return True
    if not is_staff_member(user):
        return False
    specialist_on = CaseUserObjectPermission.objects.filter(user=user, permission__codename=SPECIALIST_PERM).values(
        "content_object_id"
    )
    return (
        customer.cases.exclude(status=Case.Status.CLOSED)
        .filter(
            Q(owner=user)
            | Q(owner__staff_profile__manager=user)
            | Q(owner__staff_profile__department__head=user)
            | Q(pk__in=specialist_on)
        )
        .exists()
    )


def can_invite_customer(user: User | AnonymousUser, customer: Customer) -> bool:
    """Give the customer their own sign-in for the self-service pages, or send its invitation
    again: the same people who may change their contact details, the address it goes to."""
    return can_edit_customer(user, customer)


def can_note_on_case(user: User | AnonymousUser, case: Case) -> bool:
    """Any member of staff may log a call or leave an internal note on a case they can see:
    whoever picks up the phone must be able to record it."""
    return is_staff_member(user) or is_active_superuser(user)


def can_handoff(user: User | AnonymousUser, case: Case) -> bool:
    """The owner, their manager or head of department: a specialist may help but may not
    give the case away."""
    if is_active_superuser(user):
        return True
    return is_staff_member(user) and (case.owner_id == user.pk or _manages_owner(user, case))


def can_pass_survey_to_sales(user: User | AnonymousUser, case: Case, *, contact_id: int | None) -> bool:
    """Hand a customer who asked, in their survey, to talk about their services to sales: whoever
    may hand the case off, or the person the survey named to contact them (the owner's successor
    when the owner has left)."""
    if can_handoff(user, case):
        return True
    return is_staff_member(user) and contact_id is not None and contact_id == user.pk


def can_write_as_customer(user: User | AnonymousUser, case: Case) -> bool:
    return is_customer_side(user, case)


def can_grant_delegate(user: User | AnonymousUser, customer: Customer) -> bool:
    """The customer themself, or any member of staff, may authorise a delegate."""
    if is_staff_member(user) or is_active_superuser(user):
        return True
    return bool(user.is_authenticated and user.is_active and customer.user_id == user.pk)


def can_deactivate_staff(actor: User | AnonymousUser, target: User) -> bool:
    if not actor.is_authenticated or not actor.is_active or actor.pk == target.pk:
        return False
    if is_active_superuser(actor):
        return True
    target_profile = getattr(target, "staff_profile", None)
    return bool(
        target_profile is not None
        and is_manager(actor)
        and (target_profile.manager_id == actor.pk or target_profile.department.head_id == actor.pk)
    )


def can_merge_records(user: User | AnonymousUser) -> bool:
    """Merge two customer records, or two cases of one customer: staff with the manager role
    (team managers and heads of department, who hold it) and superusers. A merge moves everyone's
    work and cannot be undone; read from the profile already loaded, so pages pay no query."""
    return is_active_superuser(user) or is_manager(user)


def can_view_reports(user: User | AnonymousUser) -> bool:
    """The reports of /staff/reports/: staff with the manager role (team managers and heads of
    department, who hold it) and superusers. Read from the profile already loaded, so the
    navigation asks it on every page for free."""
    return is_active_superuser(user) or is_manager(user)


def report_owners_for(user: User | AnonymousUser) -> QuerySet[User] | None:
    """Whose work a user's reports cover, as the case owners (or handoff receivers) counted:
    a team manager themself and their team, a head of department everyone in it, a superuser
    everyone (None: no limit). Nobody for anyone else."""
    from django.contrib.auth.models import User

    if is_active_superuser(user):
        return None
    if not can_view_reports(user):
        return User.objects.none()
    return User.objects.filter(Q(pk=user.pk) | Q(staff_profile__manager=user) | Q(staff_profile__department__head=user))


def can_export_customer_data(user: User | AnonymousUser) -> bool:
    """Export everything held about a customer: administrators of the admin site granted
    `people.export_customer_data` (superusers hold every permission)."""
    return is_administrator(user) and user.has_perm("people.export_customer_data")


def can_erase_customer_data(user: User | AnonymousUser) -> bool:
    """Erase a customer's personal data: administrators granted `people.erase_customer_data`."""
    return is_administrator(user) and user.has_perm("people.erase_customer_data")


# Flags whose cause has no record to fix: a person looks and decides they need nothing more.
# A low survey score clears itself when a call reaches the customer; when the follow-up happened
# another way (they wrote, a visit), the person says so in the dismissal.
DISMISSIBLE_FLAG_KINDS = frozenset({Flag.Kind.EMERGING_INCIDENT, Flag.Kind.LOW_SURVEY_SCORE})


def can_dismiss_flag(user: User | AnonymousUser, flag: Flag) -> bool:
    """Declare an emerging incident a coincidence: the person the flag is with (the ladder's
    owner, manager or head), the manager of the flagged case's owner or the head of their
    department, or a superuser. A manager of another team may see the case but not decide
    for a team that is not theirs, and neither may a specialist helping on one case."""
    # Both checks below require a signed-in, active account.
    if is_active_superuser(user):
        return True
    if not is_staff_member(user):
        return False
    if flag.assignee_id == user.pk:
        return True
    return flag.case is not None and is_manager(user) and _manages_owner(user, flag.case)


def can_manage_alerts(user: User | AnonymousUser) -> bool:
    return is_staff_member(user) or is_active_superuser(user)


# --- what of a case each side may read --------------------------------------------------


def timeline_for(user: User | AnonymousUser, case: Case) -> QuerySet[TimelineEvent]:
    """The case's events and those of the duplicates merged into it: a timeline is append-only,
    so a merged case keeps its events and they are read here through its `merged_into` link."""
    # The case and its merged duplicates as two index lookups joined by UNION ALL: with
    # "pk = X OR merged_into = X" SQLite read every case's merged_into entry (~13 ms at 130k
    # cases), and "case = X OR case IN (merged)" made PostgreSQL read every event.
    itself = Case.objects.filter(pk=case.pk).order_by().values("pk")
    history = itself.union(Case.objects.filter(merged_into=case).order_by().values("pk"), all=True)
    events = TimelineEvent.objects.filter(case__in=history)
    if is_staff_member(user) or is_active_superuser(user):
        return events
    if is_customer_side(user, case):
        return events.filter(customer_visible=True)
    return events.none()


def messages_for(user: User | AnonymousUser, case: Case) -> QuerySet[Message]:
    messages = Message.objects.filter(case=case)
    if is_staff_member(user) or is_active_superuser(user):
        return messages
    if is_customer_side(user, case):
        return messages.filter(is_internal=False)
    return messages.none()


def promises_for(user: User | AnonymousUser, case: Case) -> QuerySet[Promise]:
    promises = Promise.objects.filter(case=case)
    if is_staff_member(user) or is_active_superuser(user):
        return promises
    if is_customer_side(user, case):
        return promises.filter(owed_to_customer=True)
    return promises.none()


def claims_for(user: User | AnonymousUser, case: Case) -> QuerySet[InsuranceClaim]:
    claims = InsuranceClaim.objects.filter(case=case)
    if is_staff_member(user) or is_active_superuser(user) or is_customer_side(user, case):
        return claims
    return claims.none()


def sales_for(user: User | AnonymousUser, case: Case) -> QuerySet[Sale]:
    """What was sold on the case: staff, and the customer side (what they bought, in plain
    words); contractors never (a job needs no price). Changing a sale is can_work_on_case."""
    sales = Sale.objects.filter(case=case)
    if is_staff_member(user) or is_active_superuser(user) or is_customer_side(user, case):
        return sales
    return sales.none()


def jobs_for(user: User | AnonymousUser, case: Case) -> QuerySet[Job]:
    """The case's contractor jobs as each side may see them: staff all of them; the customer
    side too (the pages show them only the company, window and prerequisites); nobody else."""
    from contractors.models import Job

    jobs = Job.objects.filter(case=case)
    if is_staff_member(user) or is_active_superuser(user) or is_customer_side(user, case):
        return jobs
    return jobs.none()


# --- contractor jobs --------------------------------------------------------------------


def jobs_visible_to(user: User | AnonymousUser) -> QuerySet[Job]:
    """Staff see every job; a contractor user their company's jobs and jobs shared with it."""
    from contractors.models import Job, JobGroupObjectPermission, JobUserObjectPermission

    if is_staff_member(user) or is_active_superuser(user):
        return Job.objects.all()
    company = contractor_company_of(user)
    if company is None:
        return Job.objects.none()
    shared = Q(
        pk__in=JobUserObjectPermission.objects.filter(user=user, permission__codename=SHARED_JOB_PERM).values(
            "content_object_id"
        )
    )
    if company.group_id:
        shared |= Q(
            pk__in=JobGroupObjectPermission.objects.filter(
                group_id=company.group_id, permission__codename=SHARED_JOB_PERM
            ).values("content_object_id")
        )
    return Job.objects.filter(Q(company=company) | shared)


def can_work_on_job(user: User | AnonymousUser, job: Job) -> bool:
    """Report on the job: a user of a company it is assigned or shared to, or staff who
    may work on its case."""
    if contractor_company_of(user) is not None:
        return jobs_visible_to(user).filter(pk=job.pk).exists()
    return can_work_on_case(user, job.case)


# --- what the API and pages show, by audience ----------------------------------------------

STAFF, CONTRACTOR, CUSTOMER_SIDE = "staff", "contractor", "customer"


def is_staff_side(user: User | AnonymousUser) -> bool:
    """Sees what staff see: members of staff, and active superusers."""
    return is_staff_member(user) or is_active_superuser(user)


def audience_of(user: User | AnonymousUser) -> str:
    """Whose eyes a record is shown to: staff, a contractor user, or the customer's side."""
    if is_staff_side(user):
        return STAFF
    if contractor_company_of(user) is not None:
        return CONTRACTOR
    return CUSTOMER_SIDE


def customers_visible_to(user: User | AnonymousUser) -> QuerySet[Customer]:
    """Staff see every customer (a case is opened for someone who has none yet); anyone else
    their own record and the customers of the cases they may open."""
    if is_staff_side(user):
        return Customer.objects.all()
    if not user.is_authenticated or not user.is_active:
        return Customer.objects.none()
    return Customer.objects.filter(Q(user=user) | Q(pk__in=cases_visible_to(user).values("customer_id")))


def handoffs_visible_to(user: User | AnonymousUser) -> QuerySet[Handoff]:
    """Handoff summaries are written for the next owner: staff only. The customer learns of a
    handoff from the timeline ("… now looks after your case")."""
    if not is_staff_side(user):
        return Handoff.objects.none()
    return on_visible_cases(Handoff.objects.all(), user)


def can_view_promise(user: User | AnonymousUser, promise: Promise) -> bool:
    """The promises of a case the user may read, plus, for a contractor user, the promises
    made about a job they may see (they make and keep those)."""
    if promises_for(user, promise.case).filter(pk=promise.pk).exists():
        return True
    return bool(
        promise.job_id
        and contractor_company_of(user) is not None
        and jobs_visible_to(user).filter(pk=promise.job_id).exists()
    )


def can_view_claim(user: User | AnonymousUser, claim: InsuranceClaim) -> bool:
    return claims_for(user, claim.case).filter(pk=claim.pk).exists()
