"""Contractor jobs: request, schedule, visit, cancel, complete; prerequisites and incidents.

Everything a contractor reports lands on the owner's case timeline in the same transaction.
"""

from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from guardian.shortcuts import assign_perm

from cases import policies
from cases.models import Case, Flag, TimelineDepartment, TimelineEvent
from cases.services.flags import flag_raise, flags_clear
from cases.services.guards import lock_case, require_can_work, require_choice, require_open, require_text
from cases.services.timeline import record_event
from contractors.models import (
    ContractorCompany,
    ContractorUser,
    IncidentCorrection,
    IncidentReport,
    Job,
    JobCancellation,
    JobPhoto,
    Prerequisite,
)
from people.models import Customer, StaffProfile
from portal.errors import NotAllowed, RuleViolation
from portal.uploads import validate_upload

Kind = TimelineEvent.Kind
Status = Job.Status
FIELD = TimelineDepartment.FIELD

# Allowed moves of a job; a visit cannot skip from scheduled to completed without being on site.
TRANSITIONS: dict[str, set[str]] = {
    Status.REQUESTED: {Status.SCHEDULED, Status.CANCELLED},
    Status.SCHEDULED: {Status.SCHEDULED, Status.ON_THE_WAY, Status.ON_SITE, Status.CANCELLED},
    Status.ON_THE_WAY: {Status.ON_SITE, Status.CANCELLED, Status.FAILED},
    Status.ON_SITE: {Status.COMPLETED, Status.FAILED},
    Status.CANCELLED: {Status.SCHEDULED},
    Status.FAILED: {Status.SCHEDULED},
    Status.COMPLETED: set(),
}


def _when(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%a %d %b %Y %H:%M}"


def flag_repeated_cancellation(job: Job, *, now: datetime | None = None) -> Flag | None:
    return flag_raise(
        kind=Flag.Kind.REPEATED_CANCELLATION,
        subject_key=f"job:{job.pk}",
        case=job.case,
        summary=f"{job.case.reference}: job {job.reference} cancelled {job.cancellation_count} times",
        now=now,
    )


def flag_missing_prerequisite(job: Job, *, now: datetime | None = None) -> Flag | None:
    return flag_raise(
        kind=Flag.Kind.MISSING_PREREQUISITE,
        subject_key=f"job:{job.pk}",
        case=job.case,
        summary=f"{job.case.reference}: job {job.reference} blocked by a missing prerequisite",
        now=now,
    )


def flag_incident(incident: IncidentReport, *, now: datetime | None = None) -> Flag | None:
    job = incident.job
    return flag_raise(
        kind=Flag.Kind.INCIDENT,
        subject_key=f"incident:{incident.pk}",
        case=job.case,
        summary=f"{job.case.reference}: damage reported on site — {incident.what[:120]}",
        now=now,
    )


def _lock_job(job: Job) -> Job:
    return Job.objects.select_for_update(of=("self",)).select_related("case", "company", "technician").get(pk=job.pk)


def _assigned_to_a_colleague(actor: User, job: Job) -> bool:
    """Within the job's own company, a job given to one technician is reported on by that
    technician or a company administrator: a colleague's report would hide who was there."""
    profile = getattr(actor, "contractor_profile", None)
    return (
        profile is not None
        and profile.company_id == job.company_id
        and job.technician_id not in (None, actor.pk)
        and not profile.is_company_admin
    )


def can_report_on_job(actor: User, job: Job) -> bool:
    """What the job page asks before offering the report forms; the services ask the same."""
    return policies.can_work_on_job(actor, job) and not _assigned_to_a_colleague(actor, job)


def _require_job_access(actor: User, job: Job) -> None:
    """A user of a company the job is assigned or shared to (its technician, when it has
    one, or an administrator of the company), or staff working on the case."""
    if not policies.can_work_on_job(actor, job):
        raise NotAllowed("You may not report on this job.")
    if _assigned_to_a_colleague(actor, job):
        name = job.technician.get_full_name() or job.technician.get_username()
        raise NotAllowed(
            f"Job {job.reference} is assigned to {name}: only they or your company's administrator can report on it."
        )


