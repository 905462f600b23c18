"""The worklist's rows as the page writes them: each value worked out once, in Python.

Fifty cases cost the worklist some 25 ms of rendering against 3 ms of SQL (issue 14): a
`{% blocktranslate %}` for every open flag of every row ("Flag level N") and for each customer
waiting ("since <date>"), some 2,900 translation lookups, a `|label` and a `{% url %}` per row,
and a Flag object built for each open flag only to read its level and kind. A row holds the
finished values, in the reader's language and time zone; the sentences keep the msgids of the
template they replace and are translated once per page, as are the words every row repeats
(`worklist_row_words`), so `staff/worklist.html` only places them. The cards above the table
(handed to you, colleagues asking for your help) are written the same way.
"""

from typing import TypedDict, cast

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext, pgettext

from cases.models import Case, Flag, Handoff
from portal.dates import moment_format
from portal.templatetags.steward_labels import labels_of
from staff.views.row_text import filled, name_of

WHEN = "D j M, H:i"
LAST_ACTIVITY = "D j M Y, H:i"


class WorklistRowWords(TypedDict):
    """What every row says alike, translated once per page."""

    col_case: str
    col_customer: str
    col_needs: str
    col_status: str
    col_priority: str
    col_activity: str
    vulnerable: str
    promise_overdue: str
    customer_waiting: str
    nothing_urgent: str


class NeedFlag(TypedDict):
    """One open flag of a case: the same dictionary for every flag of that level and kind on a page."""

    danger: bool
    level: str
    kind_label: str


class WorklistRow(TypedDict):
    """A dictionary, not an object: the template engine reads `row.reference` as `row["reference"]` first."""

    reference: str
    url: str
    subject: str
    human_impact: str
    customer: str
    vulnerable: bool
    # The case's open flags that ask something of its owner, highest level first.
    flags: list[NeedFlag]
    promise_overdue: bool
    # "since <date>" when the customer waits for an answer, else "".
    waiting_since: str
    nothing_urgent: bool
    status_label: str
    # The value, for the CSS class (priority--high), and its label.
    priority: str
    priority_label: str
    last_activity: str


class HandoffRow(TypedDict):
    url: str
    reference: str
    subject: str
    # "from <name>, <date>: <reason>"
    line: str


class HelpRequestRow(TypedDict):
    url: str
    reference: str
    subject: str
    text: str
    # "<customer> · owner <name> · asked <time …>date</time>"
    line: str


def worklist_row_words() -> WorklistRowWords:
    """As `{% translate %}` writes them: a translation of the template's own text is not escaped
    (French "Rien d'urgent" keeps its apostrophe)."""
    words = {
        "col_case": gettext("Case"),
        "col_customer": gettext("Customer"),
        "col_needs": pgettext("column: what the case needs from its owner", "Needs"),
        "col_status": gettext("Status"),
        "col_priority": gettext("Priority"),
        "col_activity": gettext("Last activity"),
        "vulnerable": gettext("Vulnerable"),
        "promise_overdue": gettext("Promise overdue"),
        "customer_waiting": gettext("Customer waiting"),
        "nothing_urgent": gettext("Nothing urgent"),
    }
    return cast(WorklistRowWords, {name: mark_safe(word) for name, word in words.items()})  # noqa: S308


def worklist_rows(cases: list[Case], open_flags: dict[int, list[tuple[int, str]]]) -> list[WorklistRow]:
    """The rows of `cases` (from cases.selectors.worklist_for, with the `has_overdue_promise`
    annotation) and their open flags (cases.selectors.open_flags_of), in the active language and
    time zone."""
    zone, language = timezone.get_current_timezone(), get_language()
    statuses, priorities, kinds = labels_of(Case, "status"), labels_of(Case, "priority"), labels_of(Flag, "kind")
    # The sentences of {% blocktranslate %}, with the same msgids, translated once.
    level_of, since = gettext("Flag level %(level)s"), gettext("since %(date)s")
    needs: dict[tuple[int, str], NeedFlag] = {}
    rows: list[WorklistRow] = []
    for case in cases:
        flags = []
        for level, kind in open_flags.get(case.pk, ()):
            need = needs.get((level, kind))
            if need is None:
                need = needs[level, kind] = {
                    "danger": level >= 2,
                    "level": filled(level_of, level=str(level)),
                    "kind_label": kinds.get(kind, kind),
                }
            flags.append(need)
        overdue = bool(case.has_overdue_promise)  # type: ignore[attr-defined]
        waiting = case.awaiting_reply_since
        customer = case.customer
        rows.append(
            {
                "reference": case.reference,
                "url": reverse("staff:case", args=[case.reference]),
                "subject": case.subject,
                "human_impact": case.human_impact,
                "customer": customer.full_name,
                "vulnerable": customer.is_vulnerable,
                "flags": flags,
                "promise_overdue": overdue,
                "waiting_since": (
                    filled(since, date=moment_format(waiting.astimezone(zone), WHEN, language)) if waiting else ""
                ),
                "nothing_urgent": not flags and not overdue and not waiting,
                "status_label": statuses.get(case.status, case.status),
                "priority": case.priority,
                "priority_label": priorities.get(case.priority, case.priority),
                "last_activity": moment_format(case.last_activity_at.astimezone(zone), LAST_ACTIVITY, language),
            }
        )
    return rows


def handoff_rows(handoffs: list[Handoff]) -> list[HandoffRow]:
    """The cases handed to the reader (cases.selectors.handoffs_waiting_for)."""
    zone, language = timezone.get_current_timezone(), get_language()
    sentence = gettext("from %(name)s, %(date)s: %(reason)s")
    return [
        {
            "url": reverse("staff:case", args=[handoff.case.reference]) + "#handoff",
            "reference": handoff.case.reference,
            "subject": handoff.case.subject,
            "line": filled(
                sentence,
                name=name_of(handoff.from_user),
                date=moment_format(handoff.created_at.astimezone(zone), WHEN, language),
                reason=handoff.reason,
            ),
        }
        for handoff in handoffs
    ]


def help_request_rows(flags: list[Flag]) -> list[HelpRequestRow]:
    """The cases colleagues asked the reader's help on (cases.selectors.help_requests_for)."""
    zone, language = timezone.get_current_timezone(), get_language()
    sentence = gettext('%(customer)s · owner %(owner)s · asked <time datetime="%(iso)s">%(date)s</time>')
    rows: list[HelpRequestRow] = []
    for flag in flags:
        case = flag.case
        if case is None:  # help_requests_for reads only flags on a case
            continue
        raised = flag.raised_at.astimezone(zone)
        rows.append(
            {
                "url": reverse("staff:case", args=[case.reference]) + "#help",
                "reference": case.reference,
                "subject": case.subject,
                "text": flag.text,
                "line": filled(
                    sentence,
                    customer=case.customer.full_name,
                    owner=name_of(case.owner),
                    iso=moment_format(raised, "c", language),
                    date=moment_format(raised, WHEN, language),
                ),
            }
        )
    return rows
