"""What the API answers with: read-only views of records, one per resource.

Fields listed in a serializer's `Meta.staff_only` are left out for everyone who is not staff
(customers, delegates, contractor users), and those in `Meta.hidden_from_customers` for the
customer's side; the views say who is asking through the serializer context (`audience`).
Every relation a serializer follows is loaded by the view's queryset, so a page costs the
same number of queries whatever its size.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cases.models import (
    Attachment,
    Case,
    Flag,
    Handoff,
    InboundDelivery,
    InsuranceClaim,
    Message,
    Promise,
    Sale,
    ServiceAlert,
    TimelineEvent,
)
from cases.policies import CUSTOMER_SIDE, STAFF
from cases.services.timeline import person_name
from contractors.models import ContractorCompany, IncidentCorrection, IncidentReport, Job, Prerequisite
from correspondence.models import InboundEmail
from people.models import Customer, Service


class Output(serializers.ModelSerializer):
    """A read-only record; `Meta.staff_only` fields are shown to staff only, and
    `Meta.hidden_from_customers` fields to everyone but the customer's side."""

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        audience = self.context.get("audience", STAFF)
        hidden = set(getattr(self.Meta, "staff_only", ())) if audience != STAFF else set()
        if audience == CUSTOMER_SIDE:
            hidden |= set(getattr(self.Meta, "hidden_from_customers", ()))
        for name in hidden:
            fields.pop(name, None)
        return fields


def _reference() -> serializers.SlugRelatedField:
    return serializers.SlugRelatedField(slug_field="reference", read_only=True, help_text="The case's reference.")


# --- people -------------------------------------------------------------------------------


