"""The staff pages' forms: they parse what was typed; the services decide what is allowed.

Field names match the keyword arguments of the service each form feeds, so a
RuleViolation naming a field lands on that field (see `add_violation`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.models import User

from cases.models import (
    Case,
    FlagKind,
    InsuranceClaim,
    Message,
    Promise,
    ServiceAlert,
    TimelineDepartment,
)
from contractors.models import Job
from people.models import Service
from portal.errors import RuleViolation

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class StaffForm(forms.Form):
    """Labels without a trailing colon; errors tied to their fields by aria-describedby (Django 5.2)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def add_violation(form: forms.Form, violation: RuleViolation) -> None:
    """Show a service's refusal on the field it names, or above the form."""
    field = violation.field if violation.field in form.fields else None
    form.add_error(field, violation.message)


class WhenInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=DATETIME_FORMAT)


class DayInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _when(label: str, *, required: bool = True, help_text: str = "") -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label,
        required=required,
        widget=WhenInput(),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        help_text=help_text,
        error_messages={"invalid": "Enter a date and time, for example 2026-03-02 14:30."},
    )


def _text(label: str, *, required: bool = True, rows: int = 4, help_text: str = "", max_length: int | None = None):
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        help_text=help_text,
        strip=False,  # the service trims, and says so when nothing is left
        widget=forms.Textarea(attrs={"rows": rows}),
    )


# --- lists ------------------------------------------------------------------------------


class WorklistFilterForm(StaffForm):
    q = forms.CharField(
        label="Search my cases", required=False, max_length=100, help_text="Reference, subject or customer name."
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Every open case"), *Case.Status.choices],
    )
    priority = forms.ChoiceField(
        label="Priority", required=False, choices=[("", "Any priority"), *Case.Priority.choices]
    )
    department = forms.ChoiceField(
        label="Department involved",
        required=False,
        choices=[("", "Any department"), *TimelineDepartment.choices],
    )
    flag_kind = forms.ChoiceField(label="Open flag", required=False, choices=[("", "Any or none"), *FlagKind.choices])
    owner = forms.IntegerField(required=False, widget=forms.HiddenInput)


class SearchForm(StaffForm):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        help_text="A customer's name, e-mail or phone number, a case reference, a claim number or a job id (J-12).",
        widget=forms.TextInput(attrs={"type": "search"}),
    )


# --- the conversation -------------------------------------------------------------------

REPLY_CHANNELS = [(c.value, c.label) for c in Message.Channel if c not in (Message.Channel.NOTE, Message.Channel.PHONE)]


class ReplyForm(StaffForm):
    body = _text("Your reply to the customer", rows=6, help_text="The customer sees this.")
    channel = forms.ChoiceField(label="Send by", choices=REPLY_CHANNELS, initial=Message.Channel.EMAIL)
    attachment = forms.FileField(label="Attach a file (optional)", required=False)


class NoteForm(StaffForm):
    body = _text("Internal note", help_text="Staff only: the customer never sees it.")
    for_contractor = forms.BooleanField(label="Let the contractor read this note", required=False)


class CallForm(StaffForm):
    inbound = forms.TypedChoiceField(
        label="Who called",
        choices=[("false", "We called the customer"), ("true", "The customer called us")],
        coerce=lambda v: v == "true",
        initial="false",
        widget=forms.RadioSelect,
    )
    summary = _text("What was said")
    no_answer = forms.BooleanField(label="The call did not reach the customer (no answer)", required=False)


# --- promises -----------------------------------------------------------------------------


class PromiseForm(StaffForm):
    kind = forms.ChoiceField(
        label="Kind of promise",
        choices=Promise.Kind.choices,
        initial=Promise.Kind.GENERAL,
        help_text="Choose “Call back” for “I'll call you back at …”.",
    )
    text = forms.CharField(label="What you promise", max_length=300, strip=False)
    due_at = _when("Due by")
    owed_to_customer = forms.BooleanField(label="Owed to the customer (they will see it)", required=False, initial=True)
    owed_to_name = forms.CharField(label="Owed to, when not the customer", required=False, max_length=200)


PROMISE_OUTCOMES = [
    ("kept", "Kept"),
    ("broken", "Not kept (broken)"),
    ("withdrawn", "Withdrawn"),
]


class PromiseSettleForm(StaffForm):
    outcome = forms.ChoiceField(label="What happened", choices=PROMISE_OUTCOMES, widget=forms.RadioSelect)
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=2000,
        strip=False,
        help_text="Needed when the promise was broken or withdrawn: what happens next.",
    )


# --- the case itself ------------------------------------------------------------------------


class ResolveForm(StaffForm):
    summary = _text("What was done to resolve it", help_text="The customer is asked to confirm it is fixed.")


class StatusForm(StaffForm):
    status = forms.ChoiceField(label="Status", choices=[(s, Case.Status(s).label) for s in Case.WORKING_STATUSES])


