"""Case intake: a call or a walk-in becomes a case, for a customer found or created, with its
owner named from the first second and the call as its first event."""

import pytest
from django.urls import reverse

from cases.models import Case, Message, TimelineEvent
from cases.services.intake import CustomerDetails, case_intake
from people.models import Customer
from portal.errors import NotAllowed, RuleViolation
from tests.cases.dbstate import nothing_written
from tests.conftest import Cast
from tests.factories import CustomerFactory, ServiceFactory, make_staff
from tests.staff_ui.conftest import signed_in
from tests.staff_ui.pages import assert_field_error, case_url, html, text

INTAKE = reverse("staff:intake")
MATCHES = reverse("staff:intake_matches")


def intake_for(client, customer: object, **fields: str):
    data = {
        "customer": str(customer),
        "subject": "No heating since this morning",
        "priority": "high",
        "department": "support",
        "human_impact": "no heating",
    }
    data.update(fields)
    return client.post(INTAKE, data)


NEW_PERSON = {
    "full_name": "Lucie Bernard",
    "phone": "04 78 12 34 56",
    "email": "lucie.bernard@example.test",
    "address": "5 place Bellecour\n69002 Lyon",
    "postcode": "69002",
    "preferred_channel": "phone",
    "vulnerability_notes": "Hard of hearing: speak slowly.",
    "language": "fr",
}


def test_the_nav_leads_to_the_intake_page(owner_client) -> None:
    page = html(owner_client.get(reverse("staff:worklist")))
    assert f'href="{INTAKE}"' in page
    response = owner_client.get(INTAKE)
    assert response.status_code == 200
    assert f'href="{INTAKE}" aria-current="page"' in html(response)
    assert "Find the customer" in text(response)


def test_search_without_javascript_lists_likely_customers(owner_client, cast: Cast) -> None:
    cast.customer.phone, cast.customer.address, cast.customer.postcode = (
        "+33 4 78 00 11 22",
        "8 chemin du Moulin",
        "69440",
    )
    cast.customer.save(update_fields=["phone", "address", "postcode"])
    for term in ("martin jeanne", "04 78 00 11 22", cast.customer.email.upper(), "69440", "du moulin"):
        response = owner_client.get(INTAKE, {"q": term})
        page = html(response)
        assert f'value="{cast.customer.pk}"' in page, term
        assert "Omar Other" not in page, term
    # Her open case shows, so a second case about the same problem is avoided.
    assert cast.case.reference in text(owner_client.get(INTAKE, {"q": "Jeanne"}))
    assert "No customer matches" in text(owner_client.get(INTAKE, {"q": "Nobody Here"}))


