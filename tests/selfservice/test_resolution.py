"""Is it fixed? Yes closes the case and invites a rating; no (with a reason) reopens it and
flags the owner. After closure: a rating, and "I'd like to talk to someone" showing who will
contact the customer and by when."""

import pytest
from django.test import Client
from django.utils import timezone

from cases.models import Case, Flag, Promise, Survey, TimelineEvent
from cases.services import case_resolve, survey_submit
from tests.cases.dbstate import nothing_written
from tests.cases.steps import close_by_confirmation
from tests.conftest import Cast
from tests.selfservice.pages import assert_field_error, my_url, text


@pytest.fixture
def resolved(cast: Cast) -> Case:
    return case_resolve(
        actor=cast.owner,
        case=cast.case,
        summary="The socket is fitted and the fibre works.",
        override_reason="The fibre job left open is a courtesy visit.",
    )


def test_a_resolved_case_asks_is_it_fixed(resolved: Case, customer_client: Client) -> None:
    page = text(customer_client.get(my_url(resolved)))
    assert "Is it fixed?" in page
    assert "The socket is fitted and the fibre works." in page
    assert "Yes, it is fixed" in page and "No, it is not fixed" in page
    assert "If we hear nothing by" in page


def test_yes_closes_the_case_and_invites_a_rating(resolved: Case, customer_client: Client) -> None:
    response = customer_client.post(my_url(resolved, "my:fixed"))
    assert response["Location"] == my_url(resolved)
    resolved.refresh_from_db()
    assert resolved.status == Case.Status.CLOSED
    assert resolved.close_reason == Case.CloseReason.CONFIRMED
    page = text(customer_client.get(my_url(resolved)))
    assert "Your case is closed. Would you tell us how we did?" in page
    assert "How did we do?" in page
    assert "I'd like to talk to someone about my services or contract" in page
    assert "Olivia Owner will call or write to you within 2 days." in page


def test_no_with_a_reason_reopens_and_flags_the_owner(resolved: Case, delegate_client: Client) -> None:
    response = delegate_client.post(my_url(resolved, "my:not_fixed"), {"notfixed-reason": "Still no heating."})
    assert response.status_code == 302
    resolved.refresh_from_db()
    assert resolved.status == Case.Status.IN_PROGRESS
    flag = Flag.objects.get(case=resolved, kind=Flag.Kind.REJECTED_RESOLUTION)
    assert flag.assignee_id == resolved.owner_id
    event = resolved.timeline.get(kind=TimelineEvent.Kind.REOPENED)
    assert event.actor_label == "Paul Martin, on behalf of Jeanne Martin"
    page = text(delegate_client.get(my_url(resolved)))
    assert "Your case is open again and Olivia Owner has been asked to look at it first." in page
    assert "Still no heating." in page


def test_no_without_a_reason_says_what_to_write_and_changes_nothing(resolved: Case, customer_client: Client) -> None:
    with nothing_written():
        response = customer_client.post(my_url(resolved, "my:not_fixed"), {"notfixed-reason": ""})
    assert response.status_code == 400
    assert_field_error(response, "id_notfixed-reason", "Tell us what is still wrong, so we know what to look at.")
    with nothing_written():
        response = customer_client.post(my_url(resolved, "my:not_fixed"), {"notfixed-reason": "   "})
    assert_field_error(response, "id_notfixed-reason", "Write what is still wrong.")


def test_answering_a_case_that_is_not_resolved_is_refused_with_a_reason(cast: Cast, customer_client: Client) -> None:
    with nothing_written():
        response = customer_client.post(my_url(cast.case, "my:fixed"))
    assert response.status_code == 400
    assert "Only a resolved case can be confirmed." in text(response)
    with nothing_written():
        response = customer_client.post(my_url(cast.case, "my:not_fixed"), {"notfixed-reason": "Broken"})
    assert response.status_code == 400
    assert "This case is not waiting for your confirmation." in text(response)


def test_a_rating_is_recorded_and_thanked(cast: Cast, customer_client: Client) -> None:
    close_by_confirmation(cast.case, cast.owner)
    response = customer_client.post(my_url(cast.case, "my:rate"), {"rating-score": "4", "rating-comment": "Kind"})
    assert response.status_code == 302
    survey = Survey.objects.get(case=cast.case)
    assert (survey.score, survey.comment, survey.wants_contact) == (4, "Kind", False)
    page = text(customer_client.get(my_url(cast.case)))
    assert "Thank you for your rating." in page
    assert "You gave us 4 out of 5 and wrote: “Kind”." in page
    assert "How did we do?" not in page


def test_asking_to_talk_shows_who_will_contact_and_by_when(cast: Cast, delegate_client: Client) -> None:
    close_by_confirmation(cast.case, cast.owner)
    delegate_client.post(my_url(cast.case, "my:rate"), {"rating-score": "5", "rating-wants_contact": "on"})
    promise = Promise.objects.get(case=cast.case, kind=Promise.Kind.CALLBACK)
    due = timezone.localtime(promise.due_at)
    page = text(delegate_client.get(my_url(cast.case)))
    assert f"Olivia Owner will contact you about your services or contract by {due:%A} {due.day} {due:%B}." in page
    assert Flag.objects.filter(case=cast.case, kind=Flag.Kind.CONTACT_REQUEST, assignee=cast.owner).exists()


@pytest.mark.parametrize("score", ["", "0", "6", "five"])
def test_a_rating_without_a_valid_mark_says_what_to_choose(cast: Cast, customer_client: Client, score: str) -> None:
    close_by_confirmation(cast.case, cast.owner)
    with nothing_written():
        response = customer_client.post(my_url(cast.case, "my:rate"), {"rating-score": score})
    assert response.status_code == 400
    assert "Your mark: Choose a mark from 1 to 5." in text(response)


def test_rating_twice_is_refused_politely(cast: Cast, customer_client: Client) -> None:
    close_by_confirmation(cast.case, cast.owner)
    survey_submit(actor=cast.customer.user, case=cast.case, score=3)
    with nothing_written():
        response = customer_client.post(my_url(cast.case, "my:rate"), {"rating-score": "5"})
    assert response.status_code == 400
    assert "You have already answered the survey for this case, thank you." in text(response)


def test_rating_an_open_case_is_refused(cast: Cast, customer_client: Client) -> None:
    with nothing_written():
        response = customer_client.post(my_url(cast.case, "my:rate"), {"rating-score": "5"})
    assert response.status_code == 400
    assert "The survey opens once the case is closed." in text(response)
