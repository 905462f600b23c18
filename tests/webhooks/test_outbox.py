"""Deliveries are written with the change they report, for the endpoints that want it, and cost
nothing when nobody does."""

import json
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from cases.models import Flag, TimelineEvent
from cases.services import case_handoff, case_resolve, message_receive, promise_make
from cases.services.flags import FlagToRaise, flag_raise, flags_escalate_many, flags_raise_many
from cases.services.timeline import timeline_event
from webhooks.models import Delivery, Endpoint, EventKind
from webhooks.services.outbox import deliveries_write, wanted_kinds

pytestmark = pytest.mark.django_db

PUBLIC_URL = "https://93.184.216.34/hooks"  # an address literal: nothing is looked up, nothing is sent


def listening(*kinds: str, active: bool = True) -> Endpoint:
    return Endpoint.objects.create(url=PUBLIC_URL, event_kinds=list(kinds), active=active)


def bodies(kind: str | None = None) -> list[dict]:
    rows = Delivery.objects.order_by("created_at")
    if kind:
        rows = rows.filter(kind=kind)
    return [json.loads(row.body) for row in rows]


def test_a_handoff_is_one_event_with_ids_only(cast, other_agent):
    endpoint = listening(EventKind.CASE_HANDED_OFF)

    handoff = case_handoff(
        actor=cast.owner, case=cast.case, to_user=other_agent, reason="Holiday", summary="Mrs Martin is 89."
    )

    [delivery] = Delivery.objects.all()
    assert delivery.endpoint == endpoint
    assert delivery.kind == "case.handed_off"
    assert delivery.status == Delivery.Status.PENDING
    document = json.loads(delivery.body)
    assert document["id"] == str(delivery.pk)
    assert document["kind"] == "case.handed_off"
    assert document["case"] == {
        "id": cast.case.pk,
        "reference": cast.case.reference,
        "status": cast.case.status,
        "owner_id": other_agent.pk,
    }
    assert document["data"]["handoff_id"] == handoff.pk
    assert document["data"]["from_user_id"] == cast.owner.pk
    assert document["data"]["to_user_id"] == other_agent.pk
    # The customer's name, the summary and the reason never leave Steward.
    for private in ("Martin", "is 89", "Holiday", cast.customer.full_name):
        assert private not in delivery.body


def test_each_endpoint_gets_only_the_kinds_it_chose(cast):
    messages = listening(EventKind.MESSAGE_RECEIVED)
    promises = listening(EventKind.PROMISE_MADE)
    listening(EventKind.MESSAGE_RECEIVED, active=False)

    message = message_receive(actor=cast.customer.user, case=cast.case, body="Still no internet.")
    promise = promise_make(
        actor=cast.owner, case=cast.case, text="Technician on Monday", due_at=timezone.now() + timedelta(days=2)
    )

    assert [(d.endpoint, d.kind) for d in Delivery.objects.order_by("created_at")] == [
        (messages, "message.received"),
        (promises, "promise.made"),
    ]
    assert bodies("message.received")[0]["data"]["message_id"] == message.pk
    assert bodies("promise.made")[0]["data"]["promise_id"] == promise.pk
    assert "Still no internet" not in Delivery.objects.get(kind="message.received").body


def test_a_change_that_rolls_back_announces_nothing(cast):
    listening(*EventKind.values)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        message_receive(actor=cast.customer.user, case=cast.case, body="Hello?")
        assert Delivery.objects.count() == 1  # written beside the event…
        raise Boom

    assert not Delivery.objects.exists()  # …and gone with it


def test_a_resolution_with_loose_ends_is_still_one_event(cast):
    listening(EventKind.CASE_RESOLVED)
    promise_make(actor=cast.owner, case=cast.case, text="Call back", due_at=timezone.now() + timedelta(days=1))

    case_resolve(actor=cast.owner, case=cast.case, summary="Fixed.", override_reason="Customer agreed by phone.")

    assert TimelineEvent.objects.filter(case=cast.case, kind=TimelineEvent.Kind.RESOLVED).count() == 2
    [document] = bodies()
    assert document["kind"] == "case.resolved"
    assert document["case"]["status"] == "resolved"
    assert "agreed" not in json.dumps(document)


