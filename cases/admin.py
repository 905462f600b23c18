"""Admin for cases and everything attached to them.

The service layer is the only writer of case records. Here, records the services own are
shown read-only; the few changes the admin offers (opening a case, moving its working status,
adding a specialist or a delegate, acknowledging flags, posting and ending service alerts)
each call the service that owns them.

The building blocks at the top are shared with people/admin.py and contractors/admin.py.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import User
from django.db import models, transaction
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from guardian.admin import AdminUserObjectPermissionsForm, GuardedModelAdminMixin

from cases import policies
from cases.models import (
    Attachment,
    Case,
    CaseGroupObjectPermission,
    CaseUserObjectPermission,
    Flag,
    Handoff,
    InboundDelivery,
    InsuranceClaim,
    Message,
    Notification,
    Promise,
    ReferenceCounter,
    Sale,
    ServiceAlert,
    Survey,
    TimelineEvent,
    WatcherCursor,
    WatcherHeartbeat,
)
from cases.services import (
    alert_end,
    alert_post,
    alert_update,
    case_open,
    case_set_status,
    delegate_grant,
    delegate_revoke,
    flag_acknowledge,
    specialist_add,
    specialist_remove,
)
from contractors.models import Job
from people.models import Customer, Delegate
from portal.errors import RuleViolation

# --- shared building blocks ------------------------------------------------------------------

_REFUSAL_ATTR = "_steward_admin_refusal"


def become(obj: models.Model, saved: models.Model) -> None:
    """Turn the admin's form instance into the row a service wrote, so the admin logs the
    change against it and redirects to it as if it had saved the row itself."""
    obj.__dict__.update(saved.__dict__)


def _form_refused_by(form_class: type[ModelForm], refusal: RuleViolation) -> type[ModelForm]:
    class RefusedForm(form_class):
        def clean(self) -> dict[str, Any]:
            cleaned = super().clean()
            self.add_error(refusal.field if refusal.field in self.fields else None, refusal.message)
            return cleaned

    return RefusedForm


class ServiceFormAdminMixin:
    """For admins whose save_model calls a service.

    The admin saves inside one transaction, after the form and the inlines are valid, so that
    is where the service runs. When the service refuses (RuleViolation), the transaction rolls
    back and the form is shown again with the service's own words on the field it names.
    """

    def changeform_view(
        self, request: HttpRequest, object_id: str | None = None, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except RuleViolation as refusal:
            if getattr(request, _REFUSAL_ATTR, None) is not None:
                raise
            setattr(request, _REFUSAL_ATTR, refusal)
            # Nothing was written; validating again with the refusal on the form saves nothing.
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request: HttpRequest, obj: models.Model | None = None, change: bool = False, **kwargs: Any):
        form_class = super().get_form(request, obj, change=change, **kwargs)
        refusal = getattr(request, _REFUSAL_ATTR, None)
        return form_class if refusal is None else _form_refused_by(form_class, refusal)


class LinkedRecordsAdminMixin:
    """Nothing is linked to a record that is still being added: its add page is just its own form."""

    def get_inline_instances(self, request: HttpRequest, obj: models.Model | None = None) -> list:
        return [] if obj is None else super().get_inline_instances(request, obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record the services write: administrators read it here, and never add, change or delete it."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    """Linked records shown on their parent's page, each with a link to its own page."""

    extra = 0
    can_delete = False
    show_change_link = True
    # Related rows each line shows, fetched with the lines so the page's queries do not grow with them.
    related: tuple[str, ...] = ()

    def has_add_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: models.Model | None = None) -> tuple[str, ...]:
        return tuple(self.fields or ())

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related(*self.related)


def apply_to_each(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    rows: Iterable[models.Model],
    service: Callable[[models.Model], object],
    *,
    done: str,
) -> None:
    """Run a service on each selected row, in its own transaction, and say which rows it refused
    and why: a bulk action never skips a row silently. `done` is the whole success sentence, with
    %(rows)s where the rows it succeeded on go (a translator places them)."""
    succeeded: list[str] = []
    for row in rows:
        try:
            service(row)
        except RuleViolation as refusal:
            # Translators: a row of a bulk admin action, then why the service refused it.
            refused = _("%(row)s: %(reason)s") % {"row": row, "reason": refusal.message}
            modeladmin.message_user(request, refused, messages.ERROR)
        else:
            succeeded.append(str(row))
    if succeeded:
        modeladmin.message_user(request, done % {"rows": ", ".join(succeeded)}, messages.SUCCESS)


