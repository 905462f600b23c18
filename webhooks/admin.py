"""Administrators register webhook endpoints and read what was sent to them; the services write."""

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.admin import apply_to_each
from portal.errors import RuleViolation
from webhooks import selectors
from webhooks.models import Delivery, Endpoint, EventKind
from webhooks.services.endpoints import endpoint_check, endpoint_rotate_secret, endpoint_save


class EndpointForm(forms.ModelForm):
    url = forms.URLField(
        label=gettext_lazy("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=Endpoint._meta.get_field("url").help_text,
    )
    event_kinds = forms.MultipleChoiceField(
        label=gettext_lazy("Events"),
        choices=EventKind.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("Steward posts these events to the URL. docs/webhooks.md describes each."),
    )

    class Meta:
        model = Endpoint
        fields = ("url", "description", "event_kinds", "active")

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("url") and "event_kinds" in cleaned:
            try:
                endpoint_check(url=cleaned["url"], event_kinds=cleaned["event_kinds"])
            except RuleViolation as refusal:
                self.add_error(refusal.field if refusal.field in self.fields else None, refusal.message)
        return cleaned


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = ("__str__", "url", "active", "events", "consecutive_failures", "disabled_at")
    list_filter = ("active",)
    search_fields = ("url", "description")
    readonly_fields = ("secret_shown", "consecutive_failures", "disabled_at", "created_at", "recent_deliveries")
    actions = ("rotate_secret",)

    @admin.display(description=gettext_lazy("events"))
    def events(self, endpoint: Endpoint) -> str:
        return ", ".join(endpoint.event_kinds or ())

    @admin.display(description=gettext_lazy("secret"))
    def secret_shown(self, endpoint: Endpoint) -> str:
        if endpoint.pk is None:
            return _("Made when the endpoint is saved.")
        return endpoint.secret

    @admin.display(description=gettext_lazy("secret"))
    def secret_hidden(self, endpoint: Endpoint) -> str:
        return _("Only superusers can read the secret.")

    @admin.display(description=gettext_lazy("latest deliveries"))
    def recent_deliveries(self, endpoint: Endpoint) -> str:
        if endpoint.pk is None:
            return "—"
        rows = format_html_join(
            "",
            "<tr><td><a href='{}'>{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    reverse("admin:webhooks_delivery_change", args=[delivery.pk]),
                    delivery.created_at.strftime("%Y-%m-%d %H:%M"),
                    delivery.kind,
                    delivery.get_status_display(),
                    delivery.attempts,
                    delivery.response_status or "—",
                    delivery.response_body[:200],
                )
                for delivery in selectors.recent_deliveries(endpoint)
            ),
        )
        if not rows:
            return _("Nothing sent yet.")
        every = f"{reverse('admin:webhooks_delivery_changelist')}?endpoint__id__exact={endpoint.pk}"
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table><p><a href='{}'>{}</a></p>",
            _("Created"),
            _("Event"),
            _("Status"),
            _("Attempts"),
            _("Response status"),
            _("Response body (start)"),
            rows,
            every,
            _("Every delivery to this endpoint"),
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Endpoint | None = None) -> tuple[str, ...]:
        fields = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return fields
        return tuple("secret_hidden" if name == "secret_shown" else name for name in fields)

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        if not request.user.is_superuser:
            actions.pop("rotate_secret", None)  # a new secret nobody allowed to read it could pass on
        return actions

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        endpoint = self.get_object(request, object_id)
        if request.method == "GET" and endpoint is not None and endpoint.disabled_at and not endpoint.active:
            messages.warning(
                request,
                _(
                    "Steward turned this endpoint off on %(date)s after %(count)s deliveries in a row failed. "
                    "Tick “active” and save to send again."
                )
                % {"date": endpoint.disabled_at.strftime("%Y-%m-%d %H:%M"), "count": endpoint.consecutive_failures},
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Endpoint, form: forms.ModelForm, change: bool) -> None:
        endpoint_save(endpoint=obj)

    @admin.action(description=gettext_lazy("Make a new secret"), permissions=["change"])
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[Endpoint]) -> None:
        apply_to_each(
            self,
            request,
            queryset,
            lambda endpoint: endpoint_rotate_secret(endpoint=endpoint),
            # Translators: %(rows)s lists webhook endpoints.
            done=_("New secret made for %(rows)s: give it to the receiving system (it shows on each endpoint's page)."),
        )


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Written by the services and the delivery task; administrators read them (and may delete them)."""

    list_display = ("created_at", "endpoint", "kind", "status", "attempts", "response_status", "next_attempt_at")
    list_filter = ("status", "kind", "endpoint")
    list_select_related = ("endpoint",)
    search_fields = ("id",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "id",
        "endpoint",
        "kind",
        "status",
        "attempts",
        "next_attempt_at",
        "last_attempt_at",
        "delivered_at",
        "response_status",
        "response_body",
        "error",
        "attempt_log",
        "body",
        "created_at",
    )
    exclude = ("claimed_until", "claim_token")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Delivery | None = None) -> bool:
        return False
