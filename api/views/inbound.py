"""The door for a mail gateway or a phone system: a customer message filed on the right case, once."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from api import inputs, outputs
from api.permissions import DeliversInbound
from api.views.base import ApiViewSet
from cases.services.inbound import inbound_receive


class InboundMessageViewSet(ApiViewSet):
    permission_classes = [DeliversInbound]
    parser_classes = [JSONParser, MultiPartParser, FormParser]
    conflict_methods = ("POST",)

    @extend_schema(
        request=inputs.InboundInput,
        responses={
            201: outputs.InboundFilingSerializer,
            200: OpenApiResponse(outputs.InboundFilingSerializer, description="A retry: the first filing, unchanged."),
        },
        summary="Deliver a customer message from another channel",
        description="Filed on the case whose reference (CS-YYYY-NNNNNN) the subject or body quotes when the sender "
        "is its customer or delegate; else on the sender's open case, found by a known e-mail address or phone "
        "number; else on a new case for that customer; else on a triage case with an owner for an unknown "
        "sender. Nothing is dropped: attachments we cannot accept are named in the text. `external_id` is the "
        "idempotency key: a retry returns the first filing (200); the same id with a different message is a 409. "
        "Needs the api.deliver_inbound permission (`manage.py api_integration NAME --inbound`).",
    )
    def create(self, request: Request) -> Response:
        filing = inbound_receive(delivered_by=request.user, **self.parse(inputs.InboundInput))
        code = status.HTTP_200_OK if filing.duplicate else status.HTTP_201_CREATED
        return self.answer(outputs.InboundFilingSerializer, filing, code)
