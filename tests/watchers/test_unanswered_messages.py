from datetime import timedelta

from cases.models import Case, Flag
from cases.services import call_log, case_set_status, message_receive, message_reply
from cases.watchers import watch_unanswered_messages
from tests.watchers.conftest import notified, open_flags

UNANSWERED = Flag.Kind.UNANSWERED_MESSAGE


def test_vulnerable_customer_gets_the_tighter_target_and_no_flag_before_it(case, customer, owner, settings, clock):
    settings.VULNERABLE_RESPONSE_TARGET_HOURS = {**settings.VULNERABLE_RESPONSE_TARGET_HOURS, "normal": 8}
    written = clock.now
    message_receive(case=case, actor=customer.user, body="The pipe is still leaking. Nobody answers.")

    assert watch_unanswered_messages(now=written + timedelta(hours=7, minutes=59)).raised == 0
    assert watch_unanswered_messages(now=written + timedelta(hours=8, minutes=1)).raised == 1
    [flag] = open_flags(UNANSWERED)
    assert (flag.case, flag.subject_key, flag.assignee) == (case, f"case:{case.pk}", owner)
    assert [n.flag for n in notified(owner)] == [flag]


def test_target_follows_priority_for_other_customers(other_case, other_customer, settings, clock):
    settings.RESPONSE_TARGET_HOURS = {**settings.RESPONSE_TARGET_HOURS, "normal": 24}
    written = clock.now
    message_receive(case=other_case, actor=other_customer.user, body="My e-mail has not worked since Monday.")

    assert watch_unanswered_messages(now=written + timedelta(hours=23)).raised == 0
    assert watch_unanswered_messages(now=written + timedelta(hours=24, minutes=1)).raised == 1


def test_waiting_on_the_customer_does_not_pause_the_clock(case, customer, owner, clock):
    message_receive(case=case, actor=customer.user, body="When is the technician coming back?")
    case_set_status(actor=owner, case=case, status=Case.Status.WAITING_CUSTOMER)
    case.refresh_from_db()

    assert watch_unanswered_messages(now=case.reply_due_at + timedelta(minutes=1)).raised == 1


def test_a_reply_clears_the_flag_and_a_new_message_starts_a_new_clock(case, customer, owner, clock):
    message_receive(case=case, actor=customer.user, body="First e-mail")
    case.refresh_from_db()
    clock.now = case.reply_due_at + timedelta(minutes=1)
    watch_unanswered_messages(now=clock.now)

    clock.advance(hours=1)
    message_reply(actor=owner, case=case, body="Sorry for the wait: the technician comes on Thursday.")
    assert open_flags(UNANSWERED) == []
    assert Flag.objects.get(kind=UNANSWERED).clear_note == "reply sent"

    clock.advance(hours=2)
    message_receive(case=case, actor=customer.user, body="Thursday morning or afternoon?")
    case.refresh_from_db()
    assert watch_unanswered_messages(now=case.reply_due_at - timedelta(minutes=1)).raised == 0
    assert watch_unanswered_messages(now=case.reply_due_at + timedelta(minutes=1)).raised == 1
    assert Flag.objects.filter(kind=UNANSWERED).count() == 2


def test_a_call_that_reached_the_customer_answers_and_clears(case, customer, owner, clock):
    message_receive(case=case, actor=customer.user, body="Please call me")
    case.refresh_from_db()
    watch_unanswered_messages(now=case.reply_due_at + timedelta(minutes=1))

    call_log(actor=owner, case=case, summary="Called her back; visit on Thursday", inbound=False)

    assert open_flags(UNANSWERED) == []


def test_running_twice_raises_once(case, customer, owner, clock):
    message_receive(case=case, actor=customer.user, body="Hello?")
    case.refresh_from_db()
    after = case.reply_due_at + timedelta(minutes=1)

    assert watch_unanswered_messages(now=after).raised == 1
    assert watch_unanswered_messages(now=after + timedelta(minutes=5)).examined == 0
    assert Flag.objects.filter(kind=UNANSWERED).count() == 1
    assert len(notified(owner)) == 1


def test_the_flag_says_since_when_the_customer_has_waited_and_when_the_reply_was_due(case, customer, clock):
    written = clock.now
    message_receive(case=case, actor=customer.user, body="Is anyone reading this?")
    case.refresh_from_db()
    assert case.awaiting_reply_since == written and case.reply_due_at > written

    watch_unanswered_messages(now=case.reply_due_at + timedelta(minutes=1))
    [flag] = open_flags(UNANSWERED)
    said = flag.data["sentence"]["params"]
    assert said["since"]["datetime"] == written.isoformat()
    assert said["due"]["datetime"] == case.reply_due_at.isoformat()
