"""The customer pages' forms: they parse what was typed; the services decide what is allowed.

Every field has a label a customer understands and a hint where one helps; a refusal from a
service lands on the field it names (see `add_violation`), and what was typed stays typed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.files.uploadedfile import UploadedFile
from django.utils import dateformat, timezone
from django.utils.functional import lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from people.models import Customer, Service
from portal.cache_safety import CACHE_UNREACHABLE, log_cache_unreachable
from portal.errors import RuleViolation
from portal.uploads import validate_upload

logger = logging.getLogger(__name__)

MAX_FILES = 5
CALLBACK_DAYS = 10  # working days offered for a call back
# (start hour, end hour, words) of the call-back windows.
CALLBACK_SLOTS: dict[str, tuple[int, int, str]] = {
    "morning": (9, 12, _("In the morning, 9:00 to 12:00")),
    "midday": (12, 14, _("Around midday, 12:00 to 14:00")),
    "afternoon": (14, 17, _("In the afternoon, 14:00 to 17:00")),
}
SCORES = [
    ("5", _("5 – Very good")),
    ("4", _("4 – Good")),
    ("3", _("3 – All right")),
    ("2", _("2 – Poor")),
    ("1", _("1 – Very poor")),
]


class CustomerForm(forms.Form):
    """Labels without a trailing colon; Django ties help and errors to each field."""

    # Service keyword → form field, where the two are named differently.
    violation_fields: dict[str, str] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def add_violation(form: CustomerForm, violation: RuleViolation) -> None:
    """Show a service's refusal on the field it names, or above the form."""
    field = form.violation_fields.get(violation.field or "", violation.field)
    form.add_error(field if field in form.fields else None, violation.message)


