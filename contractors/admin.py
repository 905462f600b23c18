"""Admin for contractor companies, their users, and the jobs they do on cases.

Companies and their users are set-up records, created through company_create and
contractor_user_add so the company's user group (which carries their access to jobs) is
always right. Jobs and everything reported on them are written by the services and shown
read-only.
"""

from django.contrib import admin
from django.contrib.auth.models import User
from django.db.models import Count, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cases.admin import (
    GroupGrantAdmin,
    LinkedRecordsAdminMixin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    ServiceFormAdminMixin,
    UserGrantAdmin,
    become,
)
from contractors.models import (
    ContractorCompany,
    ContractorUser,
    IncidentCorrection,
    IncidentReport,
    Job,
    JobCancellation,
    JobGroupObjectPermission,
    JobPhoto,
    JobUserObjectPermission,
    Prerequisite,
)
from contractors.services import company_create, contractor_user_add

# --- companies and their users -----------------------------------------------------------------


class MemberInline(ReadOnlyInline):
    model = ContractorUser
    fields = ("user", "is_company_admin", "phone")
    related = ("user",)


@admin.register(ContractorCompany)
class ContractorCompanyAdmin(ServiceFormAdminMixin, LinkedRecordsAdminMixin, admin.ModelAdmin):
    """A company stops working with us by being made inactive; deleting it would orphan its
    user group, which still carries its users' access."""

    list_display = ("name", "phone", "email", "is_active", "member_count", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "email", "phone")
    inlines = (MemberInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ContractorCompany]:
        return super().get_queryset(request).annotate(member_count=Count("members"))

    @admin.display(description=_("users"), ordering="member_count")
    def member_count(self, company: ContractorCompany) -> int:
        return company.member_count

    def get_fields(self, request: HttpRequest, obj: ContractorCompany | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("name", "phone", "email")
        return ("name", "phone", "email", "is_active", "group", "created_at")

    def get_readonly_fields(self, request: HttpRequest, obj: ContractorCompany | None = None) -> tuple[str, ...]:
        return () if obj is None else ("group", "created_at")

    def save_model(self, request: HttpRequest, obj: ContractorCompany, form: ModelForm, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        become(obj, company_create(name=data["name"], phone=data["phone"], email=data["email"]))

    def has_delete_permission(self, request: HttpRequest, obj: ContractorCompany | None = None) -> bool:
        return False


@admin.register(ContractorUser)
class ContractorUserAdmin(ServiceFormAdminMixin, admin.ModelAdmin):
    """Added with contractor_user_add, which also puts the user in the company's group. There is
    no service to take someone out of a company yet, so membership is not deleted here:
    deactivate the user's account instead."""

    list_display = ("user", "name", "company", "is_company_admin", "phone")
    list_filter = ("company", "is_company_admin")
    list_select_related = ("user", "company")
    search_fields = ("user__username", "user__first_name", "user__last_name", "user__email", "company__name")
    autocomplete_fields = ("user",)
    fields = ("user", "company", "is_company_admin", "phone")

    @admin.display(description=_("name"), ordering="user__last_name")
    def name(self, member: ContractorUser) -> str:
        return member.user.get_full_name()

    def get_readonly_fields(self, request: HttpRequest, obj: ContractorUser | None = None) -> tuple[str, ...]:
        # Moving a user between companies would leave them in the first company's group.
        return () if obj is None else ("user", "company")

    def save_model(self, request: HttpRequest, obj: ContractorUser, form: ModelForm, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        # A fresh copy: the form's copy already points back at this unsaved membership, which
        # the service would take for an existing one.
        user = User.objects.get(pk=data["user"].pk)
        member = contractor_user_add(
            actor=request.user, company=data["company"], user=user, is_company_admin=data["is_company_admin"]
        )
        if data["phone"]:
            member.phone = data["phone"]
            member.save(update_fields=["phone"])
        become(obj, member)

    def has_delete_permission(self, request: HttpRequest, obj: ContractorUser | None = None) -> bool:
        return False


# --- jobs and what is reported on them (read-only) ---------------------------------------------


class PrerequisiteInline(ReadOnlyInline):
    model = Prerequisite
    fields = ("description", "responsible_party", "responsible_name", "state", "done_at", "done_by")
    related = ("done_by",)


class CancellationInline(ReadOnlyInline):
    model = JobCancellation
    fields = ("cancelled_at", "reason", "note", "cancelled_by")
    related = ("cancelled_by",)


class IncidentInline(ReadOnlyInline):
    model = IncidentReport
    fields = ("created_at", "what", "location", "affects_water", "affects_power", "affects_heating", "reported_by")
    related = ("reported_by",)


class JobPhotoInline(ReadOnlyInline):
    model = JobPhoto
    fk_name = "job"
    fields = ("original_name", "file", "incident", "created_at", "uploaded_by")
    related = ("incident", "uploaded_by")


@admin.register(Job)
class JobAdmin(ReadOnlyAdmin):
    list_display = ("reference", "title", "case", "company", "status", "window_start", "cancellation_count")
    list_filter = ("status", "company", "last_cancellation_reason")
    list_select_related = ("case", "company")
    search_fields = ("title", "case__reference", "company__name")
    date_hierarchy = "created_at"
    inlines = (PrerequisiteInline, CancellationInline, IncidentInline, JobPhotoInline)

    @admin.display(description=_("job"), ordering="pk")
    def reference(self, job: Job) -> str:
        return job.reference


@admin.register(JobCancellation)
class JobCancellationAdmin(ReadOnlyAdmin):
    list_display = ("job", "reason", "cancelled_at", "cancelled_by")
    list_filter = ("reason",)
    list_select_related = ("job", "cancelled_by")
    search_fields = ("job__title", "job__case__reference", "note")
    date_hierarchy = "cancelled_at"


@admin.register(Prerequisite)
class PrerequisiteAdmin(ReadOnlyAdmin):
    list_display = ("description", "job", "responsible_party", "responsible_name", "state", "done_at")
    list_filter = ("state", "responsible_party")
    list_select_related = ("job",)
    search_fields = ("description", "job__title", "job__case__reference")


class CorrectionInline(ReadOnlyInline):
    model = IncidentCorrection
    fields = ("created_at", "text", "written_by")
    related = ("written_by",)


class IncidentPhotoInline(ReadOnlyInline):
    model = JobPhoto
    fk_name = "incident"
    fields = ("original_name", "file", "created_at", "uploaded_by")
    related = ("uploaded_by",)


@admin.register(IncidentReport)
class IncidentReportAdmin(ReadOnlyAdmin):
    """Never edited: corrections are appended (incident_correct)."""

    list_display = ("__str__", "location", "affects_water", "affects_power", "affects_heating", "created_at")
    list_filter = ("affects_water", "affects_power", "affects_heating")
    list_select_related = ("job",)
    search_fields = ("what", "location", "job__case__reference")
    date_hierarchy = "created_at"
    inlines = (CorrectionInline, IncidentPhotoInline)


@admin.register(IncidentCorrection)
class IncidentCorrectionAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "written_by", "created_at")
    list_select_related = ("incident__job", "written_by")
    search_fields = ("text", "incident__job__case__reference")
    date_hierarchy = "created_at"


@admin.register(JobPhoto)
class JobPhotoAdmin(ReadOnlyAdmin):
    list_display = ("original_name", "job", "incident", "content_type", "size", "created_at")
    list_select_related = ("job", "incident__job")
    search_fields = ("original_name", "job__case__reference")
    date_hierarchy = "created_at"


# --- jobs shared with a second company: who holds the grant, read-only --------------------------


@admin.register(JobUserObjectPermission)
class JobUserGrantAdmin(UserGrantAdmin):
    search_fields = (*UserGrantAdmin.search_fields, "content_object__title", "content_object__case__reference")


@admin.register(JobGroupObjectPermission)
class JobGroupGrantAdmin(GroupGrantAdmin):
    search_fields = (*GroupGrantAdmin.search_fields, "content_object__title", "content_object__case__reference")
