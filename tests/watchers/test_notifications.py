"""Notifications: the in-app list and one e-mail digest per person, whatever the burst."""

from datetime import timedelta
from unittest import mock

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core import mail

from cases.models import Notification
from cases.notifications import (
    notification_mark_read,
    notifications_for,
    notifications_mark_all_read,
    notifications_send_digests,
    unread_count,
)
from cases.services import promise_make
from cases.watchers import watch_stale_promises
from portal.errors import NotAllowed


def _overdue_promises(case, owner, clock, count):
    due = clock.now + timedelta(hours=1)
    for n in range(count):
        promise_make(actor=owner, case=case, text=f"Call back about visit {n + 1}", due_at=due)
    return due + timedelta(minutes=1)


def test_many_flags_for_one_person_make_one_digest_with_links(case, owner, settings, clock):
    settings.SITE_URL = "https://steward.example.org"
    watch_stale_promises(now=_overdue_promises(case, owner, clock, 4))

    assert notifications_send_digests() == 1
    [digest] = mail.outbox
    assert digest.to == [owner.email]
    assert digest.subject == "Steward: 4 flags need your attention"
    assert digest.body.count(f"https://steward.example.org/staff/cases/{case.reference}/") == 4
    assert "https://steward.example.org/staff/flags/" in digest.body
    assert all(f"visit {n}" in digest.body for n in range(1, 5))
    html, mimetype = digest.alternatives[0]
    assert mimetype == "text/html" and f'href="https://steward.example.org/staff/cases/{case.reference}/"' in html

    assert notifications_send_digests() == 0  # nothing new: nothing sent
    assert len(mail.outbox) == 1


def test_each_person_gets_their_own_digest(case, other_case, owner, other_agent, clock):
    _overdue_promises(case, owner, clock, 2)
    moment = _overdue_promises(other_case, other_agent, clock, 1)
    watch_stale_promises(now=moment)

    assert notifications_send_digests() == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([owner.email, other_agent.email])
    single = next(m for m in mail.outbox if m.to == [other_agent.email])
    assert single.subject == f"Steward: {other_case.reference} — Promise past due"


def test_the_commit_schedules_one_digest_for_a_burst(case, owner, settings, clock, django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    moment = _overdue_promises(case, owner, clock, 3)
    with (
        mock.patch("portal.celery.app.send_task") as schedule,
        django_capture_on_commit_callbacks(execute=True),
    ):
        watch_stale_promises(now=moment)
    schedule.assert_called_once()
    assert schedule.call_args.args == ("cases.send_flag_notifications",)
    assert schedule.call_args.kwargs["countdown"] > 0 and schedule.call_args.kwargs["retry"] is False


def test_with_eager_tasks_the_commit_sends_the_digest_at_once(
    case, owner, settings, clock, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    moment = _overdue_promises(case, owner, clock, 3)
    with django_capture_on_commit_callbacks(execute=True):
        watch_stale_promises(now=moment)

    [digest] = mail.outbox
    assert digest.subject == "Steward: 3 flags need your attention"


def test_a_digest_that_fails_to_send_is_retried(case, owner, clock):
    watch_stale_promises(now=_overdue_promises(case, owner, clock, 1))

    with mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=OSError("SMTP down")):
        assert notifications_send_digests() == 0
    assert Notification.objects.get().email_claimed_at is None

    assert notifications_send_digests() == 1


def test_at_the_time_limit_the_digest_being_sent_stays_claimed_and_the_untried_ones_go_back(
    case, other_case, owner, other_agent, clock
):
    _overdue_promises(case, owner, clock, 2)
    watch_stale_promises(now=_overdue_promises(other_case, other_agent, clock, 1))

    with mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages", side_effect=SoftTimeLimitExceeded()
    ) as send:
        assert notifications_send_digests() == 0
    assert send.call_count == 1  # stopped after the first recipient

    claimed = set(Notification.objects.filter(email_claimed_at__isnull=False).values_list("recipient", flat=True))
    released = set(Notification.objects.filter(email_claimed_at__isnull=True).values_list("recipient", flat=True))
    assert len(claimed) == 1 and len(released) == 1  # may have gone: retaken after the retry delay
    assert claimed | released == {owner.pk, other_agent.pk}
    assert notifications_send_digests() == 1  # the untried one, at once


def test_a_digest_claimed_by_a_killed_worker_is_retaken_after_the_retry_delay(case, owner, settings, clock):
    settings.NOTIFICATION_EMAIL_RETRY_MINUTES = 10
    watch_stale_promises(now=_overdue_promises(case, owner, clock, 1))
    Notification.objects.update(email_claimed_at=clock.now)  # claimed, then the worker died

    assert notifications_send_digests(now=clock.now + timedelta(minutes=9)) == 0
    assert notifications_send_digests(now=clock.now + timedelta(minutes=11)) == 1


def test_no_address_means_no_mail_but_the_in_app_list_still_has_it(case, owner, clock):
    owner.email = ""
    owner.save(update_fields=["email"])
    watch_stale_promises(now=_overdue_promises(case, owner, clock, 1))

    assert notifications_send_digests() == 0
    assert mail.outbox == []
    assert notifications_for(owner).count() == 1
    assert notifications_send_digests() == 0  # and it is not read again


def test_in_app_list_is_per_person_and_can_be_marked_read(case, owner, other_agent, clock):
    watch_stale_promises(now=_overdue_promises(case, owner, clock, 2))
    first, _second = notifications_for(owner)

    assert notifications_for(other_agent).count() == 0
    assert unread_count(owner) == 2
    with pytest.raises(NotAllowed):
        notification_mark_read(actor=other_agent, notification=first)
    notification_mark_read(actor=owner, notification=first)
    assert unread_count(owner) == 1
    assert notifications_mark_all_read(actor=owner) == 1
    assert unread_count(owner) == 0
