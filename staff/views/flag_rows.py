"""The flags queue's rows as the page writes them: each value worked out once, in Python.

Fifty flags cost the flags page some 60 ms of rendering against 1 ms of SQL (issue 14): the
six column names translated again in every row (`data-label`), each flag's text rendered two or
three times, two `|date`, a `get_kind_display`, three `{% url %}` and a `{% csrf_token %}` per
row. A row holds the finished values, in the reader's language and time zone, and the words
every row repeats are translated once per page (`flag_row_words`), so `staff/_flag_rows.html`
only places them. The full page and the single row answered to htmx render the same template
from the same functions.
"""

from datetime import tzinfo
from typing import TypedDict

from django.http import HttpRequest
from django.template.backends.utils import csrf_input
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext, pgettext

from cases.models import Flag
from portal.dates import moment_format
from portal.templatetags.steward_labels import labels_of
from staff.views.row_text import filled, name_of

WHEN = "D j M, H:i"
# The kinds a reader may close with a note (staff.views.flags.flag_dismiss).
DISMISSABLE = frozenset({Flag.Kind.EMERGING_INCIDENT, Flag.Kind.LOW_SURVEY_SCORE})


class FlagRowWords(TypedDict):
    """What every row says alike, translated once per page."""

    col_level: str
    col_what: str
    col_case: str
    col_raised: str
    col_with: str
    col_acknowledged: str
    its_notifications: str
    no_single_case: str
    nobody: str
    acknowledge: str
    why_dismiss: str
    dismiss: str
    notifications_url: str
    # The page's own address, where each form comes back to ("next").
    next: str
    csrf_input: SafeString


class FlagRow(TypedDict):
    """A dictionary, not an object: the template engine reads `row.text` as `row["text"]` first."""

    # str(pk): the row's anchor ("flag-<id>") and the page's `focus`, which is a string.
    id: str
    waiting: bool
    danger: bool
    level: SafeString
    kind_label: str
    text: str
    notified: bool
    # None for a flag on no single case (an emerging incident).
    case_reference: str | None
    case_url: str
    customer: str
    owner: SafeString
    raised: str
    assignee: str | None
    acknowledged: bool
    # "by <name>, <date>", for an acknowledged flag.
    acknowledged_by: SafeString
    acknowledge_url: str
    # None when the flag's kind may not be dismissed.
    dismiss_url: str | None


def flag_row_words(request: HttpRequest, *, page: str | None = None) -> FlagRowWords:
    """`page`: the queue's address the rows stand on, when the request is not for it (a row
    answered to htmx after a POST, whose forms must not come back to the POST's address)."""
    return {
        "col_level": gettext("Level"),
        "col_what": pgettext("column: what the flag is about", "What"),
        "col_case": gettext("Case"),
        "col_raised": pgettext("column: when the flag was raised", "Raised"),
        "col_with": pgettext("column: who the flag is with now", "With"),
        "col_acknowledged": gettext("Acknowledged"),
        "its_notifications": gettext("Its notifications"),
        "no_single_case": gettext("No single case"),
        "nobody": gettext("Nobody"),
        "acknowledge": gettext("Acknowledge"),
        "why_dismiss": gettext("Why nothing more is needed"),
        "dismiss": gettext("Dismiss"),
        "notifications_url": reverse("staff:notifications"),
        "next": page or request.get_full_path(),
        "csrf_input": csrf_input(request),
    }


def flag_rows(flags: list[Flag]) -> list[FlagRow]:
    """The rows of `flags` (from cases.selectors.flags_queue_for or flag_for_user) in the active
    language and time zone."""
    zone, language = timezone.get_current_timezone(), get_language()
    kinds = labels_of(Flag, "kind")
    # The sentences of {% blocktranslate %}, with the same msgids, translated once.
    level_of, owner_of, acknowledged_by = (
        gettext("Level %(level)s"),
        gettext("Owner: %(name)s"),
        gettext("by %(name)s, %(date)s"),
    )
    rows: list[FlagRow] = []
    for flag in flags:
        case = flag.case
        pk = str(flag.pk)
        acknowledged_at = flag.acknowledged_at
        rows.append(
            {
                "id": pk,
                "waiting": not acknowledged_at,
                "danger": flag.level >= 2,
                "level": filled(level_of, level=str(flag.level)),
                "kind_label": kinds.get(flag.kind, flag.kind),
                "text": flag.text,
                "notified": bool(getattr(flag, "notified", False)),
                "case_reference": case.reference if case else None,
                "case_url": reverse("staff:case", args=[case.reference]) if case else "",
                "customer": case.customer.full_name if case else "",
                "owner": filled(owner_of, name=name_of(case.owner)) if case else mark_safe(""),
                "raised": moment_format(flag.raised_at.astimezone(zone), WHEN, language),
                "assignee": name_of(flag.assignee) if flag.assignee else None,
                "acknowledged": bool(acknowledged_at),
                "acknowledged_by": _acknowledgement(flag, acknowledged_by, zone, language),
                "acknowledge_url": reverse("staff:flag_acknowledge", args=[flag.pk]),
                "dismiss_url": reverse("staff:flag_dismiss", args=[flag.pk]) if flag.kind in DISMISSABLE else None,
            }
        )
    return rows


def _acknowledgement(flag: Flag, by_sentence: str, zone: tzinfo, language: str) -> SafeString:
    """ "by <name>, <date>"; the date alone when the person who acknowledged it was since deleted."""
    if flag.acknowledged_at is None:
        return mark_safe("")
    date = moment_format(flag.acknowledged_at.astimezone(zone), WHEN, language)
    if flag.acknowledged_by is None:
        return conditional_escape(date)
    return filled(by_sentence, name=name_of(flag.acknowledged_by), date=date)
