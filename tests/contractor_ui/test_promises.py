"""Contractor promises ("we return Monday with two workers"): a promise on the case, owed to
the customer, visible to her, and watched like any other."""

from datetime import timedelta

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cases import policies
from cases.models import Flag, Promise, TimelineEvent
from cases.watchers.promises import watch_stale_promises
from contractors.models import Job
from people.models import Customer
from tests.cases.dbstate import nothing_written

BACK_MONDAY = "We return Monday with two workers to repair the pipe"


def _when(moment: timezone.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _promise(client: Client, job: Job, text: str, due: timezone.datetime) -> object:
    return client.post(
        reverse("contractor:job_promise", args=[job.pk]), {"promise-text": text, "promise-due_at": _when(due)}
    )


def test_a_contractor_promise_is_on_the_case_owed_to_the_customer(
    tech_client: Client, job: Job, contractor_user: User, customer: Customer, delegate: User
) -> None:
    due = timezone.now() + timedelta(days=3)
    response = _promise(tech_client, job, BACK_MONDAY, due)
    assert response.status_code == 302
    promise = Promise.objects.get(case=job.case)
    assert (promise.job, promise.made_by, promise.owed_to_customer, promise.kind) == (
        job,
        contractor_user,
        True,
        Promise.Kind.VISIT,
    )
    assert promise.status == Promise.Status.OPEN
    assert TimelineEvent.objects.filter(case=job.case, kind=TimelineEvent.Kind.PROMISE_MADE).exists()
    # The customer and her son see what was promised to her.
    for reader in (customer.user, delegate):
        assert policies.promises_for(reader, job.case).filter(pk=promise.pk).exists()
    page = tech_client.get(reverse("contractor:job", args=[job.pk])).content.decode()
    assert BACK_MONDAY in page


def test_a_contractor_promise_is_watched_like_any_other(tech_client: Client, job: Job, owner: User) -> None:
    due = timezone.now() + timedelta(days=3)
    _promise(tech_client, job, BACK_MONDAY, due)
    watch_stale_promises(now=due + timedelta(hours=1))
    flag = Flag.objects.get(kind=Flag.Kind.STALE_PROMISE, case=job.case)
    assert flag.assignee == owner


def test_a_promise_due_in_the_past_is_refused(tech_client: Client, job: Job) -> None:
    with nothing_written():
        response = _promise(tech_client, job, BACK_MONDAY, timezone.now() - timedelta(days=1))
    assert response.status_code == 400
    assert "A promise must be due in the future." in response.content.decode()


def test_a_promise_without_words_or_date_is_refused(tech_client: Client, job: Job) -> None:
    with nothing_written():
        response = tech_client.post(
            reverse("contractor:job_promise", args=[job.pk]), {"promise-text": "  ", "promise-due_at": ""}
        )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Say by when it will be done." in page
