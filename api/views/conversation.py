"""What is attached to one case: its timeline, messages, promises, claims, handoffs and alerts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.request import Request
from rest_framework.response import Response

from api import filters, inputs, outputs
from api.views.base import ApiViewSet, CaseScopedViewSet
from cases import policies, selectors
from cases.models import Handoff, InsuranceClaim, Message, Promise, ServiceAlert, TimelineEvent
from cases.policies import STAFF, can_view_claim, can_view_promise, handoffs_visible_to
from cases.services import (
    call_log,
    case_handoff,
    case_link_alert,
    claim_file,
    claim_update,
    handoff_acknowledge,
    message_receive,
    message_reply,
    note_add,
    promise_break,
    promise_keep,
    promise_make,
    promise_withdraw,
)
from portal.errors import RuleViolation

STAFF_PEOPLE = ("from_user__staff_profile__department", "to_user__staff_profile__department")


class TimelineViewSet(mixins.ListModelMixin, CaseScopedViewSet):
    """Everything that happened on the case, newest first: customers see the events meant for them."""

    model = TimelineEvent
    serializer_class = outputs.TimelineEventSerializer
    filterset_class = filters.TimelineFilter
    cursor_ordering = ("-created_at", "-pk")

    def get_queryset(self) -> QuerySet[TimelineEvent]:
        if self.for_schema:
            return self.empty()
        return policies.timeline_for(self.request.user, self.case).select_related("case")


class MessageViewSet(mixins.ListModelMixin, CaseScopedViewSet):
    """The conversation, newest first; internal notes are never shown to the customer side."""

    model = Message
    serializer_class = outputs.MessageSerializer
    filterset_class = filters.MessageFilter
    cursor_ordering = ("-created_at", "-pk")

    def get_queryset(self) -> QuerySet[Message]:
        if self.for_schema:
            return self.empty()
        return (
            policies.messages_for(self.request.user, self.case).select_related("case").prefetch_related("attachments")
        )

    @extend_schema(
        request=inputs.MessageInput,
        responses={201: outputs.MessageSerializer},
        summary="Write on the case",
        description="kind=message: the customer or their delegate writes (on a closed case it opens a "
        "follow-up case). kind=reply: staff working on the case answer the customer. kind=note: an internal "
        "note. kind=call: the summary of a phone call (any member of staff).",
    )
    def create(self, request: Request, reference: str) -> Response:
        case = self.case
        data = self.parse(inputs.MessageInput)
        kind, body, channel = data["kind"], data["body"], data.get("channel")
        user = request.user
        if kind == "message":
            self.require(policies.can_write_as_customer, case)
            message = message_receive(actor=user, case=case, body=body, channel=channel or Message.Channel.PORTAL)
        elif kind == "reply":
            self.require(policies.can_work_on_case, case)
            message = message_reply(actor=user, case=case, body=body, channel=channel or Message.Channel.EMAIL)
        elif kind == "note":
            self.require(policies.can_note_on_case, case)
            message = note_add(actor=user, case=case, body=body, for_contractor=data["for_contractor"])
        else:
            self.require(policies.can_note_on_case, case)
            message = _on_body_field(
                lambda: call_log(
                    actor=user,
                    case=case,
                    summary=body,
                    inbound=data["inbound"],
                    reached_customer=data["reached_customer"],
                )
            )
        return self.answer(outputs.MessageSerializer, message, status.HTTP_201_CREATED)


def _on_body_field(call: Callable[[], Message]) -> Message:
    """call_log names its text "summary"; here it is the request's "body"."""
    try:
        return call()
    except RuleViolation as violation:
        if violation.field == "summary":
            violation.field = "body"
        raise


# --- promises -------------------------------------------------------------------------------


class CasePromiseViewSet(mixins.ListModelMixin, CaseScopedViewSet):
    """The case's promises, next due first; customers see those made to them."""

    model = Promise
    serializer_class = outputs.PromiseSerializer
    filterset_class = filters.PromiseFilter
    cursor_ordering = ("due_at", "pk")
    action_policies = {"create": policies.can_work_on_case}

    def get_queryset(self) -> QuerySet[Promise]:
        if self.for_schema:
            return self.empty()
        return policies.promises_for(self.request.user, self.case).select_related("case")

    @extend_schema(request=inputs.PromiseInput, responses={201: outputs.PromiseSerializer}, summary="Make a promise")
    def create(self, request: Request, reference: str) -> Response:
        case = self.case
        promise = promise_make(actor=request.user, case=case, **self.parse(inputs.PromiseInput))
        return self.answer(outputs.PromiseSerializer, promise, status.HTTP_201_CREATED)


SETTLE = {"kept": promise_keep, "broken": promise_break, "withdrawn": promise_withdraw}


class PromiseViewSet(mixins.RetrieveModelMixin, ApiViewSet):
    model = Promise
    serializer_class = outputs.PromiseSerializer

    def get_object(self) -> Promise:
        promise = get_object_or_404(Promise.objects.select_related("case", "job"), pk=self.kwargs["pk"])
        if not can_view_promise(self.request.user, promise):
            raise Http404("No such promise")
        return promise

    @extend_schema(
        request=inputs.PromiseSettleInput,
        responses={200: outputs.PromiseSerializer},
        summary="Say a promise was kept, broken or withdrawn",
        description="Its due date never moves; a broken or withdrawn promise needs a note saying what happens next.",
    )
    def settle(self, request: Request, pk: int) -> Response:
        promise = self.get_object()
        data = self.parse(inputs.PromiseSettleInput)
        settled = SETTLE[data["outcome"]](actor=request.user, promise=promise, note=data["note"])
        return self.answer(outputs.PromiseSerializer, settled)


# --- insurance claims -----------------------------------------------------------------------


