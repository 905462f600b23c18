"""The staff pages' forms: they parse what was typed; the services decide what is allowed.

Field names match the keyword arguments of the service each form feeds, so a
RuleViolation naming a field lands on that field (see `add_violation`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from cases.models import (
    Case,
    FlagKind,
    InsuranceClaim,
    Message,
    Promise,
    ServiceAlert,
    TimelineDepartment,
)
from contractors.models import ContractorCompany, Job, Prerequisite
from people.models import Customer, Service
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
        error_messages={"invalid": _("Enter a date and time, for example 2026-03-02 14:30.")},
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
        label=_("Search my cases"), required=False, max_length=100, help_text=_("Reference, subject or customer name.")
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Every open case")), *Case.Status.choices],
    )
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=[("", _("Any priority")), *Case.Priority.choices]
    )
    department = forms.ChoiceField(
        label=_("Department involved"),
        required=False,
        choices=[("", _("Any department")), *TimelineDepartment.choices],
    )
    flag_kind = forms.ChoiceField(
        # Translators: worklist filter: the kind of flag still open on the case ("open" is an adjective).
        label=_("Open flag"),
        required=False,
        # Translators: any kind of open flag, or cases with no open flag at all.
        # Help requests are the colleague's, not the owner's: they have their own list above.
        choices=[("", _("Any or none")), *(c for c in FlagKind.choices if c[0] != FlagKind.HELP_REQUESTED)],
    )
    owner = forms.IntegerField(required=False, widget=forms.HiddenInput)


class SearchForm(StaffForm):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        help_text=_("A customer's name, e-mail or phone number, a case reference, a claim number or a job id (J-12)."),
        widget=forms.TextInput(attrs={"type": "search"}),
    )


# --- the conversation -------------------------------------------------------------------

REPLY_CHANNELS = [(c.value, c.label) for c in Message.Channel if c not in (Message.Channel.NOTE, Message.Channel.PHONE)]


class ReplyForm(StaffForm):
    body = _text(_("Your reply to the customer"), rows=6, help_text=_("The customer sees this."))
    channel = forms.ChoiceField(label=_("Send by"), choices=REPLY_CHANNELS, initial=Message.Channel.EMAIL)
    attachment = forms.FileField(label=_("Attach a file (optional)"), required=False)


class NoteForm(StaffForm):
    body = _text(
        _("Internal note"),
        help_text=_("Staff only: the customer never sees it. Write @ and a username to ask that colleague for help."),
    )
    for_contractor = forms.BooleanField(label=_("Let the contractor read this note"), required=False)
    ask_help = forms.ModelMultipleChoiceField(
        label=_("Ask for help from (optional)"),
        queryset=User.objects.none(),
        required=False,
        help_text=_(
            "They are told, and the case shows on their worklist until they answer on it, "
            "while you stay its owner. Hold Ctrl (Cmd on a Mac) to choose more than one."
        ),
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )

    def __init__(self, *args: Any, staff: Any = None, actor: User | None = None, **kwargs: Any) -> None:
        """`staff`: the active staff, read once per page (a list) and checked again on submit."""
        super().__init__(*args, **kwargs)
        field = self.fields["ask_help"]
        field.queryset = User.objects.filter(is_active=True, staff_profile__isnull=False)
        # Offered from the list the page already read, so showing the form costs no query.
        field.choices = [(u.pk, _staff_label(u)) for u in staff or [] if actor is None or u.pk != actor.pk]


class CallForm(StaffForm):
    inbound = forms.TypedChoiceField(
        label=_("Who called"),
        choices=[("false", _("We called the customer")), ("true", _("The customer called us"))],
        coerce=lambda v: v == "true",
        initial="false",
        widget=forms.RadioSelect,
    )
    summary = _text(_("What was said"))
    no_answer = forms.BooleanField(label=_("The call did not reach the customer (no answer)"), required=False)


# --- promises -----------------------------------------------------------------------------


class PromiseForm(StaffForm):
    kind = forms.ChoiceField(
        label=_("Kind of promise"),
        choices=Promise.Kind.choices,
        initial=Promise.Kind.GENERAL,
        # Translators: “Call back” is the label of that kind of promise in the list above: use the same words.
        help_text=_("Choose “Call back” for “I'll call you back at …”."),
    )
    text = forms.CharField(label=_("What you promise"), max_length=300, strip=False)
    due_at = _when(_("Due by"))
    owed_to_customer = forms.BooleanField(
        label=_("Owed to the customer (they will see it)"), required=False, initial=True
    )
    owed_to_name = forms.CharField(label=_("Owed to, when not the customer"), required=False, max_length=200)


PROMISE_OUTCOMES = [
    # Translators: what became of a promise made to a customer.
    ("kept", _("Kept")),
    ("broken", _("Not kept (broken)")),
    ("withdrawn", _("Withdrawn")),
]


class PromiseSettleForm(StaffForm):
    outcome = forms.ChoiceField(label=_("What happened"), choices=PROMISE_OUTCOMES, widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        strip=False,
        help_text=_("Needed when the promise was broken or withdrawn: what happens next."),
    )


# --- the case itself ------------------------------------------------------------------------


class ResolveForm(StaffForm):
    summary = _text(_("What was done to resolve it"), help_text=_("The customer is asked to confirm it is fixed."))
    override_reason = _text(
        _("I resolve it anyway because…"),
        required=False,
        rows=2,
        max_length=1000,
        help_text=_("Needed while something listed above is still open; staff see it on the timeline."),
    )

    def __init__(self, *args: Any, ask_reason: bool = False, **kwargs: Any) -> None:
        """`ask_reason` when the case has loose ends: only then is there a reason to give."""
        super().__init__(*args, **kwargs)
        if not ask_reason:
            del self.fields["override_reason"]


class _StatusChoice(forms.ChoiceField):
    """Offers the working states only, but lets "resolved" and "closed" reach the service, which
    says how a case gets there instead of a bare "not one of the choices"."""

    def valid_value(self, value: Any) -> bool:
        return str(value) in Case.Status.values


class StatusForm(StaffForm):
    status = _StatusChoice(label=_("Status"), choices=[(s, Case.Status(s).label) for s in Case.WORKING_STATUSES])


class LinkAlertForm(StaffForm):
    alert = forms.TypedChoiceField(label=_("Service alert"), coerce=int)

    def __init__(self, *args: Any, alerts: list[ServiceAlert] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["alert"].choices = [
            ("", gettext("Choose an alert")),
            *((a.pk, f"{a.title} ({a.service})") for a in alerts),
        ]


class HandoffForm(StaffForm):
    to_user = forms.ModelChoiceField(
        label=_("Hand the case to"), queryset=User.objects.none(), empty_label=_("Choose a member of staff")
    )
    reason = forms.CharField(label=_("Why you are handing it off"), max_length=200, strip=False)
    summary = _text(
        _("Summary for the next owner"),
        rows=8,
        help_text=_("They read this first: what happened, what was promised, what must happen next."),
    )
    expected_owner = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, staff: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if staff is not None:
            self.fields["to_user"].queryset = staff
        self.fields["to_user"].label_from_instance = _staff_label


class SurveyToSalesForm(StaffForm):
    """One click hands a customer who asked to talk about their services to sales; the summary
    arrives written from their survey and may be changed first."""

    summary = _text(
        _("Summary for the sales advisor"),
        rows=5,
        help_text=_("They read this first. It holds the customer's rating and comment; add what you know."),
    )


def _staff_label(user: User) -> str:
    profile = user.staff_profile
    title = f", {profile.job_title}" if profile.job_title else ""
    return f"{user.get_full_name() or user.get_username()} — {profile.department.name}{title}"


# --- insurance claims -------------------------------------------------------------------


class ClaimFileForm(StaffForm):
    insurer = forms.CharField(label=_("Insurer"), max_length=200, strip=False)
    policy_holder = forms.ChoiceField(label=_("Whose policy"), choices=InsuranceClaim.PolicyHolder.choices)
    claim_number = forms.CharField(label=_("Claim number"), required=False, max_length=100)
    policy_number = forms.CharField(label=_("Policy number"), required=False, max_length=100)
    amount_claimed = forms.DecimalField(label=_("Amount claimed (€)"), required=False, max_digits=12, decimal_places=2)
    next_action = forms.CharField(label=_("Next action"), required=False, max_length=200)
    next_action_due = forms.DateField(label=_("Next action by"), required=False, widget=DayInput())
    adjuster_name = forms.CharField(label=_("Adjuster's name"), required=False, max_length=200)
    adjuster_contact = forms.CharField(label=_("Adjuster's phone or e-mail"), required=False, max_length=200)
    draft = forms.BooleanField(label=_("Keep as a draft (not filed yet)"), required=False)


class ClaimUpdateForm(StaffForm):
    # Translators: the next status of an insurance claim.
    status = forms.ChoiceField(label=_("Move to"), required=False)
    claim_number = forms.CharField(label=_("Claim number"), required=False, max_length=100)
    policy_number = forms.CharField(label=_("Policy number"), required=False, max_length=100)
    amount_claimed = forms.DecimalField(label=_("Amount claimed (€)"), required=False, max_digits=12, decimal_places=2)
    amount_paid = forms.DecimalField(label=_("Amount paid (€)"), required=False, max_digits=12, decimal_places=2)
    next_action = forms.CharField(label=_("Next action"), required=False, max_length=200)
    next_action_due = forms.DateField(label=_("Next action by"), required=False, widget=DayInput())
    adjuster_name = forms.CharField(label=_("Adjuster's name"), required=False, max_length=200)
    adjuster_contact = forms.CharField(label=_("Adjuster's phone or e-mail"), required=False, max_length=200)
    note = forms.CharField(label=_("Note for the timeline"), required=False, max_length=2000)

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
            # Translators: %(status)s is the claim's current status, in lower case, e.g. "Keep as submitted".
            ("", gettext("Keep as %(status)s") % {"status": claim.get_status_display().lower()}),
            *((s, InsuranceClaim.Status(s).label) for s in moves),
        ]

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.EDITABLE}


# --- contractor jobs --------------------------------------------------------------------


class JobScheduleForm(StaffForm):
    window_start = _when(_("Visit from"))
    window_end = _when(_("Visit until"))


class JobCancelForm(StaffForm):
    reason = forms.ChoiceField(label=_("Why is the visit cancelled"), choices=Job.CancellationReason.choices)
    note = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=2000,
        strip=False,
        # Translators: “Other” is the label of that cancellation reason in the list above: use the same word.
        help_text=_("Needed when the reason is “Other”."),
    )


class JobCompleteForm(StaffForm):
    outcome_report = _text(_("What was done on the visit"), rows=3)
    photo = forms.FileField(label=_("Photo (optional)"), required=False)


class RepairPlanForm(StaffForm):
    plan = _text(
        _("How the damage will be repaired"), rows=3, help_text=_("Clears the damage flag; the customer sees it.")
    )


# --- service alerts -----------------------------------------------------------------------


class AlertForm(StaffForm):
    service = forms.ModelChoiceField(
        label=_("Affected service"), queryset=Service.objects.order_by("name"), empty_label=_("Choose a service")
    )
    # Translators: the kind of service alert: planned maintenance or outage.
    kind = forms.ChoiceField(label=_("Kind"), choices=ServiceAlert.Kind.choices)
    title = forms.CharField(
        label=_("Title"), max_length=200, strip=False, help_text=_("Plain words: staff and customers both see it.")
    )
    description = forms.CharField(label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    area = forms.CharField(
        label=_("Area"),
        required=False,
        max_length=60,
        help_text=_("A postcode or region code; leave empty for every area."),
    )
    # Translators: when the service alert starts.
    starts_at = _when(_("Starts"))
    # Translators: when the service alert ends.
    ends_at = _when(_("Ends"), required=False, help_text=_("Leave empty while the end is not known."))

    FIELDS = ("service", "kind", "title", "description", "area", "starts_at", "ends_at")

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


class IncidentLinkForm(StaffForm):
    """The cases of one emerging incident to link to an alert: all ticked to start with."""

    cases = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one case to link, or leave the flag open.")},
    )

    def __init__(self, *args: Any, cases: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offered = {str(case.pk): case for case in cases}
        field = self.fields["cases"]
        field.choices = [
            (
                pk,
                gettext("%(reference)s: %(customer)s, opened %(opened)s")
                % {
                    "reference": case.reference,
                    "customer": case.customer.full_name,
                    "opened": date_format(timezone.localtime(case.created_at), "j M H:i"),
                },
            )
            for pk, case in self.offered.items()
        ]
        field.initial = list(self.offered)
        field.label = ngettext(
            "Link this case to this alert", "Link these %(count)s cases to this alert", len(cases)
        ) % {"count": len(cases)}

    def chosen_cases(self) -> list[Any]:
        return [self.offered[pk] for pk in self.cleaned_data["cases"]]


# --- sales --------------------------------------------------------------------------------


def advisor_choices(staff: Any, *, current: User | None = None) -> list[tuple[Any, str]]:
    """Who may be named as having sold: active staff, read once per page and shared by its
    forms; a sale's own advisor stays in its list even after they have left."""
    choices: list[tuple[Any, str]] = [("", gettext("Choose a member of staff"))]
    choices += [(user.pk, _staff_label(user)) for user in staff]
    if current is not None and all(pk != current.pk for pk, _label in choices):
        choices.append((current.pk, current.get_full_name() or current.get_username()))
    return choices