def test_flags_raised_one_by_one_and_in_bulk_and_escalated_are_announced(cast, other_case):
    listening(EventKind.FLAG_RAISED, EventKind.FLAG_ESCALATED)
    now = timezone.now()

    single = flag_raise(kind=Flag.Kind.SILENT_CASE, subject_key="case:single", summary="Quiet", case=cast.case)
    many = flags_raise_many(
        items=[
            FlagToRaise(Flag.Kind.SILENT_CASE, "case:a", "Quiet", cast.case),
            FlagToRaise(Flag.Kind.SILENT_CASE, "case:b", "Quiet", other_case),
        ],
        now=now,
    )
    moved = flags_escalate_many(flags=many, now=now)

    raised = bodies("flag.raised")
    assert sorted(d["data"]["flag_id"] for d in raised) == sorted([single.pk, *(f.pk for f in many)])
    assert {d["data"]["flag_kind"] for d in raised} == {"silent_case"}
    escalated = bodies("flag.escalated")
    assert sorted(d["data"]["flag_id"] for d in escalated) == sorted(f.pk for f in moved)
    assert {d["data"]["level"] for d in escalated} == {2}
    assert {d["case"]["id"] for d in escalated} == {cast.case.pk, other_case.pk}


def test_a_new_endpoint_hears_the_next_event_though_the_kinds_were_cached(cast):
    assert wanted_kinds() == frozenset()  # cached: nobody listens

    listening(EventKind.MESSAGE_RECEIVED)
    message_receive(actor=cast.customer.user, case=cast.case, body="Hello")

    assert Delivery.objects.filter(kind="message.received").count() == 1


def test_an_event_nobody_wants_costs_no_query(cast, django_assert_num_queries):
    listening(EventKind.CLAIM_UPDATED)
    event = timeline_event(
        case=cast.case, kind=TimelineEvent.Kind.MESSAGE_IN, department="support", actor=None, summary="x"
    )
    wanted_kinds()  # the cache is filled by the first event after a change to the endpoints

    with django_assert_num_queries(0):
        assert deliveries_write(timeline_events=[event]) == []


def test_with_no_endpoint_at_all_events_cost_no_query(cast, django_assert_num_queries):
    event = timeline_event(
        case=cast.case, kind=TimelineEvent.Kind.MESSAGE_IN, department="support", actor=None, summary="x"
    )
    deliveries_write(timeline_events=[event])

    with django_assert_num_queries(0):
        assert deliveries_write(timeline_events=[event]) == []


def test_events_that_are_not_webhook_events_do_not_even_read_the_cache(cast, monkeypatch):
    asked = []
    monkeypatch.setattr("webhooks.services.outbox.cache.get", lambda *args, **kwargs: asked.append(args))
    event = timeline_event(case=cast.case, kind=TimelineEvent.Kind.NOTE, department="support", actor=None, summary="x")

    assert deliveries_write(timeline_events=[event]) == []
    assert asked == []


def test_an_unreachable_cache_falls_back_to_the_database(cast, monkeypatch):
    def unreachable(*args, **kwargs):
        raise ConnectionRefusedError("redis down")

    monkeypatch.setattr("webhooks.services.outbox.cache.get", unreachable)
    listening(EventKind.MESSAGE_RECEIVED)

    message_receive(actor=cast.customer.user, case=cast.case, body="Hello")

    assert Delivery.objects.count() == 1


def test_a_case_closes_by_confirmation_or_by_merge_and_says_how(cast, manager):
    from cases.services import case_confirm
    from cases.services.merge import case_merge
    from tests.factories import make_case

    listening(EventKind.CASE_CLOSED)
    case_resolve(actor=cast.owner, case=cast.case, summary="Fixed.", override_reason="The job is not needed.")
    case_confirm(actor=cast.customer.user, case=cast.case)
    survivor = make_case(customer=cast.customer, owner=cast.owner, subject="Router")
    duplicate = make_case(customer=cast.customer, owner=cast.owner, subject="Router again")

    case_merge(actor=manager, survivor=survivor, merged=duplicate, reason="Same router.")

    confirmed, merged = bodies("case.closed")
    assert (confirmed["case"]["id"], confirmed["data"]["close_reason"]) == (cast.case.pk, "confirmed")
    assert (merged["case"]["id"], merged["case"]["status"]) == (duplicate.pk, "closed")
    assert (merged["data"]["close_reason"], merged["data"]["merged_into_case_id"]) == ("merged", survivor.pk)
