"""Subcontractor companies, their users, and the jobs they do on cases."""

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from cases.models import Case
from portal.append_only import AppendOnlyModel


def _in(field: str, choices: type[models.TextChoices]) -> Q:
    return Q(**{f"{field}__in": choices.values})


class ContractorCompany(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    is_active = models.BooleanField(_("is active"), default=True)
    group = models.OneToOneField(
        Group,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contractor_company",
        help_text=_("Every user of the company is in this group; jobs shared with the company are granted to it."),
        verbose_name=_("group"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("contractor company")
        verbose_name_plural = _("contractor companies")

    def __str__(self) -> str:
        return self.name


class ContractorUser(models.Model):
    """Makes a user a member of exactly one contractor company."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contractor_profile", verbose_name=_("user")
    )
    company = models.ForeignKey(
        ContractorCompany, on_delete=models.CASCADE, related_name="members", verbose_name=_("company")
    )
    is_company_admin = models.BooleanField(_("is company admin"), default=False, help_text=_("May invite technicians."))
    phone = models.CharField(_("phone"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("contractor user")
        verbose_name_plural = _("contractor users")

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.get_username()} ({self.company})"


class JobStatus(models.TextChoices):
    REQUESTED = "requested", pgettext_lazy("job status", "Requested")
    SCHEDULED = "scheduled", pgettext_lazy("job status", "Scheduled")
    ON_THE_WAY = "on_the_way", pgettext_lazy("job status", "On the way")
    ON_SITE = "on_site", pgettext_lazy("job status", "On site")
    COMPLETED = "completed", pgettext_lazy("job status", "Completed")
    CANCELLED = "cancelled", pgettext_lazy("job status", "Cancelled")
    FAILED = "failed", pgettext_lazy("job status", "Failed")


class JobCancellationReason(models.TextChoices):
    PREREQUISITE_MISSING = "prerequisite_missing", _("A prerequisite was missing")
    NO_ACCESS = "no_access", _("No access to the premises")
    NO_SHOW = "no_show", _("Nobody came")
    CUSTOMER_REQUEST = "customer_request", _("The customer asked")
    OTHER = "other", pgettext_lazy("cancellation reason", "Other")


class Job(models.Model):
    Status = JobStatus

    CancellationReason = JobCancellationReason

    FINISHED = {Status.COMPLETED, Status.FAILED}

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="jobs", verbose_name=_("case"))
    company = models.ForeignKey(
        ContractorCompany, on_delete=models.PROTECT, related_name="jobs", verbose_name=_("company")
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    contact_window = models.CharField(
        _("contact window"),
        max_length=200,
        blank=True,
        help_text=_(
            "When and how the customer can be reached about the visit, as agreed with them: shown to the contractor."
        ),
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED)
    window_start = models.DateTimeField(_("window start"), null=True, blank=True)
    window_end = models.DateTimeField(_("window end"), null=True, blank=True)
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs_assigned",
        verbose_name=_("technician"),
    )
    cancellation_count = models.PositiveIntegerField(_("cancellation count"), default=0)
    last_cancellation_reason = models.CharField(
        _("last cancellation reason"), max_length=30, choices=CancellationReason.choices, blank=True
    )
    outcome_report = models.TextField(_("outcome report"), blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["window_start", "id"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        permissions = [("work_on_job", _("Work on this job (shared with another company)"))]
        indexes = [
            models.Index(fields=["company", "status"], name="job_company_status"),
            # The jobs list's tabs: a company's jobs by visit date, with the columns the tabs
            # filter on, so a tab's page, its count and the tab counts read the index, not the rows.
            models.Index(fields=["company", "window_start", "status", "window_end"], name="job_company_window"),
        ]
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
        return gettext("Job %(number)s: %(title)s") % {"number": self.pk, "title": self.title}

    @property
    def reference(self) -> str:
        return f"J-{self.pk}"


class JobUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Job, on_delete=models.CASCADE, verbose_name=_("content object"))

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("job user object permission")
        verbose_name_plural = _("job user object permissions")


class JobGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Job, on_delete=models.CASCADE, verbose_name=_("content object"))

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("job group object permission")
        verbose_name_plural = _("job group object permissions")


class JobCancellation(models.Model):
    """One row per cancellation, so repeated cancellations and their reasons can be counted."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="cancellations", verbose_name=_("job"))
    reason = models.CharField(_("reason"), max_length=30, choices=Job.CancellationReason.choices)
    note = models.TextField(_("note"), blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("cancelled by")
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), auto_now_add=True)

    class Meta:
        ordering = ["cancelled_at"]
        verbose_name = _("job cancellation")
        verbose_name_plural = _("job cancellations")
        # The reports read the cancellations of a period (reports/tables.py).
        indexes = [models.Index(fields=["cancelled_at"], name="job_cancellation_time")]
        constraints = [
            models.CheckConstraint(condition=_in("reason", Job.CancellationReason), name="cancellation_reason_valid"),
            models.CheckConstraint(condition=~Q(reason="other") | ~Q(note=""), name="cancellation_other_needs_note"),
        ]

    def __str__(self) -> str:
        return f"{self.job}: {self.get_reason_display()}"


class PrerequisiteParty(models.TextChoices):
    OPERATOR = "operator", _("Network operator")
    CONTRACTOR = "contractor", pgettext_lazy("responsible party", "Contractor")
    CUSTOMER = "customer", pgettext_lazy("responsible party", "Customer")
    US = "us", _("Our staff")


class PrerequisiteState(models.TextChoices):
    OPEN = "open", pgettext_lazy("prerequisite state", "Open")
    DONE = "done", pgettext_lazy("prerequisite state", "Done")


class Prerequisite(models.Model):
    """Something that must be done before the visit, and who must do it."""

    Party = PrerequisiteParty

    State = PrerequisiteState

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="prerequisites", verbose_name=_("job"))
    description = models.CharField(_("description"), max_length=200)
    responsible_party = models.CharField(_("responsible party"), max_length=20, choices=Party.choices)
    responsible_name = models.CharField(_("responsible name"), max_length=200, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("done by"),
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("prerequisite")
        verbose_name_plural = _("prerequisites")
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

    job = models.ForeignKey(Job, on_delete=models.PROTECT, related_name="incidents", verbose_name=_("job"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("reported by")
    )
    what = models.TextField(pgettext_lazy("incident report", "what"), help_text=_("What was damaged and how."))
    location = models.CharField(_("location"), max_length=200, help_text=_("Where in the home."))
    immediate_action = models.TextField(_("immediate action"), blank=True)
    affects_water = models.BooleanField(_("affects water"), default=False)
    affects_power = models.BooleanField(_("affects power"), default=False)
    affects_heating = models.BooleanField(_("affects heating"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("incident report")
        verbose_name_plural = _("incident reports")
        # The reports read the incident reports of a period (reports/tables.py).
        indexes = [models.Index(fields=["created_at"], name="incident_report_created")]
        constraints = [models.CheckConstraint(condition=~Q(what=""), name="incident_what_required")]

    def __str__(self) -> str:
        return gettext("Incident on %(job)s: %(what)s") % {"job": self.job, "what": self.what[:60]}


class IncidentCorrection(AppendOnlyModel):
    incident = models.ForeignKey(
        IncidentReport, on_delete=models.CASCADE, related_name="corrections", verbose_name=_("incident")
    )
    text = models.TextField(_("text"))
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("written by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("incident correction")
        verbose_name_plural = _("incident corrections")
        constraints = [models.CheckConstraint(condition=~Q(text=""), name="correction_text_required")]

    def __str__(self) -> str:
        return gettext("Correction to %(incident)s") % {"incident": self.incident}


def photo_path(instance: "JobPhoto", filename: str) -> str:
    return f"jobs/{instance.job_id}/{filename}"


class JobPhoto(models.Model):
    """A photo of a visit outcome or of an incident."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="photos", verbose_name=_("job"))
    incident = models.ForeignKey(
        IncidentReport,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="photos",
        verbose_name=_("incident"),
    )
    file = models.FileField(_("file"), upload_to=photo_path)
    original_name = models.CharField(_("original name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("job photo")
        verbose_name_plural = _("job photos")
        constraints = [models.CheckConstraint(condition=Q(size__gt=0), name="photo_not_empty")]

    def __str__(self) -> str:
        return self.original_name