class CaseClaimViewSet(mixins.ListModelMixin, CaseScopedViewSet):
    model = InsuranceClaim
    serializer_class = outputs.ClaimSerializer
    filterset_class = filters.ClaimFilter
    cursor_ordering = ("created_at", "pk")
    action_policies = {"create": policies.can_work_on_case}

    def get_queryset(self) -> QuerySet[InsuranceClaim]:
        if self.for_schema:
            return self.empty()
        return policies.claims_for(self.request.user, self.case).select_related("case")

    @extend_schema(request=inputs.ClaimFileInput, responses={201: outputs.ClaimSerializer}, summary="File a claim")
    def create(self, request: Request, reference: str) -> Response:
        case = self.case
        claim = claim_file(actor=request.user, case=case, **self.parse(inputs.ClaimFileInput))
        return self.answer(outputs.ClaimSerializer, claim, status.HTTP_201_CREATED)


class ClaimViewSet(mixins.RetrieveModelMixin, ApiViewSet):
    model = InsuranceClaim
    serializer_class = outputs.ClaimSerializer
    action_policies = {"update_claim": lambda user, claim: policies.can_work_on_case(user, claim.case)}

    def get_object(self) -> InsuranceClaim:
        claim = get_object_or_404(InsuranceClaim.objects.select_related("case"), pk=self.kwargs["pk"])
        if not can_view_claim(self.request.user, claim):
            raise Http404("No such claim")
        self.check_object_permissions(self.request, claim)
        return claim

    @extend_schema(
        request=inputs.ClaimUpdateInput,
        responses={200: outputs.ClaimSerializer},
        summary="Update a claim: move its status, change its details, or add a note",
    )
    def update_claim(self, request: Request, pk: int) -> Response:
        claim = self.get_object()
        data = self.parse(inputs.ClaimUpdateInput)
        changes = {name: data[name] for name in inputs.ClaimUpdateInput.CHANGES if name in data}
        updated = claim_update(
            actor=request.user, claim=claim, status=data.get("status"), note=data.get("note", ""), **changes
        )
        return self.answer(outputs.ClaimSerializer, updated)


# --- handoffs -------------------------------------------------------------------------------


class CaseHandoffViewSet(mixins.ListModelMixin, CaseScopedViewSet):
    """The case's handoffs, newest first (staff only: the customer sees them on the timeline)."""

    model = Handoff
    serializer_class = outputs.HandoffSerializer
    filterset_class = filters.HandoffFilter
    cursor_ordering = ("-created_at", "-pk")
    # No policy asked before the service: it answers 409 for a case that changed hands since the
    # caller looked (even if that took it out of their hands) before 403 for one never theirs.
    conflict_methods = ("POST",)

    def get_queryset(self) -> QuerySet[Handoff]:
        if self.for_schema:
            return self.empty()
        return handoffs_visible_to(self.request.user).filter(case=self.case).select_related("case", *STAFF_PEOPLE)

    @extend_schema(
        request=inputs.HandoffInput,
        responses={201: outputs.HandoffSerializer},
        summary="Hand the case off to its next owner",
        description="409 when `expected_owner` no longer owns the case: someone handed it off first.",
    )
    def create(self, request: Request, reference: str) -> Response:
        case = self.case
        handoff = case_handoff(actor=request.user, case=case, **self.parse(inputs.HandoffInput))
        return self.answer(outputs.HandoffSerializer, handoff, status.HTTP_201_CREATED)


class HandoffViewSet(ApiViewSet):
    model = Handoff
    serializer_class = outputs.HandoffSerializer
    conflict_methods = ("POST",)

    def get_queryset(self) -> QuerySet[Handoff]:
        if self.for_schema:
            return self.empty()
        return handoffs_visible_to(self.request.user).select_related("case", *STAFF_PEOPLE)

    @extend_schema(
        request=None,
        responses={200: outputs.HandoffSerializer},
        summary="Acknowledge a handoff you received",
        description="Only its receiver; 409 when the case has been handed on again since.",
    )
    def acknowledge(self, request: Request, pk: int) -> Response:
        handoff = handoff_acknowledge(actor=request.user, handoff=self.get_object())
        return self.answer(outputs.HandoffSerializer, self.get_queryset().get(pk=handoff.pk))


# --- service alerts on a case -----------------------------------------------------------------


class CaseAlertViewSet(CaseScopedViewSet):
    """Alerts that explain or may explain the case: staff see the live ones they could link;
    the customer side those touching the customer, and those linked."""

    model = ServiceAlert
    serializer_class = outputs.CaseAlertSerializer
    pagination_class = None
    filter_backends: list[Any] = []
    action_policies = {"create": policies.can_work_on_case}

    def _alerts(self) -> list[ServiceAlert]:
        alerts = selectors.alerts_for_case(self.case, timezone.now())
        if self.get_serializer_context()["audience"] == STAFF:
            return alerts
        return [alert for alert in alerts if alert.affects or alert.linked]

    @extend_schema(responses={200: outputs.CaseAlertSerializer(many=True)}, summary="Service alerts for the case")
    def list(self, request: Request, reference: str) -> Response:
        return self.answer(outputs.CaseAlertSerializer, self._alerts(), many=True)

    @extend_schema(
        request=inputs.LinkAlertInput,
        responses={201: outputs.CaseAlertSerializer},
        summary="Link the case to the service alert that explains it",
    )
    def create(self, request: Request, reference: str) -> Response:
        case = self.case
        data = self.parse(inputs.LinkAlertInput)
        case_link_alert(actor=request.user, case=case, alert=data["alert"])
        linked = next(alert for alert in self._alerts() if alert.pk == data["alert"].pk)
        return self.answer(outputs.CaseAlertSerializer, linked, status.HTTP_201_CREATED)