def _require_move(job: Job, new_status: str) -> None:
    if new_status not in TRANSITIONS[job.status]:
        allowed = ", ".join(sorted(Status(s).label.lower() for s in TRANSITIONS[job.status])) or "nothing"
        raise RuleViolation(
            f"A job that is {job.get_status_display().lower()} can only become: {allowed}.", field="status"
        )


def _touch(case: Case) -> None:
    Case.objects.filter(pk=case.pk).update(last_activity_at=timezone.now())


# --- companies and their users ---------------------------------------------------------


@transaction.atomic
def company_create(*, name: str, phone: str = "", email: str = "") -> ContractorCompany:
    name = require_text(name, field="name", what="the company's name", max_length=200)
    if ContractorCompany.objects.filter(name__iexact=name).exists():
        raise RuleViolation(f"A company called {name} already exists.", field="name")
    group = Group.objects.create(name=f"Contractor: {name}"[:150])
    return ContractorCompany.objects.create(name=name, phone=phone.strip(), email=email.strip(), group=group)


@transaction.atomic
def contractor_user_add(
    *, actor: User | None, company: ContractorCompany, user: User, is_company_admin: bool = False
) -> ContractorUser:
    """Make `user` a member of `company` (one company per user)."""
    if actor is not None and not actor.is_superuser:
        profile = getattr(actor, "contractor_profile", None)
        if profile is None or profile.company_id != company.pk or not profile.is_company_admin:
            raise NotAllowed("Only an administrator of the company can add its users.")
    if ContractorUser.objects.filter(user=user).exists():
        raise RuleViolation("This user already belongs to a contractor company.", field="user")
    if StaffProfile.objects.filter(user=user).exists() or Customer.objects.filter(user=user).exists():
        raise RuleViolation("Staff and customer accounts cannot be contractor users.", field="user")
    member = ContractorUser.objects.create(user=user, company=company, is_company_admin=is_company_admin)
    if company.group_id:
        user.groups.add(company.group)
    return member


