"""Customers, and the cases of one customer (where a new case is opened)."""

from __future__ import annotations

from functools import cached_property

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response

from api import filters, inputs, outputs
from api.views.base import ApiViewSet
from cases import policies
from cases.models import Case
from cases.policies import customers_visible_to
from cases.services import case_open
from cases.services.routing import Purpose, owner_for_new_case
from people.models import Customer


class CustomerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Customers: staff see all of them; a customer or delegate the ones whose cases they may open."""

    model = Customer
    serializer_class = outputs.CustomerSerializer
    filterset_class = filters.CustomerFilter
    cursor_ordering = ("full_name", "pk")

    def get_queryset(self) -> QuerySet[Customer]:
        if self.for_schema:
            return self.empty()
        return customers_visible_to(self.request.user).prefetch_related("services")


class CustomerCaseViewSet(mixins.ListModelMixin, ApiViewSet):
    """/customers/{id}/cases/: the customer's cases the user may open, and opening a new one."""

    model = Case
    serializer_class = outputs.CaseSerializer
    filterset_class = filters.CaseFilter
    cursor_ordering = ("-created_at", "-pk")

    @cached_property
    def customer(self) -> Customer:
        return get_object_or_404(customers_visible_to(self.request.user), pk=self.kwargs["customer_id"])

    def get_queryset(self) -> QuerySet[Case]:
        if self.for_schema:
            return self.empty()
        return (
            policies.cases_visible_to(self.request.user)
            .filter(customer=self.customer)
            .select_related("customer", "owner__staff_profile__department", "service")
        )

    @extend_schema(
        request=inputs.CaseOpenStaffInput,
        responses={201: outputs.CaseSerializer},
        summary="Open a case for the customer",
        description="Staff may name the owner (themselves when left out); a customer or their delegate "
        "opening a case gets the owner Steward picks (their last owner, or the least-loaded agent).",
    )
    def create(self, request: Request, customer_id: int) -> Response:
        customer = self.customer
        staff = policies.is_staff_member(request.user)
        data = self.parse(inputs.CaseOpenStaffInput if staff else inputs.CaseOpenInput)
        owner = data.pop("owner", None) or (
            request.user if staff else owner_for_new_case(customer=customer, purpose=Purpose.REQUESTS)
        )
        case = case_open(actor=request.user, customer=customer, owner=owner, **data)
        return self.answer(outputs.CaseSerializer, case, status.HTTP_201_CREATED)
