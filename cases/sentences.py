"""What timeline events and flags say, rendered in the reader's language.

A service records a sentence as its English source text (the msgid, marked with gettext_noop)
and named parameters, in the row's `data["sentence"]`; the English rendering goes to the
`summary` column for the admin, search and exports. The sentence is translated when it is
read, so one event reads in French to one person and in English to the next.

A parameter is plain data shown as written (a name, a reference, the customer's own words),
or one of these, rendered in the active language:

    {"choice": "app_label.Model.field", "value": "resolved"}   that field's choice label
                                         ("lower": true for a label used inside a sentence)
    {"text": "msgid", "params": {...}}                         a nested sentence
    {"datetime": "2026-03-02T14:00:00+01:00", "format": "D d M Y, H:i"}
                                         a moment in the active time zone; the format is a
                                         msgid too, in Django's date syntax
    {"date": "2026-03-02", "format": "d M Y"}                  a calendar day
    {"list": [param, ...], "separator": ", "}                  parameters one after the other
"""

import logging
from datetime import date, datetime
from typing import Any

from django.apps import apps
from django.utils import dateformat, timezone
from django.utils.translation import get_language, gettext

from portal.dates import moment_format
from portal.templatetags.steward_labels import labels_of

logger = logging.getLogger(__name__)


def render_sentence(record: dict[str, Any]) -> str:
    """The sentence in the active language; raises when a parameter is missing or malformed."""
    params = {name: _render_param(value) for name, value in (record.get("params") or {}).items()}
    return gettext(record["text"]) % params


def _render_param(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if "choice" in value:
        return _choice_label(value["choice"], value["value"], lower=bool(value.get("lower")))
    if "text" in value:
        return render_sentence(value)
    if "datetime" in value:
        # portal.dates writes what dateformat.format would, without parsing the format each time.
        moment = timezone.localtime(datetime.fromisoformat(value["datetime"]))
        return moment_format(moment, gettext(value["format"]), get_language())
    if "date" in value:
        return dateformat.format(date.fromisoformat(value["date"]), gettext(value["format"]))
    if "list" in value:
        return value.get("separator", ", ").join(str(_render_param(item)) for item in value["list"])
    raise ValueError(f"Unknown sentence parameter {value!r}")


def _choice_label(path: str, value: str, *, lower: bool = False) -> str:
    app_label, model_name, field_name = path.split(".")
    # The labels of the field read once per language (a KeyError for a choice since removed).
    label = labels_of(apps.get_model(app_label, model_name), field_name)[value]
    return label.lower() if lower else label


def text_of(data: dict[str, Any] | None, summary: str) -> str:
    """A row's sentence in the reader's language; its English summary for rows written before
    sentences were kept, or when the sentence cannot be rendered."""
    record = data.get("sentence") if isinstance(data, dict) else None
    if not record or not isinstance(record, dict):
        return summary
    try:
        return render_sentence(record)
    except Exception:
        # A page must show something: a catalogue entry with a mistyped placeholder or a
        # choice since removed from the model leaves the English summary, never an error.
        logger.warning(
            "Could not render the sentence %r; showing the English summary.", record.get("text"), exc_info=True
        )
        return summary


def event_text(event: Any) -> str:
    return text_of(event.data, event.summary)


def flag_text(flag: Any) -> str:
    return text_of(flag.data, flag.summary)
