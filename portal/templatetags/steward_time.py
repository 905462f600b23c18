"""How times and amounts read for the person looking at the page: `with_zone`, `when` and `money`.

Django already shows datetimes in the active time zone (each person's own, see
portal.middleware); `with_zone` also names that zone where a reader must not guess it, such as
a promise's due time or a visit window. `money` writes an amount in euros the way the active
language does: "€1,049.90" in English, "1 049,90 €" in French.
"""

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from portal.dates import moment_format

register = template.Library()


def zone_abbreviation(moment: datetime) -> str:
    """The zone's short name at that moment ("CET", "CEST", "GMT"); the offset from UTC
    ("UTC+04") for the zones whose only short name is a number."""
    name = moment.tzname() or ""
    if not name or name[0] in "+-":
        offset = moment.utcoffset()
        if offset is None:
            return name
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        hours, rest = divmod(abs(minutes), 60)
        return f"UTC{sign}{hours:02d}" + (f":{rest:02d}" if rest else "")
    return name


@register.filter(expects_localtime=False)
def with_zone(value: datetime | None, format_string: str = "G:i") -> str:
    """The moment in the reader's time zone, formatted as the `date` filter does, then the zone:
    {{ promise.due_at|with_zone:"l j F, G:i" }} → "Monday 3 March, 15:00 CET"."""
    if not isinstance(value, datetime):
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    shown = date_filter(local, format_string)
    if not timezone.is_aware(local):
        return shown
    return f"{shown} {zone_abbreviation(local)}"


@register.filter(is_safe=False)
def money(value: Decimal | float | int | str | None) -> str:
    """An amount in euros with two decimals, in the active language's way of writing numbers."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    number = number_format(abs(amount), decimal_pos=2, use_l10n=True, force_grouping=True)
    # Translators: an amount in euros; %(amount)s is the number, already written the local way ("49.90" or
    # "49,90"). In French the symbol goes after the number: "%(amount)s €".
    shown = _("€%(amount)s") % {"amount": number}
    return f"-{shown}" if amount < 0 else shown


@register.filter(expects_localtime=True, is_safe=False)
def when(value: datetime | None, format_string: str) -> str:
    """The `date` filter's very text, cheaper for a page that writes many dates (portal.dates):
    {{ event.created_at|when:"D j M Y, H:i" }}. Like `date`, it writes the moment the template
    engine hands it, already in the active time zone."""
    if value is None or value == "":
        return ""
    try:
        if isinstance(value, datetime):
            return moment_format(value, format_string, get_language())
        return date_filter(value, format_string)
    except AttributeError:
        return ""
