"""The contractor pages' forms and the staff scorecard's: they parse what was typed; the
services decide what is allowed.

Field names match the keyword arguments of the service each form feeds, so a
RuleViolation naming a field lands on that field (see `add_violation`).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.functional import lazy
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from contractors.models import ContractorCompany, Job
from contractors.selectors import TABS, UNASSIGNED, Period, technicians_of
from portal.errors import RuleViolation

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
MAX_PHOTOS = 10
PHOTO_TYPES = "image/jpeg,image/png,image/gif,image/webp"
LONGEST_PERIOD_DAYS = 3 * 366


class ContractorForm(forms.Form):
    """Labels without a trailing colon; errors tied to their fields by aria-describedby."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def add_violation(form: forms.Form, violation: RuleViolation) -> None:
    """Show a service's refusal on the field it names, or above the form."""
    field = violation.field if violation.field in form.fields else None
    form.add_error(field, violation.message)


def _text(
    label: str,
    *,
    required: bool = True,
    rows: int = 4,
    help_text: str = "",
    max_length: int | None = None,
    required_message: str | None = None,
) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        help_text=help_text,
        error_messages={"required": required_message} if required_message else None,
        strip=False,  # the service trims, and says so when nothing is left
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class WhenInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format=DATETIME_FORMAT)


class DayInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class PhotosInput(forms.FileInput):
    allow_multiple_selected = True


def _photos_help() -> str:
    return ngettext(
        "Up to %(count)d photo (JPEG, PNG, GIF or WebP).",
        "Up to %(count)d photos (JPEG, PNG, GIF or WebP).",
        MAX_PHOTOS,
    ) % {"count": MAX_PHOTOS}


class PhotosField(forms.FileField):
    """Up to MAX_PHOTOS photos from one file input; their type and size are checked by the
    service (portal.uploads), which reads the files' first bytes rather than their names."""

    widget = PhotosInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Photos"))
        # Built when shown, so that it is in the language of the request.
        kwargs.setdefault("help_text", lazy(_photos_help, str)())
        super().__init__(**kwargs)
        self.widget.attrs["accept"] = PHOTO_TYPES

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        single = super().clean
        files = [single(item, initial) for item in data] if isinstance(data, list | tuple) else [single(data, initial)]
        files = [file for file in files if file]
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(
                gettext("Send at most %(most)d photos at a time (you chose %(chosen)d).")
                % {"most": MAX_PHOTOS, "chosen": len(files)}
            )
        return files


# --- the jobs list --------------------------------------------------------------------------


