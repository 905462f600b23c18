"""The staff timeline's events as the page writes them: each value worked out once, in Python.

Rendering a hundred events cost the case page more than its queries did (issue 14): two date
formats, two choice labels and some twenty variable lookups per event. A row holds the
finished values, in the reader's language and time zone, so `staff/_timeline_items.html`
only places them.
"""

from typing import TypedDict

from django.utils import timezone
from django.utils.translation import get_language

from cases.models import Case, Message, TimelineEvent
from correspondence.models import CustomerNotice
from portal.dates import moment_format
from portal.templatetags.steward_labels import labels_of

WHEN = "D j M Y, H:i"


class TimelineRow(TypedDict):
    """A dictionary, not an object: the template engine reads `row.when` as `row["when"]` first."""

    # "event-<pk>": the page links to each event by it.
    anchor: str
    customer_visible: bool
    iso: str
    when: str
    department: str
    department_label: str
    actor: str
    kind_label: str
    # The reference of the duplicate merged into this case that the event was written on.
    merged_from: str | None
    message: Message | None
    # The event's sentence, for an event that is not a message.
    text: str
    notice: CustomerNotice | None


def timeline_rows(events: list[TimelineEvent], case: Case) -> list[TimelineRow]:
    """The events of `cases.selectors.timeline_page` on `case`'s page, in the active language
    and time zone."""
    # Read once for the page, not twice per event.
    zone, language = timezone.get_current_timezone(), get_language()
    departments, kinds = labels_of(TimelineEvent, "department"), labels_of(TimelineEvent, "kind")
    rows: list[TimelineRow] = []
    for event in events:
        message = getattr(event, "message", None)
        moment = event.created_at.astimezone(zone)
        rows.append(
            {
                "anchor": f"event-{event.pk}",
                "customer_visible": event.customer_visible,
                "iso": moment.isoformat(),
                "when": moment_format(moment, WHEN, language),
                "department": event.department,
                "department_label": departments.get(event.department, event.department),
                "actor": event.actor_label,
                "kind_label": kinds.get(event.kind, event.kind),
                "merged_from": getattr(event, "case_reference", "") if event.case_id != case.pk else None,
                "message": message,
                "text": "" if message else event.text,
                "notice": getattr(event, "notice", None),
            }
        )
    return rows
