"""The in-app notification list, and dismissing an emerging incident that was a coincidence."""

from django.urls import reverse

from cases.models import Flag, Notification, TimelineEvent
from cases.services import flag_raise
from people.models import StaffProfile
from tests.factories import make_staff


def _raise_emerging(case) -> Flag:
    return flag_raise(
        kind=Flag.Kind.EMERGING_INCIDENT, subject_key="area:1:69003", summary="Three new mail cases", case=case
    )


def test_a_raised_flag_appears_in_the_owners_notifications_until_read(client, owner, case) -> None:
    _raise_emerging(case)
    client.force_login(owner)
    page = client.get(reverse("staff:notifications")).content.decode()
    assert "Three new mail cases" in page
    assert "Mark all as read" in page
    client.post(reverse("staff:notifications_read"))
    assert not Notification.objects.filter(recipient=owner, read_at__isnull=True).exists()
    assert "Mark all as read" not in client.get(reverse("staff:notifications")).content.decode()


def test_nobody_sees_anyone_elses_notifications(client, owner, other_agent, case) -> None:
    _raise_emerging(case)
    client.force_login(other_agent)
    assert "Three new mail cases" not in client.get(reverse("staff:notifications")).content.decode()
    client.post(reverse("staff:notifications_read"))
    assert Notification.objects.filter(recipient=owner, read_at__isnull=True).exists()


def test_dismissing_needs_a_reason_and_then_clears_the_flag(client, owner, case) -> None:
    flag = _raise_emerging(case)
    client.force_login(owner)
    refused = client.post(reverse("staff:flag_dismiss", args=[flag.pk]), {"note": " "}, follow=True)
    assert "Say why nothing more is needed" in refused.content.decode()
    flag.refresh_from_db()
    assert flag.cleared_at is None
    client.post(reverse("staff:flag_dismiss", args=[flag.pk]), {"note": "One cut cable, repaired"})
    flag.refresh_from_db()
    assert flag.cleared_at is not None and "One cut cable" in flag.clear_note


def test_the_flags_queue_offers_dismiss_only_for_emerging_incidents(client, owner, case) -> None:
    flag = _raise_emerging(case)
    flag_raise(kind=Flag.Kind.STALE_PROMISE, subject_key="promise:1", summary="Late promise", case=case)
    client.force_login(owner)
    page = client.get(reverse("staff:flags")).content.decode()
    assert page.count("Dismiss<") == 1
    assert reverse("staff:flag_dismiss", args=[flag.pk]) in page


def test_a_manager_of_another_team_may_not_dismiss_and_nothing_changes(client, owner, case) -> None:
    flag = _raise_emerging(case)
    events = TimelineEvent.objects.filter(case=case).count()
    outsider = make_staff("other-manager", role=StaffProfile.Role.MANAGER)
    client.force_login(outsider)
    refused = client.post(reverse("staff:flag_dismiss", args=[flag.pk]), {"note": "Not my team, but why not"})
    assert refused.status_code == 403
    flag.refresh_from_db()
    assert flag.cleared_at is None and flag.clear_note == ""
    assert TimelineEvent.objects.filter(case=case).count() == events


def test_the_owners_manager_and_head_of_department_may_dismiss(client, owner, manager, head, case) -> None:
    for who in (manager, head):
        flag = _raise_emerging(case)
        client.force_login(who)
        client.post(reverse("staff:flag_dismiss", args=[flag.pk]), {"note": "One cut cable, repaired"})
        flag.refresh_from_db()
        assert flag.cleared_at is not None
