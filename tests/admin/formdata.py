"""Build the POST an administrator's browser would send for a change form, from its GET response."""

from typing import Any

from django.forms import BaseForm, MultiWidget
from django.http import HttpResponse
from django.test.client import Client


def _fields_of(form: BaseForm) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for bound in form:
        if bound.field.disabled:
            continue
        value = bound.field.prepare_value(bound.value())
        widget = bound.field.widget
        if isinstance(widget, MultiWidget):
            for index, part in enumerate(widget.decompress(value)):
                data[f"{bound.html_name}_{index}"] = "" if part is None else str(part)
        elif isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(item) for item in value]
        elif value is not None:
            data[bound.html_name] = str(value)
    return data


def change_form_data(response: HttpResponse) -> dict[str, Any]:
    """The main form's current values and every inline's management form and rows, unchanged."""
    data = _fields_of(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data.update(_fields_of(formset.management_form))
        for form in formset.forms:
            data.update(_fields_of(form))
    return data


def post_change(client: Client, url: str, **changes: Any) -> HttpResponse:
    data = change_form_data(client.get(url))
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)  # an unticked box is simply not sent
        else:
            data[name] = value
    return client.post(url, data)
