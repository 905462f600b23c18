"""Reading the staff pages in tests: URLs, visible text and form state."""

import re

from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from cases.models import Case


def case_url(case: Case, name: str = "staff:case", *more: object) -> str:
    return reverse(name, args=[case.reference, *more])


def folded_form(client: Client, case: Case, name: str) -> HttpResponse:
    """One of the case page's folded forms, as htmx loads it when its details open."""
    return client.get(case_url(case, "staff:case_form", name), headers={"HX-Request": "true"})


def html(response: HttpResponse) -> str:
    return response.content.decode()


def text(response: HttpResponse) -> str:
    """The page's words without markup, spaces collapsed."""
    without_tags = re.sub(r"<[^>]+>", " ", html(response))
    return " ".join(without_tags.replace("&#x27;", "'").replace("&quot;", '"').replace("&amp;", "&").split())


def assert_field_error(response: HttpResponse, field_id: str, message: str) -> None:
    """The field is marked invalid and its error is linked to it by aria-describedby."""
    page = html(response)
    assert message in page, f"{message!r} not shown"
    assert f'id="{field_id}_error"' in page, f"no error list for {field_id}"
    tag = re.search(rf'<(?:input|textarea|select)[^>]*id="{field_id}"[^>]*>', page)
    assert tag, f"no field {field_id}"
    assert 'aria-invalid="true"' in tag.group(0)
    assert f"{field_id}_error" in re.search(r'aria-describedby="([^"]*)"', tag.group(0)).group(1)
