"""Contractor jobs: request, schedule, visit, cancel, complete; prerequisites and incidents.

Everything a contractor reports lands on the owner's case timeline in the same transaction.
"""

import zoneinfo
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

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
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from guardian.shortcuts import assign_perm

from cases import policies
from cases.models import Case, Flag, TimelineDepartment, TimelineEvent
from cases.services.flags import flag_raise, flags_clear
from cases.services.guards import lock_case, require_can_work, require_choice, require_open, require_text
from cases.services.timeline import (
    TIME_FORMAT,
    VISIT_FORMAT,
    WEEKDAY_FORMAT,
    Sentence,
    choice,
    listing,
    local_text,
    moment,
    record_event,
)
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
from portal.image_metadata import without_metadata
from portal.uploads import validate_upload

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

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


def flag_repeated_cancellation(job: Job, *, now: datetime | None = None) -> Flag | None:
    return flag_raise(
        kind=Flag.Kind.REPEATED_CANCELLATION,
        subject_key=f"job:{job.pk}",
        case=job.case,
        summary=Sentence(
            gettext_noop("%(case)s: job %(job)s cancelled %(count)s times"),
            {"case": job.case.reference, "job": job.reference, "count": job.cancellation_count},
        ),
        now=now,
    )


def flag_missing_prerequisite(job: Job, *, now: datetime | None = None) -> Flag | None:
    return flag_raise(
        kind=Flag.Kind.MISSING_PREREQUISITE,
        subject_key=f"job:{job.pk}",
        case=job.case,
        summary=Sentence(
            gettext_noop("%(case)s: job %(job)s blocked by a missing prerequisite"),
            {"case": job.case.reference, "job": job.reference},
        ),
        now=now,
    )


