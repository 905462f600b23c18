"""What hangs off a case: messages, timeline, promises, claims, handoffs and service alerts."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from cases.models import Case, Handoff, InsuranceClaim, Message, Promise, TimelineEvent
from cases.services import case_handoff, claim_file, note_add, promise_make
from tests.api.conftest import ApiAs
from tests.conftest import Cast
from tests.factories import ServiceAlertFactory, ServiceFactory


def on_case(cast: Cast, name: str) -> str:
    return reverse(f"api:case-{name}", args=[cast.case.reference])


def _later(days: float = 1) -> str:
    return (timezone.now() + timedelta(days=days)).isoformat()


# --- messages -------------------------------------------------------------------------------


def test_internal_notes_never_reach_the_customer_side(cast: Cast, api_as: ApiAs) -> None:
    note_add(actor=cast.owner, case=cast.case, body="Contractor drilled the pipe.")
    url = on_case(cast, "messages")
    staff_rows = api_as(cast.owner).get(url).json()["results"]
    assert [row["body"] for row in staff_rows] == ["Contractor drilled the pipe."]
    assert staff_rows[0]["is_internal"] is True
    for customer_side in (cast.customer.user, cast.delegate):
        assert api_as(customer_side).get(url).json()["results"] == []
    assert api_as(cast.contractor_user).get(url).status_code == 404


def test_the_customer_writes_and_staff_reply(cast: Cast, api_as: ApiAs) -> None:
    url = on_case(cast, "messages")
    written = api_as(cast.customer.user).post(url, {"kind": "message", "body": "The pipe still leaks."})
    assert written.status_code == 201
    assert written.json()["direction"] == "inbound"
    assert written.json()["channel"] == "portal"
    assert Case.objects.get(pk=cast.case.pk).awaiting_reply_since is not None
    reply = api_as(cast.owner).post(url, {"kind": "reply", "body": "A plumber comes Monday.", "channel": "email"})
    assert reply.status_code == 201
    assert Case.objects.get(pk=cast.case.pk).awaiting_reply_since is None
    assert Message.objects.get(pk=written.json()["id"]).answered_at is not None


def test_each_kind_of_message_asks_its_own_policy(cast: Cast, api_as: ApiAs) -> None:
    url = on_case(cast, "messages")
    before = Message.objects.count()
    assert api_as(cast.customer.user).post(url, {"kind": "note", "body": "x"}).status_code == 403
    assert api_as(cast.customer.user).post(url, {"kind": "reply", "body": "x"}).status_code == 403
    assert api_as(cast.owner).post(url, {"kind": "message", "body": "x"}).status_code == 403
    # A colleague who does not work on the case may note and log calls, not reply.
    colleague = api_as(cast.other_agent)
    assert colleague.post(url, {"kind": "reply", "body": "x"}).status_code == 403
    assert colleague.post(url, {"kind": "note", "body": "Checked"}).status_code == 201
    call = colleague.post(url, {"kind": "call", "body": "She called", "inbound": True})
    assert call.status_code == 201
    assert call.json()["channel"] == "phone"
    assert Message.objects.count() == before + 2


def test_an_empty_call_summary_is_reported_on_the_body_field(cast: Cast, api_as: ApiAs) -> None:
    response = api_as(cast.owner).post(on_case(cast, "messages"), {"kind": "call", "body": " "})
    assert response.status_code == 400
    assert list(response.json()) == ["body"]


def test_a_message_needs_a_known_kind(cast: Cast, api_as: ApiAs) -> None:
    response = api_as(cast.owner).post(on_case(cast, "messages"), {"kind": "shout", "body": "Hello"})
    assert response.status_code == 400
    assert list(response.json()) == ["kind"]


# --- timeline -------------------------------------------------------------------------------


def test_the_timeline_shows_the_customer_only_their_events(cast: Cast, api_as: ApiAs) -> None:
    note_add(actor=cast.owner, case=cast.case, body="Internal.")
    url = on_case(cast, "timeline")
    staff = api_as(cast.owner).get(url).json()["results"]
    customer = api_as(cast.customer.user).get(url).json()["results"]
    assert "note" in {event["kind"] for event in staff}
    assert "note" not in {event["kind"] for event in customer}
    assert len(customer) == TimelineEvent.objects.filter(case=cast.case, customer_visible=True).count()
    assert "data" not in customer[0]
    filtered = api_as(cast.owner).get(url, {"kind": "note"}).json()["results"]
    assert [event["kind"] for event in filtered] == ["note"]


# --- promises -------------------------------------------------------------------------------


def test_the_owner_makes_a_promise_and_keeps_it(cast: Cast, api_as: ApiAs) -> None:
    made = api_as(cast.owner).post(
        on_case(cast, "promises"), {"text": "Call back at 15:00", "due_at": _later(), "kind": "callback"}
    )
    assert made.status_code == 201
    assert made.json()["owed_to_customer"] is True
    settle = reverse("api:promise-settle", args=[made.json()["id"]])
    kept = api_as(cast.owner).post(settle, {"outcome": "kept"})
    assert kept.status_code == 200
    assert Promise.objects.get(pk=made.json()["id"]).status == "kept"


def test_a_promise_due_in_the_past_is_refused(cast: Cast, api_as: ApiAs) -> None:
    response = api_as(cast.owner).post(on_case(cast, "promises"), {"text": "Call", "due_at": _later(-1)})
    assert response.status_code == 400
    assert response.json() == {"due_at": ["A promise must be due in the future."]}
    assert not Promise.objects.exists()


def test_breaking_a_promise_needs_a_note(cast: Cast, api_as: ApiAs) -> None:
    promise = promise_make(
        actor=cast.owner, case=cast.case, text="Plumber Monday", due_at=timezone.now() + timedelta(1)
    )
    settle = reverse("api:promise-settle", args=[promise.pk])
    response = api_as(cast.owner).post(settle, {"outcome": "broken"})
    assert response.status_code == 400
    assert list(response.json()) == ["note"]
    assert Promise.objects.get(pk=promise.pk).status == "open"


def test_customers_see_the_promises_made_to_them_and_cannot_settle_them(cast: Cast, api_as: ApiAs) -> None:
    owed = promise_make(actor=cast.owner, case=cast.case, text="Plumber Monday", due_at=timezone.now() + timedelta(1))
    internal = promise_make(
        actor=cast.owner,
        case=cast.case,
        text="Send the insurer the photos",
        due_at=timezone.now() + timedelta(1),
        owed_to_customer=False,
        owed_to_name="Mutuelle Habitat",
    )
    client = api_as(cast.customer.user)
    assert [row["id"] for row in client.get(on_case(cast, "promises")).json()["results"]] == [owed.pk]
    assert client.get(reverse("api:promise-detail", args=[internal.pk])).status_code == 404
    assert client.post(reverse("api:promise-settle", args=[owed.pk]), {"outcome": "kept"}).status_code == 403
    assert api_as(cast.other_customer.user).get(reverse("api:promise-detail", args=[owed.pk])).status_code == 404


# --- claims ---------------------------------------------------------------------------------


def test_claims_are_filed_and_moved_along_their_states(cast: Cast, api_as: ApiAs) -> None:
    filed = api_as(cast.owner).post(
        on_case(cast, "claims"),
        {"insurer": "Mutuelle Habitat", "policy_holder": "customer", "amount_claimed": "1250.50"},
        format="json",
    )
    assert filed.status_code == 201
    assert filed.json()["status"] == "filed"
    assert filed.json()["amount_claimed"] == "1250.50"
    updates = reverse("api:claim-updates", args=[filed.json()["id"]])
    moved = api_as(cast.owner).post(updates, {"status": "acknowledged", "claim_number": "MH-778"})
    assert moved.status_code == 200
    assert moved.json()["claim_number"] == "MH-778"
    skipped = api_as(cast.owner).post(updates, {"status": "paid"})
    assert skipped.status_code == 400
    assert list(skipped.json()) == ["status"]
    assert InsuranceClaim.objects.get(pk=filed.json()["id"]).status == "acknowledged"


def test_the_customer_reads_their_claims_but_does_not_update_them(cast: Cast, api_as: ApiAs) -> None:
    claim = claim_file(actor=cast.owner, case=cast.case, insurer="Mutuelle Habitat", policy_holder="customer")
    client = api_as(cast.customer.user)
    assert client.get(reverse("api:claim-detail", args=[claim.pk])).json()["insurer"] == "Mutuelle Habitat"
    assert client.post(reverse("api:claim-updates", args=[claim.pk]), {"note": "Called"}).status_code == 403
    assert api_as(cast.contractor_user).get(reverse("api:claim-detail", args=[claim.pk])).status_code == 404


def test_a_negative_amount_is_refused_by_the_service(cast: Cast, api_as: ApiAs) -> None:
    response = api_as(cast.owner).post(
        on_case(cast, "claims"), {"insurer": "X", "policy_holder": "company", "amount_claimed": "-5"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"amount_claimed": ["Amounts cannot be negative."]}


# --- handoffs -------------------------------------------------------------------------------


def _handoff(cast: Cast, expected_owner: int) -> dict[str, object]:
    return {
        "to_user": cast.other_agent.pk,
        "reason": "Field visit needed",
        "summary": "Pipe leaks; plumber promised for Monday.",
        "expected_owner": expected_owner,
    }


def test_a_handoff_gives_the_case_to_the_next_owner_who_acknowledges_it(cast: Cast, api_as: ApiAs) -> None:
    response = api_as(cast.owner).post(on_case(cast, "handoffs"), _handoff(cast, cast.owner.pk))
    assert response.status_code == 201
    assert response.json()["to_user"]["name"] == "Adam Agent"
    assert Case.objects.get(pk=cast.case.pk).owner == cast.other_agent
    acknowledge = reverse("api:handoff-acknowledge", args=[response.json()["id"]])
    assert api_as(cast.owner).post(acknowledge).status_code == 403
    acknowledged = api_as(cast.other_agent).post(acknowledge)
    assert acknowledged.status_code == 200
    assert acknowledged.json()["acknowledged_at"] is not None


def test_a_handoff_of_a_case_that_just_changed_hands_is_a_conflict(cast: Cast, api_as: ApiAs) -> None:
    # The manager hands the case to the head a second before its owner, who still sees it as theirs.
    case_handoff(actor=cast.manager, case=cast.case, to_user=cast.head, reason="Escalated", summary="Head takes it.")
    events_before = TimelineEvent.objects.filter(case=cast.case).count()
    response = api_as(cast.owner).post(on_case(cast, "handoffs"), _handoff(cast, cast.owner.pk))
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert response.json()["field"] == "to_user"
    assert "reload" in response.json()["detail"]
    # Nothing half-written: the owner, the handoffs and the timeline are as they were.
    assert Case.objects.get(pk=cast.case.pk).owner == cast.head
    assert Handoff.objects.filter(case=cast.case).count() == 1
    assert TimelineEvent.objects.filter(case=cast.case).count() == events_before


def test_acknowledging_a_handoff_the_case_moved_on_from_is_a_conflict(cast: Cast, api_as: ApiAs) -> None:
    first = case_handoff(actor=cast.owner, case=cast.case, to_user=cast.other_agent, reason="r", summary="s")
    case_handoff(actor=cast.manager, case=cast.case, to_user=cast.owner, reason="Back", summary="Back to you.")
    response = api_as(cast.other_agent).post(reverse("api:handoff-acknowledge", args=[first.pk]))
    assert response.status_code == 409


def test_handoff_summaries_are_for_staff_only(cast: Cast, api_as: ApiAs) -> None:
    handoff = case_handoff(actor=cast.owner, case=cast.case, to_user=cast.other_agent, reason="r", summary="s")
    assert api_as(cast.manager).get(on_case(cast, "handoffs")).json()["results"][0]["id"] == handoff.pk
    assert api_as(cast.customer.user).get(on_case(cast, "handoffs")).json()["results"] == []
    refused = api_as(cast.customer.user).post(on_case(cast, "handoffs"), _handoff(cast, cast.other_agent.pk))
    assert refused.status_code == 403
    assert api_as(cast.customer.user).post(reverse("api:handoff-acknowledge", args=[handoff.pk])).status_code == 404


def test_a_handoff_to_someone_outside_staff_names_the_field(cast: Cast, api_as: ApiAs) -> None:
    payload = {**_handoff(cast, cast.owner.pk), "to_user": cast.customer.user_id}
    response = api_as(cast.owner).post(on_case(cast, "handoffs"), payload)
    assert response.status_code == 400
    assert list(response.json()) == ["to_user"]


# --- service alerts on a case -----------------------------------------------------------------


def test_staff_link_a_case_to_an_outage_and_the_customer_sees_it(cast: Cast, api_as: ApiAs) -> None:
    fibre = ServiceFactory(code="fibre")
    cast.customer.services.add(fibre)
    outage = ServiceAlertFactory(service=fibre, kind="outage", title="Cabinet down", posted_by=cast.owner)
    elsewhere = ServiceAlertFactory(service=ServiceFactory(code="mail"), title="Mail maintenance", area="75001")
    url = on_case(cast, "alerts")
    staff = {row["title"]: row for row in api_as(cast.owner).get(url).json()}
    assert staff["Cabinet down"]["affects"] is True
    assert staff["Mail maintenance"]["affects"] is False
    linked = api_as(cast.owner).post(url, {"alert": outage.pk})
    assert linked.status_code == 201
    assert linked.json()["linked"] is True
    again = api_as(cast.owner).post(url, {"alert": outage.pk})
    assert again.status_code == 400
    assert list(again.json()) == ["alert"]
    customer_titles = [row["title"] for row in api_as(cast.customer.user).get(url).json()]
    assert customer_titles == ["Cabinet down"]
    assert elsewhere.title not in customer_titles
    assert api_as(cast.customer.user).post(url, {"alert": elsewhere.pk}).status_code == 403