class SaleForm(StaffForm):
    product = forms.CharField(
        label=_("Product"), max_length=200, strip=False, help_text=_("What was sold, e.g. Fibre 1 Gb/s with landline.")
    )
    plan = forms.CharField(label=_("Plan"), required=False, max_length=200, help_text=_("The plan or contract term."))
    monthly_price = forms.DecimalField(label=_("Monthly price (€)"), required=False, max_digits=10, decimal_places=2)
    advisor = forms.TypedChoiceField(label=_("Sold by"), coerce=int)
    pending_offers = _text(
        _("Pending offers"),
        required=False,
        rows=3,
        help_text=_("Offers made and not yet taken up. Staff only: the customer does not see this."),
    )

    def __init__(self, *args: Any, advisors: list[tuple[Any, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["advisor"].choices = advisors

    def chosen_advisor(self) -> User | None:
        return User.objects.filter(pk=self.cleaned_data["advisor"]).select_related("staff_profile").first()


class SaleUpdateForm(SaleForm):
    FIELDS = ("product", "plan", "monthly_price", "advisor", "pending_offers")

    def __init__(self, *args: Any, sale: Any, advisors: list[tuple[Any, str]], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {name: getattr(sale, name) for name in self.FIELDS if name != "advisor"})
        kwargs["initial"].setdefault("advisor", sale.advisor_id)
        super().__init__(*args, advisors=advisors, **kwargs)


# --- intake ---------------------------------------------------------------------------------

NEW_CUSTOMER = "new"
INTAKE_DEPARTMENTS = [(d.value, d.label) for d in TimelineDepartment if d != TimelineDepartment.SYSTEM]


class IntakeForm(StaffForm):
    """A call or a walk-in: who it is (found or new), what it is about and who owns it.

    `customer` holds the chosen customer's id or "new"; the radio buttons are drawn by the
    template from the matches shown, so they are not a Django widget."""

    customer = forms.CharField(label=_("Customer"), required=False, widget=forms.HiddenInput)
    full_name = forms.CharField(label=_("Full name"), required=False, max_length=200, strip=False)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    email = forms.CharField(label=_("E-mail"), required=False, max_length=254)
    address = _text(_("Address"), required=False, rows=2)
    postcode = forms.CharField(label=_("Postcode"), required=False, max_length=20)
    preferred_channel = forms.ChoiceField(
        label=_("Preferred channel"), choices=Customer.Channel.choices, initial=Customer.Channel.PHONE, required=False
    )
    vulnerability_notes = _text(
        _("Vulnerability notes"),
        required=False,
        rows=2,
        help_text=_("Age, health, not at ease with digital channels… Shown prominently to staff."),
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=settings.LANGUAGES, initial=settings.LANGUAGE_CODE, required=False
    )
    allow_duplicate = forms.BooleanField(label=_("This is someone else: create a new customer anyway"), required=False)
    department = forms.ChoiceField(
        label=_("Department"),
        choices=INTAKE_DEPARTMENTS,
        initial=TimelineDepartment.SUPPORT,
        help_text=_("Which part of the case this call is about."),
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=User.objects.none(),
        required=False,
        empty_label=None,
        help_text=_("You, unless you name a colleague who takes it from the start."),
    )
    subject = forms.CharField(label=_("Subject"), max_length=200, strip=False)
    priority = forms.ChoiceField(label=_("Priority"), choices=Case.Priority.choices, initial=Case.Priority.NORMAL)
    human_impact = forms.CharField(
        label=_("Human impact"),
        required=False,
        max_length=200,
        help_text=_('What it does to the person: "no heating".'),
    )
    service = forms.ModelChoiceField(
        label=_("Service"),
        queryset=Service.objects.all(),
        required=False,
        empty_label=_("No particular service"),
    )
    description = _text(_("Details (optional)"), required=False, rows=3)
    call_summary = _text(
        _("What was said on the call (optional)"),
        required=False,
        help_text=_("Logged as the customer's call on the new case. Leave it empty for a walk-in."),
    )

    CUSTOMER_FIELDS = (
        "full_name",
        "email",
        "phone",
        "address",
        "postcode",
        "preferred_channel",
        "vulnerability_notes",
        "language",
    )

    def __init__(self, *args: Any, staff: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff
        self.fields["owner"].label_from_instance = _staff_label

    def clean_customer(self) -> str | int:
        value = (self.cleaned_data.get("customer") or "").strip()
        if value == NEW_CUSTOMER:
            return value
        if value.isdigit():
            return int(value)
        raise forms.ValidationError(gettext("Choose the customer, or “New customer” to create one."))


# --- edits: the case's details and the customer's record ---------------------------------


class CaseEditForm(StaffForm):
    subject = forms.CharField(label=_("Subject"), max_length=200, strip=False)
    priority = forms.ChoiceField(label=_("Priority"), choices=Case.Priority.choices)
    human_impact = forms.CharField(
        label=_("Impact on the customer"),
        required=False,
        max_length=200,
        strip=False,
        help_text=_('What it does to the person, for example "no heating".'),
    )

    FIELDS = ("subject", "priority", "human_impact")

    def __init__(self, *args: Any, case: Case, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {name: getattr(case, name) for name in self.FIELDS})
        super().__init__(*args, **kwargs)

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


class CustomerInviteForm(StaffForm):
    """No field: the button is the whole form, and a refusal is shown above it."""


class CustomerEditForm(StaffForm):
    full_name = forms.CharField(label=_("Full name"), max_length=200, strip=False)
    phone = forms.CharField(
        label=_("Phone"), required=False, max_length=40, widget=forms.TextInput(attrs={"type": "tel"})
    )
    # A plain text field: the service checks the address and says what is wrong in its own words.
    email = forms.CharField(
        label=_("E-mail"), required=False, max_length=254, widget=forms.TextInput(attrs={"type": "email"})
    )
    address = _text(_("Address"), required=False, rows=3)
    postcode = forms.CharField(label=_("Postcode"), required=False, max_length=20)
    preferred_channel = forms.ChoiceField(label=_("Preferred channel"), choices=Customer.Channel.choices)
    language = forms.ChoiceField(
        label=_("Language"), choices=(), help_text=_("The language of their e-mails, letters and call scripts.")
    )
    vulnerability_notes = _text(
        _("Vulnerability notes"),
        required=False,
        rows=3,
        help_text=_("Age, health, not at ease with digital channels… Every version is kept."),
    )
    access_notes = _text(
        _("Access notes"), required=False, rows=2, help_text=_("How to get in: shown to contractors on their jobs.")
    )

    FIELDS = (
        "full_name",
        "phone",
        "email",
        "address",
        "postcode",
        "preferred_channel",
        "language",
        "vulnerability_notes",
        "access_notes",
    )

    def __init__(self, *args: Any, customer: Customer, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {name: getattr(customer, name) for name in self.FIELDS})
        super().__init__(*args, **kwargs)
        # Each language by its own name, as the language switch shows them.
        self.fields["language"].choices = list(settings.LANGUAGES)

    def changes(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.FIELDS}


class SpecialistAddForm(StaffForm):
    user = forms.ModelChoiceField(
        label=_("Colleague to add"),
        queryset=User.objects.none(),
        empty_label=_("Choose a member of staff"),
        help_text=_("They may work on this case (reply, promise, resolve) without becoming its owner."),
    )

    def __init__(self, *args: Any, staff: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if staff is not None:
            self.fields["user"].queryset = staff
        self.fields["user"].label_from_instance = _staff_label


# --- requesting a contractor job ----------------------------------------------------------

# Without JavaScript the page offers this many empty prerequisite rows; most jobs need one or two.
PREREQUISITE_ROWS = 3


class JobRequestForm(StaffForm):
    company = forms.ModelChoiceField(
        label=_("Contractor company"),
        queryset=ContractorCompany.objects.filter(is_active=True).order_by("name"),
        empty_label=_("Choose a company"),
    )
    title = forms.CharField(
        label=_("What the job is"),
        max_length=200,
        strip=False,
        help_text=_("A short title the technician and the customer both see, e.g. “Install the fibre socket”."),
    )
    description = _text(_("Details for the technician"), required=False, rows=3)
    contact_window = forms.CharField(
        label=_("When and how to reach the customer"),
        required=False,
        max_length=200,
        strip=False,
        help_text=_("As agreed with them, e.g. “Weekdays after 5 pm, mobile first”. Shown to the contractor."),
    )
    window_start = _when(_("Visit from"), required=False, help_text=_("Optional: leave empty if not booked yet."))
    window_end = _when(_("Visit until"), required=False)

    MAIN = ("company", "title", "description", "contact_window", "window_start", "window_end")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parties = [("", gettext("Choose who")), *Prerequisite.Party.choices]
        for row in range(1, PREREQUISITE_ROWS + 1):
            self.fields[f"prerequisite_{row}"] = forms.CharField(
                label=gettext("Prerequisite %(number)s") % {"number": row},
                required=False,
                max_length=200,
                strip=False,
            )
            self.fields[f"party_{row}"] = forms.ChoiceField(
                label=gettext("Who must do prerequisite %(number)s") % {"number": row},
                required=False,
                choices=parties,
            )

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.MAIN]

    def prerequisite_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"prerequisite_{row}"], self[f"party_{row}"]) for row in range(1, PREREQUISITE_ROWS + 1)]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        prerequisites = []
        for row in range(1, PREREQUISITE_ROWS + 1):
            description = (data.get(f"prerequisite_{row}") or "").strip()
            party = data.get(f"party_{row}") or ""
            if description and not party:
                self.add_error(f"party_{row}", gettext("Say who must do this prerequisite."))
            elif party and not description:
                self.add_error(f"prerequisite_{row}", gettext("Say what must be done, or leave both empty."))
            elif description:
                prerequisites.append((description, party))
        data["prerequisites"] = prerequisites
        start, end = data.get("window_start"), data.get("window_end")
        if start and not end:
            self.add_error("window_end", gettext("Give the end of the visit window too."))
        elif end and not start:
            self.add_error("window_start", gettext("Give the start of the visit window too."))
        return data


class MergeForm(forms.Form):
    """Confirms a merge: the reason goes on both timelines."""

    reason = forms.CharField(
        label=_("Why are these the same?"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: “Same person, wrote from her work address”. Shown on the timeline."),
    )


class CustomerMergeForm(MergeForm):
    """Adds, for each contact detail the records hold differently, which value the kept record has."""

    KEEP, TAKE = "keep", "take"

    def __init__(self, *args: Any, choices: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for choice in choices:
            self.fields[f"take_{choice.name}"] = forms.ChoiceField(
                label=choice.label,
                choices=[
                    (self.KEEP, choice.kept or gettext("(empty)")),
                    (self.TAKE, choice.other or gettext("(empty)")),
                ],
                initial=self.KEEP,
                required=False,  # left unanswered, the kept record keeps its own value
                widget=forms.RadioSelect,
            )

        # The reason is asked last, after the choices it sums up.
        self.fields["reason"] = self.fields.pop("reason")

    def taken(self) -> list[str]:
        """The details to copy from the merged record."""
        return [
            name.removeprefix("take_")
            for name, value in self.cleaned_data.items()
            if name.startswith("take_") and value == self.TAKE
        ]