def flag_incident(incident: IncidentReport, *, now: datetime | None = None) -> Flag | None:
    job = incident.job
    return flag_raise(
        kind=Flag.Kind.INCIDENT,
        subject_key=f"incident:{incident.pk}",
        case=job.case,
        summary=Sentence(
            gettext_noop("%(case)s: damage reported on site — %(what)s"),
            {"case": job.case.reference, "what": incident.what[:120]},
        ),
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
        raise NotAllowed(_("You may not report on this job."))
    if _assigned_to_a_colleague(actor, job):
        assert job.technician is not None, "a job assigned to a colleague has its technician"
        name = job.technician.get_full_name() or job.technician.get_username()
        raise NotAllowed(
            _("Job %(reference)s is assigned to %(name)s: only they or your company's administrator can report on it.")
            % {"reference": job.reference, "name": name}
        )


def _require_move(job: Job, new_status: str) -> None:
    if new_status not in TRANSITIONS[job.status]:
        current = job.get_status_display().lower()
        allowed = ", ".join(sorted(str(Status(s).label).lower() for s in TRANSITIONS[job.status]))
        if not allowed:
            # A completed job's report and photos tell of a visit that happened: more work is a new job.
            raise RuleViolation(
                _(
                    "Job %(reference)s is %(status)s and cannot change any more. "
                    "If more work is needed, request a new job."
                )
                % {"reference": job.reference, "status": current},
                field="status",
            )
        raise RuleViolation(
            _("A job that is %(status)s can only become: %(allowed)s.") % {"status": current, "allowed": allowed},
            field="status",
        )


def _touch(case: Case) -> None:
    Case.objects.filter(pk=case.pk).update(last_activity_at=timezone.now())


# --- companies and their users ---------------------------------------------------------


@transaction.atomic
def company_create(*, name: str, phone: str = "", email: str = "") -> ContractorCompany:
    name = require_text(name, field="name", what=_("the company's name"), max_length=200)
    if ContractorCompany.objects.filter(name__iexact=name).exists():
        raise RuleViolation(_("A company called %(name)s already exists.") % {"name": name}, field="name")
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
            raise NotAllowed(_("Only an administrator of the company can add its users."))
    if ContractorUser.objects.filter(user=user).exists():
        raise RuleViolation(_("This user already belongs to a contractor company."), field="user")
    if StaffProfile.objects.filter(user=user).exists() or Customer.objects.filter(user=user).exists():
        raise RuleViolation(_("Staff and customer accounts cannot be contractor users."), field="user")
    member = ContractorUser.objects.create(user=user, company=company, is_company_admin=is_company_admin)
    if company.group is not None:
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
        subject=_("%(company)s invites you to Steward") % {"company": member.company.name},
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
        raise NotAllowed(_("Only an administrator of your company can invite technicians."))
    first_name = require_text(first_name, field="first_name", what=_("the technician's first name"), max_length=150)
    last_name = require_text(last_name, field="last_name", what=_("the technician's last name"), max_length=150)
    email = require_text(email, field="email", what=_("the technician's e-mail address"), max_length=150).lower()
    try:
        validate_email(email)
    except ValidationError as invalid:
        raise RuleViolation(_("“%(email)s” is not an e-mail address.") % {"email": email}, field="email") from invalid
    # One person, one account, one company: an address already in use is never taken over.
    if User.objects.filter(email__iexact=email).exists() or User.objects.filter(username__iexact=email).exists():
        raise RuleViolation(
            _(
                "%(email)s already has a Steward account. A person belongs to one company only: "
                "ask Steward's administrator if they are moving to yours."
            )
            % {"email": email},
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
        raise RuleViolation(_("The job is already assigned to this company."), field="company")
    if company.group is None:
        raise RuleViolation(_("This company has no user group to share with."), field="company")
    assign_perm(f"contractors.{policies.SHARED_JOB_PERM}", company.group, job)
    record_event(
        case=job.case,
        kind=Kind.JOB_STATUS,
        department=FIELD,
        actor=actor,
        summary=Sentence(
            gettext_noop("Job %(reference)s shared with %(company)s."),
            {"reference": job.reference, "company": company.name},
        ),
        subject_key=f"job:{job.pk}",
    )
    return job


# --- jobs ------------------------------------------------------------------------------


def _contact_window(text: str) -> str:
    text = (text or "").strip()
    if len(text) > 200:
        raise RuleViolation(
            _("Keep the contact window under %(max)s characters (it has %(count)s).")
            % {"max": 200, "count": len(text)},
            field="contact_window",
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
    title = require_text(title, field="title", what=_("what the job is"), max_length=200)
    contact_window = _contact_window(contact_window)
    if not company.is_active:
        raise RuleViolation(_("%(company)s is not an active contractor.") % {"company": company.name}, field="company")
    for description_, party in prerequisites:
        require_text(description_, field="prerequisites", what=_("each prerequisite"), max_length=200)
        require_choice(party, Prerequisite.Party.values, field="prerequisites", what=_("responsible party"))
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
        summary=Sentence(
            gettext_noop("Job %(reference)s requested from %(company)s: %(title)s"),
            {"reference": job.reference, "company": company.name, "title": title},
        ),
        customer_visible=True,
        subject_key=f"job:{job.pk}",
    )
    _touch(case)
    return job


def _tell_visit(job: Job, actor: User, event: str, reason: "str | _StrPromise" = "") -> None:
    """The customer hears of a visit booked, moved or cancelled in the way they prefer."""
    from correspondence.services.tell import customer_tell

    customer_tell(
        case=job.case,
        topic="visit",
        context={"job": job, "visit_event": event, "reason": reason},
        subject_key=f"job:{job.pk}",
        actor=actor,
    )


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
        raise RuleViolation(_("Give the start and end of the visit window."), field="window_start")
    if window_end <= window_start:
        raise RuleViolation(_("The window must end after it starts."), field="window_end")
    if window_start < timezone.now() - timedelta(hours=1):
        raise RuleViolation(_("The visit window is in the past."), field="window_start")
    job = _lock_job(job)
    _require_job_access(actor, job)
    require_open(job.case)
    _require_move(job, Status.SCHEDULED)
    if technician is not None:
        tech_profile = getattr(technician, "contractor_profile", None)
        if tech_profile is None or tech_profile.company_id != job.company_id:
            raise RuleViolation(_("The technician must work for the job's company."), field="technician")
        job.technician = technician
    if contact_window is not None:
        job.contact_window = _contact_window(contact_window)
    rescheduled = job.window_start is not None
    job.window_start, job.window_end, job.status = window_start, window_end, Status.SCHEDULED
    job.save(update_fields=["window_start", "window_end", "status", "technician", "contact_window", "updated_at"])
    record_event(
        case=job.case,
        kind=Kind.JOB_SCHEDULED,
        department=FIELD,
        actor=actor,
        summary=Sentence(
            gettext_noop("Visit rescheduled (%(company)s): %(start)s – %(end)s")
            if rescheduled
            else gettext_noop("Visit scheduled (%(company)s): %(start)s – %(end)s"),
            {
                "company": job.company.name,
                "start": moment(window_start, VISIT_FORMAT),
                "end": moment(window_end, TIME_FORMAT),
            },
        ),
        customer_visible=True,
        subject_key=f"job:{job.pk}",
    )
    _tell_visit(job, actor, "moved" if rescheduled else "scheduled")
    _touch(job.case)
    return job


@transaction.atomic
def job_cancel(*, actor: User, job: Job, reason: str, note: str = "") -> Job:
    """Cancel a visit with a reason from the fixed list; the second cancellation, or one for a
    missing prerequisite, flags the owner."""
    require_choice(reason, Job.CancellationReason.values, field="reason", what=_("cancellation reason"))
    note = note.strip()
    if reason == Job.CancellationReason.OTHER and not note:
        raise RuleViolation(_("Explain the reason for cancelling."), field="note")
    job = _lock_job(job)
    _require_job_access(actor, job)
    _require_move(job, Status.CANCELLED)
    JobCancellation.objects.create(job=job, reason=reason, note=note, cancelled_by=actor)
    job.status = Status.CANCELLED
    job.cancellation_count += 1
    job.last_cancellation_reason = reason
    job.save(update_fields=["status", "cancellation_count", "last_cancellation_reason", "updated_at"])
    record_event(
        case=job.case,
        kind=Kind.JOB_CANCELLED,
        department=FIELD,
        actor=actor,
        summary=Sentence(
            gettext_noop("Visit cancelled (%(company)s): %(reason)s — %(note)s")
            if note
            else gettext_noop("Visit cancelled (%(company)s): %(reason)s"),
            {
                "company": job.company.name,
                "reason": choice("contractors.JobCancellation.reason", reason),
                "note": note,
            },
        ),
        customer_visible=True,
        subject_key=f"job:{job.pk}",
        data={"reason": reason, "count": job.cancellation_count},
    )
    if job.cancellation_count >= 2:
        flag_repeated_cancellation(job)
    if reason == Job.CancellationReason.PREREQUISITE_MISSING:
        flag_missing_prerequisite(job)
    _tell_visit(job, actor, "cancelled", reason=Job.CancellationReason(reason).label)
    _touch(job.case)
    return job


def _visit_day(job: Job, moment_: datetime) -> date:
    """The calendar day of `moment_` where the visit happens: the customer's time zone."""
    zone_name = job.case.customer.time_zone or settings.TIME_ZONE
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    return timezone.localtime(moment_, zone).date()


def visit_is_early(job: Job, *, now: datetime | None = None) -> bool:
    """Starting now would be before the day of the visit window: the customer expects nobody yet."""
    if job.window_start is None:
        return False
    return _visit_day(job, now or timezone.now()) < _visit_day(job, job.window_start)


def visit_needs_early_reason(job: Job, *, now: datetime | None = None) -> bool:
    """Only the first move of a visit can be early: once on the way, arriving is no second surprise."""
    return job.status == Status.SCHEDULED and visit_is_early(job, now=now)


def flag_early_visit(job: Job, reason: str, *, now: datetime | None = None) -> Flag | None:
    return flag_raise(
        kind=Flag.Kind.EARLY_VISIT,
        subject_key=f"job:{job.pk}",
        case=job.case,
        summary=Sentence(
            gettext_noop("%(case)s: visit started before the day of its window — %(reason)s"),
            {"case": job.case.reference, "reason": reason[:120]},
        ),
        now=now,
    )


@transaction.atomic
def job_update_status(*, actor: User, job: Job, status: str, override_reason: str = "", early_reason: str = "") -> Job:
    """On the way / on site. Starting a visit with a prerequisite open, or before the day of its
    window, needs a stated reason, and flags the owner."""
    require_choice(status, [Status.ON_THE_WAY, Status.ON_SITE], field="status", what=_("visit status"))
    job = _lock_job(job)
    _require_job_access(actor, job)
    _require_move(job, status)
    early = visit_needs_early_reason(job)
    early_reason = early_reason.strip()
    if early and not early_reason:
        raise RuleViolation(
            _("The visit is booked for %(day)s. Give a reason to start it before that day.")
            % {"day": local_text(job.window_start, WEEKDAY_FORMAT)},
            field="early_reason",
        )
    open_prereqs = list(job.prerequisites.filter(state=Prerequisite.State.OPEN))
    if status == Status.ON_SITE and open_prereqs:
        override_reason = override_reason.strip()
        if not override_reason:
            names = "; ".join(p.description for p in open_prereqs)
            raise RuleViolation(
                _("Prerequisites still open: %(names)s. Give a reason to start anyway.") % {"names": names},
                field="override_reason",
            )
        flag_raise(
            kind=Flag.Kind.PREREQUISITE_OVERRIDE,
            subject_key=f"job:{job.pk}",
            case=job.case,
            summary=Sentence(
                gettext_noop("%(case)s: visit started with a prerequisite open — %(reason)s"),
                {"case": job.case.reference, "reason": override_reason[:120]},
            ),
        )
    if early:
        flag_early_visit(job, early_reason)
    job.status = status
    job.save(update_fields=["status", "updated_at"])
    params = {"company": job.company.name}
    if status == Status.ON_THE_WAY:
        said = gettext_noop("Technician on the way (%(company)s)")
    elif open_prereqs:
        said = gettext_noop("Technician on site (%(company)s); started with prerequisites open: %(reason)s")
        params["reason"] = override_reason
    else:
        said = gettext_noop("Technician on site (%(company)s)")
    record_event(
        case=job.case,
        kind=Kind.JOB_STATUS,
        department=FIELD,
        actor=actor,
        summary=Sentence(said, params),
        customer_visible=True,
        subject_key=f"job:{job.pk}",
    )
    if early:
        assert job.window_start is not None, "only a visit with a window can start early"
        # Staff only: the customer already sees the technician coming; the reason is for the owner.
        record_event(
            case=job.case,
            kind=Kind.JOB_STATUS,
            department=FIELD,
            actor=actor,
            summary=Sentence(
                gettext_noop("Visit started before the day of its window (%(day)s): %(reason)s"),
                {"day": moment(job.window_start, VISIT_FORMAT), "reason": early_reason},
            ),
            subject_key=f"job:{job.pk}",
        )
    _touch(job.case)
    return job


def _store_photos(
    job: Job,
    photos: Sequence[tuple["UploadedFile[bytes]", str]],
    actor: User,
    incident: IncidentReport | None = None,
) -> None:
    for sent, content_type in photos:
        upload = without_metadata(sent, content_type)  # no GPS position of the customer's home
        assert upload.size is not None, "validate_upload refuses a file without a size"
        photo = JobPhoto(
            job=job,
            incident=incident,
            original_name=(sent.name or "photo")[:255],
            content_type=content_type,
            size=upload.size,
            uploaded_by=actor,
        )
        photo.file.save(sent.name or "photo", upload, save=False)
        photo.save()


@transaction.atomic
def job_complete(*, actor: User, job: Job, outcome_report: str, photos: Sequence["UploadedFile[bytes]"] = ()) -> Job:
    report = require_text(outcome_report, field="outcome_report", what=_("what was done on the visit"))
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
        summary=Sentence(
            gettext_noop("Job %(reference)s completed (%(company)s): %(report)s"),
            {"reference": job.reference, "company": job.company.name, "report": report[:200]},
        ),
        customer_visible=True,
        subject_key=f"job:{job.pk}",
    )
    # Translators: why a flag was cleared, shown as "Flag cleared (job completed): <the flag>".
    completed = Sentence(gettext_noop("job completed"))
    for kind in (
        Flag.Kind.REPEATED_CANCELLATION,
        Flag.Kind.MISSING_PREREQUISITE,
        Flag.Kind.PREREQUISITE_OVERRIDE,
        Flag.Kind.EARLY_VISIT,
    ):
        flags_clear(kind=kind, subject_key=f"job:{job.pk}", note=completed, actor=actor)
    _touch(job.case)
    return job


@transaction.atomic
def job_fail(*, actor: User, job: Job, outcome_report: str, photos: Sequence["UploadedFile[bytes]"] = ()) -> Job:
    report = require_text(outcome_report, field="outcome_report", what=_("why the visit failed"))
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
        summary=Sentence(
            gettext_noop("Visit failed (%(company)s): %(report)s"),
            {"company": job.company.name, "report": report[:200]},
        ),
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
            _("Only %(party)s can say this is done; tell the case owner if it has been.")
            % {"party": prerequisite.get_responsible_party_display().lower()}
        )
    if prerequisite.state == Prerequisite.State.DONE:
        raise RuleViolation(_("This prerequisite is already done."), field="state")
    prerequisite.state, prerequisite.done_at, prerequisite.done_by = Prerequisite.State.DONE, timezone.now(), actor
    prerequisite.save(update_fields=["state", "done_at", "done_by"])
    job = prerequisite.job
    record_event(
        case=job.case,
        kind=Kind.PREREQUISITE,
        department=FIELD,
        actor=actor,
        summary=Sentence(
            gettext_noop("Prerequisite done for job %(reference)s: %(description)s"),
            {"reference": job.reference, "description": prerequisite.description},
        ),
        customer_visible=True,
        subject_key=f"job:{job.pk}",
    )
    if not job.prerequisites.filter(state=Prerequisite.State.OPEN).exists():
        flags_clear(
            kind=Flag.Kind.MISSING_PREREQUISITE,
            subject_key=f"job:{job.pk}",
            # Translators: why a flag was cleared, shown as "Flag cleared (prerequisites done): <the flag>".
            note=Sentence(gettext_noop("prerequisites done")),
            actor=actor,
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
    photos: Sequence["UploadedFile[bytes]"] = (),
) -> IncidentReport:
    """Damage caused on site: on the case timeline at once, and a flag for the owner."""
    what = require_text(what, field="what", what=_("what was damaged"))
    location = require_text(location, field="location", what=_("where it happened"), max_length=200)
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
    # Translators: what damage on site affects, shown as "Affects water, heating."
    names = {"water": gettext_noop("water"), "power": gettext_noop("power"), "heating": gettext_noop("heating")}
    where = {"company": job.company.name, "location": location, "what": what[:200]}
    if affected:
        said = Sentence(
            gettext_noop("Damage reported by %(company)s (%(location)s): %(what)s. Affects %(affected)s."),
            {**where, "affected": listing([Sentence(names[name]) for name in affected])},
        )
    else:
        said = Sentence(gettext_noop("Damage reported by %(company)s (%(location)s): %(what)s."), where)
    record_event(
        case=job.case,
        kind=Kind.INCIDENT,
        department=FIELD,
        actor=actor,
        summary=said,
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
    text = require_text(text, field="text", what=_("the correction"))
    _require_job_access(actor, incident.job)
    correction = IncidentCorrection.objects.create(incident=incident, text=text, written_by=actor)
    record_event(
        case=incident.job.case,
        kind=Kind.INCIDENT,
        department=FIELD,
        actor=actor,
        summary=Sentence(gettext_noop("Correction to the damage report: %(text)s"), {"text": text[:200]}),
        customer_visible=True,
        subject_key=f"incident:{incident.pk}",
    )
    return correction


@transaction.atomic
def incident_plan_repair(*, actor: User, incident: IncidentReport, plan: str) -> IncidentReport:
    """The owner acknowledges the damage and says how it will be repaired: clears the flag."""
    plan = require_text(plan, field="plan", what=_("how the damage will be repaired"))
    require_can_work(actor, incident.job.case)
    record_event(
        case=incident.job.case,
        kind=Kind.INCIDENT,
        department=FIELD,
        actor=actor,
        summary=Sentence(gettext_noop("Repair planned for the damage: %(plan)s"), {"plan": plan[:300]}),
        customer_visible=True,
        subject_key=f"incident:{incident.pk}",
    )
    # Translators: why a flag was cleared, shown as "Flag cleared (repair planned): <the flag>".
    planned = Sentence(gettext_noop("repair planned"))
    flags_clear(kind=Flag.Kind.INCIDENT, subject_key=f"incident:{incident.pk}", note=planned, actor=actor)
    return incident
