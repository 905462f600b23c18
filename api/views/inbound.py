"""The doors for a mail gateway or a phone system: a customer message filed on the right case, once; and a
raw e-mail, stored whole and then read and filed by Steward itself."""

from __future__ import annotations

from typing import IO, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.parsers import BaseParser, FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from api import inputs, outputs
from api.permissions import DeliversInbound
from api.views.base import ApiViewSet
from cases.services.inbound import inbound_receive
from correspondence.models import InboundEmail
from correspondence.services.inbound import mail_receive
from portal.errors import RuleViolation


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
        "Needs the cases.deliver_inbound permission (`manage.py api_integration NAME --inbound`).",
    )
    def create(self, request: Request) -> Response:
        filing = inbound_receive(delivered_by=request.user, **self.parse(inputs.InboundInput))
        code = status.HTTP_200_OK if filing.duplicate else status.HTTP_201_CREATED
        return self.answer(outputs.InboundFilingSerializer, filing, code)


# A raw e-mail bigger than INBOUND_MAIL_MAX_BYTES is still stored (and lands, unopened, on a triage
# case); only one this many times bigger is refused unread, since a web worker holds the body in memory.
RAW_EMAIL_CEILING_FACTOR = 4


def raw_email_ceiling() -> int:
    return settings.INBOUND_MAIL_MAX_BYTES * RAW_EMAIL_CEILING_FACTOR


class MessageTooBig(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("This message is too big for Steward to receive.")
    default_code = "too_big"


class RawEmailParser(BaseParser):
    """The request body is the e-mail itself, byte for byte."""

    media_type = "message/rfc822"

    def parse(self, stream: IO[bytes] | None, media_type: str | None = None, parser_context: Any = None) -> bytes:
        if stream is None:
            return b""
        ceiling = raw_email_ceiling()
        raw = stream.read(ceiling + 1)
        if len(raw) > ceiling:
            raise MessageTooBig()
        return raw


class InboundEmailViewSet(ApiViewSet):
    permission_classes = [DeliversInbound]
    parser_classes = [RawEmailParser, MultiPartParser]
    extra_error_codes = ("413", "415")

    @extend_schema(
        request={"message/rfc822": OpenApiTypes.BINARY, "multipart/form-data": inputs.InboundEmailInput},
        responses={
            201: outputs.InboundEmailSerializer,
            200: OpenApiResponse(
                outputs.InboundEmailSerializer, description="A message already received: the first filing, unchanged."
            ),
        },
        summary="Deliver a raw e-mail",
        description="The body is the whole e-mail as received (`Content-Type: message/rfc822`), or a multipart "
        "form with the e-mail as the file part `message`. It is stored before anything else, then read and filed "
        "like the mailbox's e-mail: on the case its In-Reply-To/References or signed reply address thread it to, "
        "else the case its subject quotes, else the sender's open case, else a new or triage case. Delivery "
        "failure reports mark our e-mail failed; automatic replies are recorded without counting as the "
        "customer's message. The Message-ID is the idempotency key: a message already received answers 200 and "
        "files nothing. A message bigger than INBOUND_MAIL_MAX_BYTES is still stored and answered 201 — it lands "
        "unopened on a triage case with the original attached, so a provider must not retry it; only a body "
        "several times bigger is refused unread with 413. An empty body is a 400. Needs the cases.deliver_inbound "
        "permission (`manage.py api_integration NAME --inbound`).",
    )
    def create(self, request: Request) -> Response:
        if int(request.META.get("CONTENT_LENGTH") or 0) > raw_email_ceiling() + 64 * 1024:
            raise MessageTooBig()
        raw = self._raw(request)
        if not raw.strip():
            raise RuleViolation(
                _("Send the e-mail as the request body (Content-Type: message/rfc822), or as the file part “message”."),
                field="message",
            )
        inbound = mail_receive(raw, door=InboundEmail.Door.WEBHOOK)
        code = status.HTTP_200_OK if inbound.duplicate else status.HTTP_201_CREATED
        return self.answer(outputs.InboundEmailSerializer, inbound, code)

    def _raw(self, request: Request) -> bytes:
        data = request.data
        if isinstance(data, bytes):
            return data
        value = data.get("message") if hasattr(data, "get") else None
        if isinstance(value, UploadedFile):
            if value.size > raw_email_ceiling():
                raise MessageTooBig()
            return value.read()
        if isinstance(value, str):
            return value.encode("utf-8", "surrogateescape")
        return b""