def _text(
    label: str, *, missing: str | None = None, rows: int = 5, help_text: str = "", **attrs: Any
) -> forms.CharField:
    """A text box; `missing` is what to do when it is required and left empty."""
    # `missing` is a lazy translation: compared with None, not tested for truth, so that
    # defining the form at import time does not translate it in whatever language is active.
    return forms.CharField(
        label=label,
        required=missing is not None,
        help_text=help_text,
        strip=False,  # the service trims, and says so when nothing is left
        widget=forms.Textarea(attrs={"rows": rows, **attrs}),
        error_messages={} if missing is None else {"required": missing},
    )


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class FilesField(forms.FileField):
    """Several photos or documents, each checked for its real type and size."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs["accept"] = ",".join(settings.ATTACHMENT_ALLOWED_TYPES)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else [data]
        files = [super(FilesField, self).clean(item, initial) for item in files if item]
        if len(files) > MAX_FILES:
            raise forms.ValidationError(
                ngettext("Send at most %(count)d file at a time.", "Send at most %(count)d files at a time.", MAX_FILES)
                % {"count": MAX_FILES}
            )
        for upload in files:
            try:
                validate_upload(upload)
            except RuleViolation as refused:
                raise forms.ValidationError(
                    # Translators: %(problem)s is the sentence saying what is wrong with one file.
                    gettext("%(problem)s Your text is kept: choose the files again.") % {"problem": refused.message}
                ) from None
        return files


def _files_help() -> str:
    return ngettext(
        "Up to %(count)d file: photos (JPEG, PNG, GIF, WebP), PDF or text, at most %(megabytes)d MB each.",
        "Up to %(count)d files: photos (JPEG, PNG, GIF, WebP), PDF or text, at most %(megabytes)d MB each.",
        MAX_FILES,
    ) % {"count": MAX_FILES, "megabytes": settings.ATTACHMENT_MAX_BYTES // 1048576}


def files_field() -> FilesField:
    return FilesField(
        label=_("Photos or documents (optional)"),
        # Lazy: the field is built at import time, the hint is read in the visitor's language.
        help_text=lazy(_files_help, str)(),
    )


# --- writing to us ------------------------------------------------------------------------------


class WriteForm(CustomerForm):
    violation_fields = {"body": "body"}

    body = _text(
        _("Your message"),
        missing=_("Write your message."),
        rows=7,
        help_text=_("Write as you would in a letter. We answer on this page."),
    )
    attachments = files_field()


class CallbackForm(CustomerForm):
    violation_fields = {"starts_at": "day", "ends_at": "day"}

    day = forms.ChoiceField(label=_("Which day?"), error_messages={"required": _("Choose a day.")})
    slot = forms.ChoiceField(
        label=_("At what time?"),
        choices=[(key, words) for key, (_start, _end, words) in CALLBACK_SLOTS.items()],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a time of day."), "invalid_choice": _("Choose one of the times shown.")},
    )
    phone = forms.CharField(
        label=_("Phone number to call"),
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        error_messages={"required": _("Write the phone number we should call, for example 04 78 25 14 07.")},
    )
    note = _text(_("What would you like to talk about? (optional)"), rows=3, maxlength=300)

    def __init__(self, *args: Any, now: datetime | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["day"].choices = [("", gettext("Choose a day")), *day_choices(now or timezone.now())]
        self.fields["day"].error_messages["invalid_choice"] = gettext("Choose one of the days in the list.")

    def window(self) -> tuple[datetime, datetime]:
        day = date.fromisoformat(self.cleaned_data["day"])
        start, end, _words = CALLBACK_SLOTS[self.cleaned_data["slot"]]
        zone = timezone.get_current_timezone()
        return (
            timezone.make_aware(datetime.combine(day, time(start)), zone),
            timezone.make_aware(datetime.combine(day, time(end)), zone),
        )


def day_choices(now: datetime) -> list[tuple[str, str]]:
    """The next working days, today first while an afternoon call is still possible."""
    today = timezone.localdate(now)
    choices: list[tuple[str, str]] = []
    day = today
    while len(choices) < CALLBACK_DAYS:
        if day.weekday() < 5:
            # Django's date format, unlike strftime, names the day and month in the active language.
            words = dateformat.format(day, "l j F")
            if day == today:
                # Translators: %(day)s is a day such as "Monday 3 March".
                words = gettext("%(day)s (today)") % {"day": words}
            elif day == today + timedelta(days=1):
                # Translators: %(day)s is a day such as "Monday 3 March".
                words = gettext("%(day)s (tomorrow)") % {"day": words}
            choices.append((day.isoformat(), words))
        day += timedelta(days=1)
    return choices


# --- the resolution and the rating -----------------------------------------------------------


class NotFixedForm(CustomerForm):
    violation_fields = {"reason": "reason"}

    reason = _text(
        _("What is still wrong?"),
        missing=_("Tell us what is still wrong, so we know what to look at."),
        rows=4,
        help_text=_("Tell us what you see now. Your case goes back to the person who looks after it."),
    )


class RatingForm(CustomerForm):
    score = forms.TypedChoiceField(
        label=_("Your mark"),
        choices=SCORES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a mark from 1 to 5."), "invalid_choice": _("Choose a mark from 1 to 5.")},
    )
    comment = _text(_("Anything you would like to tell us? (optional)"), rows=3)
    wants_contact = forms.BooleanField(
        label=_("I'd like to talk to someone about my services or contract"),
        required=False,
    )

    def __init__(self, *args: Any, contact_hint: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["wants_contact"].help_text = contact_hint


# --- a new request ------------------------------------------------------------------------------


class NewRequestForm(CustomerForm):
    customer = forms.TypedChoiceField(label=_("Who is it for?"), coerce=int, empty_value=None)
    service = forms.TypedChoiceField(
        label=_("Which service is it about?"), coerce=int, required=False, empty_value=None
    )
    subject = forms.CharField(
        label=_("In a few words, what is it about?"),
        max_length=200,
        help_text=_("For example: “My TV has no picture” or “I am moving house”."),
        error_messages={"required": _("Write in a few words what your request is about.")},
    )
    details = _text(
        _("Tell us more"),
        missing=_("Tell us more about your request."),
        rows=7,
        help_text=_("What happened, and what you would like us to do."),
    )
    attachments = files_field()

    def __init__(self, *args: Any, customers: list[Customer], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.customers = {c.pk: c for c in customers}
        self.fields["customer"].choices = [(c.pk, c.full_name) for c in customers]
        self.fields["customer"].error_messages["invalid_choice"] = gettext("Choose one of the people in the list.")
        if len(customers) == 1:
            self.fields["customer"].widget = forms.HiddenInput()
            self.fields["customer"].initial = customers[0].pk
        services = {s.pk: s for c in customers for s in c.services.all()}
        self.services = services
        self.fields["service"].choices = [("", gettext("Something else, or I am not sure"))] + [
            (s.pk, s.name) for s in sorted(services.values(), key=lambda s: s.name)
        ]
        self.fields["service"].error_messages["invalid_choice"] = gettext("Choose one of the services in the list.")

    def chosen_customer(self) -> Customer:
        return self.customers[self.cleaned_data["customer"]]

    def chosen_service(self) -> Service | None:
        pk = self.cleaned_data.get("service")
        return self.services.get(pk) if pk else None


# --- helpers ---------------------------------------------------------------------------------


class HelperInviteForm(CustomerForm):
    violation_fields = {"user": "email"}

    full_name = forms.CharField(
        label=_("Their name"),
        max_length=150,
        help_text=_("For example: Paul Martin."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": _("Write your helper's name.")},
    )
    email = forms.CharField(
        label=_("Their e-mail address"),
        max_length=254,
        help_text=_("We send them an e-mail to choose a password."),
        widget=forms.TextInput(attrs={"type": "email", "autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": _("Write their e-mail address, for example paul.martin@example.org.")},
    )
    relationship = forms.CharField(
        label=_("Who are they to you?"),
        max_length=100,
        help_text=_("For example: son, daughter, carer, social worker."),
        error_messages={"required": _("Write who they are to you, for example “son” or “carer”.")},
    )
    scope = forms.ChoiceField(
        label=_("What may they see?"),
        choices=[("all", _("All my cases, also future ones")), ("some", _("Only the cases I tick below"))],
        initial="all",
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose what they may see.")},
    )
    cases = forms.TypedMultipleChoiceField(
        label=_("Cases they may see"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose among your cases shown here.")},
    )

    def __init__(self, *args: Any, cases: list[Case], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.case_rows = {c.pk: c for c in cases}
        self.fields["cases"].choices = [(c.pk, f"{c.subject} ({c.reference})") for c in cases]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("scope") == "some" and not data.get("cases"):
            self.add_error("cases", gettext("Tick at least one case, or choose “All my cases”."))
        return data

    def chosen_cases(self) -> list[Case] | None:
        if self.cleaned_data["scope"] == "all":
            return None
        return [self.case_rows[pk] for pk in self.cleaned_data["cases"]]


# --- passwords ---------------------------------------------------------------------------------


# Reset e-mails one account may receive per hour: enough for a lost first e-mail, too few
# for anyone to flood a mailbox through this form. The page answers the same either way.
RESET_MAILS_PER_HOUR = 3


class ResetRequestForm(PasswordResetForm):
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        help_text=_("The address you sign in with. We send you a link to choose a new password."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        error_messages={
            "required": _("Write the e-mail address you sign in with."),
            "invalid": _("That is not a complete e-mail address. Check it, for example jeanne.martin@example.org."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The link carries a sign-in token: it is built from SITE_URL, never from the Host header
        # the request happened to name (a hostile one would send the token to its own server).
        site = urlsplit(settings.SITE_URL)
        kwargs["domain_override"] = site.netloc
        kwargs["use_https"] = site.scheme == "https"
        kwargs["extra_email_context"] = {**(kwargs.get("extra_email_context") or {}), "site_url": settings.SITE_URL}
        super().save(*args, **kwargs)

    def get_users(self, email: str) -> Iterator[User]:
        for user in super().get_users(email):
            if _reset_mail_allowed(user):
                yield user


def _reset_mail_allowed(user: User) -> bool:
    """Counts the reset e-mails of the hour; with the cache unreachable the e-mail goes (fail open):
    a person locked out of their account matters more than a counter."""
    key = f"steward:password-reset-mails:{user.pk}"
    try:
        cache.add(key, 0, timeout=3600)
        return cache.incr(key) <= RESET_MAILS_PER_HOUR
    except CACHE_UNREACHABLE:
        log_cache_unreachable(logger, "password-reset e-mail count")
        return True


class ChoosePasswordForm(SetPasswordForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = gettext("Choose a password")
        self.fields["new_password1"].help_text = gettext(
            "At least 8 characters; not only digits, and not too close to your name or e-mail address. "
            "A short sentence you will remember works well."
        )
        self.fields["new_password2"].label = gettext("Type the same password again")
        self.fields["new_password2"].help_text = gettext("So we know it was typed as you meant it.")
