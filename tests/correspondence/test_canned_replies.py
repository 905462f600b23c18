"""Canned replies: offered per department, filled in for the case, edited before sending."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from cases.services import promise_make
from correspondence.models import CannedReply
from tests.factories import DepartmentFactory


def _page(client, case, **params):
    return client.get(reverse("staff:case", args=[case.reference]), params).content.decode()


def test_a_canned_reply_fills_the_reply_box_for_this_case(client, owner, case):
    promise_make(actor=owner, case=case, text="The plumber returns Monday", due_at=timezone.now() + timedelta(days=2))
    reply = CannedReply.objects.create(
        title="Plumber booked",
        department=owner.staff_profile.department,
        body="Hello {customer_name}, about {case_reference}: {next_promise}. {owner_name}",
    )
    client.force_login(owner)

    page = _page(client, case, canned=reply.pk)

    assert "Plumber booked" in page
    expected = f"Hello Jeanne Martin, about {case.reference}: The plumber returns Monday. Olivia Owner"
    assert expected in page  # in the textarea, to edit before sending


def test_other_departments_and_switched_off_replies_are_not_offered(client, owner, case):
    CannedReply.objects.create(title="Sales pitch", department=DepartmentFactory(code="sales", name="Sales"), body="x")
    CannedReply.objects.create(title="Old wording", body="x", is_active=False)
    CannedReply.objects.create(title="For everyone", body="Hello {customer_name}")
    client.force_login(owner)

    page = _page(client, case)

    assert "For everyone" in page and "Sales pitch" not in page and "Old wording" not in page


def test_a_reply_from_another_department_cannot_be_pulled_in_by_its_id(client, owner, case):
    hidden = CannedReply.objects.create(
        title="Sales pitch", department=DepartmentFactory(code="sales", name="Sales"), body="Buy {case_reference}"
    )
    client.force_login(owner)

    page = _page(client, case, canned=hidden.pk)

    assert f"Buy {case.reference}" not in page


def test_placeholders_cannot_reach_attributes(client, owner, case):
    reply = CannedReply.objects.create(title="Trick", body="{case_reference.__class__} {customer_name!r}")
    client.force_login(owner)

    page = _page(client, case, canned=reply.pk)

    assert "{case_reference.__class__} {customer_name!r}" in page
