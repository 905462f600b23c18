"""Subcontractor companies, their users, and the jobs they do on cases."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import F, Q
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from cases.models import Case
from portal.append_only import AppendOnlyModel


def _in(field: str, choices: type[models.TextChoices]) -> Q:
    return Q(**{f"{field}__in": choices.values})


class ContractorCompany(models.Model):
    name = models.CharField(max_length=200, unique=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    is_active = models.BooleanField(default=True)
    group = models.OneToOneField(
        Group,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contractor_company",
        help_text="Every user of the company is in this group; jobs shared with the company are granted to it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "contractor companies"

    def __str__(self) -> str:
        return self.name


class ContractorUser(models.Model):
    """Makes a user a member of exactly one contractor company."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contractor_profile")
    company = models.ForeignKey(ContractorCompany, on_delete=models.CASCADE, related_name="members")
    is_company_admin = models.BooleanField(default=False, help_text="May invite technicians.")
    phone = models.CharField(max_length=40, blank=True)

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.get_username()} ({self.company})"


class JobStatus(models.TextChoices):
    REQUESTED = "requested", "Requested"
    SCHEDULED = "scheduled", "Scheduled"
    ON_THE_WAY = "on_the_way", "On the way"
    ON_SITE = "on_site", "On site"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    FAILED = "failed", "Failed"


class JobCancellationReason(models.TextChoices):
    PREREQUISITE_MISSING = "prerequisite_missing", "A prerequisite was missing"
    NO_ACCESS = "no_access", "No access to the premises"
    NO_SHOW = "no_show", "Nobody came"
    CUSTOMER_REQUEST = "customer_request", "The customer asked"
    OTHER = "other", "Other"


class Job(models.Model):
    Status = JobStatus

    CancellationReason = JobCancellationReason

    FINISHED = {Status.COMPLETED, Status.FAILED}

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="jobs")
    company = models.ForeignKey(ContractorCompany, on_delete=models.PROTECT, related_name="jobs")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    contact_window = models.CharField(
        max_length=200,
        blank=True,
        help_text="When and how the customer can be reached about the visit, as agreed with them: "
        "shown to the contractor.",
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs_assigned"
    )
    cancellation_count = models.PositiveIntegerField(default=0)
    last_cancellation_reason = models.CharField(max_length=30, choices=CancellationReason.choices, blank=True)
    outcome_report = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["window_start", "id"]
        permissions = [("work_on_job", "Work on this job (shared with another company)")]
        indexes = [models.Index(fields=["company", "status"], name="job_company_status")]
        constraints = [
            models.CheckConstraint(condition=_in("status", JobStatus), name="job_status_valid"),
            models.CheckConstraint(
                condition=Q(last_cancellation_reason="") | _in("last_cancellation_reason", JobCancellationReason),
                name="job_cancellation_reason_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | ~Q(last_cancellation_reason=""),
                name="job_cancelled_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(window_start__isnull=True, window_end__isnull=True)
                | Q(window_start__isnull=False, window_end__isnull=False, window_end__gt=F("window_start")),
                name="job_window_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="requested") | Q(status="cancelled") | Q(window_start__isnull=False),
                name="job_scheduled_has_window",
            ),
            models.CheckConstraint(
                condition=~Q(status="completed") | Q(completed_at__isnull=False), name="job_completed_has_date"
            ),
        ]

    def __str__(self) -> str:
        return f"Job {self.pk}: {self.title}"

    @property
    def reference(self) -> str:
        return f"J-{self.pk}"


class JobUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Job, on_delete=models.CASCADE)


class JobGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Job, on_delete=models.CASCADE)


class JobCancellation(models.Model):
    """One row per cancellation, so repeated cancellations and their reasons can be counted."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="cancellations")
    reason = models.CharField(max_length=30, choices=Job.CancellationReason.choices)
    note = models.TextField(blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    cancelled_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["cancelled_at"]
        constraints = [
            models.CheckConstraint(condition=_in("reason", Job.CancellationReason), name="cancellation_reason_valid"),
            models.CheckConstraint(condition=~Q(reason="other") | ~Q(note=""), name="cancellation_other_needs_note"),
        ]

    def __str__(self) -> str:
        return f"{self.job}: {self.get_reason_display()}"


class PrerequisiteParty(models.TextChoices):
    OPERATOR = "operator", "Network operator"
    CONTRACTOR = "contractor", "Contractor"
    CUSTOMER = "customer", "Customer"
    US = "us", "Our staff"


class PrerequisiteState(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"


class Prerequisite(models.Model):
    """Something that must be done before the visit, and who must do it."""

    Party = PrerequisiteParty

    State = PrerequisiteState

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="prerequisites")
    description = models.CharField(max_length=200)
    responsible_party = models.CharField(max_length=20, choices=Party.choices)
    responsible_name = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=_in("responsible_party", PrerequisiteParty), name="prerequisite_party_valid"
            ),
            models.CheckConstraint(condition=_in("state", PrerequisiteState), name="prerequisite_state_valid"),
            models.CheckConstraint(
                condition=(Q(state="open") & Q(done_at__isnull=True)) | (Q(state="done") & Q(done_at__isnull=False)),
                name="prerequisite_done_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.description


class IncidentReport(AppendOnlyModel):
    """Damage caused on site. Never edited: corrections are appended."""

    job = models.ForeignKey(Job, on_delete=models.PROTECT, related_name="incidents")
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    what = models.TextField(help_text="What was damaged and how.")
    location = models.CharField(max_length=200, help_text="Where in the home.")
    immediate_action = models.TextField(blank=True)
    affects_water = models.BooleanField(default=False)
    affects_power = models.BooleanField(default=False)
    affects_heating = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.CheckConstraint(condition=~Q(what=""), name="incident_what_required")]

    def __str__(self) -> str:
        return f"Incident on {self.job}: {self.what[:60]}"


class IncidentCorrection(AppendOnlyModel):
    incident = models.ForeignKey(IncidentReport, on_delete=models.CASCADE, related_name="corrections")
    text = models.TextField()
    written_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="correction_text_required")]

    def __str__(self) -> str:
        return f"Correction to {self.incident}"


def photo_path(instance: "JobPhoto", filename: str) -> str:
    return f"jobs/{instance.job_id}/{filename}"


class JobPhoto(models.Model):
    """A photo of a visit outcome or of an incident."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="photos")
    incident = models.ForeignKey(IncidentReport, null=True, blank=True, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to=photo_path)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(size__gt=0), name="photo_not_empty")]

    def __str__(self) -> str:
        return self.original_name
