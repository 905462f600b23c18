"""The case page's folded action forms (issue 14): the page carries only their summaries and a
link; each form is rendered when opened (htmx: only the form) or on a page of its own without
JavaScript, and a refused POST still shows it open, with its errors, on the case page."""

import re

import pytest

from cases.models import Case
from contractors.models import IncidentReport
from staff.views.case_forms import FOLDED
from tests.conftest import Cast
from tests.staff_ui.conftest import signed_in
from tests.staff_ui.pages import assert_field_error, case_url, folded_form, html, text
from tests.staff_ui.story import FibreStory

# What each folded form posts to, and a field only that form has.
POSTS_TO = {
    "note": ("staff:case_note", "note-body"),
    "call": ("staff:case_call", "call-summary"),
    "promise": ("staff:promise_make", "promise-due_at"),
    "resolve": ("staff:case_resolve", "resolve-summary"),
    "alert": ("staff:case_link_alert", "alert-alert"),
    "claim": ("staff:claim_file", "claim-insurer"),
    "job": ("staff:job_request", "job-title"),
    "edit": ("staff:case_edit", "edit-subject"),
    "customer": ("staff:customer_edit", "customer-full_name"),
    "specialist": ("staff:specialist_add", "specialist-user"),
    "sale": ("staff:sale_record", "sale-product"),
}


def test_every_folded_form_is_tested() -> None:
    assert set(POSTS_TO) == set(FOLDED)


def test_the_case_page_carries_no_folded_form_only_a_way_to_open_each(owner_client, case: Case) -> None:
    page = html(owner_client.get(case_url(case)))
    for name, (action, field) in POSTS_TO.items():
        if name == "alert":
            continue  # offered only while an alert could be linked
        assert f'name="{field}"' not in page, name
        assert f'action="{case_url(case, action)}"' not in page, name
        assert f'href="{case_url(case, "staff:case_form", name)}"' in page, name
        assert f'hx-get="{case_url(case, "staff:case_form", name)}"' in page, name
    # The reply box and the status stay open on the page.
    assert 'name="reply-body"' in page and 'name="status-status"' in page


@pytest.mark.parametrize("name", sorted(POSTS_TO))
def test_with_htmx_the_form_alone_comes_back(owner_client, case: Case, name: str) -> None:
    response = folded_form(owner_client, case, name)
    assert response.status_code == 200
    page = html(response)
    action, field = POSTS_TO[name]
    assert page.startswith('<div class="folded-form" data-folded-loaded>')
    assert f'action="{case_url(case, action)}"' in page
    assert f'name="{field}"' in page
    assert "<html" not in page and 'name="csrfmiddlewaretoken"' in page


@pytest.mark.parametrize("name", ["promise", "resolve"])
def test_without_htmx_the_form_has_a_page_of_its_own_with_a_way_back(owner_client, case: Case, name: str) -> None:
    response = owner_client.get(case_url(case, "staff:case_form", name))
    assert response.status_code == 200
    page = html(response)
    assert page.startswith("<!doctype html>")
    assert f'<h1 id="form-heading">{FOLDED[name].title}</h1>' in page
    assert f'action="{case_url(case, POSTS_TO[name][0])}"' in page
    assert f'href="{case_url(case)}"' in page and f"Back to case {case.reference}" in text(response)


def test_an_unknown_form_is_not_found(owner_client, case: Case) -> None:
    assert owner_client.get(case_url(case, "staff:case_form", "nothing")).status_code == 404


def test_a_read_only_colleague_may_open_the_note_but_not_a_change(cast: Cast) -> None:
    client = signed_in(cast.other_agent)
    assert folded_form(client, cast.case, "note").status_code == 200
    assert folded_form(client, cast.case, "call").status_code == 200
    for name in ("promise", "edit", "sale"):
        assert folded_form(client, cast.case, name).status_code == 403, name


