"""Asking a colleague for help in an internal note ("@username", or chosen beside the note):
they are flagged and notified without the case changing hands, until they answer on it."""

import pytest
from django.contrib.auth.models import User
from django.core import mail

from cases.models import Case, Flag, Notification, TimelineEvent
from cases.services import (
    call_log,
    case_handoff,
    message_reply,
    note_add,
    specialist_add,
    staff_deactivate,
)
from cases.services.help import mentioned_names
from portal.errors import RuleViolation
from tests.cases.dbstate import events_written, nothing_written
from tests.cases.steps import close_after_window, close_by_confirmation
from tests.factories import UserFactory, make_staff

HELP = Flag.Kind.HELP_REQUESTED


def help_flags(case: Case, *, open_only: bool = True) -> list[Flag]:
    flags = Flag.objects.filter(case=case, kind=HELP).order_by("pk")
    return list(flags.filter(cleared_at__isnull=True) if open_only else flags)


@pytest.fixture
def helper(department) -> User:
    """A colleague in another team, with a username to mention."""
    return make_staff("samir", department=department, first_name="Samir", last_name="Helper")


# --- asking -------------------------------------------------------------------------------------


def test_mention_flags_and_notifies_the_colleague_while_the_owner_keeps_the_case(
    owner: User, case: Case, helper: User, django_capture_on_commit_callbacks
) -> None:
    with events_written() as events, django_capture_on_commit_callbacks(execute=True):
        note = note_add(actor=owner, case=case, body="@samir do you know why the street box is missing?")
    [flag] = help_flags(case)
    assert (flag.assignee, flag.level, flag.escalate_at) == (helper, 1, None)
    assert flag.subject_key == f"help:case:{case.pk}:user:{helper.pk}"
    assert flag.summary.startswith(f"Olivia Owner asks Samir Helper for help on {case.reference}: @samir do you")
    asked = events.one(TimelineEvent.Kind.HELP_REQUESTED)
    assert asked.summary == "Olivia Owner asked Samir Helper for help."
    assert asked.actor == owner and asked.customer_visible is False
    assert asked.data["message_id"] == note.pk
    assert events.one(TimelineEvent.Kind.FLAG_RAISED)
    [notification] = Notification.objects.filter(recipient=helper)
    assert notification.flag == flag and notification.reason == Notification.Reason.RAISED
    [digest] = mail.outbox
    assert digest.to == [helper.email] and case.reference in digest.body
    case.refresh_from_db()
    assert case.owner == owner


def test_the_flag_is_kept_language_neutral(owner: User, case: Case, helper: User) -> None:
    note_add(actor=owner, case=case, body="@samir une idée ?")
    [flag] = help_flags(case)
    sentence = flag.data["sentence"]
    assert sentence["text"] == "%(asker)s asks %(colleague)s for help on %(reference)s: %(text)s"
    assert sentence["params"] == {
        "asker": "Olivia Owner",
        "colleague": "Samir Helper",
        "reference": case.reference,
        "text": "@samir une idée ?",
    }


def test_colleagues_chosen_beside_the_note_are_asked_too(
    owner: User, case: Case, helper: User, other_agent: User
) -> None:
    note_add(actor=owner, case=case, body="@samir see the cable photos", ask_help=[other_agent, helper])
    assert sorted(f.assignee.username for f in help_flags(case)) == ["agent2", "samir"]


def test_asking_twice_raises_one_flag_and_one_notification(owner: User, case: Case, helper: User) -> None:
    note_add(actor=owner, case=case, body="@samir any idea?")
    with events_written() as events:
        note_add(actor=owner, case=case, body="@Samir still stuck, and @samir again")
    assert len(help_flags(case)) == 1
    assert Notification.objects.filter(recipient=helper).count() == 1
    # The second ask is still on the timeline, once however many times the note names them.
    assert events.kinds().count(TimelineEvent.Kind.HELP_REQUESTED) == 1
    assert TimelineEvent.Kind.FLAG_RAISED not in events.kinds()


def test_mentioning_yourself_or_nobody_asks_nobody(owner: User, case: Case) -> None:
    with events_written() as events:
        note_add(actor=owner, case=case, body="Note to self, @owner: call the street team.", ask_help=[owner])
        note_add(actor=owner, case=case, body="Mail jeanne@example.org the plan; meet @ 14:00.")
    assert help_flags(case) == []
    assert events.kinds() == [TimelineEvent.Kind.NOTE, TimelineEvent.Kind.NOTE]


def test_a_colleague_may_ask_the_owner(other_agent: User, owner: User, case: Case) -> None:
    note_add(actor=other_agent, case=case, body="@owner the customer rang the switchboard, can you call back?")
    [flag] = help_flags(case)
    assert flag.assignee == owner


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ("@claire.", ["claire"]),
        ("ask @jean-pierre, @Anne_Marie and @claire!", ["jean-pierre", "Anne_Marie", "claire"]),
        ("(@claire) @CLAIRE", ["claire"]),
        ("jeanne@example.org, foo@bar", []),
        ("@ noon, @@x, a@b", []),
    ],
)
def test_what_counts_as_a_mention(body: str, names: list[str]) -> None:
    assert mentioned_names(body) == names


# --- refusals: nothing written, the names said -------------------------------------------------------


