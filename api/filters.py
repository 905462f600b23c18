"""Filters of the list endpoints (django-filter). Each narrows a queryset the policies already scoped."""

from __future__ import annotations

from typing import TYPE_CHECKING

import django_filters as filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

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
from contractors.models import Job
from people.models import Customer

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class IdFilter(filters.NumberFilter):
    """A whole number (a record's id)."""

    field_class = forms.IntegerField


class CustomerFilter(filters.FilterSet):
    q = filters.CharFilter(method="search", label="Name, e-mail or phone contains")
    service_area = filters.CharFilter()
    preferred_channel = filters.ChoiceFilter(choices=Customer.Channel.choices)

    class Meta:
        model = Customer
        fields = ["q", "service_area", "preferred_channel"]

    def search(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        return queryset.filter(Q(full_name__icontains=value) | Q(email__icontains=value) | Q(phone__icontains=value))


class CaseFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Case.Status.choices)
    priority = filters.ChoiceFilter(choices=Case.Priority.choices)
    open = filters.BooleanFilter(method="only_open", label="Only cases not closed (true) or only closed ones (false)")
    owner = IdFilter(field_name="owner_id", label="Owner's user id")
    customer = IdFilter(field_name="customer_id", label="Customer's id")
    q = filters.CharFilter(method="search", label="Reference or subject contains")
    active_since = filters.IsoDateTimeFilter(field_name="last_activity_at", lookup_expr="gte")

    class Meta:
        model = Case
        fields = ["status", "priority", "open", "owner", "customer", "q", "active_since"]

    def only_open(self, queryset: QuerySet[Case], name: str, value: bool) -> QuerySet[Case]:
        closed = Q(status=Case.Status.CLOSED)
        return queryset.exclude(closed) if value else queryset.filter(closed)

    def search(self, queryset: QuerySet[Case], name: str, value: str) -> QuerySet[Case]:
        return queryset.filter(Q(reference__icontains=value) | Q(subject__icontains=value))


class MessageFilter(filters.FilterSet):
    direction = filters.ChoiceFilter(choices=Message.Direction.choices)
    channel = filters.ChoiceFilter(choices=Message.Channel.choices)
    since = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = Message
        fields = ["direction", "channel", "since"]


class TimelineFilter(filters.FilterSet):
    department = filters.ChoiceFilter(choices=TimelineDepartment.choices)
    kind = filters.ChoiceFilter(choices=TimelineEvent.Kind.choices)
    since = filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = TimelineEvent
        fields = ["department", "kind", "since"]


class PromiseFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Promise.Status.choices)
    kind = filters.ChoiceFilter(choices=Promise.Kind.choices)
    due_before = filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="lt")

    class Meta:
        model = Promise
        fields = ["status", "kind", "due_before"]


class ClaimFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=InsuranceClaim.Status.choices)
    policy_holder = filters.ChoiceFilter(choices=InsuranceClaim.PolicyHolder.choices)

    class Meta:
        model = InsuranceClaim
        fields = ["status", "policy_holder"]


class HandoffFilter(filters.FilterSet):
    acknowledged = filters.BooleanFilter(field_name="acknowledged_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Handoff
        fields = ["acknowledged"]


class JobFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Job.Status.choices)
    company = IdFilter(field_name="company_id", label="Contractor company's id")
    case = filters.CharFilter(field_name="case__reference", label="Case reference")
    visit_from = filters.IsoDateTimeFilter(field_name="window_start", lookup_expr="gte")
    visit_until = filters.IsoDateTimeFilter(field_name="window_start", lookup_expr="lt")

    class Meta:
        model = Job
        fields = ["status", "company", "case", "visit_from", "visit_until"]


class FlagFilter(filters.FilterSet):
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


class AlertFilter(filters.FilterSet):
    service = filters.CharFilter(field_name="service__code", label="Service code")
    kind = filters.ChoiceFilter(choices=ServiceAlert.Kind.choices)
    live = filters.BooleanFilter(method="only_live", label="Not ended yet (true) or ended (false)")

    class Meta:
        model = ServiceAlert
        fields = ["service", "kind", "live"]

    def only_live(self, queryset: QuerySet[ServiceAlert], name: str, value: bool) -> QuerySet[ServiceAlert]:
        live = Q(ends_at__isnull=True) | Q(ends_at__gt=timezone.now())
        return queryset.filter(live) if value else queryset.exclude(live)
