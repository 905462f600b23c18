"""A note posted through the API follows the pages' rule for "@username": a colleague is asked
for help, an unknown name is a field error and nothing is written."""

from django.urls import reverse

from cases.models import Flag
from tests.api.conftest import ApiAs
from tests.cases.dbstate import nothing_written
from tests.conftest import Cast


def test_a_note_mentioning_a_colleague_asks_them(cast: Cast, api_as: ApiAs) -> None:
    url = reverse("api:case-messages", args=[cast.case.reference])
    response = api_as(cast.owner).post(url, {"kind": "note", "body": "@agent2 can you call the street team?"})
    assert response.status_code == 201
    [flag] = Flag.objects.filter(case=cast.case, kind=Flag.Kind.HELP_REQUESTED)
    assert flag.assignee == cast.other_agent


def test_an_unknown_name_is_a_400_on_the_body(cast: Cast, api_as: ApiAs) -> None:
    url = reverse("api:case-messages", args=[cast.case.reference])
    client = api_as(cast.owner)
    with nothing_written():
        response = client.post(url, {"kind": "note", "body": "@nobody can you call the street team?"})
    assert response.status_code == 400
    assert "@nobody" in " ".join(response.json()["body"])
