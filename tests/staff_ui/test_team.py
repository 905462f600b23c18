"""The team view: managers see each person's load and what is overdue, counted by the database."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from cases.services import case_handoff, flag_raise, promise_make
from tests.conftest import Cast
from tests.factories import make_case, make_staff
from tests.staff_ui.conftest import signed_in
from tests.staff_ui.pages import text

TEAM = reverse("staff:team")


def row(page: str, name: str) -> str:
    start = page.index(name)
    return page[start : start + 160]


def test_manager_sees_load_and_overdue_work_per_person(cast: Cast) -> None:
    second = make_case(customer=cast.customer, owner=cast.owner, subject="Router", priority="urgent")
    earlier = timezone.now() - timedelta(hours=3)
    promise_make(actor=cast.owner, case=second, text="Call back", due_at=earlier + timedelta(hours=1), now=earlier)
    Case.objects.filter(pk=second.pk).update(reply_due_at=timezone.now() - timedelta(hours=1))
    flag_raise(kind="silent_case", subject_key="case:t", summary="Quiet", case=second)
    case_handoff(actor=cast.other_agent, case=cast.other_case, to_user=cast.owner, reason="Visit", summary="Read")

    page = text(signed_in(cast.manager).get(TEAM))
    # Open cases, high or urgent, replies overdue, promises overdue, open flags, handoffs not yet read.
    assert row(page, "Olivia Owner").startswith("Olivia Owner Customer relations, Agent 3 1 1 1 1 1")
    assert row(page, "Adam Agent").startswith("Adam Agent Customer relations, Agent 0 0 0 0 0 0")
    assert "Whole team 3 1 1 1 1" in page


def test_agents_have_no_team_view(cast: Cast) -> None:
    response = signed_in(cast.owner).get(TEAM)
    assert response.status_code == 403
    assert "for team managers" in text(response)


def test_team_view_query_count_does_not_grow_with_the_team(cast: Cast, django_assert_max_num_queries) -> None:
    client = signed_in(cast.manager)
    for n in range(12):
        member = make_staff(f"member{n}", department=cast.owner.staff_profile.department, manager=cast.manager)
        make_case(customer=cast.customer, owner=member, subject=f"Case {n}")
    # The page's own queries, the staff banner's alerts, the members, then one grouped count per
    # table (cases, promises, flags, handoffs).
    with django_assert_max_num_queries(11):
        response = client.get(TEAM)
    assert text(response).count("Customer relations, Agent") == 15  # the manager, Olivia, Adam and 12 more
