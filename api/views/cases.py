"""Cases: the list the user may open, one case, and what happens to a case as a whole."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.request import Request
from rest_framework.response import Response

from api import filters, inputs, outputs
from api.views.base import ApiViewSet
from cases import policies
from cases.models import Case
from cases.services import case_confirm, case_reject_resolution, case_reopen, case_resolve, case_set_status

F = TypeVar("F", bound=Callable)


def _acts(summary: str, request: type | None = None, description: str = "") -> Callable[[F], F]:
    return extend_schema(
        request=request, responses={200: outputs.CaseSerializer}, summary=summary, description=description
    )


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    """Cases by reference (CS-2026-000123). Staff see every case; a customer their own; a
    delegate what they were granted; contractor users none (they see jobs)."""

    model = Case
    serializer_class = outputs.CaseSerializer
    filterset_class = filters.CaseFilter
    cursor_ordering = ("-created_at", "-pk")
    lookup_field = "reference"
    action_policies = {
        "status": policies.can_work_on_case,
        "resolve": policies.can_work_on_case,
        "reopen": policies.can_work_on_case,
        "reject_resolution": policies.can_write_as_customer,
    }

    def get_queryset(self) -> QuerySet[Case]:
        if self.for_schema:
            return self.empty()
        return policies.cases_visible_to(self.request.user).select_related(
            "customer", "owner__staff_profile__department", "service"
        )

    @_acts("Move the case to another working status", inputs.StatusInput)
    def status(self, request: Request, reference: str) -> Response:
        case = self.get_object()
        data = self.parse(inputs.StatusInput)
        return self.answer(outputs.CaseSerializer, case_set_status(actor=request.user, case=case, **data))

    @_acts("Resolve the case; the customer is asked to confirm", inputs.ResolveInput)
    def resolve(self, request: Request, reference: str) -> Response:
        case = self.get_object()
        data = self.parse(inputs.ResolveInput)
        return self.answer(outputs.CaseSerializer, case_resolve(actor=request.user, case=case, **data))

    @_acts(
        "Confirm the resolution: the case closes",
        description="The customer or their delegate, or staff working on the case recording what the customer said.",
    )
    def confirm(self, request: Request, reference: str) -> Response:
        return self.answer(outputs.CaseSerializer, case_confirm(actor=request.user, case=self.get_object()))

    @_acts("Say the resolution did not work: the case reopens and its owner is flagged", inputs.ReasonInput)
    def reject_resolution(self, request: Request, reference: str) -> Response:
        case = self.get_object()
        data = self.parse(inputs.ReasonInput)
        return self.answer(outputs.CaseSerializer, case_reject_resolution(actor=request.user, case=case, **data))

    @_acts("Reopen a resolved case", inputs.ReasonInput)
    def reopen(self, request: Request, reference: str) -> Response:
        case = self.get_object()
        data = self.parse(inputs.ReasonInput)
        return self.answer(outputs.CaseSerializer, case_reopen(actor=request.user, case=case, **data))
