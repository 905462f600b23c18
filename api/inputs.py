"""What the API accepts: one input serializer per write, parsing types only.

Field names are the keyword arguments of the service each one feeds, so a RuleViolation
naming a field comes back on that field. The rules themselves (what may be blank, which
moves are allowed, who may act) live in the services and cases.policies, never here:
text fields accept blanks so that the service gives its own message. Lengths are bounded
by the database columns, dates by what a calendar of visits and promises can hold.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.utils import html

from cases.models import Case, InsuranceClaim, Message, Promise, ServiceAlert
from cases.services.inbound import INBOUND_CHANNELS
from contractors.models import ContractorCompany, Job, Prerequisite
from people.models import Service


class Moment(serializers.DateTimeField):
    """A date and time with its offset (ISO 8601), between the years 2000 and 2199."""

    default_error_messages = {"out_of_range": _("Give a date between the years 2000 and 2199.")}

    def get_value(self, dictionary: Any) -> Any:
        # DRF reads an empty form field as null (or as left out) for an optional date; the schema
        # says a date and time, so an empty one is refused as in JSON. Leaving it out still works.
        if html.is_html_input(dictionary) and dictionary.get(self.field_name) == "":
            return ""
        return super().get_value(dictionary)

    def to_internal_value(self, value: Any) -> datetime:
        moment = super().to_internal_value(value)
        if not 2000 <= moment.year <= 2199:
            self.fail("out_of_range")
        return moment


class Day(serializers.DateField):
    default_error_messages = {"out_of_range": _("Give a date between the years 2000 and 2199.")}

    def to_internal_value(self, value: Any) -> Any:
        day = super().to_internal_value(value)
        if not 2000 <= day.year <= 2199:
            self.fail("out_of_range")
        return day


class Switch(serializers.BooleanField):
    """A yes/no whose default also holds when a form post leaves it out (not only JSON)."""

    default_error_messages = {"invalid": _("Must be true or false.")}
    default_empty_html = serializers.empty


def words(max_length: int | None = None, *, required: bool = True, help_text: str = "") -> serializers.CharField:
    extra: dict[str, Any] = {"max_length": max_length} if max_length else {}
    if not required:
        extra["default"] = ""
    return serializers.CharField(required=required, allow_blank=True, help_text=help_text, **extra)


def staff_member() -> Any:
    return User.objects.filter(staff_profile__isnull=False)


# --- cases ----------------------------------------------------------------------------------


class CaseOpenInput(serializers.Serializer):
    subject = words(200)
    description = words(required=False)
    priority = serializers.ChoiceField(choices=Case.Priority.choices, default=Case.Priority.NORMAL)
    human_impact = words(200, required=False, help_text='What it does to the person: "no heating".')
    service = serializers.SlugRelatedField(
        slug_field="code", queryset=Service.objects.all(), required=False, allow_null=True, default=None
    )


class CaseOpenStaffInput(CaseOpenInput):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=staff_member(),
        required=False,
        allow_null=True,
        default=None,
        help_text="Staff only. The member of staff who owns the case; yourself when left out.",
    )


class StatusInput(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=Case.Status.choices,
        help_text="A working status. A case is not closed by hand: resolve it, and it closes when the customer "
        "confirms (a 400 on this field says so).",
    )


class ResolveInput(serializers.Serializer):
    summary = words(help_text="What was done; the customer is asked to confirm it.")
    override_reason = words(
        1000,
        required=False,
        help_text="Why the case is resolved although promises, damage without a repair plan, an unanswered "
        "message, claims or contractor jobs are still open; without it, a 400 on this field lists them.",
    )


class ReasonInput(serializers.Serializer):
    reason = words()


class HandoffInput(serializers.Serializer):
    to_user = serializers.PrimaryKeyRelatedField(queryset=staff_member(), help_text="The next owner.")
    reason = words(200)
    summary = words(help_text="What the next owner must read first.")
    expected_owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(),
        help_text="The owner you saw: if the case changed hands since, the answer is 409 and nothing changes.",
    )


class LinkAlertInput(serializers.Serializer):
    alert = serializers.PrimaryKeyRelatedField(queryset=ServiceAlert.objects.all())


# --- the conversation -----------------------------------------------------------------------


class MessageInput(serializers.Serializer):
    KINDS = (
        ("message", "The customer (or their delegate) writes"),
        ("reply", "Staff reply to the customer"),
        ("note", "Internal note, never shown to the customer"),
        ("call", "Summary of a phone call"),
    )

    kind = serializers.ChoiceField(choices=KINDS)
    body = words(help_text="The text; for a call, what was said.")
    channel = serializers.ChoiceField(
        choices=[c for c in Message.Channel.choices if c[0] != Message.Channel.NOTE],
        required=False,
        help_text="message: portal unless said; reply: e-mail unless said.",
    )
    inbound = Switch(default=False, help_text="call: the customer called us.")
    reached_customer = Switch(default=True, help_text="call: false when nobody answered.")
    for_contractor = Switch(default=False, help_text="note: the job's contractor may read it.")


class PromiseInput(serializers.Serializer):
    text = words(300)
    due_at = Moment()
    kind = serializers.ChoiceField(choices=Promise.Kind.choices, default=Promise.Kind.GENERAL)
    owed_to_customer = Switch(default=True)
    owed_to_name = words(200, required=False, help_text="Who is owed, when not the customer.")


class PromiseSettleInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=["kept", "broken", "withdrawn"])
    note = words(required=False, help_text="What happened; required when broken or withdrawn.")


# --- claims ---------------------------------------------------------------------------------


def _amount() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=12, decimal_places=2, required=False, allow_null=True)


class ClaimFileInput(serializers.Serializer):
    insurer = words(200)
    policy_holder = serializers.ChoiceField(choices=InsuranceClaim.PolicyHolder.choices)
    claim_number = words(100, required=False)
    policy_number = words(100, required=False)
    amount_claimed = _amount()
    next_action = words(200, required=False)
    next_action_due = Day(required=False, allow_null=True)
    adjuster_name = words(200, required=False)
    adjuster_contact = words(200, required=False)
    draft = Switch(default=False, help_text="Keep as a draft to complete before filing.")


class ClaimUpdateInput(serializers.Serializer):
    """Only the fields sent are changed."""

    status = serializers.ChoiceField(choices=InsuranceClaim.Status.choices, required=False)
    note = words(2000, required=False, help_text="A note for the timeline.")
    claim_number = serializers.CharField(max_length=100, allow_blank=True, required=False)
    policy_number = serializers.CharField(max_length=100, allow_blank=True, required=False)
    amount_claimed = _amount()
    amount_paid = _amount()
    next_action = serializers.CharField(max_length=200, allow_blank=True, required=False)
    next_action_due = Day(required=False, allow_null=True)
    adjuster_name = serializers.CharField(max_length=200, allow_blank=True, required=False)
    adjuster_contact = serializers.CharField(max_length=200, allow_blank=True, required=False)

    CHANGES = (
        "claim_number",
        "policy_number",
        "amount_claimed",
        "amount_paid",
        "next_action",
        "next_action_due",
        "adjuster_name",
        "adjuster_contact",
    )


# --- sales ----------------------------------------------------------------------------------


def _price() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=10, decimal_places=2, required=False, allow_null=True)


class SaleInput(serializers.Serializer):
    product = words(200, help_text="What was sold.")
    plan = words(200, required=False, help_text="The plan or contract term.")
    monthly_price = _price()
    advisor = serializers.PrimaryKeyRelatedField(
        queryset=staff_member(),
        required=False,
        allow_null=True,
        default=None,
        help_text="The member of staff who sold it; yourself when left out.",
    )
    pending_offers = words(required=False, help_text="Offers made and not yet taken up (staff only).")
    sold_at = Moment(required=False, allow_null=True, default=None, help_text="Now when left out.")


class SaleUpdateInput(serializers.Serializer):
    """Only the fields sent are changed; a null monthly_price takes the price off."""

    product = serializers.CharField(max_length=200, allow_blank=True, required=False)
    plan = serializers.CharField(max_length=200, allow_blank=True, required=False)
    monthly_price = _price()
    advisor = serializers.PrimaryKeyRelatedField(queryset=staff_member(), required=False)
    pending_offers = serializers.CharField(allow_blank=True, required=False)


# --- contractor jobs ----------------------------------------------------------------------


class PrerequisiteInput(serializers.Serializer):
    description = words(200)
    responsible_party = serializers.ChoiceField(choices=Prerequisite.Party.choices)


class JobRequestInput(serializers.Serializer):
    company = serializers.PrimaryKeyRelatedField(queryset=ContractorCompany.objects.all())
    title = words(200)
    description = words(required=False)
    contact_window = words(200, required=False, help_text="When the customer can be reached.")
    prerequisites = PrerequisiteInput(many=True, required=False, default=list)


class JobScheduleInput(serializers.Serializer):
    window_start = Moment()
    window_end = Moment()
    technician = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(contractor_profile__isnull=False), required=False, allow_null=True, default=None
    )
    contact_window = serializers.CharField(
        max_length=200, allow_blank=True, required=False, help_text="Replaces when the customer can be reached."
    )


class JobCancelInput(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Job.CancellationReason.choices)
    note = words(required=False, help_text="Required when the reason is other.")


class JobVisitInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=[Job.Status.ON_THE_WAY, Job.Status.ON_SITE])
    override_reason = words(
        required=False, help_text="Why the visit starts although a prerequisite is still open (flags the owner)."
    )
    early_reason = words(
        required=False,
        help_text="Why the visit starts before the day of its window (flags the owner); needed only then.",
    )


def _photos() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.FileField(), required=False, default=list, help_text="Photos (multipart only)."
    )


class JobReportInput(serializers.Serializer):
    outcome_report = words(help_text="What was done on the visit (or why it failed).")
    photos = _photos()


class IncidentInput(serializers.Serializer):
    what = words(help_text="What was damaged and how.")
    location = words(200, help_text="Where in the home.")
    immediate_action = words(required=False)
    affects_water = Switch(default=False)
    affects_power = Switch(default=False)
    affects_heating = Switch(default=False)
    photos = _photos()


class CorrectionInput(serializers.Serializer):
    text = words()


class RepairInput(serializers.Serializer):
    plan = words(help_text="How the damage will be repaired.")


# --- service alerts -------------------------------------------------------------------------


class AlertInput(serializers.Serializer):
    service = serializers.SlugRelatedField(slug_field="code", queryset=Service.objects.all())
    kind = serializers.ChoiceField(choices=ServiceAlert.Kind.choices)
    title = words(200)
    starts_at = Moment()
    ends_at = Moment(required=False, allow_null=True, default=None)
    area = words(60, required=False, help_text="Blank means every area.")
    description = words(required=False)


class AlertChangeInput(serializers.Serializer):
    """Only the fields sent are changed."""

    service = serializers.SlugRelatedField(slug_field="code", queryset=Service.objects.all(), required=False)
    kind = serializers.ChoiceField(choices=ServiceAlert.Kind.choices, required=False)
    title = serializers.CharField(max_length=200, allow_blank=True, required=False)
    starts_at = Moment(required=False)
    ends_at = Moment(required=False, allow_null=True)
    area = serializers.CharField(max_length=60, allow_blank=True, required=False)
    description = serializers.CharField(allow_blank=True, required=False)


class AlertEndInput(serializers.Serializer):
    ended_at = Moment(required=False, allow_null=True, default=None, help_text="Now when left out.")


# --- inbound --------------------------------------------------------------------------------


class InboundInput(serializers.Serializer):
    external_id = serializers.CharField(
        max_length=190,
        help_text="The gateway's own id for the message (an e-mail's Message-ID, a call's id). "
        "A retry with the same id on the same channel is filed once.",
    )
    channel = serializers.ChoiceField(choices=[(c, Message.Channel(c).label) for c in INBOUND_CHANNELS])
    subject = words(300, required=False)
    body = words(required=False, help_text="The text (for a call, its summary or transcript).")
    sender_name = words(200, required=False)
    sender_email = words(254, required=False)
    sender_phone = words(40, required=False)
    attachments = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, help_text="Files (multipart only)."
    )


class InboundEmailInput(serializers.Serializer):
    """The multipart form of the raw e-mail door; its usual body is the message itself (message/rfc822)."""

    message = serializers.FileField(
        help_text=_("The whole e-mail as received (RFC 822), headers and body, as a file part so its bytes are kept.")
    )