def person_label(user: User | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


# --- object permissions (delegates and specialists) -------------------------------------------

_DELEGATE = policies.DELEGATE_PERM
_SPECIALIST = policies.SPECIALIST_PERM


class GrantsForm(AdminUserObjectPermissionsForm):
    """The per-object grants the policy module reads, given and taken back through their
    services so each lands on the case timeline. Other per-object permissions mean nothing in
    Steward, so they are not offered."""

    actor: User  # set per request by GrantsAdminMixin
    relationship = forms.CharField(
        label=gettext_lazy("Relationship"),
        max_length=100,
        required=False,
        help_text=gettext_lazy(
            'When making someone a delegate: how they are related to the customer ("son", "carer"…).'
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        permissions = self.fields["permissions"]
        permissions.help_text = _("Taking delegate access back ends the person's whole delegation for this customer.")
        self.order_fields(["permissions", "relationship"])

    def get_obj_perms_field_choices(self) -> list[tuple[str, str]]:
        return [(codename, name) for codename, name in super().get_obj_perms_field_choices() if codename in self.grants]

    @property
    def grants(self) -> set[str]:
        return {_DELEGATE, _SPECIALIST} if isinstance(self.obj, Case) else {_DELEGATE}

    @property
    def customer(self) -> Customer:
        return self.obj.customer if isinstance(self.obj, Case) else self.obj

    def save_obj_perms(self) -> None:
        chosen = set(self.cleaned_data["permissions"])
        held = set(self.get_obj_perms_field_initial()) & self.grants
        for codename in sorted(chosen - held):
            self._grant(codename)
        for codename in sorted(held - chosen):
            self._take_back(codename)

    def _grant(self, codename: str) -> None:
        if codename == _SPECIALIST:
            specialist_add(actor=self.actor, case=self.obj, user=self.user)
            return
        delegate_grant(
            actor=self.actor,
            customer=self.customer,
            user=self.user,
            relationship=self.cleaned_data.get("relationship", ""),
            cases=[self.obj] if isinstance(self.obj, Case) else None,
        )

    def _take_back(self, codename: str) -> None:
        if codename == _SPECIALIST:
            specialist_remove(actor=self.actor, case=self.obj, user=self.user)
            return
        delegation = Delegate.objects.filter(user=self.user, customer=self.customer, revoked_at__isnull=True).first()
        if delegation is None:
            raise RuleViolation(
                _("%(person)s has no recorded delegation for %(customer)s.")
                % {"person": person_label(self.user), "customer": self.customer}
            )
        delegate_revoke(actor=self.actor, delegate=delegation)


class GrantsAdminMixin(GuardedModelAdminMixin):
    """django-guardian's object-permission pages, with grants routed through the services."""

    def get_obj_perms_manage_user_form(self, request: HttpRequest) -> type[forms.Form]:
        return type("GrantsForm", (GrantsForm,), {"actor": request.user})

    def obj_perms_manage_user_view(self, request: HttpRequest, object_pk: str, user_id: str) -> HttpResponse:
        try:
            with transaction.atomic():
                return super().obj_perms_manage_user_view(request, object_pk, user_id)
        except RuleViolation as refusal:
            messages.error(request, refusal.message)
            return redirect(request.path)

    def obj_perms_manage_group_view(self, request: HttpRequest, object_pk: str, group_id: str) -> HttpResponse:
        # The policy module reads delegate and specialist grants held by people, never by groups.
        messages.info(request, _("Cases and customers are shared with people, not with groups."))
        opts = self.model._meta
        return redirect(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_permissions", object_pk)


# --- the case and its linked records ----------------------------------------------------------


class HandoffInline(ReadOnlyInline):
    model = Handoff
    fields = ("created_at", "from_user", "to_user", "reason", "summary", "acknowledged_at")
    related = ("from_user", "to_user")


class SaleInline(ReadOnlyInline):
    model = Sale
    fields = ("sold_at", "product", "plan", "monthly_price", "advisor", "pending_offers")
    related = ("advisor",)


class ClaimInline(ReadOnlyInline):
    model = InsuranceClaim
    fields = ("insurer", "policy_holder", "claim_number", "status", "next_action", "next_action_due", "last_update_at")


class JobInline(ReadOnlyInline):
    model = Job
    fields = ("title", "company", "status", "window_start", "window_end", "cancellation_count")
    related = ("company",)


class MessageInline(ReadOnlyInline):
    model = Message
    fields = ("created_at", "direction", "channel", "is_internal", "author_label", "body")


class PromiseInline(ReadOnlyInline):
    model = Promise
    fields = ("due_at", "kind", "text", "made_by_label", "status", "resolved_at")


class FlagInline(ReadOnlyInline):
    model = Flag
    fields = ("raised_at", "kind", "summary", "level", "assignee", "acknowledged_at", "cleared_at")
    related = ("assignee",)


class TimelineInline(ReadOnlyInline):
    model = TimelineEvent
    verbose_name_plural = gettext_lazy("timeline")
    fields = ("created_at", "kind", "department", "actor_label", "summary", "customer_visible")


@admin.register(Case)
class CaseAdmin(ServiceFormAdminMixin, LinkedRecordsAdminMixin, GrantsAdminMixin, admin.ModelAdmin):
    """Cases open through case_open and change status through case_set_status; the owner
    changes only by handoff, so it is never editable; cases are never deleted."""

    list_display = ("reference", "subject", "customer", "owner_name", "status", "priority", "last_activity_at")
    list_filter = ("status", "priority", "owner__staff_profile__department", "service")
    list_select_related = ("customer", "owner")
    search_fields = ("reference", "customer__full_name", "customer__email", "customer__phone", "claims__claim_number")
    date_hierarchy = "created_at"
    autocomplete_fields = ("customer",)
    inlines = (
        HandoffInline,
        SaleInline,
        ClaimInline,
        JobInline,
        MessageInline,
        PromiseInline,
        FlagInline,
        TimelineInline,
    )
    add_fieldsets = (
        (None, {"fields": ("customer", "subject", "owner", "priority", "service", "human_impact", "description")}),
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "reference",
                    "customer",
                    "subject",
                    "owner",
                    "status",
                    "priority",
                    "service",
                    "human_impact",
                    "description",
                    "linked_alerts",
                )
            },
        ),
        (
            gettext_lazy("Activity"),
            {
                "fields": (
                    "created_at",
                    "created_by",
                    "last_activity_at",
                    "last_outbound_at",
                    "awaiting_reply_since",
                    "reply_due_at",
                )
            },
        ),
        (
            gettext_lazy("Resolution"),
            {
                "fields": (
                    "resolved_at",
                    "resolution_summary",
                    "confirmation_due_at",
                    "confirmation_reminder_sent_at",
                    "closed_at",
                    "close_reason",
                    "reopen_count",
                )
            },
        ),
    )

    @admin.display(description=gettext_lazy("owner"), ordering="owner__last_name")
    def owner_name(self, case: Case) -> str:
        return person_label(case.owner)

    def get_fieldsets(self, request: HttpRequest, obj: Case | None = None):
        return self.add_fieldsets if obj is None else self.fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Case | None = None) -> list[str]:
        if obj is None:
            return []
        shown = [name for _title, options in self.fieldsets for name in options["fields"]]
        # Only a working status may be moved here; a resolved or closed case follows the customer's answer.
        editable = {"status"} if obj.status in Case.WORKING_STATUSES else set()
        return [name for name in shown if name not in editable]

    def formfield_for_foreignkey(self, db_field: models.ForeignKey, request: HttpRequest, **kwargs: Any):
        if db_field.name == "owner":
            kwargs["queryset"] = User.objects.filter(is_active=True, staff_profile__isnull=False).order_by(
                "first_name", "last_name"
            )
            field = super().formfield_for_foreignkey(db_field, request, **kwargs)
            field.label_from_instance = lambda user: f"{person_label(user)} ({user.get_username()})"
            return field
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_choice_field(self, db_field: models.Field, request: HttpRequest, **kwargs: Any):
        if db_field.name == "status":
            kwargs["choices"] = [
                (value, label) for value, label in Case.Status.choices if value in Case.WORKING_STATUSES
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Case, form: ModelForm, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            opened = case_open(
                actor=request.user,
                customer=data["customer"],
                subject=data["subject"],
                owner=data["owner"],
                priority=data["priority"],
                service=data["service"],
                human_impact=data["human_impact"],
                description=data["description"],
            )
            become(obj, opened)
        elif "status" in form.changed_data:
            become(obj, case_set_status(actor=request.user, case=obj, status=data["status"]))
        # Nothing else on a case is written from here.

    def has_delete_permission(self, request: HttpRequest, obj: Case | None = None) -> bool:
        return False


@admin.register(Handoff)
class HandoffAdmin(ReadOnlyAdmin):
    list_display = ("case", "from_user", "to_user", "reason", "created_at", "acknowledged_at")
    list_filter = (("acknowledged_at", admin.EmptyFieldListFilter),)
    list_select_related = ("case", "from_user", "to_user")
    search_fields = ("case__reference", "reason", "from_user__username", "to_user__username")
    date_hierarchy = "created_at"


@admin.register(Sale)
class SaleAdmin(ReadOnlyAdmin):
    list_display = ("product", "plan", "monthly_price", "case", "advisor", "sold_at")
    list_select_related = ("case", "advisor")
    search_fields = ("product", "plan", "case__reference", "case__customer__full_name")
    date_hierarchy = "sold_at"


@admin.register(InsuranceClaim)
class InsuranceClaimAdmin(ReadOnlyAdmin):
    list_display = ("insurer", "claim_number", "policy_holder", "status", "case", "next_action_due", "last_update_at")
    list_filter = ("status", "policy_holder")
    list_select_related = ("case",)
    search_fields = ("claim_number", "insurer", "case__reference")
    date_hierarchy = "created_at"


class AttachmentInline(ReadOnlyInline):
    model = Attachment
    fields = ("original_name", "file", "content_type", "size", "created_at")


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    list_display = ("case", "created_at", "direction", "channel", "is_internal", "author_label")
    list_filter = ("direction", "channel", "is_internal")
    list_select_related = ("case",)
    search_fields = ("case__reference", "author_label", "external_id")
    date_hierarchy = "created_at"
    exclude = ("body_html",)
    inlines = (AttachmentInline,)


@admin.register(Attachment)
class AttachmentAdmin(ReadOnlyAdmin):
    list_display = ("original_name", "case_reference", "content_type", "size", "created_at")
    list_filter = ("content_type",)
    list_select_related = ("message__case",)
    search_fields = ("original_name", "message__case__reference")
    date_hierarchy = "created_at"

    @admin.display(description=gettext_lazy("case"), ordering="message__case__reference")
    def case_reference(self, attachment: Attachment) -> str:
        return attachment.message.case.reference


@admin.register(Promise)
class PromiseAdmin(ReadOnlyAdmin):
    list_display = ("text", "case", "kind", "made_by_label", "due_at", "status")
    list_filter = ("status", "kind", "owed_to_customer")
    list_select_related = ("case",)
    search_fields = ("text", "case__reference", "made_by_label")
    date_hierarchy = "due_at"


@admin.register(Flag)
class FlagAdmin(ReadOnlyAdmin):
    list_display = ("summary", "kind", "case", "level", "assignee", "raised_at", "acknowledged_at", "cleared_at")
    list_filter = (
        "kind",
        "level",
        ("acknowledged_at", admin.EmptyFieldListFilter),
        ("cleared_at", admin.EmptyFieldListFilter),
    )
    list_select_related = ("case", "assignee")
    search_fields = ("summary", "subject_key", "case__reference")
    date_hierarchy = "raised_at"
    actions = ("acknowledge",)

    def has_acknowledge_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("cases.change_flag")

    @admin.action(description=gettext_lazy("Acknowledge selected flags"), permissions=["acknowledge"])
    def acknowledge(self, request: HttpRequest, queryset: QuerySet[Flag]) -> None:
        flags = list(queryset.select_related("case"))
        already = [str(flag) for flag in flags if flag.acknowledged_at is not None and flag.cleared_at is None]
        if already:
            self.message_user(
                request, _("Already acknowledged: %(rows)s.") % {"rows": ", ".join(already)}, messages.INFO
            )
        pending = [flag for flag in flags if flag.acknowledged_at is None or flag.cleared_at is not None]
        apply_to_each(
            self,
            request,
            pending,
            lambda flag: flag_acknowledge(flag=flag, actor=request.user),
            done=_("Acknowledged: %(rows)s."),
        )


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """Written with the flag that caused it; the digest sender marks it e-mailed."""

    list_display = ("summary", "recipient", "level", "reason", "created_at", "held_until", "read_at", "emailed_at")
    list_filter = (
        "reason",
        "level",
        ("read_at", admin.EmptyFieldListFilter),
        ("emailed_at", admin.EmptyFieldListFilter),
    )
    list_select_related = ("recipient", "flag")
    search_fields = ("summary", "recipient__username", "flag__case__reference")
    date_hierarchy = "created_at"


@admin.register(TimelineEvent)
class TimelineEventAdmin(ReadOnlyAdmin):
    """Append-only: the model itself refuses updates and deletes."""

    list_display = ("created_at", "case", "kind", "department", "actor_label", "summary", "customer_visible")
    list_filter = ("kind", "department", "customer_visible")
    list_select_related = ("case",)
    search_fields = ("case__reference", "summary", "actor_label")
    date_hierarchy = "created_at"


@admin.register(ServiceAlert)
class ServiceAlertAdmin(ServiceFormAdminMixin, admin.ModelAdmin):
    """Posted with alert_post and changed with alert_update. Alerts are ended, not deleted:
    cases stay linked to the alert that explained them."""

    list_display = ("title", "service", "area", "kind", "starts_at", "ends_at", "posted_by")
    list_filter = ("kind", "service", ("ends_at", admin.EmptyFieldListFilter))
    list_select_related = ("service", "posted_by")
    search_fields = ("title", "area", "service__name")
    date_hierarchy = "starts_at"
    fields = ("service", "kind", "title", "description", "area", "starts_at", "ends_at", "posted_by", "created_at")
    readonly_fields = ("posted_by", "created_at")
    actions = ("end_now",)

    def save_model(self, request: HttpRequest, obj: ServiceAlert, form: ModelForm, change: bool) -> None:
        data = form.cleaned_data
        if not change:
            posted = alert_post(
                actor=request.user,
                service=data["service"],
                kind=data["kind"],
                title=data["title"],
                description=data["description"],
                area=data["area"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
            )
            become(obj, posted)
        elif form.changed_data:
            changes = {name: data[name] for name in form.changed_data}
            become(obj, alert_update(actor=request.user, alert=obj, **changes))

    def has_delete_permission(self, request: HttpRequest, obj: ServiceAlert | None = None) -> bool:
        return False

    @admin.action(description=gettext_lazy("End selected alerts now"), permissions=["change"])
    def end_now(self, request: HttpRequest, queryset: QuerySet[ServiceAlert]) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda alert: alert_end(actor=request.user, alert=alert),
            done=_("Ended: %(rows)s."),
        )


@admin.register(Survey)
class SurveyAdmin(ReadOnlyAdmin):
    list_display = ("case", "score", "wants_contact", "submitted_at")
    list_filter = ("score", "wants_contact")
    list_select_related = ("case",)
    search_fields = ("case__reference", "comment")
    date_hierarchy = "submitted_at"


@admin.register(ReferenceCounter)
class ReferenceCounterAdmin(ReadOnlyAdmin):
    """Drawn under a row lock by case_open; changing it by hand could hand out a reference twice."""

    list_display = ("year", "last_number")


@admin.register(WatcherCursor)
class WatcherCursorAdmin(ReadOnlyAdmin):
    """How far each watcher sweep has read; moved only by the watchers."""

    list_display = ("name", "last_id", "last_at", "updated_at")


@admin.register(InboundDelivery)
class InboundDeliveryAdmin(ReadOnlyAdmin):
    """What a gateway or Steward's own mail doors delivered, kept so a retry is filed once;
    written only by the inbound service."""

    list_display = ("key", "channel", "route", "sender_email", "sender_phone", "received_at")
    list_filter = ("channel", "route")
    search_fields = ("key", "sender_email", "sender_phone")
    date_hierarchy = "received_at"


@admin.register(WatcherHeartbeat)
class WatcherHeartbeatAdmin(ReadOnlyAdmin):
    """When each watcher last finished a run; written only by the watcher task."""

    list_display = ("name", "last_completed_at")


# --- who holds which grant, read-only (managed from the Case and Customer pages) --------------


class UserGrantAdmin(ReadOnlyAdmin):
    list_display = ("content_object", "user", "permission_codename")
    list_filter = ("permission__codename",)
    list_select_related = ("content_object", "user", "permission")
    search_fields = ("user__username", "user__email")

    @admin.display(description=gettext_lazy("permission"), ordering="permission__codename")
    def permission_codename(self, grant: models.Model) -> str:
        return grant.permission.codename


class GroupGrantAdmin(UserGrantAdmin):
    list_display = ("content_object", "group", "permission_codename")
    list_select_related = ("content_object", "group", "permission")
    search_fields = ("group__name",)


@admin.register(CaseUserObjectPermission)
class CaseUserGrantAdmin(UserGrantAdmin):
    search_fields = (*UserGrantAdmin.search_fields, "content_object__reference")


@admin.register(CaseGroupObjectPermission)
class CaseGroupGrantAdmin(GroupGrantAdmin):
    search_fields = (*GroupGrantAdmin.search_fields, "content_object__reference")