class PersonSerializer(serializers.Serializer):
    """A user as others see them: an id and a name."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.SerializerMethodField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_name(self, user: User) -> str:
        return person_name(user)


class StaffMemberSerializer(PersonSerializer):
    """A member of staff and how to reach them (owners are always staff)."""

    department = serializers.CharField(source="staff_profile.department.name", read_only=True, allow_null=True)
    phone = serializers.CharField(source="staff_profile.phone", read_only=True, allow_null=True)
    working_hours = serializers.CharField(source="staff_profile.working_hours", read_only=True, allow_null=True)


class ServiceSerializer(Output):
    class Meta:
        model = Service
        fields = ["code", "name"]
        read_only_fields = fields


class CustomerBriefSerializer(Output):
    class Meta:
        model = Customer
        fields = ["id", "full_name"]
        read_only_fields = fields


def _address() -> serializers.CharField:
    # Not an EmailField: a blank address is a valid answer ("" is no e-mail address).
    return serializers.CharField(read_only=True, help_text="An e-mail address, or blank.")


class CustomerSerializer(Output):
    email = _address()
    services = serializers.SlugRelatedField(
        many=True, read_only=True, slug_field="code", help_text="Codes of the services the customer holds."
    )

    class Meta:
        model = Customer
        fields = [
            "id",
            "full_name",
            "email",
            "phone",
            "address",
            "postcode",
            "service_area",
            "preferred_channel",
            "services",
            "vulnerability_notes",
            "access_notes",
            "created_at",
        ]
        read_only_fields = fields
        staff_only = ("vulnerability_notes", "access_notes")


# --- cases ----------------------------------------------------------------------------------


class CaseSerializer(Output):
    customer = CustomerBriefSerializer(read_only=True)
    owner = StaffMemberSerializer(read_only=True, help_text="The one named person who owns the case.")
    service = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    close_reason = serializers.ChoiceField(
        choices=Case.CloseReason.choices, allow_blank=True, read_only=True, help_text="Blank until closed."
    )

    class Meta:
        model = Case
        fields = [
            "reference",
            "subject",
            "description",
            "status",
            "priority",
            "human_impact",
            "service",
            "customer",
            "owner",
            "created_at",
            "updated_at",
            "last_activity_at",
            "awaiting_reply_since",
            "reply_due_at",
            "resolved_at",
            "resolution_summary",
            "confirmation_due_at",
            "closed_at",
            "close_reason",
            "reopen_count",
        ]
        read_only_fields = fields
        staff_only = ("updated_at", "awaiting_reply_since", "reply_due_at", "reopen_count")


class HandoffSerializer(Output):
    case = _reference()
    from_user = StaffMemberSerializer(read_only=True)
    to_user = StaffMemberSerializer(read_only=True)

    class Meta:
        model = Handoff
        fields = ["id", "case", "from_user", "to_user", "reason", "summary", "created_at", "acknowledged_at"]
        read_only_fields = fields


class TimelineEventSerializer(Output):
    case = _reference()

    class Meta:
        model = TimelineEvent
        fields = [
            "id",
            "case",
            "kind",
            "department",
            "actor_label",
            "summary",
            "customer_visible",
            "subject_key",
            "data",
            "created_at",
        ]
        read_only_fields = fields
        staff_only = ("customer_visible", "subject_key", "data")


class AttachmentSerializer(Output):
    class Meta:
        model = Attachment
        fields = ["id", "original_name", "content_type", "size", "created_at"]
        read_only_fields = fields


class MessageSerializer(Output):
    case = _reference()
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "case",
            "direction",
            "channel",
            "is_internal",
            "for_contractor",
            "author_label",
            "body",
            "body_html",
            "created_at",
            "read_by_customer_at",
            "read_by_staff_at",
            "answered_at",
            "attachments",
        ]
        read_only_fields = fields
        staff_only = ("is_internal", "for_contractor", "read_by_staff_at", "answered_at")


class PromiseSerializer(Output):
    case = _reference()

    class Meta:
        model = Promise
        fields = [
            "id",
            "case",
            "job",
            "kind",
            "text",
            "made_by_label",
            "owed_to_customer",
            "owed_to_name",
            "due_at",
            "status",
            "resolution_note",
            "resolved_at",
            "created_at",
        ]
        read_only_fields = fields


class ClaimSerializer(Output):
    case = _reference()

    class Meta:
        model = InsuranceClaim
        fields = [
            "id",
            "case",
            "insurer",
            "policy_holder",
            "policy_number",
            "claim_number",
            "status",
            "amount_claimed",
            "amount_paid",
            "next_action",
            "next_action_due",
            "adjuster_name",
            "adjuster_contact",
            "filed_at",
            "created_at",
            "last_update_at",
        ]
        read_only_fields = fields


class SaleSerializer(Output):
    case = _reference()
    advisor = PersonSerializer(read_only=True, help_text="The member of staff who sold it.")

    class Meta:
        model = Sale
        fields = [
            "id",
            "case",
            "product",
            "plan",
            "monthly_price",
            "advisor",
            "pending_offers",
            "sold_at",
            "created_at",
        ]
        read_only_fields = fields
        # Offers still being discussed are staff's working notes.
        hidden_from_customers = ("pending_offers",)


class FlagSerializer(Output):
    case = serializers.SlugRelatedField(slug_field="reference", read_only=True, allow_null=True)
    assignee = PersonSerializer(read_only=True, allow_null=True)
    acknowledged_by = PersonSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Flag
        fields = [
            "id",
            "kind",
            "case",
            "subject_key",
            "summary",
            "level",
            "assignee",
            "raised_at",
            "escalate_at",
            "acknowledged_at",
            "acknowledged_by",
            "cleared_at",
            "clear_note",
        ]
        read_only_fields = fields


class AlertSerializer(Output):
    service = ServiceSerializer(read_only=True)

    class Meta:
        model = ServiceAlert
        fields = ["id", "service", "area", "kind", "title", "description", "starts_at", "ends_at", "created_at"]
        read_only_fields = fields


class CaseAlertSerializer(AlertSerializer):
    affects = serializers.BooleanField(read_only=True, help_text="Touches the customer's services and area.")
    linked = serializers.BooleanField(read_only=True, help_text="Linked to this case as its explanation.")

    class Meta(AlertSerializer.Meta):
        fields = [*AlertSerializer.Meta.fields, "affects", "linked"]
        read_only_fields = fields


# --- contractor jobs ----------------------------------------------------------------------


class CompanySerializer(Output):
    email = _address()

    class Meta:
        model = ContractorCompany
        fields = ["id", "name", "phone", "email"]
        read_only_fields = fields


class JobCustomerSerializer(Output):
    """What a technician needs to reach the home: no more of the customer's record."""

    class Meta:
        model = Customer
        fields = ["full_name", "address", "postcode", "phone", "access_notes"]
        read_only_fields = fields


class JobCaseSerializer(Output):
    """The minimum of the case a job needs (DESIGN.md invariant 6)."""

    customer = JobCustomerSerializer(read_only=True)
    owner = StaffMemberSerializer(read_only=True)

    class Meta:
        model = Case
        fields = ["reference", "subject", "human_impact", "owner", "customer"]
        read_only_fields = fields


