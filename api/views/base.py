"""What every API view shares: who is asking, parsing input, answering with an output serializer."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from api.permissions import AsksPolicy, Policy
from cases import policies
from cases.models import Case
from cases.policies import STAFF, audience_of

if TYPE_CHECKING:
    from rest_framework.serializers import BaseSerializer


class ApiViewSet(GenericViewSet):
    """Thin views: an input serializer parses, one service acts, an output serializer answers."""

    permission_classes = [IsAuthenticated, AsksPolicy]
    # No OPTIONS self-description: the OpenAPI schema describes every operation.
    metadata_class = None
    # The order a list's cursor follows: an unchanging, nearly unique column first.
    cursor_ordering: tuple[str, ...] = ("-pk",)
    # Methods whose refusal may be a 409 (documented in the schema).
    conflict_methods: tuple[str, ...] = ()
    # Per action, the function of cases.policies that decides on the record (see AsksPolicy).
    action_policies: dict[str, Policy] = {}
    # The record type a list holds, for the schema generator (which has no request).
    model: type[Model] | None = None

    @property
    def for_schema(self) -> bool:
        return getattr(self, "swagger_fake_view", False)

    def empty(self) -> QuerySet:
        assert self.model is not None
        return self.model._default_manager.none()

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        request = getattr(self, "request", None)
        context["audience"] = STAFF if self.for_schema or request is None else audience_of(request.user)
        return context

    def parse(self, input_class: type[BaseSerializer]) -> dict[str, Any]:
        serializer = input_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def answer(
        self, output_class: type[BaseSerializer], instance: Any, code: int = status.HTTP_200_OK, *, many: bool = False
    ) -> Response:
        return Response(output_class(instance, many=many, context=self.get_serializer_context()).data, status=code)

    def require(self, policy: Policy, record: Any) -> None:
        """403 unless `policy` lets the user act on a record they can already see."""
        if not policy(self.request.user, record):
            self.permission_denied(self.request, message=AsksPolicy.message)


class CaseScopedViewSet(ApiViewSet):
    """A collection under /cases/{reference}/: 404 unless the user may open the case; the
    action's policy (if any) is asked about the case."""

    @cached_property
    def case(self) -> Case:
        case = get_object_or_404(
            policies.cases_visible_to(self.request.user).select_related(
                "customer", "owner__staff_profile__department", "service"
            ),
            reference=self.kwargs["reference"],
        )
        self.check_object_permissions(self.request, case)
        return case
