"""Flags and service alerts: staff only, like the pages that show them."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response

from api import filters, inputs, outputs
from api.permissions import AsksPolicy, StaffOnly
from api.views.base import ApiViewSet
from cases import selectors
from cases.models import Flag, ServiceAlert
from cases.services import alert_end, alert_post, alert_update, flag_acknowledge


class FlagViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Flags on the cases the user may see, and case-less ones sent to them (emerging incidents)."""

    permission_classes = [StaffOnly, AsksPolicy]
    model = Flag
    serializer_class = outputs.FlagSerializer
    filterset_class = filters.FlagFilter
    cursor_ordering = ("-raised_at", "-pk")

    def get_queryset(self) -> QuerySet[Flag]:
        if self.for_schema:
            return self.empty()
        return selectors.flags_visible_to(self.request.user).select_related("case", "assignee", "acknowledged_by")

    @extend_schema(request=None, responses={200: outputs.FlagSerializer}, summary="Acknowledge a flag")
    def acknowledge(self, request: Request, pk: int) -> Response:
        flag = flag_acknowledge(flag=self.get_object(), actor=request.user)
        return self.answer(outputs.FlagSerializer, self.get_queryset().get(pk=flag.pk))


class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Planned maintenance and known outages, newest first."""

    permission_classes = [StaffOnly, AsksPolicy]
    model = ServiceAlert
    serializer_class = outputs.AlertSerializer
    filterset_class = filters.AlertFilter
    cursor_ordering = ("-starts_at", "-pk")

    def get_queryset(self) -> QuerySet[ServiceAlert]:
        if self.for_schema:
            return self.empty()
        return ServiceAlert.objects.select_related("service")

    @extend_schema(request=inputs.AlertInput, responses={201: outputs.AlertSerializer}, summary="Post a service alert")
    def create(self, request: Request) -> Response:
        alert = alert_post(actor=request.user, **self.parse(inputs.AlertInput))
        return self.answer(outputs.AlertSerializer, alert, status.HTTP_201_CREATED)

    @extend_schema(
        request=inputs.AlertChangeInput, responses={200: outputs.AlertSerializer}, summary="Change a service alert"
    )
    def partial_update(self, request: Request, pk: int) -> Response:
        alert = self.get_object()
        return self.answer(
            outputs.AlertSerializer,
            alert_update(actor=request.user, alert=alert, **self.parse(inputs.AlertChangeInput)),
        )

    @extend_schema(request=inputs.AlertEndInput, responses={200: outputs.AlertSerializer}, summary="End an alert")
    def end(self, request: Request, pk: int) -> Response:
        alert = self.get_object()
        data = self.parse(inputs.AlertEndInput)
        return self.answer(outputs.AlertSerializer, alert_end(actor=request.user, alert=alert, **data))
