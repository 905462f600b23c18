"""Warm handoff: the owner writes the summary; the receiver reads it first and acknowledges."""

from django.contrib.auth.models import User

from cases.models import Case, Handoff
from cases.services import case_handoff
from tests.cases.dbstate import nothing_written
from tests.conftest import Cast
from tests.staff_ui.conftest import signed_in
from tests.staff_ui.pages import assert_field_error, case_url, html, text

SUMMARY = "Mrs Martin is 89: call, never e-mail. Operator must connect the street cabinet first."


def hand_off(client, case: Case, to: User, **fields: str):
    data = {
        "handoff-to_user": str(to.pk),
        "handoff-reason": "Field visit needed",
        "handoff-summary": SUMMARY,
        "handoff-expected_owner": str(case.owner_id),
    }
    data.update({f"handoff-{key}": value for key, value in fields.items()})
    return client.post(case_url(case, "staff:case_handoff"), data)


def test_handoff_page_offers_colleagues_but_not_the_owner(owner_client, cast: Cast) -> None:
    page = html(owner_client.get(case_url(cast.case, "staff:case_handoff")))
    assert "Adam Agent — Customer relations" in page
    assert "Olivia Owner — " not in page


def test_handoff_changes_the_owner_and_tells_the_giver(owner_client, cast: Cast) -> None:
    response = hand_off(owner_client, cast.case, cast.other_agent)
    assert response.status_code == 302
    assert Case.objects.get(pk=cast.case.pk).owner == cast.other_agent
    followed = text(owner_client.get(response.url))
    assert "is now with Adam Agent" in followed
    assert "Owner: Adam Agent , Customer relations" in followed


def test_receiver_reads_the_summary_first_and_acknowledges(owner_client, cast: Cast) -> None:
    hand_off(owner_client, cast.case, cast.other_agent)
    receiver = signed_in(cast.other_agent)
    page = text(receiver.get(case_url(cast.case)))
    assert page.index("Read this first: Olivia Owner handed this case to you") < page.index("Customer: Jeanne Martin")
    assert SUMMARY in page
    handoff = Handoff.objects.get(case=cast.case)
    response = receiver.post(case_url(cast.case, "staff:handoff_acknowledge", handoff.pk))
    assert response.status_code == 302
    assert Handoff.objects.get(pk=handoff.pk).acknowledged_at is not None
    after = text(receiver.get(case_url(cast.case)))
    assert "Read this first" not in after
    assert "You have taken" in after
    assert "Last handoff: Olivia Owner → Adam Agent" in after


def test_the_giver_sees_the_handoff_waiting_but_cannot_acknowledge_it(owner_client, cast: Cast) -> None:
    hand_off(owner_client, cast.case, cast.other_agent)
    handoff = Handoff.objects.get(case=cast.case)
    assert "not yet acknowledged" in text(owner_client.get(case_url(cast.case)))
    assert owner_client.post(case_url(cast.case, "staff:handoff_acknowledge", handoff.pk)).status_code == 403
    assert Handoff.objects.get(pk=handoff.pk).acknowledged_at is None


def test_handoff_without_a_summary_is_refused_and_keeps_the_reason(owner_client, cast: Cast) -> None:
    with nothing_written():
        response = hand_off(owner_client, cast.case, cast.other_agent, summary="   ", reason="Needs a plumber")
    assert response.status_code == 400
    assert_field_error(response, "id_handoff-summary", "Write a summary the next owner will read first.")
    assert 'value="Needs a plumber"' in html(response)


def test_handoff_to_no_one_is_refused(owner_client, cast: Cast) -> None:
    with nothing_written():
        response = owner_client.post(
            case_url(cast.case, "staff:case_handoff"),
            {"handoff-reason": "x", "handoff-summary": SUMMARY, "handoff-expected_owner": str(cast.owner.pk)},
        )
    assert_field_error(response, "id_handoff-to_user", "This field is required.")
    assert SUMMARY in html(response)


def test_handoff_of_a_case_that_just_changed_hands_is_refused(cast: Cast) -> None:
    """The manager opened the form while the owner was handing the case off."""
    manager = signed_in(cast.manager)
    stale_owner = cast.case.owner_id
    case_handoff(actor=cast.owner, case=cast.case, to_user=cast.other_agent, reason="Visit", summary="Read me")
    with nothing_written():
        response = hand_off(manager, cast.case, cast.head, expected_owner=str(stale_owner))
    assert response.status_code == 409
    assert "was just handed to Adam Agent" in text(response)
    assert Case.objects.get(pk=cast.case.pk).owner == cast.other_agent
