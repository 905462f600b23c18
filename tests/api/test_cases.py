"""/api/v1/cases/ and /customers/: reads scoped like the pages, writes through the services."""

from django.urls import reverse

from cases.models import Case, Flag, TimelineEvent
from cases.services import case_resolve
from tests.api.conftest import ApiAs
from tests.conftest import Cast
from tests.factories import make_case

# The cast's case has a contractor job still open: resolving it needs a reason.
JOB_STILL_OPEN = "The visit only tidies up; the customer is fine."


def _references(response) -> set[str]:
    return {row["reference"] for row in response.json()["results"]}


def case_url(case: Case, suffix: str = "") -> str:
    return reverse("api:case-detail", args=[case.reference]) + suffix


# --- reading ------------------------------------------------------------------------------


def test_each_party_lists_only_the_cases_the_pages_show_them(cast: Cast, api_as: ApiAs) -> None:
    url = reverse("api:case-list")
    both = {cast.case.reference, cast.other_case.reference}
    assert _references(api_as(cast.owner).get(url)) == both
    assert _references(api_as(cast.administrator).get(url)) == both
    assert _references(api_as(cast.customer.user).get(url)) == {cast.case.reference}
    assert _references(api_as(cast.delegate).get(url)) == {cast.case.reference}
    assert _references(api_as(cast.other_customer.user).get(url)) == {cast.other_case.reference}
    assert _references(api_as(cast.contractor_user).get(url)) == set()


def test_a_case_someone_may_not_see_is_not_found(cast: Cast, api_as: ApiAs) -> None:
    for outsider in (cast.other_customer.user, cast.contractor_user):
        response = api_as(outsider).get(case_url(cast.case))
        assert response.status_code == 404
        assert response.json() == api_as(outsider).get(reverse("api:case-detail", args=["CS-1999-000001"])).json()


def test_staff_read_what_the_customer_side_does_not(cast: Cast, api_as: ApiAs) -> None:
    staff_view = api_as(cast.owner).get(case_url(cast.case)).json()
    customer_view = api_as(cast.customer.user).get(case_url(cast.case)).json()
    assert staff_view["owner"]["name"] == "Olivia Owner"
    assert customer_view["owner"] == staff_view["owner"]  # who owns it and how to reach them
    assert "reply_due_at" in staff_view
    assert "reply_due_at" not in customer_view
    assert "reopen_count" not in customer_view


def test_filters_narrow_the_list(cast: Cast, api_as: ApiAs) -> None:
    settled = make_case(customer=cast.customer, owner=cast.owner, subject="Billing question")
    case_resolve(actor=cast.owner, case=settled, summary="Refund issued.")
    client = api_as(cast.owner)
    url = reverse("api:case-list")
    assert _references(client.get(url, {"status": "resolved"})) == {settled.reference}
    assert _references(client.get(url, {"customer": cast.customer.pk, "q": "fibre"})) == {cast.case.reference}
    assert _references(client.get(url, {"owner": cast.other_agent.pk})) == {cast.other_case.reference}


def test_a_bad_filter_value_is_a_field_error(cast: Cast, api_as: ApiAs) -> None:
    response = api_as(cast.owner).get(reverse("api:case-list"), {"status": "lost", "owner": "someone"})
    assert response.status_code == 400
    assert set(response.json()) == {"status", "owner"}