def test_the_matches_fragment_answers_as_you_type(owner_client, cast: Cast) -> None:
    response = owner_client.get(MATCHES, {"q": "Jean"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    fragment = html(response)
    assert "<html" not in fragment
    assert "Jeanne Martin" in fragment
    assert "89 years old" in fragment  # vulnerability notes are shown before anything else is said
    # The customer already chosen stays on top of a new search.
    pinned = html(owner_client.get(MATCHES, {"q": "Omar", "customer": str(cast.customer.pk)}))
    assert pinned.index("Jeanne Martin") < pinned.index("Omar Other")
    assert f'value="{cast.customer.pk}" id="matches-customer-{cast.customer.pk}" checked' in pinned


def test_the_search_box_is_wired_for_htmx(owner_client) -> None:
    page = html(owner_client.get(INTAKE))
    assert f'hx-get="{MATCHES}"' in page
    assert 'hx-trigger="input changed delay:300ms, search"' in page


def test_intake_for_an_existing_customer_opens_the_case_and_goes_to_it(owner_client, cast: Cast) -> None:
    service = ServiceFactory()
    before = Customer.objects.count()
    response = intake_for(owner_client, cast.customer.pk, service=str(service.pk))
    case = Case.objects.exclude(pk__in=[cast.case.pk, cast.other_case.pk]).get()
    assert response.status_code == 302
    assert response.url == case_url(case)
    assert Customer.objects.count() == before
    assert (case.customer, case.owner, case.created_by) == (cast.customer, cast.owner, cast.owner)
    assert (case.priority, case.human_impact, case.service) == ("high", "no heating", service)
    followed = text(owner_client.get(response.url))
    assert f"Case {case.reference} opened for Jeanne Martin. Owner: Olivia Owner." in followed


def test_intake_for_a_new_customer_creates_them_with_the_case(owner_client, cast: Cast) -> None:
    response = intake_for(owner_client, "new", **NEW_PERSON)
    assert response.status_code == 302
    customer = Customer.objects.get(full_name="Lucie Bernard")
    assert (customer.phone, customer.email, customer.postcode, customer.service_area) == (
        "04 78 12 34 56",
        "lucie.bernard@example.test",
        "69002",
        "69002",
    )
    assert (customer.preferred_channel, customer.language) == ("phone", "fr")
    assert customer.vulnerability_notes == "Hard of hearing: speak slowly."
    assert customer.history.get().history_user == cast.owner  # the record's first version names its writer
    case = customer.cases.get()
    assert case.owner == cast.owner
    summaries = list(case.timeline.order_by("pk").values_list("summary", flat=True))
    assert summaries[:2] == [
        "Case opened: No heating since this morning. Owner: Olivia Owner.",
        "New customer record: Lucie Bernard.",
    ]


def test_owner_defaults_to_the_person_taking_the_call_and_may_be_a_colleague(owner_client, cast: Cast) -> None:
    page = html(owner_client.get(INTAKE))
    assert f'<option value="{cast.owner.pk}" selected>' in page
    intake_for(owner_client, cast.customer.pk, subject="First")
    assert Case.objects.get(subject="First").owner == cast.owner
    intake_for(owner_client, cast.customer.pk, subject="Second", owner=str(cast.other_agent.pk))
    second = Case.objects.get(subject="Second")
    assert (second.owner, second.created_by) == (cast.other_agent, cast.owner)


def test_an_inactive_colleague_cannot_own_the_case(owner_client, cast: Cast) -> None:
    gone = make_staff("gone", department=cast.owner.staff_profile.department, is_active=False)
    with nothing_written():
        response = intake_for(owner_client, cast.customer.pk, owner=str(gone.pk))
    assert response.status_code == 400
    assert_field_error(response, "id_owner", "Select a valid choice.")


def test_the_service_refuses_an_owner_who_is_not_active_staff(cast: Cast) -> None:
    gone = make_staff("gone", department=cast.owner.staff_profile.department, is_active=False)
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        case_intake(actor=cast.owner, customer=cast.customer, subject="Heating", owner=gone)
    assert refused.value.field == "owner"
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        case_intake(actor=cast.owner, customer=cast.customer, subject="Heating", owner=cast.contractor_user)
    assert refused.value.field == "owner"


def test_the_call_is_logged_as_the_first_event_after_opening(owner_client, cast: Cast) -> None:
    intake_for(owner_client, cast.customer.pk, call_summary="Radiators cold since 7am; she has a small heater.")
    case = Case.objects.get(subject="No heating since this morning")
    call = case.messages.get()
    assert (call.channel, call.direction, call.author) == (
        Message.Channel.PHONE,
        Message.Direction.INBOUND,
        cast.owner,
    )
    kinds = list(case.timeline.order_by("pk").values_list("kind", flat=True))
    assert kinds == [TimelineEvent.Kind.CASE_OPENED, TimelineEvent.Kind.CALL]


def test_a_walk_in_without_a_call_logs_no_call(owner_client, cast: Cast) -> None:
    intake_for(owner_client, cast.customer.pk)
    case = Case.objects.get(subject="No heating since this morning")
    assert not case.messages.exists()


def test_bad_input_keeps_everything_typed_and_names_the_fields(owner_client, cast: Cast) -> None:
    with nothing_written():
        response = intake_for(
            owner_client,
            "new",
            **{**NEW_PERSON, "full_name": "   ", "email": "not-an-address"},
            subject="",
            call_summary="She called about the heating.",
        )
    assert response.status_code == 400
    assert_field_error(response, "id_subject", "This field is required.")
    page = html(response)
    assert 'id="error-summary"' in page
    assert 'value="04 78 12 34 56"' in page
    assert "She called about the heating." in page
    assert 'value="new" id="customer-new" checked' in page
    assert f'<option value="{cast.owner.pk}" selected>' in page  # the owner left out is still the agent
    # Once the form itself is whole, the service names what it refuses.
    with nothing_written():
        response = intake_for(owner_client, "new", **{**NEW_PERSON, "full_name": "   "})
    assert_field_error(response, "id_full_name", "Write the customer&#x27;s full name.")
    with nothing_written():
        response = intake_for(owner_client, "new", **{**NEW_PERSON, "email": "not-an-address"})
    assert_field_error(response, "id_email", "Enter a valid e-mail address.")
    with nothing_written():
        response = intake_for(owner_client, "new", **{**NEW_PERSON, "phone": ""})
    assert_field_error(response, "id_phone", "They prefer the phone: write their phone number.")
    assert "Hard of hearing: speak slowly." in html(response)


def test_no_customer_chosen_is_refused(owner_client, cast: Cast) -> None:
    with nothing_written():
        response = intake_for(owner_client, "")
    assert response.status_code == 400
    assert "Choose the customer, or “New customer” to create one." in html(response)
    assert 'href="#id_customer"' in html(response)
    with nothing_written():
        response = intake_for(owner_client, "999999")
    assert "This customer no longer exists: search again." in html(response)


def test_likely_duplicates_are_shown_and_must_be_confirmed(owner_client, cast: Cast) -> None:
    known = CustomerFactory(full_name="Lucie Bernard", phone="+33 4 78 12 34 56", email="lucie@elsewhere.test")
    # As the agent types a new customer's details, the likely duplicate shows.
    fragment = html(
        owner_client.get(MATCHES, {"list": "duplicates", "full_name": "", "email": "", "phone": "0478123456"})
    )
    assert f'value="{known.pk}"' in fragment
    assert "Already known?" in fragment
    # Creating them anyway is refused, with the duplicate offered instead.
    with nothing_written():
        response = intake_for(owner_client, "new", **NEW_PERSON)
    assert response.status_code == 400
    assert_field_error(
        response,
        "id_phone",
        "Lucie Bernard already has this phone number: choose them, or confirm this is someone else.",
    )
    page = html(response)
    assert f'value="{known.pk}" id="duplicates-customer-{known.pk}"' in page
    assert 'name="allow_duplicate"' in page
    # Confirmed as someone else, the new customer is made.
    response = intake_for(owner_client, "new", **NEW_PERSON, allow_duplicate="on")
    assert response.status_code == 302
    assert Customer.objects.filter(full_name="Lucie Bernard").count() == 2


def test_same_email_is_a_duplicate_too(cast: Cast) -> None:
    with nothing_written(), pytest.raises(RuleViolation) as refused:
        case_intake(
            actor=cast.owner,
            new_customer=CustomerDetails(full_name="J. Martin", email=cast.customer.email.upper()),
            subject="Heating",
        )
    assert (refused.value.field, refused.value.code) == ("email", "duplicate")


def test_customers_contractors_and_anonymous_visitors_cannot_open_cases_here(cast: Cast, client) -> None:
    for outsider in (cast.customer.user, cast.delegate, cast.contractor_user, cast.administrator):
        visitor = signed_in(outsider)
        assert visitor.get(INTAKE).status_code == 404
        assert visitor.get(MATCHES, {"q": "Jeanne"}).status_code == 404
        with nothing_written():
            assert intake_for(visitor, cast.customer.pk).status_code == 404
    response = client.get(INTAKE)
    assert response.status_code == 302 and "/login/" in response.url
    with nothing_written():
        assert intake_for(client, cast.customer.pk).status_code == 302


def test_the_service_refuses_a_customer_as_actor(cast: Cast) -> None:
    with nothing_written(), pytest.raises(NotAllowed):
        case_intake(actor=cast.customer.user, customer=cast.customer, subject="Heating")


def test_a_manager_may_open_a_case_for_their_agent(cast: Cast) -> None:
    response = intake_for(signed_in(cast.manager), cast.customer.pk, owner=str(cast.owner.pk))
    assert response.status_code == 302
    case = Case.objects.get(subject="No heating since this morning")
    assert (case.owner, case.created_by) == (cast.owner, cast.manager)