class PrerequisiteSerializer(Output):
    class Meta:
        model = Prerequisite
        fields = ["id", "description", "responsible_party", "responsible_name", "state", "done_at"]
        read_only_fields = fields


class CorrectionSerializer(Output):
    written_by = PersonSerializer(read_only=True)

    class Meta:
        model = IncidentCorrection
        fields = ["id", "text", "written_by", "created_at"]
        read_only_fields = fields


class IncidentSerializer(Output):
    reported_by = PersonSerializer(read_only=True)
    corrections = CorrectionSerializer(many=True, read_only=True, help_text="Appended corrections, oldest first.")
    photo_count = serializers.SerializerMethodField()

    class Meta:
        model = IncidentReport
        fields = [
            "id",
            "job",
            "what",
            "location",
            "immediate_action",
            "affects_water",
            "affects_power",
            "affects_heating",
            "reported_by",
            "created_at",
            "corrections",
            "photo_count",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.INT)
    def get_photo_count(self, incident: IncidentReport) -> int:
        # Prefetched with the incident (see api.views.jobs): no query per row.
        return len(incident.photos.all())


class JobSerializer(Output):
    reference = serializers.CharField(read_only=True, help_text='"J-" and the job\'s id.')
    company = CompanySerializer(read_only=True)
    technician = PersonSerializer(read_only=True, allow_null=True)
    case = JobCaseSerializer(read_only=True)
    prerequisites = PrerequisiteSerializer(many=True, read_only=True)
    incidents = IncidentSerializer(many=True, read_only=True)
    last_cancellation_reason = serializers.ChoiceField(
        choices=Job.CancellationReason.choices, allow_blank=True, read_only=True, help_text="Blank if never cancelled."
    )

    class Meta:
        model = Job
        fields = [
            "id",
            "reference",
            "title",
            "description",
            "status",
            "window_start",
            "window_end",
            "contact_window",
            "company",
            "technician",
            "cancellation_count",
            "last_cancellation_reason",
            "outcome_report",
            "completed_at",
            "created_at",
            "updated_at",
            "case",
            "prerequisites",
            "incidents",
        ]
        read_only_fields = fields
        # The customer's case page shows a visit's company, window and prerequisites, not the
        # contractor's working record.
        hidden_from_customers = (
            "description",
            "contact_window",
            "technician",
            "cancellation_count",
            "last_cancellation_reason",
            "outcome_report",
            "created_at",
            "updated_at",
            "case",
            "incidents",
        )


# --- inbound ------------------------------------------------------------------------------


class InboundFilingSerializer(serializers.Serializer):
    """Where a delivered message was filed."""

    case = serializers.CharField(read_only=True, help_text="Reference of the case the message is on.")
    message = serializers.IntegerField(read_only=True, help_text="Id of the filed message.")
    route = serializers.ChoiceField(choices=InboundDelivery.Route.choices, read_only=True)
    duplicate = serializers.BooleanField(read_only=True, help_text="True when this was a retry of a filed delivery.")

    def to_representation(self, filing: Any) -> dict[str, Any]:
        return {
            "case": filing.case.reference,
            "message": filing.message.pk,
            "route": filing.delivery.route,
            "duplicate": filing.duplicate,
        }


class InboundEmailSerializer(serializers.Serializer):
    """What became of a raw e-mail: stored always, then filed, recorded or kept on a triage case."""

    id = serializers.IntegerField(read_only=True, help_text="Id of the stored e-mail.")
    case = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="Reference of the case it is on; null when on none (an automatic reply or a delivery "
        "report about no known case).",
    )
    message = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Id of the message on the case; null when it made none."
    )
    outcome = serializers.ChoiceField(choices=InboundEmail.Outcome.choices, read_only=True)
    note = serializers.CharField(read_only=True, help_text="What Steward did with it, in words.")
    duplicate = serializers.BooleanField(
        read_only=True, help_text="True when this message was already received: nothing was filed again."
    )

    def to_representation(self, inbound: Any) -> dict[str, Any]:
        return {
            "id": inbound.pk,
            "case": inbound.case.reference if inbound.case_id else None,
            "message": inbound.message_id,
            "outcome": inbound.outcome,
            "note": inbound.note,
            "duplicate": bool(getattr(inbound, "duplicate", False)),
        }
