"""After the survey the customer sees who will contact them, and by when, even when the person
who looked after their case has left; a low score alone promises nothing it would not keep."""

from django.test import Client
from django.utils import timezone

from cases.models import Case, Flag, Promise
from cases.services import staff_deactivate
from tests.cases.steps import close_by_confirmation
from tests.conftest import Cast
from tests.selfservice.pages import my_url, text


def test_the_thank_you_names_the_successor_when_the_owner_has_left(cast: Cast, customer_client: Client) -> None:
    close_by_confirmation(cast.case, cast.owner)
    staff_deactivate(actor=cast.manager, user=cast.owner)
    response = customer_client.post(
        my_url(cast.case, "my:rate"),
        {"rating-score": "2", "rating-comment": "Too slow", "rating-wants_contact": "on"},
        follow=True,
    )
    promise = Promise.objects.get(case=cast.case, kind=Promise.Kind.CALLBACK)
    contact = promise.made_by
    assert contact.is_active and contact != cast.owner
    due = timezone.localtime(promise.due_at)
    page = text(response)
    assert "Below you can see who will contact you, and by when." in page
    name = contact.get_full_name() or contact.username
    assert f"{name} will contact you about your services or contract by {due:%A} {due.day} {due:%B}." in page
    # The low score reached the same person, with the customer's words.
    flag = Flag.objects.get(case=cast.case, kind=Flag.Kind.LOW_SURVEY_SCORE)
    assert flag.assignee == contact and "Too slow" in flag.summary


def test_a_low_score_without_asking_to_talk_promises_no_call(cast: Cast, customer_client: Client) -> None:
    close_by_confirmation(cast.case, cast.owner)
    response = customer_client.post(my_url(cast.case, "my:rate"), {"rating-score": "1"}, follow=True)
    assert "Thank you for your rating." in text(response)
    assert "will contact you" not in text(response)
    assert not Promise.objects.filter(case=cast.case, kind=Promise.Kind.CALLBACK).exists()
    assert Flag.objects.filter(case=Case.objects.get(pk=cast.case.pk), kind=Flag.Kind.LOW_SURVEY_SCORE).exists()