def test_unknown_or_inactive_names_are_refused_by_name_and_nothing_is_written(
    owner: User, case: Case, helper: User, customer
) -> None:
    gone = make_staff("gone", department=owner.staff_profile.department)
    gone.is_active = False
    gone.save()
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        note_add(actor=owner, case=case, body="@samir @nobody @gone @customer please look")
    assert refused.value.field == "body"
    message = refused.value.message
    assert "@nobody" in message and "@gone" in message and "@customer" in message
    assert "@samir" not in message
    assert "remove the @" in message


def test_a_chosen_colleague_no_longer_active_is_refused(owner: User, case: Case, helper: User) -> None:
    helper.is_active = False
    helper.save()
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        note_add(actor=owner, case=case, body="Please look", ask_help=[helper])
    assert refused.value.field == "ask_help"
    assert "Samir Helper" in refused.value.message


def test_a_non_staff_user_chosen_is_refused(owner: User, case: Case) -> None:
    outsider = UserFactory(username="outsider", first_name="Otto", last_name="Outside")
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        note_add(actor=owner, case=case, body="Please look", ask_help=[outsider])
    assert refused.value.field == "ask_help"


def test_nobody_can_be_asked_on_a_closed_case(owner: User, case: Case, helper: User) -> None:
    close_by_confirmation(case, owner)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        note_add(actor=owner, case=case, body="@samir for the record")
    assert "closed" in refused.value.message
    note_add(actor=owner, case=case, body="For the record, without asking anyone.")


# --- answered, taken over, closed --------------------------------------------------------------------


def _asked(owner: User, case: Case, helper: User) -> Flag:
    note_add(actor=owner, case=case, body="@samir can you help?")
    [flag] = help_flags(case)
    return flag


def _cleared(flag: Flag) -> Flag:
    flag.refresh_from_db()
    assert flag.cleared_at is not None
    return flag


def test_the_colleagues_note_answers_and_clears_the_request(owner: User, case: Case, helper: User) -> None:
    flag = _asked(owner, case, helper)
    with events_written() as events:
        note_add(actor=helper, case=case, body="The street box is booked for Tuesday.")
    assert _cleared(flag).clear_note == "answered"
    cleared = events.one(TimelineEvent.Kind.FLAG_CLEARED)
    assert cleared.actor == helper


def test_someone_elses_note_does_not_clear_it(owner: User, other_agent: User, case: Case, helper: User) -> None:
    flag = _asked(owner, case, helper)
    note_add(actor=other_agent, case=case, body="Not me, but Samir will know.")
    note_add(actor=owner, case=case, body="Waiting for Samir.")
    flag.refresh_from_db()
    assert flag.cleared_at is None


def test_a_call_the_colleague_logs_answers(owner: User, case: Case, helper: User) -> None:
    flag = _asked(owner, case, helper)
    call_log(actor=helper, case=case, summary="Called the customer: no answer.", inbound=False, reached_customer=False)
    _cleared(flag)


def test_a_reply_the_colleague_sends_answers(owner: User, case: Case, helper: User) -> None:
    flag = _asked(owner, case, helper)
    specialist_add(actor=owner, case=case, user=helper)
    message_reply(actor=helper, case=case, body="Your street box is booked for Tuesday.")
    _cleared(flag)


def test_a_note_answering_one_ask_may_ask_another(owner: User, case: Case, helper: User, other_agent: User) -> None:
    flag = _asked(owner, case, helper)
    note_add(actor=helper, case=case, body="@agent2 knows the street team better than I do.")
    _cleared(flag)
    [passed_on] = help_flags(case)
    assert passed_on.assignee == other_agent


def test_handing_the_case_to_the_colleague_clears_their_request_only(
    owner: User, case: Case, helper: User, other_agent: User
) -> None:
    flag = _asked(owner, case, helper)
    note_add(actor=owner, case=case, body="@agent2 you too please")
    other = Flag.objects.get(kind=HELP, assignee=other_agent)
    case_handoff(actor=owner, case=case, to_user=helper, reason="Street works", summary="Street box missing.")
    assert _cleared(flag).clear_note == "case handed to them"
    other.refresh_from_db()
    # Still with the colleague asked: a help request does not follow the case to its new owner.
    assert other.cleared_at is None and other.assignee == other_agent


def test_handing_the_case_elsewhere_leaves_the_request_with_the_colleague(
    owner: User, case: Case, helper: User, other_agent: User
) -> None:
    flag = _asked(owner, case, helper)
    case_handoff(actor=owner, case=case, to_user=other_agent, reason="Holiday", summary="Samir is looking at it.")
    flag.refresh_from_db()
    assert flag.cleared_at is None and flag.assignee == helper


@pytest.mark.parametrize("close", [close_by_confirmation, close_after_window])
def test_closing_the_case_clears_every_request(owner: User, case: Case, helper: User, other_agent: User, close) -> None:
    note_add(actor=owner, case=case, body="@samir and @agent2, ideas?")
    assert len(help_flags(case)) == 2
    close(case, owner)
    assert help_flags(case) == []
    assert {f.clear_note for f in help_flags(case, open_only=False)} == {"case closed"}


def test_deactivating_the_colleague_clears_their_requests(owner: User, manager: User, case: Case, helper: User) -> None:
    flag = _asked(owner, case, helper)
    helper.staff_profile.manager = manager
    helper.staff_profile.save()
    staff_deactivate(actor=manager, user=helper)
    assert _cleared(flag).clear_note == "account deactivated"
