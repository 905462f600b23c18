"""Admin for staff, departments, the routing of new cases, services, customers and their delegates.

Set-up records are edited here as usual. Two changes reach the case rules and so go through
the services: deactivating a staff account (staff_deactivate: not while they own open cases)
and making someone a delegate (delegate_grant / delegate_revoke: on the timeline).
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.dates import WEEKDAYS, WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from cases import policies
from cases.admin import (
    GrantsAdminMixin,
    GroupGrantAdmin,
    LinkedRecordsAdminMixin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    ServiceFormAdminMixin,
    UserGrantAdmin,
    apply_to_each,
    become,
    person_label,
)
from cases.models import Case
from cases.services import delegate_grant, delegate_revoke, staff_deactivate
from cases.services.privacy import customer_data_export, customer_erase, erasure_refusal
from cases.services.routing import eligible_staff
from people.models import (
    Customer,
    CustomerGroupObjectPermission,
    CustomerUserObjectPermission,
    Delegate,
    Department,
    Preference,
    Routing,
    Service,
    StaffProfile,
)
from portal.two_factor import forget_devices

# --- users and staff ---------------------------------------------------------------------------


class StaffProfileInline(admin.StackedInline):
    """Staff leave by deactivation, which keeps their cases' history readable: never deleted here."""

    model = StaffProfile
    fk_name = "user"
    extra = 0
    max_num = 1
    can_delete = False
    autocomplete_fields = ("manager",)
    fields = ("department", "role", "manager", "job_title", "phone", "working_hours")


admin.site.unregister(User)
# A person's two-step devices are theirs to set up (portal.two_factor); the admin site only
# removes them, with the action on users below, so django-otp's own device pages are not offered.
for _device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device_model):
        admin.site.unregister(_device_model)


@admin.register(User)
class StewardUserAdmin(ServiceFormAdminMixin, UserAdmin):
    inlines = (StaffProfileInline,)
    list_display = ("username", "full_name", "email", "department", "is_active", "is_staff", "is_superuser")
    list_filter = ("is_active", "is_staff", "is_superuser", "staff_profile__department", "groups")
    list_select_related = ("staff_profile__department",)
    actions = ("deactivate_staff", "forget_two_factor_devices")

    @admin.display(description=gettext_lazy("name"), ordering="last_name")
    def full_name(self, user: User) -> str:
        return user.get_full_name()

    @admin.display(description=gettext_lazy("department"), ordering="staff_profile__department__name")
    def department(self, user: User) -> str:
        profile = getattr(user, "staff_profile", None)
        return str(profile.department) if profile is not None else ""

    def save_model(self, request: HttpRequest, obj: User, form: ModelForm, change: bool) -> None:
        if change and "is_active" in form.changed_data and not obj.is_active:
            # Invariant 4: the service refuses while the person still owns open cases.
            staff_deactivate(actor=request.user, user=obj)
        super().save_model(request, obj, form, change)

    @admin.action(description=gettext_lazy("Deactivate selected staff accounts"), permissions=["change"])
    def deactivate_staff(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda user: staff_deactivate(actor=request.user, user=user),
            done=_("Deactivated: %(rows)s."),
        )

    @admin.action(
        description=gettext_lazy("Remove two-step sign-in devices (lost phone: a new app is set up at next sign-in)"),
        permissions=["change"],
    )
    def forget_two_factor_devices(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda user: forget_devices(user=user),
            done=_("Two-step sign-in devices removed: %(rows)s."),
        )


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "department", "role", "manager", "job_title", "phone")
    list_filter = ("department", "role")
    list_select_related = ("user", "department", "manager")
    search_fields = ("user__username", "user__first_name", "user__last_name", "user__email", "job_title")
    autocomplete_fields = ("user", "manager")

    @admin.display(description=gettext_lazy("name"), ordering="user__last_name")
    def name(self, profile: StaffProfile) -> str:
        return person_label(profile.user)

    def get_readonly_fields(self, request: HttpRequest, obj: StaffProfile | None = None) -> tuple[str, ...]:
        # Moving a profile to another account would hand that account the first one's cases.
        return ("user",) if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: StaffProfile | None = None) -> bool:
        return False


