"""Markup every staff page owes its readers: a label for every field, headings in order
(one h1, no level skipped), and forms that work without JavaScript (plain POST/GET)."""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from cases.services import case_handoff
from tests.conftest import Cast
from tests.staff_ui.conftest import signed_in
from tests.staff_ui.pages import case_url, html
from tests.staff_ui.story import FibreStory


class Outline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.fields: list[str] = []
        self.labelled: set[str] = set()
        self.forms: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        elif tag in ("input", "select", "textarea") and found.get("type") not in ("hidden", "submit"):
            self.fields.append(found.get("id") or f"<{tag} name={found.get('name')} without id>")
        elif tag == "label" and found.get("for"):
            self.labelled.add(found["for"])
        elif tag == "form":
            self.forms.append({key: value or "" for key, value in found.items()})


def outline(page: str) -> Outline:
    parsed = Outline()
    parsed.feed(page)
    return parsed


def check(page: str) -> None:
    parsed = outline(page)
    unlabelled = [field for field in parsed.fields if field not in parsed.labelled]
    assert not unlabelled, f"fields without a label: {unlabelled}"
    assert parsed.headings.count(1) == 1, parsed.headings
    assert parsed.headings[0] == 1, f"the first heading is h{parsed.headings[0]}"
    for before, after in zip(parsed.headings, parsed.headings[1:], strict=False):
        assert after <= before + 1, f"heading level jumps from h{before} to h{after}: {parsed.headings}"
    for form in parsed.forms:
        assert form.get("method", "get").lower() in ("get", "post")
        assert form.get("action", "") == "" or form["action"].startswith("/"), form


@pytest.fixture
def pages(fibre: FibreStory, cast: Cast) -> list[str]:
    return [
        reverse("staff:worklist"),
        reverse("staff:flags"),
        reverse("staff:search") + "?q=martin",
        reverse("staff:alerts"),
        reverse("staff:alert_edit", args=[fibre.alert.pk]),
        case_url(fibre.case),
        case_url(fibre.case, "staff:case_handoff"),
    ]


def test_owner_pages_label_every_field_and_keep_headings_in_order(owner_client, pages: list[str]) -> None:
    for url in pages:
        response = owner_client.get(url)
        assert response.status_code == 200, url
        check(html(response))


def test_manager_team_page_and_receivers_case_page(cast: Cast, fibre: FibreStory) -> None:
    check(html(signed_in(cast.manager).get(reverse("staff:team"))))
    case_handoff(actor=cast.owner, case=fibre.case, to_user=cast.other_agent, reason="Leave", summary="Read me")
    check(html(signed_in(cast.other_agent).get(case_url(fibre.case))))


def test_page_with_errors_keeps_its_outline(owner_client, fibre: FibreStory) -> None:
    response = owner_client.post(case_url(fibre.case, "staff:promise_make"), {"promise-text": "Soon"})
    assert response.status_code == 400
    check(html(response))
    summary = re.search(r'<div class="error-summary" role="alert".*?</div>', html(response), re.S).group(0)
    assert 'href="#id_promise-due_at"' in summary