def invitation_path(user: User) -> str:
    """Where an invited technician chooses their password: a one-time link, valid for
    PASSWORD_RESET_TIMEOUT and spent once a password is set (Django's reset tokens)."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("contractor:invitation_accept", args=[uidb64, default_token_generator.make_token(user)])


def _send_invitation(member_id: int) -> None:
    member = ContractorUser.objects.select_related("user", "company").get(pk=member_id)
    user = member.user
    context = {
        "name": user.get_full_name() or user.get_username(),
        "company": member.company.name,
        "link": settings.SITE_URL + invitation_path(user),
        "username": user.get_username(),
    }
    send_mail(
        subject=f"{member.company.name} invites you to Steward",
        message=render_to_string("contractor/email/invitation.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


@transaction.atomic
def technician_invite(
    *,
    actor: User,
    first_name: str,
    last_name: str,
    email: str,
    phone: str = "",
    is_company_admin: bool = False,
) -> ContractorUser:
    """A company administrator invites a technician into their own company: the account is
    created without a password, and an e-mail (sent after the commit) carries the link to set one."""
    profile = getattr(actor, "contractor_profile", None)
    company = policies.contractor_company_of(actor)
    if company is None or profile is None or not profile.is_company_admin:
        raise NotAllowed("Only an administrator of your company can invite technicians.")
    first_name = require_text(first_name, field="first_name", what="the technician's first name", max_length=150)
    last_name = require_text(last_name, field="last_name", what="the technician's last name", max_length=150)
    email = require_text(email, field="email", what="the technician's e-mail address", max_length=150).lower()
    try:
        validate_email(email)
    except ValidationError as invalid:
        raise RuleViolation(f"“{email}” is not an e-mail address.", field="email") from invalid
    # One person, one account, one company: an address already in use is never taken over.
    if User.objects.filter(email__iexact=email).exists() or User.objects.filter(username__iexact=email).exists():
        raise RuleViolation(
            f"{email} already has a Steward account. A person belongs to one company only: "
            "ask Steward's administrator if they are moving to yours.",
            field="email",
        )
    user = User(username=email, email=email, first_name=first_name, last_name=last_name)
    user.set_unusable_password()
    user.save()
    member = contractor_user_add(actor=actor, company=company, user=user, is_company_admin=is_company_admin)
    if phone.strip():
        member.phone = phone.strip()[:40]
        member.save(update_fields=["phone"])
    transaction.on_commit(lambda: _send_invitation(member.pk))
    return member


@transaction.atomic
def job_share(*, actor: User, job: Job, company: ContractorCompany) -> Job:
    """Let a second company work on the job (a per-object grant, not structural)."""
    require_can_work(actor, job.case)
    if company.pk == job.company_id:
        raise RuleViolation("The job is already assigned to this company.", field="company")
    if company.group is None:
        raise RuleViolation("This company has no user group to share with.", field="company")
    assign_perm(f"contractors.{policies.SHARED_JOB_PERM}", company.group, job)
    record_event(
        case=job.case,
        kind=Kind.JOB_STATUS,
        department=FIELD,
        actor=actor,
        summary=f"Job {job.reference} shared with {company.name}.",
        subject_key=f"job:{job.pk}",
    )
    return job


# --- jobs ------------------------------------------------------------------------------


def _contact_window(text: str) -> str:
    text = (text or "").strip()
    if len(text) > 200:
        raise RuleViolation(
            f"Keep the contact window under 200 characters (it has {len(text)}).", field="contact_window"
        )
    return text


@transaction.atomic
def job_request(
    *,
    actor: User,
    case: Case,
    company: ContractorCompany,
    title: str,
    description: str = "",
    prerequisites: Sequence[tuple[str, str]] = (),
    contact_window: str = "",
) -> Job:
    """Ask a company for a job on the case, with the prerequisites (description, party) it needs
    and when the customer can be reached."""
    title = require_text(title, field="title", what="what the job is", max_length=200)
    contact_window = _contact_window(contact_window)
    if not company.is_active:
        raise RuleViolation(f"{company.name} is not an active contractor.", field="company")
    for description_, party in prerequisites:
        require_text(description_, field="prerequisites", what="each prerequisite", max_length=200)
        require_choice(party, Prerequisite.Party.values, field="prerequisites", what="responsible party")
    case = lock_case(case)
    require_can_work(actor, case)
    require_open(case)
    job = Job.objects.create(
        case=case,
        company=company,
        title=title,
        description=description.strip(),
        contact_window=contact_window,
        created_by=actor,
    )
    for description_, party in prerequisites:
        Prerequisite.objects.create(job=job, description=description_.strip(), responsible_party=party)
    record_event(
        case=case,
        kind=Kind.JOB_REQUESTED,
        department=FIELD,
        actor=actor,
        summary=f"Job {job.reference} requested from {company.name}: {title}",
        customer_visible=True,
        subject_key=f"job:{job.pk}",
    )
    _touch(case)
    return job


@transaction.atomic
def job_schedule(
    *,
    actor: User,
    job: Job,
    window_start: datetime,
    window_end: datetime,
    technician: User | None = None,
    contact_window: str | None = None,
) -> Job:
    """Set the visit window; `contact_window` (when given) replaces when the customer can be reached."""
    if window_start is None or window_end is None:
        raise RuleViolation("Give the start and end of the visit window.", field="window_start")
    if window_end <= window_start:
        raise RuleViolation("The window must end after it starts.", field="window_end")
    if window_start < timezone.now() - timezone.timedelta(hours=1):
        raise RuleViolation("The visit window is in the past.", field="window_start")
    job = _lock_job(job)
    _require_job_access(actor, job)
    require_open(job.case)
    _require_move(job, Status.SCHEDULED)
    if technician is not None:
        tech_profile = getattr(technician, "contractor_profile", None)
        if tech_profile is None or tech_profile.company_id != job.company_id:
            raise RuleViolation("The technician must work for the job's company.", field="technician")
        job.technician = technician
    if contact_window is not None:
        job.contact_window = _contact_window(contact_window)
    rescheduled = job.window_start is not None
    job.window_start, job.window_end, job.status = window_start, window_end, Status.SCHEDULED
    job.save(update_fields=["window_start", "window_end", "status", "technician", "contact_window", "updated_at"])
    verb = "rescheduled" if rescheduled else "scheduled"
    record_event(
        case=job.case,
        kind=Kind.JOB_SCHEDULED,
        department=FIELD,
        actor=actor,
        summary=f"Visit {verb} ({job.company.name}): {_when(window_start)} – {timezone.localtime(window_end):%H:%M}",
        customer_visible=True,
        subject_key=f"job:{job.pk}",
    )
    _touch(job.case)
    return job


@transaction.atomic
def job_cancel(*, actor: User, job: Job, reason: str, note: str = "") -> Job:
    """Cancel a visit with a reason from the fixed list; the second cancellation, or one for a
    missing prerequisite, flags the owner."""
    require_choice(reason, Job.CancellationReason.values, field="reason", what="cancellation reason")
    note = note.strip()
    if reason == Job.CancellationReason.OTHER and not note:
        raise RuleViolation("Explain the reason for cancelling.", field="note")
    job = _lock_job(job)
    _require_job_access(actor, job)
    _require_move(job, Status.CANCELLED)
    JobCancellation.objects.create(job=job, reason=reason, note=note, cancelled_by=actor)
    job.status = Status.CANCELLED
    job.cancellation_count += 1
    job.last_cancellation_reason = reason
    job.save(update_fields=["status", "cancellation_count", "last_cancellation_reason", "updated_at"])
    label = Job.CancellationReason(reason).label
    record_event(
        case=job.case,
        kind=Kind.JOB_CANCELLED,
        department=FIELD,
        actor=actor,
        summary=f"Visit cancelled ({job.company.name}): {label}" + (f" — {note}" if note else ""),
        customer_visible=True,
        subject_key=f"job:{job.pk}",
        data={"reason": reason, "count": job.cancellation_count},
    )
    if job.cancellation_count >= 2:
        flag_repeated_cancellation(job)
    if reason == Job.CancellationReason.PREREQUISITE_MISSING:
        flag_missing_prerequisite(job)
    _touch(job.case)
    return job


@transaction.atomic
def job_update_status(*, actor: User, job: Job, status: str, override_reason: str = "") -> Job:
    """On the way / on site. Starting a visit with a prerequisite open needs a stated reason,
    and flags the owner."""
    require_choice(status, [Status.ON_THE_WAY, Status.ON_SITE], field="status", what="visit status")
    job = _lock_job(job)
    _require_job_access(actor, job)
    _require_move(job, status)
    open_prereqs = list(job.prerequisites.filter(state=Prerequisite.State.OPEN))
    if status == Status.ON_SITE and open_prereqs:
        override_reason = override_reason.strip()
        if not override_reason:
            names = "; ".join(p.description for p in open_prereqs)
            raise RuleViolation(
                f"Prerequisites still open: {names}. Give a reason to start anyway.", field="override_reason"
            )
        flag_raise(
            kind=Flag.Kind.PREREQUISITE_OVERRIDE,
            subject_key=f"job:{job.pk}",
            case=job.case,
            summary=f"{job.case.reference}: visit started with a prerequisite open — {override_reason[:120]}",
        )
    job.status = status
    job.save(update_fields=["status", "updated_at"])
    summary = f"Technician {Status(status).label.lower()} ({job.company.name})"
    if status == Status.ON_SITE and open_prereqs:
        summary += f"; started with prerequisites open: {override_reason}"
    record_event(
        case=job.case,
        kind=Kind.JOB_STATUS,
        department=FIELD,
        actor=actor,
        summary=summary,
        customer_visible=True,
        subject_key=f"job:{job.pk}",
    )
    _touch(job.case)
    return job


def _store_photos(job: Job, photos: Sequence[tuple[UploadedFile, str]], actor: User, incident=None) -> None:
    for upload, content_type in photos:
        photo = JobPhoto(
            job=job,
            incident=incident,
            original_name=(upload.name or "photo")[:255],
            content_type=content_type,
            size=upload.size,
            uploaded_by=actor,
        )
        photo.file.save(upload.name or "photo", upload, save=False)
        photo.save()


@transaction.atomic
def job_complete(*, actor: User, job: Job, outcome_report: str, photos: Sequence[UploadedFile] = ()) -> Job:
    report = require_text(outcome_report, field="outcome_report", what="what was done on the visit")
    checked = [(p, validate_upload(p, field="photos", images_only=True)) for p in photos]
    job = _lock_job(job)
    _require_job_access(actor, job)
    _require_move(job, Status.COMPLETED)
    now = timezone.now()
    job.status, job.outcome_report, job.completed_at = Status.COMPLETED, report, now
    job.save(update_fields=["status", "outcome_report", "completed_at", "updated_at"])
    _store_photos(job, checked, actor)
    record_event(
        case=job.case,
        kind=Kind.JOB_COMPLETED,
        department=FIELD,
        actor=actor,
        summary=f"Job {job.reference} completed ({job.company.name}): {report[:200]}",
        customer_visible=True,
        subject_key=f"job:{job.pk}",
    )
    for kind in (Flag.Kind.REPEATED_CANCELLATION, Flag.Kind.MISSING_PREREQUISITE, Flag.Kind.PREREQUISITE_OVERRIDE):
        flags_clear(kind=kind, subject_key=f"job:{job.pk}", note="job completed", actor=actor)
    _touch(job.case)
    return job


@transaction.atomic
def job_fail(*, actor: User, job: Job, outcome_report: str, photos: Sequence[UploadedFile] = ()) -> Job:
    report = require_text(outcome_report, field="outcome_report", what="why the visit failed")
    checked = [(p, validate_upload(p, field="photos", images_only=True)) for p in photos]
    job = _lock_job(job)
    _require_job_access(actor, job)
    _require_move(job, Status.FAILED)
    job.status, job.outcome_report = Status.FAILED, report
    job.save(update_fields=["status", "outcome_report", "updated_at"])
    _store_photos(job, checked, actor)
    record_event(
        case=job.case,
        kind=Kind.JOB_STATUS,
        department=FIELD,
        actor=actor,
        summary=f"Visit failed ({job.company.name}): {report[:200]}",
        customer_visible=True,
        subject_key=f"job:{job.pk}",
    )
    _touch(job.case)
    return job


@transaction.atomic
def prerequisite_complete(*, actor: User, prerequisite: Prerequisite) -> Prerequisite:
    prerequisite = (
        Prerequisite.objects.select_for_update(of=("self",))
        .select_related("job__case", "job__company")
        .get(pk=prerequisite.pk)
    )
    _require_job_access(actor, prerequisite.job)
    if (
        policies.contractor_company_of(actor) is not None
        and prerequisite.responsible_party != Prerequisite.Party.CONTRACTOR
    ):
        raise NotAllowed(
            f"Only {prerequisite.get_responsible_party_display().lower()} can say this is done; "
            "tell the case owner if it has been."
        )
    if prerequisite.state == Prerequisite.State.DONE:
        raise RuleViolation("This prerequisite is already done.", field="state")
    prerequisite.state, prerequisite.done_at, prerequisite.done_by = Prerequisite.State.DONE, timezone.now(), actor
    prerequisite.save(update_fields=["state", "done_at", "done_by"])
    job = prerequisite.job
    record_event(
        case=job.case,
        kind=Kind.PREREQUISITE,
        department=FIELD,
        actor=actor,
        summary=f"Prerequisite done for job {job.reference}: {prerequisite.description}",
        customer_visible=True,
        subject_key=f"job:{job.pk}",
    )
    if not job.prerequisites.filter(state=Prerequisite.State.OPEN).exists():
        flags_clear(
            kind=Flag.Kind.MISSING_PREREQUISITE, subject_key=f"job:{job.pk}", note="prerequisites done", actor=actor
        )
    _touch(job.case)
    return prerequisite


@transaction.atomic
def incident_report(
    *,
    actor: User,
    job: Job,
    what: str,
    location: str,
    immediate_action: str = "",
    affects_water: bool = False,
    affects_power: bool = False,
    affects_heating: bool = False,
    photos: Sequence[UploadedFile] = (),
) -> IncidentReport:
    """Damage caused on site: on the case timeline at once, and a flag for the owner."""
    what = require_text(what, field="what", what="what was damaged")
    location = require_text(location, field="location", what="where it happened", max_length=200)
    checked = [(p, validate_upload(p, field="photos", images_only=True)) for p in photos]
    job = _lock_job(job)
    _require_job_access(actor, job)
    incident = IncidentReport.objects.create(
        job=job,
        reported_by=actor,
        what=what,
        location=location,
        immediate_action=immediate_action.strip(),
        affects_water=affects_water,
        affects_power=affects_power,
        affects_heating=affects_heating,
    )
    _store_photos(job, checked, actor, incident=incident)
    affected = [
        name for name, on in (("water", affects_water), ("power", affects_power), ("heating", affects_heating)) if on
    ]
    impact = f" Affects {', '.join(affected)}." if affected else ""
    record_event(
        case=job.case,
        kind=Kind.INCIDENT,
        department=FIELD,
        actor=actor,
        summary=f"Damage reported by {job.company.name} ({location}): {what[:200]}.{impact}",
        customer_visible=True,
        subject_key=f"incident:{incident.pk}",
        data={"affects": affected},
    )
    flag_incident(incident)
    _touch(job.case)
    return incident


@transaction.atomic
def incident_correct(*, actor: User, incident: IncidentReport, text: str) -> IncidentCorrection:
    """Reports are never edited away: a correction is appended and shown with the original."""
    text = require_text(text, field="text", what="the correction")
    _require_job_access(actor, incident.job)
    correction = IncidentCorrection.objects.create(incident=incident, text=text, written_by=actor)
    record_event(
        case=incident.job.case,
        kind=Kind.INCIDENT,
        department=FIELD,
        actor=actor,
        summary=f"Correction to the damage report: {text[:200]}",
        customer_visible=True,
        subject_key=f"incident:{incident.pk}",
    )
    return correction


@transaction.atomic
def incident_plan_repair(*, actor: User, incident: IncidentReport, plan: str) -> IncidentReport:
    """The owner acknowledges the damage and says how it will be repaired: clears the flag."""
    plan = require_text(plan, field="plan", what="how the damage will be repaired")
    require_can_work(actor, incident.job.case)
    record_event(
        case=incident.job.case,
        kind=Kind.INCIDENT,
        department=FIELD,
        actor=actor,
        summary=f"Repair planned for the damage: {plan[:300]}",
        customer_visible=True,
        subject_key=f"incident:{incident.pk}",
    )
    flags_clear(kind=Flag.Kind.INCIDENT, subject_key=f"incident:{incident.pk}", note="repair planned", actor=actor)
    return incident