class DepartmentForm(forms.ModelForm):
    """The working days as one tick box per day, stored as ISO weekday numbers ("12345")."""

    working_days = forms.MultipleChoiceField(
        label=gettext_lazy("Working days"),
        choices=[(str(number + 1), name) for number, name in WEEKDAYS.items()],
        widget=forms.CheckboxSelectMultiple,
        help_text=Department._meta.get_field("working_days").help_text,
    )

    class Meta:
        model = Department
        fields = (
            "name",
            "code",
            "head",
            "round_the_clock",
            "working_days",
            "opens_at",
            "closes_at",
            "time_zone",
            "holiday_country",
            "holiday_subdivision",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial["working_days"] = list(self.instance.working_days or "")

    def clean_working_days(self) -> str:
        return "".join(sorted(self.cleaned_data["working_days"]))


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    form = DepartmentForm
    list_display = ("name", "code", "head", "working_time")
    list_select_related = ("head",)
    search_fields = ("name", "code")
    prepopulated_fields = {"code": ("name",)}
    autocomplete_fields = ("head",)
    fieldsets = (
        (None, {"fields": ("name", "code", "head")}),
        (
            gettext_lazy("Working time"),
            {
                "description": gettext_lazy(
                    "Reply targets, the silent-case period, the confirmation window and escalation delays of the "
                    "cases this department's staff own are counted in these hours. Cases of customers with "
                    "vulnerability notes, and urgent cases, are counted round the clock whatever is set here."
                ),
                "fields": (
                    "round_the_clock",
                    "working_days",
                    ("opens_at", "closes_at"),
                    "time_zone",
                    ("holiday_country", "holiday_subdivision"),
                ),
            },
        ),
    )

    @admin.display(description=gettext_lazy("working time"))
    def working_time(self, department: Department) -> str:
        if department.round_the_clock:
            return _("Round the clock")
        days = ", ".join(str(WEEKDAYS_ABBR[int(day) - 1]) for day in department.working_days)
        return _("%(days)s, %(opens)s–%(closes)s (%(zone)s)") % {
            "days": days,
            "opens": department.opens_at.strftime("%H:%M"),
            "closes": department.closes_at.strftime("%H:%M"),
            "zone": department.time_zone,
        }


@admin.register(Routing)
class RoutingAdmin(admin.ModelAdmin):
    """Which department owns the cases Steward opens by itself, and who in it may. Without a row
    for a purpose, or with nobody eligible, new cases go to the least-loaded agent of any
    department (cases/services/routing.py), so an operator is warned here."""

    list_display = ("purpose", "department", "agents", "managers", "head", "eligible_now")
    list_select_related = ("department__head",)
    fields = ("purpose", "department", "agents", "managers", "head", "eligible_now")
    readonly_fields = ("eligible_now",)

    @admin.display(description=gettext_lazy("who may own them now"))
    def eligible_now(self, routing: Routing) -> str:
        if routing.pk is None:
            return ""
        people = [person_label(user) for user in eligible_staff(routing=routing).order_by("last_name", "pk")]
        return ", ".join(people) or _("Nobody: new cases go to the least-loaded agent of any department.")

    def save_model(self, request: HttpRequest, obj: Routing, form: ModelForm, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if not eligible_staff(routing=obj).exists():
            self.message_user(
                request,
                _(
                    "Nobody active in %(department)s may own these cases with the roles ticked: until someone "
                    "can, they go to the least-loaded agent of any department."
                )
                % {"department": obj.department},
                messages.WARNING,
            )


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("name", "code")
    search_fields = ("name", "code")
    prepopulated_fields = {"code": ("name",)}


# --- customers and delegates -------------------------------------------------------------------


class DelegateInline(ReadOnlyInline):
    model = Delegate
    fk_name = "customer"
    fields = ("user", "relationship", "all_cases", "authorised_by", "created_at", "revoked_at")
    related = ("user", "authorised_by")


@admin.register(Customer)
class CustomerAdmin(LinkedRecordsAdminMixin, GrantsAdminMixin, admin.ModelAdmin):
    list_display = ("full_name", "email", "phone", "preferred_channel", "service_area", "vulnerable", "created_at")
    list_filter = ("preferred_channel", "service_area", "services")
    search_fields = ("full_name", "email", "phone")
    filter_horizontal = ("services",)
    autocomplete_fields = ("user",)
    inlines = (DelegateInline,)
    actions = ("export_personal_data", "erase_personal_data")
    readonly_fields = ("erased_at",)
    fieldsets = (
        (None, {"fields": ("full_name", "email", "phone", "preferred_channel", "user", "erased_at")}),
        # Translators: title of the group of a customer's address fields in the admin.
        (gettext_lazy("Where"), {"fields": ("address", "postcode", "service_area", "access_notes")}),
        # Translators: title of the group of a customer's vulnerability notes in the admin.
        (gettext_lazy("Care"), {"fields": ("vulnerability_notes",)}),
        (gettext_lazy("Services held"), {"fields": ("services",)}),
    )

    @admin.display(description=gettext_lazy("vulnerable"), boolean=True)
    def vulnerable(self, customer: Customer) -> bool:
        return customer.is_vulnerable

    # --- a customer's requests about their personal data (docs/privacy.md) ---

    def has_export_customer_data_permission(self, request: HttpRequest) -> bool:
        return policies.can_export_customer_data(request.user)

    def has_erase_customer_data_permission(self, request: HttpRequest) -> bool:
        return policies.can_erase_customer_data(request.user)

    @admin.action(
        description=gettext_lazy("Export everything held about the selected customers (zip)"),
        permissions=["export_customer_data"],
    )
    def export_personal_data(self, request: HttpRequest, queryset: QuerySet[Customer]) -> HttpResponse:
        customers = list(queryset.order_by("pk"))
        archive = customer_data_export(actor=request.user, customers=customers)
        for customer in customers:
            self.log_change(request, customer, gettext_noop("Personal data exported."))
        name = f"customer-{customers[0].pk}-data.zip" if len(customers) == 1 else "customers-data.zip"
        response = HttpResponse(archive, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    @admin.action(
        description=gettext_lazy("Erase the personal data of the selected customers…"),
        permissions=["erase_customer_data"],
    )
    def erase_personal_data(self, request: HttpRequest, queryset: QuerySet[Customer]) -> TemplateResponse | None:
        customers = list(queryset.order_by("pk"))
        if request.POST.get("post") != "yes":
            return self._erase_confirmation(request, customers)
        force = request.POST.get("force") == "yes"
        apply_to_each(
            self,
            request,
            customers,
            lambda customer: customer_erase(actor=request.user, customer=customer, force=force),
            done=_("Personal data erased: %(rows)s."),
        )
        return None

    def _erase_confirmation(self, request: HttpRequest, customers: list[Customer]) -> TemplateResponse:
        rows = [
            {
                "customer": customer,
                "refusal": erasure_refusal(customer=customer),
                "erased": customer.erased_at is not None,
                "cases": customer.cases.count(),
            }
            for customer in customers
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Erase personal data"),
            "opts": self.model._meta,
            "rows": rows,
            "any_open": any(row["refusal"] for row in rows if not row["erased"]),
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/people/customer/erase_confirmation.html", context)


@admin.register(Customer.history.model)
class CustomerVersionAdmin(ReadOnlyAdmin):
    """Every saved version of a customer record, with who saved it: what staff were told about a
    customer's vulnerability on a given day. Kept by django-simple-history, never edited."""

    list_display = ("history_date", "full_name", "history_type", "history_user", "preferred_channel", "vulnerable")
    list_filter = ("history_type",)
    list_select_related = ("history_user",)
    search_fields = ("full_name", "email", "phone", "vulnerability_notes")
    date_hierarchy = "history_date"

    @admin.display(description=gettext_lazy("vulnerable"), boolean=True)
    def vulnerable(self, version: Any) -> bool:
        return bool(version.vulnerability_notes.strip())


class DelegateGrantForm(forms.ModelForm):
    cases = forms.CharField(
        label=gettext_lazy("Cases"),
        required=False,
        help_text=gettext_lazy(
            "Only these cases: their references separated by commas. Leave blank for every case of the customer."
        ),
    )

    class Meta:
        model = Delegate
        fields = ("user", "customer", "relationship")

    def clean_cases(self) -> list[Case] | None:
        references = [ref.strip() for ref in self.cleaned_data["cases"].split(",") if ref.strip()]
        if not references:
            return None
        found = list(Case.objects.filter(reference__in=references))
        unknown = sorted(set(references) - {case.reference for case in found})
        if unknown:
            raise forms.ValidationError(
                _("No case with the reference %(references)s.") % {"references": ", ".join(unknown)}
            )
        return found


@admin.register(Delegate)
class DelegateAdmin(ServiceFormAdminMixin, admin.ModelAdmin):
    """Delegations are granted with delegate_grant and revoked with delegate_revoke (both on the
    timeline); a delegation is never edited or deleted, so its history stays."""

    list_display = ("user", "customer", "relationship", "all_cases", "authorised_by", "created_at", "revoked_at")
    list_filter = ("all_cases", ("revoked_at", admin.EmptyFieldListFilter))
    list_select_related = ("user", "customer", "authorised_by")
    search_fields = ("user__username", "user__email", "user__last_name", "customer__full_name")
    date_hierarchy = "created_at"
    autocomplete_fields = ("user", "customer")
    actions = ("revoke",)

    def get_form(self, request: HttpRequest, obj: Delegate | None = None, change: bool = False, **kwargs: Any):
        if obj is None:
            kwargs["form"] = DelegateGrantForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Delegate | None = None) -> tuple[str, ...]:
        if obj is None:
            return ("user", "customer", "relationship", "cases")
        return ("user", "customer", "relationship", "all_cases", "authorised_by", "created_at", "revoked_at")

    def get_readonly_fields(self, request: HttpRequest, obj: Delegate | None = None) -> tuple[str, ...]:
        return () if obj is None else self.get_fields(request, obj)

    def save_model(self, request: HttpRequest, obj: Delegate, form: ModelForm, change: bool) -> None:
        if change:
            return  # read-only once granted
        data = form.cleaned_data
        granted = delegate_grant(
            actor=request.user,
            customer=data["customer"],
            user=data["user"],
            relationship=data["relationship"],
            cases=data["cases"],
        )
        become(obj, granted)

    def has_delete_permission(self, request: HttpRequest, obj: Delegate | None = None) -> bool:
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("people.change_delegate")

    @admin.action(description=gettext_lazy("Revoke selected delegations"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[Delegate]) -> None:
        delegations = list(queryset.select_related("user", "customer"))
        revoked = [str(d) for d in delegations if d.revoked_at is not None]
        if revoked:
            self.message_user(request, _("Already revoked: %(rows)s.") % {"rows": "; ".join(revoked)}, messages.INFO)
        apply_to_each(
            self,
            request,
            [d for d in delegations if d.revoked_at is None],
            lambda delegation: delegate_revoke(actor=request.user, delegate=delegation),
            done=_("Revoked: %(rows)s."),
        )


# --- who holds which grant on a customer, read-only (managed from the customer's page) --------


@admin.register(CustomerUserObjectPermission)
class CustomerUserGrantAdmin(UserGrantAdmin):
    search_fields = (*UserGrantAdmin.search_fields, "content_object__full_name")


@admin.register(CustomerGroupObjectPermission)
class CustomerGroupGrantAdmin(GroupGrantAdmin):
    search_fields = (*GroupGrantAdmin.search_fields, "content_object__full_name")


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    """Each person's language and time zone; they change their own on the preferences page."""

    list_display = ("user", "language", "time_zone")
    list_filter = ("language",)
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email", "user__first_name", "user__last_name")
    raw_id_fields = ("user",)