class LinkAlertForm(StaffForm):
    alert = forms.TypedChoiceField(label="Service alert", coerce=int)

    def __init__(self, *args: Any, alerts: list[ServiceAlert] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["alert"].choices = [("", "Choose an alert"), *((a.pk, f"{a.title} ({a.service})") for a in alerts)]


class HandoffForm(StaffForm):
    to_user = forms.ModelChoiceField(
        label="Hand the case to", queryset=User.objects.none(), empty_label="Choose a member of staff"
    )
    reason = forms.CharField(label="Why you are handing it off", max_length=200, strip=False)
    summary = _text(
        "Summary for the next owner",
        rows=8,
        help_text="They read this first: what happened, what was promised, what must happen next.",
    )
    expected_owner = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, staff: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if staff is not None:
            self.fields["to_user"].queryset = staff
        self.fields["to_user"].label_from_instance = _staff_label


def _staff_label(user: User) -> str:
    profile = user.staff_profile
    title = f", {profile.job_title}" if profile.job_title else ""
    return f"{user.get_full_name() or user.get_username()} — {profile.department.name}{title}"


# --- insurance claims -------------------------------------------------------------------


class ClaimFileForm(StaffForm):
    insurer = forms.CharField(label="Insurer", max_length=200, strip=False)
    policy_holder = forms.ChoiceField(label="Whose policy", choices=InsuranceClaim.PolicyHolder.choices)
    claim_number = forms.CharField(label="Claim number", required=False, max_length=100)
    policy_number = forms.CharField(label="Policy number", required=False, max_length=100)
    amount_claimed = forms.DecimalField(label="Amount claimed (€)", required=False, max_digits=12, decimal_places=2)
    next_action = forms.CharField(label="Next action", required=False, max_length=200)
    next_action_due = forms.DateField(label="Next action by", required=False, widget=DayInput())
    adjuster_name = forms.CharField(label="Adjuster's name", required=False, max_length=200)
    adjuster_contact = forms.CharField(label="Adjuster's phone or e-mail", required=False, max_length=200)
    draft = forms.BooleanField(label="Keep as a draft (not filed yet)", required=False)


class ClaimUpdateForm(StaffForm):
    status = forms.ChoiceField(label="Move to", required=False)
    claim_number = forms.CharField(label="Claim number", required=False, max_length=100)
    policy_number = forms.CharField(label="Policy number", required=False, max_length=100)
    amount_claimed = forms.DecimalField(label="Amount claimed (€)", required=False, max_digits=12, decimal_places=2)
    amount_paid = forms.DecimalField(label="Amount paid (€)", required=False, max_digits=12, decimal_places=2)
    next_action = forms.CharField(label="Next action", required=False, max_length=200)
    next_action_due = forms.DateField(label="Next action by", required=False, widget=DayInput())
    adjuster_name = forms.CharField(label="Adjuster's name", required=False, max_length=200)
    adjuster_contact = forms.CharField(label="Adjuster's phone or e-mail", required=False, max_length=200)
    note = forms.CharField(label="Note for the timeline", required=False, max_length=2000)

    EDITABLE = (
        "claim_number",
        "policy_number",
        "amount_claimed",
        "amount_paid",
        "next_action",
        "next_action_due",
        "adjuster_name",
        "adjuster_contact",
    )

    def __init__(self, *args: Any, claim: InsuranceClaim, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {name: getattr(claim, name) for name in self.EDITABLE})
        super().__init__(*args, **kwargs)
        moves = sorted(InsuranceClaim.TRANSITIONS[claim.status])
        self.fields["status"].choices = [
            ("", f"Keep as {claim.get_status_display().lower()}"),
            *((s, InsuranceClaim.Status(s).label) for s in moves),
        ]

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.EDITABLE}


# --- contractor jobs --------------------------------------------------------------------


class JobScheduleForm(StaffForm):
    window_start = _when("Visit from")
    window_end = _when("Visit until")


class JobCancelForm(StaffForm):
    reason = forms.ChoiceField(label="Why is the visit cancelled", choices=Job.CancellationReason.choices)
    note = forms.CharField(
        label="Details", required=False, max_length=2000, strip=False, help_text="Needed when the reason is “Other”."
    )


class JobCompleteForm(StaffForm):
    outcome_report = _text("What was done on the visit", rows=3)
    photo = forms.FileField(label="Photo (optional)", required=False)


class RepairPlanForm(StaffForm):
    plan = _text("How the damage will be repaired", rows=3, help_text="Clears the damage flag; the customer sees it.")


# --- service alerts -----------------------------------------------------------------------


class AlertForm(StaffForm):
    service = forms.ModelChoiceField(
        label="Affected service", queryset=Service.objects.order_by("name"), empty_label="Choose a service"
    )
    kind = forms.ChoiceField(label="Kind", choices=ServiceAlert.Kind.choices)
    title = forms.CharField(
        label="Title", max_length=200, strip=False, help_text="Plain words: staff and customers both see it."
    )
    description = forms.CharField(label="Details", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    area = forms.CharField(
        label="Area", required=False, max_length=60, help_text="A postcode or region code; leave empty for every area."
    )
    starts_at = _when("Starts")
    ends_at = _when("Ends", required=False, help_text="Leave empty while the end is not known.")

    FIELDS = ("service", "kind", "title", "description", "area", "starts_at", "ends_at")

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.FIELDS}
