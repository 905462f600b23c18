"""Writing timeline events and naming who acted, so every service records the same way."""

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import User
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from cases.models import Case, Flag, TimelineEvent
from cases.sentences import render_sentence
from people.models import Customer
from webhooks.services.outbox import deliveries_write

SYSTEM_LABEL = "Steward"

# Translators: the date formats below use Django's date syntax
# (https://docs.djangoproject.com/en/5.2/ref/templates/builtins/#date); adapt the order and
# the letters to French usage, e.g. "D j F Y, H:i" gives "lun 3 mars 2026, 14:00".
DUE_FORMAT = gettext_noop("D d M Y, H:i")
# Translators: a day and a time, Django's date syntax; e.g. "Mon 03 Mar 2026 14:00".
VISIT_FORMAT = gettext_noop("D d M Y H:i")
# Translators: a time of day, Django's date syntax; e.g. "14:00".
TIME_FORMAT = gettext_noop("H:i")
# Translators: a day of the week and a date, Django's date syntax; e.g. "Mon 03 Mar 2026".
WEEKDAY_FORMAT = gettext_noop("D d M Y")
# Translators: a date, Django's date syntax; e.g. "03 Mar 2026".
SHORT_DATE_FORMAT = gettext_noop("d M Y")
# Translators: a date with the month in full, Django's date syntax; e.g. "03 March 2026".
LONG_DATE_FORMAT = gettext_noop("d F Y")
# Translators: a day and a time without the year, Django's date syntax; e.g. "Mon 03 Mar 14:00".
RECENT_FORMAT = gettext_noop("D d M H:i")
# Translators: a date with the month in full and a time, Django's date syntax; e.g. "03 March 2026 14:00".
LONG_MOMENT_FORMAT = gettext_noop("d F Y H:i")
# Translators: a day of the week and a date without the year, Django's date syntax; e.g. "Monday 3 March".
DAY_FORMAT = gettext_noop("l j F")
# Translators: a time of day without a leading zero, Django's date syntax; e.g. "9:30".
CLOCK_FORMAT = gettext_noop("G:i")


@dataclass(frozen=True)
class Sentence:
    """What an event or a flag says, kept language-neutral and rendered in each reader's language.

    `text` is the English source, marked with gettext_noop so it is extracted; `params` fill its
    named placeholders: plain data shown as written, or `choice()`, `moment()`, `day()`,
    `listing()` or another Sentence, rendered in the reader's language (see cases.sentences).
    """

    text: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_data(self) -> dict[str, Any]:
        return {"text": self.text, "params": {name: _param_data(value) for name, value in self.params.items()}}

    def english(self) -> str:
        with translation.override("en"):
            return render_sentence(self.as_data())

    def rendered(self) -> str:
        """In the active language: for text stored as written, such as a promise made for the customer."""
        return render_sentence(self.as_data())


def _param_data(value: Any) -> Any:
    if isinstance(value, Sentence):
        return value.as_data()
    if isinstance(value, dict) and "list" in value:
        return {**value, "list": [_param_data(item) for item in value["list"]]}
    return value


def choice(field_path: str, value: str, *, lower: bool = False) -> dict[str, Any]:
    """The label of a model field's choice, e.g. choice("cases.Case.status", "resolved");
    `lower` for a label used inside a sentence."""
    param: dict[str, Any] = {"choice": field_path, "value": str(value)}
    if lower:
        param["lower"] = True
    return param


def moment(value: datetime, date_format: str) -> dict[str, str]:
    """A moment shown in the reader's time zone; `date_format` is one of the formats above."""
    return {"datetime": value.isoformat(), "format": date_format}


def day(value: date, date_format: str = SHORT_DATE_FORMAT) -> dict[str, str]:
    return {"date": value.isoformat(), "format": date_format}


def local_text(value: datetime | None, date_format: str) -> str:
    """A moment written in the active language and time zone, for messages built at once (errors)."""
    return dateformat.format(timezone.localtime(value), _(date_format))


def listing(items: list[Any], separator: str = ", ") -> dict[str, Any]:
    return {"list": [_param_data(item) for item in items], "separator": separator}


def flag_said(flag: Flag) -> Any:
    """A flag's summary as a sentence parameter: its neutral record when it has one."""
    return (flag.data or {}).get("sentence") or flag.summary


def person_name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def actor_label(user: User | None, *, case: Case | None = None) -> str:
    """How an actor is shown on the timeline: with department, company, or on whose behalf."""
    if user is None:
        return SYSTEM_LABEL
    name = person_name(user)
    profile = getattr(user, "staff_profile", None)
    if profile is not None:
        return f"{name} ({profile.department.name})"
    contractor = getattr(user, "contractor_profile", None)
    if contractor is not None:
        return f"{name} ({contractor.company.name})"
    if case is not None:
        customer: Customer = case.customer
        if customer.user_id == user.pk:
            return customer.full_name
        return _("%(name)s, on behalf of %(customer)s") % {"name": name, "customer": customer.full_name}
    return name


def record_event(
    *,
    case: Case,
    kind: str,
    department: str,
    actor: User | None,
    summary: str | Sentence,
    label: str | None = None,
    customer_visible: bool = False,
    subject_key: str = "",
    data: dict[str, Any] | None = None,
    rejected_resolution: bool = False,
) -> TimelineEvent:
    """Append one event; callers are inside the transaction of the change it records.

    A Sentence is kept in `data["sentence"]` and read in each reader's language; the summary
    column gets its English rendering, for the admin, search and readers of the raw rows.
    """
    event = timeline_event(
        case=case,
        kind=kind,
        department=department,
        actor=actor,
        summary=summary,
        label=label,
        customer_visible=customer_visible,
        subject_key=subject_key,
        data=data,
        rejected_resolution=rejected_resolution,
    )
    event.save(force_insert=True)
    deliveries_write(timeline_events=[event])
    return event


def record_events(events: list[TimelineEvent]) -> list[TimelineEvent]:
    """Append events built with timeline_event, in one insert (watchers, many cases at once).
    Like record_event, the one door every event goes through: webhooks are written here."""
    if not events:
        return []
    if len(events) == 1:
        events[0].save(force_insert=True)
    else:
        TimelineEvent.objects.bulk_create(events)
    deliveries_write(timeline_events=events)
    return events


def timeline_event(
    *,
    case: Case,
    kind: str,
    department: str,
    actor: User | None,
    summary: str | Sentence,
    label: str | None = None,
    customer_visible: bool = False,
    subject_key: str = "",
    data: dict[str, Any] | None = None,
    rejected_resolution: bool = False,
) -> TimelineEvent:
    """The event record_event writes, unsaved: for writers that insert many at once (watchers),
    which save them with record_events."""
    data = dict(data or {})
    if isinstance(summary, Sentence):
        data["sentence"] = summary.as_data()
        summary = summary.english()
    return TimelineEvent(
        case=case,
        kind=kind,
        department=department,
        actor=actor,
        actor_label=(label or actor_label(actor, case=case))[:250],
        summary=summary[:500],
        customer_visible=customer_visible,
        subject_key=subject_key,
        data=data,
        rejected_resolution=rejected_resolution,
    )
