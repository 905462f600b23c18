"""Filters of the list endpoints (django-filter). Each narrows a queryset the policies already scoped."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import django_filters as filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from cases.models import (
    Case,
    Flag,
    Handoff,
    InsuranceClaim,
    Message,
    Promise,
    ServiceAlert,
    TimelineDepartment,
    TimelineEvent,
)
from cases.selectors import search_case_ids, search_customer_ids
from contractors.models import Job
from people.models import Customer

if TYPE_CHECKING:
    from django.contrib.auth.models import User


# RFC 3339, what the schema's `format: date-time` means: a date, "T", a time and an offset.
RFC_3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


class MomentField(forms.Field):
    """A date and time with its offset, between the years 2000 and 2199 (as api.inputs.Moment):
    Django's own field also takes a bare date, a space for the "T" or no offset at all."""

    default_error_messages = {
        "invalid": _("Give a date and time with its offset, e.g. 2026-05-04T09:30:00+02:00."),
        "out_of_range": _("Give a date between the years 2000 and 2199."),
    }

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        try:
            moment = parse_datetime(value) if RFC_3339.fullmatch(value) else None
        except ValueError:  # well formed, but no such day or hour
            moment = None
        if moment is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if not 2000 <= moment.year <= 2199:
            raise forms.ValidationError(self.error_messages["out_of_range"], code="out_of_range")
        return moment


@extend_schema_field(OpenApiTypes.DATETIME)
class MomentFilter(filters.Filter):
    field_class = MomentField


YES_NO = {"true", "false"}