def test_the_cursor_walks_every_case_once(cast: Cast, api_as: ApiAs) -> None:
    for number in range(5):
        make_case(customer=cast.customer, owner=cast.owner, subject=f"Case {number}")
    client = api_as(cast.owner)
    seen: list[str] = []
    url = reverse("api:case-list") + "?page_size=3"
    while url:
        page = client.get(url).json()
        seen += [row["reference"] for row in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == Case.objects.count() == 7


def test_an_unknown_cursor_is_not_found(cast: Cast, api_as: ApiAs) -> None:
    response = api_as(cast.owner).get(reverse("api:case-list"), {"cursor": "not-a-cursor"})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_customers_are_scoped_like_cases(cast: Cast, api_as: ApiAs) -> None:
    url = reverse("api:customer-list")

    def names(user) -> set[str]:
        return {row["full_name"] for row in api_as(user).get(url).json()["results"]}

    assert names(cast.owner) == {"Jeanne Martin", "Omar Other"}
    assert names(cast.customer.user) == {"Jeanne Martin"}
    assert names(cast.delegate) == {"Jeanne Martin"}
    assert names(cast.contractor_user) == set()
    detail = reverse("api:customer-detail", args=[cast.customer.pk])
    assert api_as(cast.other_customer.user).get(detail).status_code == 404
    assert api_as(cast.owner).get(detail).json()["vulnerability_notes"] == "89 years old"
    assert "vulnerability_notes" not in api_as(cast.customer.user).get(detail).json()


# --- opening a case ---------------------------------------------------------------------


def test_staff_open_a_case_they_own_unless_they_name_another_owner(cast: Cast, api_as: ApiAs) -> None:
    url = reverse("api:customer-cases", args=[cast.customer.pk])
    mine = api_as(cast.owner).post(url, {"subject": "Heating broken", "priority": "urgent"})
    assert mine.status_code == 201
    assert mine.json()["owner"]["id"] == cast.owner.pk
    assert mine.json()["priority"] == "urgent"
    theirs = api_as(cast.owner).post(url, {"subject": "Router", "owner": cast.other_agent.pk})
    assert Case.objects.get(reference=theirs.json()["reference"]).owner == cast.other_agent


def test_a_customer_opening_a_case_gets_an_owner_steward_picks(cast: Cast, api_as: ApiAs) -> None:
    url = reverse("api:customer-cases", args=[cast.customer.pk])
    response = api_as(cast.customer.user).post(url, {"subject": "No hot water", "owner": cast.other_agent.pk})
    assert response.status_code == 201
    # The owner of her latest case, not whoever she names.
    assert Case.objects.get(reference=response.json()["reference"]).owner == cast.owner


def test_nobody_opens_a_case_for_a_customer_they_cannot_see(cast: Cast, api_as: ApiAs) -> None:
    url = reverse("api:customer-cases", args=[cast.customer.pk])
    before = Case.objects.count()
    assert api_as(cast.other_customer.user).post(url, {"subject": "Hijack"}).status_code == 404
    assert api_as(cast.contractor_user).post(url, {"subject": "Hijack"}).status_code == 404
    assert Case.objects.count() == before


def test_opening_a_case_without_a_subject_names_the_field(cast: Cast, api_as: ApiAs) -> None:
    url = reverse("api:customer-cases", args=[cast.customer.pk])
    response = api_as(cast.owner).post(url, {"subject": "   "})
    assert response.status_code == 400
    assert response.json() == {"subject": ["Write a subject."]}
    missing = api_as(cast.owner).post(url, {})
    assert missing.status_code == 400
    assert "subject" in missing.json()


# --- acting on a case ---------------------------------------------------------------------


def test_the_owner_moves_the_status_and_the_customer_may_not(cast: Cast, api_as: ApiAs) -> None:
    moved = api_as(cast.owner).post(case_url(cast.case, "status/"), {"status": "waiting_contractor"})
    assert moved.status_code == 200
    assert moved.json()["status"] == "waiting_contractor"
    refused = api_as(cast.customer.user).post(case_url(cast.case, "status/"), {"status": "in_progress"})
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert Case.objects.get(pk=cast.case.pk).status == "waiting_contractor"


def test_a_status_the_service_refuses_is_a_field_error(cast: Cast, api_as: ApiAs) -> None:
    response = api_as(cast.owner).post(case_url(cast.case, "status/"), {"status": "closed"})
    assert response.status_code == 400
    assert list(response.json()) == ["status"]
    # It says how a case closes.
    assert response.json()["status"] == [
        "A case cannot be closed by hand. Resolve it, saying what was done: it closes when the customer confirms "
        "it is fixed, or after the confirmation window and a reminder."
    ]


def test_resolve_then_the_customer_confirms_and_the_case_closes(cast: Cast, api_as: ApiAs) -> None:
    # The fibre job is still open: resolving over it needs a reason.
    refused = api_as(cast.owner).post(case_url(cast.case, "resolve/"), {"summary": "Pipe repaired."})
    assert refused.status_code == 400
    assert list(refused.json()) == ["override_reason"]
    assert f"Contractor job {cast.job.reference} with" in refused.json()["override_reason"][0]
    assert Case.objects.get(pk=cast.case.pk).status == cast.case.status
    resolved = api_as(cast.owner).post(
        case_url(cast.case, "resolve/"),
        {"summary": "Pipe repaired.", "override_reason": JOB_STILL_OPEN},
    )
    assert resolved.json()["status"] == "resolved"
    assert TimelineEvent.objects.filter(case=cast.case, data__override_reason=JOB_STILL_OPEN).exists()
    assert resolved.json()["confirmation_due_at"]
    confirmed = api_as(cast.customer.user).post(case_url(cast.case, "confirm/"))
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "closed"
    assert confirmed.json()["close_reason"] == "confirmed"


def test_confirming_an_unresolved_case_is_refused_and_changes_nothing(cast: Cast, api_as: ApiAs) -> None:
    response = api_as(cast.customer.user).post(case_url(cast.case, "confirm/"))
    assert response.status_code == 400
    assert response.json() == {"status": ["Only a resolved case can be confirmed."]}
    assert Case.objects.get(pk=cast.case.pk).status == cast.case.status


def test_the_customer_says_it_is_not_fixed_and_the_owner_is_flagged(cast: Cast, api_as: ApiAs) -> None:
    case_resolve(actor=cast.owner, case=cast.case, summary="Pipe repaired.", override_reason=JOB_STILL_OPEN)
    staff = api_as(cast.owner).post(case_url(cast.case, "reject-resolution/"), {"reason": "Still leaks"})
    assert staff.status_code == 403
    response = api_as(cast.delegate).post(case_url(cast.case, "reject-resolution/"), {"reason": "Still leaks"})
    assert response.status_code == 200
    assert response.json()["status"] == "in_progress"
    assert Flag.objects.filter(case=cast.case, kind="rejected_resolution", assignee=cast.owner).exists()


def test_staff_reopen_a_resolved_case(cast: Cast, api_as: ApiAs) -> None:
    case_resolve(actor=cast.owner, case=cast.case, summary="Pipe repaired.", override_reason=JOB_STILL_OPEN)
    response = api_as(cast.manager).post(case_url(cast.case, "reopen/"), {"reason": "She called: still leaking."})
    assert response.status_code == 200
    assert TimelineEvent.objects.filter(case=cast.case, kind="reopened").exists()


def test_a_colleague_who_does_not_work_on_the_case_may_read_but_not_resolve(cast: Cast, api_as: ApiAs) -> None:
    client = api_as(cast.other_agent)
    assert client.get(case_url(cast.case)).status_code == 200
    response = client.post(case_url(cast.case, "resolve/"), {"summary": "Done"})
    assert response.status_code == 403
    assert Case.objects.get(pk=cast.case.pk).status == cast.case.status


def test_actions_answer_405_to_a_get(cast: Cast, api_as: ApiAs) -> None:
    response = api_as(cast.owner).get(case_url(cast.case, "resolve/"))
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
