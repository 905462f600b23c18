"""The resolve form asks the right questions: what is still open on the case is listed above it,
and resolving over it needs an "I resolve it anyway because…" reason."""

import re

from cases.models import Case, TimelineEvent
from tests.cases.dbstate import nothing_written
from tests.staff_ui.pages import assert_field_error, case_url, folded_form, html, text
from tests.staff_ui.story import FibreStory

REASON = "The customer has fibre and heating again; the insurers take weeks."


def _loose_ends_box(response) -> str:
    found = re.search(r'<div class="blocked" id="loose-ends".*?</div>', html(response), re.DOTALL)
    assert found, "no list of loose ends"
    return found.group(0)


def test_the_form_lists_what_is_still_open_before_the_resolve_fields(owner_client, fibre: FibreStory) -> None:
    response = folded_form(owner_client, fibre.case, "resolve")
    box = _loose_ends_box(response)
    assert "things are still open" in box
    # The fibre story leaves everything open: the message, the promise, the damage, the job, two claims.
    assert "A message from the customer has waited for an answer since" in box
    assert "Open promise to the customer, due" in box and fibre.back_monday.text in box
    assert "has no repair plan: “Drilled into a heating pipe behind the socket”." in box
    assert f"Contractor job {fibre.job.reference} with FibreCo Installations is not finished" in box
    assert box.count("Insurance claim with") == 2
    for anchor in ("#reply-form", "#promises", "#jobs", "#claims"):
        assert f'href="{anchor}"' in box
    page = html(response)
    assert page.index('id="loose-ends"') < page.index('id="id_resolve-summary"')
    assert 'id="id_resolve-override_reason"' in page
    assert "I resolve it anyway because…" in text(response)


def test_a_case_with_nothing_open_has_no_list_and_no_reason_to_give(owner_client, case: Case) -> None:
    page = html(folded_form(owner_client, case, "resolve"))
    assert 'id="loose-ends"' not in page
    assert 'id="id_resolve-summary"' in page
    assert "id_resolve-override_reason" not in page


def test_resolving_over_loose_ends_without_a_reason_is_refused(owner_client, fibre: FibreStory) -> None:
    with nothing_written():
        response = owner_client.post(
            case_url(fibre.case, "staff:case_resolve"),
            {"resolve-summary": "Fibre works.", "resolve-override_reason": ""},
        )
    assert response.status_code == 400
    assert "Nothing was saved" in text(response)
    assert_field_error(response, "id_resolve-override_reason", "things are still open on this case:")
    assert "Say why you resolve it anyway." in text(response)
    assert re.search(r'<details id="resolve-form" open>', html(response))
    assert "Fibre works." in html(response)  # what was typed stays
    assert Case.objects.get(pk=fibre.case.pk).status != Case.Status.RESOLVED


def test_with_a_reason_it_resolves_and_staff_read_why(owner_client, fibre: FibreStory) -> None:
    response = owner_client.post(
        case_url(fibre.case, "staff:case_resolve"),
        {"resolve-summary": "Fibre works.", "resolve-override_reason": REASON},
    )
    assert response.status_code == 302
    case = Case.objects.get(pk=fibre.case.pk)
    assert case.status == Case.Status.RESOLVED
    event = TimelineEvent.objects.get(case=case, kind=TimelineEvent.Kind.RESOLVED, customer_visible=False)
    assert event.data["override_reason"] == REASON
    page = text(owner_client.get(case_url(case)))
    assert "Resolved although things were still open (unanswered customer message: 1, open promises: 1" in page
    assert f"Why: {REASON}" in page
    assert "things are still open" not in page  # a resolved case shows no resolve form


def test_a_colleague_who_only_reads_sees_no_list(fibre: FibreStory, other_agent) -> None:
    from tests.staff_ui.conftest import signed_in

    page = html(signed_in(other_agent).get(case_url(fibre.case)))
    assert 'id="loose-ends"' not in page