class StrictForm(forms.Form):
    """A parameter that is sent must have a value of its type: `?since=` or `?owner=` is a
    mistake, not "no filter" (an empty text, `?q=`, is a text and still means no filter)."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for name, field in self.fields.items():
            if isinstance(field, forms.CharField) or name not in self.data:
                continue
            sent = self.data.getlist(name) if hasattr(self.data, "getlist") else [self.data.get(name)]
            if any(value is None or not str(value).strip() for value in sent):
                self.add_error(name, _("Give a value, or leave the parameter out."))
            # Django's yes/no field reads "null", "unknown" or any other word as "no filter".
            elif isinstance(field, forms.NullBooleanField) and any(str(v).lower() not in YES_NO for v in sent):
                self.add_error(name, _("Must be true or false."))
        return cleaned


class StrictFilterSet(filters.FilterSet):
    def get_form_class(self) -> type[forms.Form]:
        fields = {name: filter_.field for name, filter_ in self.filters.items()}
        return type(f"{type(self).__name__}Form", (StrictForm,), fields)


class IdFilter(filters.NumberFilter):
    """A whole number (a record's id)."""

    field_class = forms.IntegerField


class CustomerFilter(StrictFilterSet):
    q = filters.CharFilter(
        method="search",
        label="Start of a word of the name or e-mail address (any accents and case), or of the phone number",
    )
    service_area = filters.CharFilter()
    preferred_channel = filters.ChoiceFilter(choices=Customer.Channel.choices)

    class Meta:
        model = Customer
        fields = ["q", "service_area", "preferred_channel"]

    def search(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        # The staff search's selector: index lookups (people.phones, portal.fulltext), never a scan.
        ids = search_customer_ids(value.strip())
        return queryset.none() if ids is None else queryset.filter(pk__in=ids)


class CaseFilter(StrictFilterSet):
    status = filters.ChoiceFilter(choices=Case.Status.choices)
    priority = filters.ChoiceFilter(choices=Case.Priority.choices)
    open = filters.BooleanFilter(method="only_open", label="Only cases not closed (true) or only closed ones (false)")
    owner = IdFilter(field_name="owner_id", label="Owner's user id")
    customer = IdFilter(field_name="customer_id", label="Customer's id")
    q = filters.CharFilter(
        method="search",
        label="Start of the reference, of a claim number or of a word of the subject (any accents and case), or J-123",
    )
    active_since = MomentFilter(field_name="last_activity_at", lookup_expr="gte")

    class Meta:
        model = Case
        fields = ["status", "priority", "open", "owner", "customer", "q", "active_since"]

    def only_open(self, queryset: QuerySet[Case], name: str, value: bool) -> QuerySet[Case]:
        closed = Q(status=Case.Status.CLOSED)
        return queryset.exclude(closed) if value else queryset.filter(closed)

    def search(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        return queryset.filter(pk__in=search_case_ids(self.request.user, value.strip()))


class MessageFilter(StrictFilterSet):
    direction = filters.ChoiceFilter(choices=Message.Direction.choices)
    channel = filters.ChoiceFilter(choices=Message.Channel.choices)
    since = MomentFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = Message
        fields = ["direction", "channel", "since"]


class TimelineFilter(StrictFilterSet):
    department = filters.ChoiceFilter(choices=TimelineDepartment.choices)
    kind = filters.ChoiceFilter(choices=TimelineEvent.Kind.choices)
    since = MomentFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = TimelineEvent
        fields = ["department", "kind", "since"]


class PromiseFilter(StrictFilterSet):
    status = filters.ChoiceFilter(choices=Promise.Status.choices)
    kind = filters.ChoiceFilter(choices=Promise.Kind.choices)
    due_before = MomentFilter(field_name="due_at", lookup_expr="lt")

    class Meta:
        model = Promise
        fields = ["status", "kind", "due_before"]


class ClaimFilter(StrictFilterSet):
    status = filters.ChoiceFilter(choices=InsuranceClaim.Status.choices)
    policy_holder = filters.ChoiceFilter(choices=InsuranceClaim.PolicyHolder.choices)

    class Meta:
        model = InsuranceClaim
        fields = ["status", "policy_holder"]


class HandoffFilter(StrictFilterSet):
    acknowledged = filters.BooleanFilter(field_name="acknowledged_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Handoff
        fields = ["acknowledged"]


class JobFilter(StrictFilterSet):
    status = filters.ChoiceFilter(choices=Job.Status.choices)
    company = IdFilter(field_name="company_id", label="Contractor company's id")
    case = filters.CharFilter(field_name="case__reference", label="Case reference")
    visit_from = MomentFilter(field_name="window_start", lookup_expr="gte")
    visit_until = MomentFilter(field_name="window_start", lookup_expr="lt")

    class Meta:
        model = Job
        fields = ["status", "company", "case", "visit_from", "visit_until"]


class FlagFilter(StrictFilterSet):
    kind = filters.ChoiceFilter(choices=Flag.Kind.choices)
    level = filters.ChoiceFilter(choices=[(1, "1"), (2, "2"), (3, "3")])
    open = filters.BooleanFilter(field_name="cleared_at", lookup_expr="isnull", label="Not cleared yet")
    mine = filters.BooleanFilter(method="assigned_to_me", label="Only flags with me (true)")
    case = filters.CharFilter(field_name="case__reference", label="Case reference")

    class Meta:
        model = Flag
        fields = ["kind", "level", "open", "mine", "case"]

    def assigned_to_me(self, queryset: QuerySet[Flag], name: str, value: bool) -> QuerySet[Flag]:
        user: User = self.request.user
        return queryset.filter(assignee=user) if value else queryset.exclude(assignee=user)


class AlertFilter(StrictFilterSet):
    service = filters.CharFilter(field_name="service__code", label="Service code")
    kind = filters.ChoiceFilter(choices=ServiceAlert.Kind.choices)
    live = filters.BooleanFilter(method="only_live", label="Not ended yet (true) or ended (false)")

    class Meta:
        model = ServiceAlert
        fields = ["service", "kind", "live"]

    def only_live(self, queryset: QuerySet[ServiceAlert], name: str, value: bool) -> QuerySet[ServiceAlert]:
        live = Q(ends_at__isnull=True) | Q(ends_at__gt=timezone.now())
        return queryset.filter(live) if value else queryset.exclude(live)
