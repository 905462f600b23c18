"""Sales on a case: what was sold, by which advisor, at what price, with the offers still
pending. Staff and the customer's side read them (the customer without the pending offers);
changing them is working on the case."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response

from api import inputs, outputs
from api.views.base import CaseScopedViewSet
from cases import policies
from cases.models import Sale
from cases.services import sale_record, sale_update


class CaseSaleViewSet(mixins.ListModelMixin, CaseScopedViewSet):
    """/cases/{reference}/sales/ and /cases/{reference}/sales/{id}/: newest sale first."""

    model = Sale
    serializer_class = outputs.SaleSerializer
    cursor_ordering = ("-sold_at", "-pk")
    # Asked about the case, for a new sale and for a change to one of its sales alike.
    action_policies = {"create": policies.can_work_on_case, "partial_update": policies.can_work_on_case}

    def get_queryset(self) -> QuerySet[Sale]:
        if self.for_schema:
            return self.empty()
        return policies.sales_for(self.request.user, self.case).select_related("case", "advisor")

    def get_object(self) -> Sale:
        # The case answers 404 or 403 first (CaseScopedViewSet.case); then a sale of another case is a 404.
        return get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])

    @extend_schema(responses={200: outputs.SaleSerializer}, summary="One sale on the case")
    def retrieve(self, request: Request, reference: str, pk: int) -> Response:
        return self.answer(outputs.SaleSerializer, self.get_object())

    @extend_schema(request=inputs.SaleInput, responses={201: outputs.SaleSerializer}, summary="Record a sale")
    def create(self, request: Request, reference: str) -> Response:
        case = self.case
        data = self.parse(inputs.SaleInput)
        sale = sale_record(
            actor=request.user,
            case=case,
            product=data["product"],
            plan=data["plan"],
            monthly_price=data.get("monthly_price"),
            advisor=data["advisor"] or request.user,
            pending_offers=data["pending_offers"],
            sold_at=data["sold_at"],
        )
        return self.answer(outputs.SaleSerializer, self.get_queryset().get(pk=sale.pk), status.HTTP_201_CREATED)

    @extend_schema(
        request=inputs.SaleUpdateInput,
        responses={200: outputs.SaleSerializer},
        summary="Change a sale",
        description="Only the fields sent change; each change is on the case's timeline with its value before "
        "and after. A null monthly_price takes the price off.",
    )
    def partial_update(self, request: Request, reference: str, pk: int) -> Response:
        sale = self.get_object()
        data = self.parse(inputs.SaleUpdateInput)
        price_sent = "monthly_price" in data
        sale_update(
            actor=request.user,
            sale=sale,
            product=data.get("product"),
            plan=data.get("plan"),
            monthly_price=data.get("monthly_price"),
            clear_price=price_sent and data["monthly_price"] is None,
            advisor=data.get("advisor"),
            pending_offers=data.get("pending_offers"),
        )
        return self.answer(outputs.SaleSerializer, self.get_queryset().get(pk=sale.pk))