class JobFilterForm(ContractorForm):
    technician = forms.ChoiceField(label=_("Technician"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any status")), *Job.Status.choices])

    def __init__(self, *args: Any, company: ContractorCompany, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = [(str(user.pk), user.get_full_name() or user.get_username()) for user in technicians_of(company)]
        self.fields["technician"].choices = [
            ("", gettext("Everyone")),
            (UNASSIGNED, gettext("Not assigned yet")),
            *people,
        ]

    def tab(self) -> str:
        chosen = self.data.get("show", "")
        return chosen if chosen in TABS else "today"


# --- the job page ---------------------------------------------------------------------------


def _early_reason() -> forms.CharField:
    return _text(
        _("Why come before the day of the visit?"),
        required=False,
        rows=3,
        help_text=_("The customer expects you on the booked day. Your reason goes to the case owner, who is flagged."),
    )


class EarlyVisitForm(ContractorForm):
    """Asks for `early_reason` only when the visit would start before the day of its window."""

    def __init__(self, *args: Any, early: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not early:
            del self.fields["early_reason"]


class OnTheWayForm(EarlyVisitForm):
    """Nothing to type on the day of the visit: the button says it all."""

    early_reason = _early_reason()


class StartVisitForm(EarlyVisitForm):
    """On site. Starting with a prerequisite open, or before the visit's day, needs a reason,
    which flags the case owner."""

    override_reason = _text(
        _("Why start the visit anyway?"),
        required=False,
        rows=3,
        help_text=_("A prerequisite is still open. Your reason goes to the case owner, who is flagged."),
    )
    early_reason = _early_reason()


class CancelForm(ContractorForm):
    reason = forms.ChoiceField(
        label=_("Why is the visit cancelled?"),
        choices=Job.CancellationReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose why the visit is cancelled.")},
    )
    note = _text(
        _("What happened"),
        rows=3,
        help_text=_("The case owner and the customer read this."),
        required_message=_("Say what happened: the case owner and the customer read it."),
    )


class OutcomeForm(ContractorForm):
    OUTCOMES = [("completed", _("The job is done")), ("failed", _("The job could not be finished"))]

    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=OUTCOMES,
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether the job is done.")},
    )
    outcome_report = _text(_("What was done on the visit"), help_text=_("Shown on the case; the customer can read it."))
    photos = PhotosField()


class PromiseForm(ContractorForm):
    text = _text(
        _("What you promise the customer"),
        rows=2,
        max_length=300,
        help_text=_("For example: “We return Monday at 8:00 with two workers to repair the pipe.”"),
    )
    due_at = forms.DateTimeField(
        label=_("By when"),
        widget=WhenInput(),
        input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M"],
        help_text=_("The case owner is flagged if it is not kept by then."),
        error_messages={
            "required": _("Say by when it will be done."),
            "invalid": _("Enter a date and time, for example 2026-03-02 08:00."),
        },
    )


class IncidentForm(ContractorForm):
    what = _text(_("What was damaged, and how"), help_text=_("For example: drilled into a heating pipe."))
    location = forms.CharField(
        label=_("Where in the home"),
        max_length=200,
        strip=False,
        help_text=_("For example: living room, behind the radiator."),
    )
    immediate_action = _text(
        _("What you did at once"), required=False, rows=3, help_text=_("For example: water shut off at the main valve.")
    )
    affects = forms.MultipleChoiceField(
        label=_("Is any of these affected?"),
        required=False,
        choices=[
            ("water", pgettext_lazy("supply affected by damage", "Water")),
            ("power", pgettext_lazy("supply affected by damage", "Power")),
            ("heating", pgettext_lazy("supply affected by damage", "Heating")),
        ],
        widget=forms.CheckboxSelectMultiple,
    )
    photos = PhotosField()


class CorrectionForm(ContractorForm):
    text = _text(
        _("Your correction"),
        rows=3,
        help_text=_("The report itself stays as filed; your correction is added under it, dated and signed."),
    )


# --- the team -------------------------------------------------------------------------------


class InviteForm(ContractorForm):
    first_name = forms.CharField(label=_("First name"), max_length=150, strip=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, strip=False)
    email = forms.CharField(
        label=_("E-mail address"),
        max_length=150,
        strip=False,
        help_text=_("The invitation goes here; it is also how they sign in."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    phone = forms.CharField(label=_("Mobile phone"), max_length=40, required=False)
    is_company_admin = forms.BooleanField(
        label=_("Administrator of the company"), required=False, help_text=_("May invite technicians too.")
    )


# --- the staff scorecard --------------------------------------------------------------------


class ScorecardForm(ContractorForm):
    company = forms.ModelChoiceField(
        label=_("Company"),
        queryset=ContractorCompany.objects.order_by("name"),
        required=False,
        empty_label=_("Every company"),
    )
    # Translators: the first day of the period the scorecard covers.
    first_day = forms.DateField(label=pgettext_lazy("start of a period", "From"), widget=DayInput(), required=False)
    # Translators: the last day of the period the scorecard covers.
    last_day = forms.DateField(label=pgettext_lazy("end of a period", "To"), widget=DayInput(), required=False)

    DEFAULT_DAYS = 90

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        default = Period.last_days(self.DEFAULT_DAYS)
        first: date = data.get("first_day") or default.first_day
        last: date = data.get("last_day") or default.last_day
        if last < first:
            self.add_error("last_day", gettext("The period must end on or after its first day."))
        elif last - first > timedelta(days=LONGEST_PERIOD_DAYS):
            self.add_error("first_day", gettext("Choose a period of at most three years."))
        data["period"] = Period(first, last)
        return data
