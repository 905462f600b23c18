"""How a figure reads: the same text on the page, in its chart and in the CSV export."""

from datetime import timedelta
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

NO_GROUP_LABELS = {
    "owner": _("Nobody"),
    "department": _("No department"),
    "company": _("No contractor"),
    "service": _("No service"),
}
MISSING = "–"


def number(kind: str, value: Any) -> float:
    """The value a chart draws: hours for a duration, a percentage for a share."""
    if isinstance(value, timedelta):
        return value.total_seconds() / 3600
    return float(value or 0)


def text(kind: str, value: Any) -> str:
    if value is None:
        return MISSING
    if kind == "share":
        return gettext("%(percent)s %%") % {"percent": number_format(round(value))}
    if kind == "median":
        return gettext("%(hours)s h") % {"hours": number_format(number(kind, value), 1)}
    if kind == "mean":
        return number_format(value, 1)
    return number_format(value)
