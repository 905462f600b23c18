"""Reading the customer pages in tests: URLs, visible text and form state."""

import re

from django.http import HttpResponse
from django.urls import reverse

from cases.models import Case


def my_url(case: Case, name: str = "my:case", *more: object) -> str:
    return reverse(name, args=[case.reference, *more])


def html(response: HttpResponse) -> str:
    return response.content.decode()


INLINE = re.compile(r"</?(?:a|strong|em|span|time|abbr|b|i)\b[^>]*>")


def text(response: HttpResponse) -> str:
    """The page's words as read: inline tags vanish, block tags separate words; spaces collapsed."""
    without_tags = re.sub(r"<[^>]+>", " ", INLINE.sub("", html(response)))
    words = without_tags.replace("&#x27;", "'").replace("&quot;", '"').replace("&amp;", "&").replace("&rsquo;", "’")
    return " ".join(words.split())


def assert_field_error(response: HttpResponse, field_id: str, message: str) -> None:
    """The field is marked invalid, its error is shown and tied to it by aria-describedby."""
    page = html(response)
    assert message in text(response), f"{message!r} not shown"
    assert f'id="{field_id}_error"' in page, f"no error list for {field_id}"
    tag = re.search(rf'<(?:input|textarea|select)[^>]*id="{field_id}"[^>]*>', page)
    assert tag, f"no field {field_id}"
    assert 'aria-invalid="true"' in tag.group(0)
    assert f"{field_id}_error" in re.search(r'aria-describedby="([^"]*)"', tag.group(0)).group(1)