def test_a_refused_post_shows_its_form_open_with_errors_and_the_others_still_folded(owner_client, case: Case) -> None:
    response = owner_client.post(case_url(case, "staff:promise_make"), {"promise-kind": "callback"})
    assert response.status_code == 400
    page = html(response)
    assert re.search(r'<details id="promise-form" open>', page)
    assert_field_error(response, "id_promise-due_at", "This field is required.")
    assert 'name="note-body"' not in page and 'name="sale-product"' not in page
    assert re.search(r'<details id="note-form">', page)


def test_a_form_opened_on_its_own_page_posts_as_on_the_case_page(owner_client, case: Case) -> None:
    page = html(owner_client.get(case_url(case, "staff:case_form", "call")))
    assert f'action="{case_url(case, "staff:case_call")}"' in page
    response = owner_client.post(
        case_url(case, "staff:case_call"), {"call-inbound": "false", "call-summary": "Told her about Monday."}
    )
    assert response.status_code == 302
    assert "Told her about Monday." in text(owner_client.get(case_url(case)))


def _record_forms(fibre: FibreStory) -> dict[str, tuple[str, str]]:
    """A record's folded form by name ("<kind>-<id>", its prefix): what it posts to."""
    case, job = fibre.case, fibre.job
    incident = IncidentReport.objects.filter(job=job).first()
    sale = case.sales.first()
    return {
        f"settle-{fibre.back_monday.pk}": case_url(case, "staff:promise_settle", fibre.back_monday.pk),
        f"claim-{fibre.home_claim.pk}": case_url(case, "staff:claim_update", fibre.home_claim.pk),
        f"sale-{sale.pk}": case_url(case, "staff:sale_update", sale.pk),
        f"cancel-{job.pk}": case_url(case, "staff:job_cancel", job.pk),
        f"repair-{incident.pk}": case_url(case, "staff:incident_repair", incident.pk),
    }


def test_each_records_forms_are_folded_and_open_alone(owner_client, fibre: FibreStory) -> None:
    page = html(owner_client.get(case_url(fibre.case)))
    for name, action in _record_forms(fibre).items():
        assert f'action="{action}"' not in page, name
        assert f'name="{name}-' not in page, name
        if not name.startswith("cancel-"):  # offered only while the visit can still be cancelled
            assert f'hx-get="{case_url(fibre.case, "staff:case_form", name)}"' in page, name
        fragment = html(folded_form(owner_client, fibre.case, name))
        assert f'action="{action}"' in fragment and f'name="{name}-' in fragment, name


def test_a_records_form_on_a_page_of_its_own_is_titled_after_the_record(owner_client, fibre: FibreStory) -> None:
    name = f"claim-{fibre.home_claim.pk}"
    response = owner_client.get(case_url(fibre.case, "staff:case_form", name))
    assert f"Update the {fibre.home_claim.insurer} claim" in text(response)
    assert 'id="form-heading"' in html(response)


def test_a_record_of_another_case_or_kind_is_not_found(owner_client, fibre: FibreStory, cast: Cast) -> None:
    other = cast.other_case
    for name in (f"settle-{fibre.back_monday.pk}", f"claim-{fibre.home_claim.pk}", f"cancel-{fibre.job.pk}"):
        assert folded_form(owner_client, other, name).status_code in (403, 404), name
    assert folded_form(owner_client, fibre.case, "nothing-1").status_code == 404
    assert folded_form(owner_client, fibre.case, "settle-x").status_code == 404


def test_a_refused_records_form_shows_open_with_its_errors(owner_client, fibre: FibreStory) -> None:
    incident = IncidentReport.objects.filter(job=fibre.job).first()
    response = owner_client.post(
        case_url(fibre.case, "staff:incident_repair", incident.pk), {f"repair-{incident.pk}-plan": " "}
    )
    assert response.status_code == 400
    assert_field_error(response, f"id_repair-{incident.pk}-plan", "Write how the damage will be repaired.")
    assert f'name="settle-{fibre.back_monday.pk}-' not in html(response)
