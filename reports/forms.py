"""What a report is asked for: the period and the grouping, checked with plain-word errors."""

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from reports.period import MAX_DAYS, Period
from reports.selectors import GROUPINGS, NO_GROUP
from reports.tables import TABLES


class DayInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class ReportForm(forms.Form):
    by = forms.ChoiceField(label=_("Group by"), required=False, choices=list(GROUPINGS.items()))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        # The URL's own words, which Python cannot take as attribute names.
        dates = {
            "from": forms.DateField(label=_("From"), required=False, widget=DayInput),
            "to": forms.DateField(label=_("To"), required=False, widget=DayInput),
        }
        self.fields = {**dates, **self.fields}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        default = Period.last_days()
        start: date | None = cleaned.get("from")
        end: date | None = cleaned.get("to")
        if "from" in self.errors or "to" in self.errors:
            return cleaned
        start = start or (end - (default.end - default.start) if end else default.start)
        end = end or default.end
        if end < start:
            self.add_error("to", gettext("The end date must be on or after the start date."))
        elif (end - start).days + 1 > MAX_DAYS:
            self.add_error(
                "to", gettext("A report covers at most %(days)s days: choose a shorter period.") % {"days": MAX_DAYS}
            )
        cleaned["period"] = Period(start=start, end=end)
        cleaned["by"] = cleaned.get("by") or "owner"
        return cleaned


class DrillForm(ReportForm):
    """One figure's cases: the report's period and grouping, plus which figure of which row."""

    table = forms.ChoiceField(label=_("Report"), choices=[(key, key) for key in TABLES])
    metric = forms.CharField(label=_("Figure"))
    group = forms.CharField(label=_("Group"))
    kind = forms.CharField(label=_("Kind"), required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        table = TABLES.get(cleaned.get("table", ""))
        if table is None:
            return cleaned
        if cleaned.get("metric") not in table.drillable:
            self.add_error("metric", gettext("This report has no such figure."))
        group = cleaned.get("group", "")
        if group and group != NO_GROUP and not group.isdigit():
            self.add_error("group", gettext("This report has no such group."))
        cleaned["dims"] = {dim: cleaned.get(dim) or "" for dim in table.dims}
        cleaned["table_def"] = table
        return cleaned
