"""The report pages: who sees whose figures, the period form, CSV exports, the cases behind a figure,
and a bounded number of queries."""

import csv
import io
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from reports.csv_export import safe_cell
from reports.tables import TABLES

pytestmark = pytest.mark.django_db

INDEX = "/staff/reports/"


def _labels(response, table: str) -> set[str]:
    report = next(r for r in response.context["reports"] if r.table.key == table)
    return {row.label for row in report.rows}


def _name(user: User) -> str:
    return user.get_full_name() or user.get_username()


def test_a_manager_sees_their_own_team_only(client, history):
    client.force_login(history.cast.manager)
    response = client.get(INDEX)
    assert response.status_code == 200
    promise_owners = _labels(response, "promises")
    assert _name(history.cast.owner) in promise_owners
    assert _name(history.second_team_agent) not in promise_owners
    assert _name(history.far_agent) not in _labels(response, "responses")
    # Every figure but the empty ones opens its cases.
    assert 'href="/staff/reports/cases/?' in response.content.decode()


def test_a_head_of_department_sees_the_department(client, history):
    client.force_login(history.cast.head)
    response = client.get(INDEX)
    assert response.status_code == 200
    assert {_name(history.cast.owner), _name(history.second_team_agent)} <= _labels(response, "promises")
    assert _name(history.far_agent) not in _labels(response, "responses")


def test_an_administrator_sees_everyone(client, history):
    client.force_login(history.cast.administrator)
    response = client.get(INDEX)
    assert response.status_code == 200
    assert _name(history.far_agent) in _labels(response, "responses")


def test_plain_staff_are_refused_and_see_no_link(client, history):
    client.force_login(history.cast.owner)
    assert client.get(INDEX).status_code == 403
    assert client.get(reverse("reports:table_csv", args=["promises"])).status_code == 403
    worklist = client.get(reverse("staff:worklist")).content.decode()
    assert reverse("reports:index") not in worklist
    client.force_login(history.cast.manager)
    assert reverse("reports:index") in client.get(reverse("staff:worklist")).content.decode()


def test_customers_do_not_find_the_reports(client, history):
    client.force_login(history.cast.customer.user)
    assert client.get(INDEX).status_code == 404


@pytest.mark.parametrize(
    "query, field, message",
    [
        ({"from": "2026-03-10", "to": "2026-03-01"}, "to", "The end date must be on or after the start date."),
        ({"from": "2025-01-01", "to": "2026-03-01"}, "to", "A report covers at most 366 days"),
        ({"from": "yesterday"}, "from", "Enter a valid date."),
        ({"by": "weather"}, "by", "Select a valid choice."),
    ],
)
def test_a_bad_period_is_a_form_error(client, history, query, field, message):
    client.force_login(history.cast.manager)
    response = client.get(INDEX, query)
    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors[field])
    assert response.context["reports"] == []
    assert client.get(reverse("reports:table_csv", args=["promises"]), query).status_code == 400


def test_the_default_period_is_the_last_thirty_days(client, history):
    client.force_login(history.cast.manager)
    period = client.get(INDEX).context["period"]
    assert period.end == timezone.localdate()
    assert (period.end - period.start).days == 29


def _csv(response) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


@pytest.mark.parametrize("by", ["owner", "department", "company", "service"])
def test_each_csv_holds_the_rows_of_its_table(client, history, by):
    client.force_login(history.cast.head)
    page = client.get(INDEX, {"by": by})
    for report in page.context["reports"]:
        response = client.get(reverse("reports:table_csv", args=[report.table.key]), {"by": by})
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert "attachment" in response["Content-Disposition"]
        header, *lines = _csv(response)
        assert header == report.header
        assert lines == [[safe_cell(text) for text in line] for line in report.lines()]
        assert len(lines) == len(report.rows)


def test_csv_cells_never_start_a_formula(client, history):
    User.objects.filter(pk=history.cast.owner.pk).update(first_name='=HYPERLINK("http://x")', last_name="")
    client.force_login(history.cast.manager)
    _header, *lines = _csv(client.get(reverse("reports:table_csv", args=["promises"])))
    assert [line[0] for line in lines if "HYPERLINK" in line[0]] == ['\'=HYPERLINK("http://x")']
    assert [safe_cell(text) for text in ("+1", "-2", "@a", "ok")] == ["'+1", "'-2", "'@a", "ok"]


def test_an_unknown_table_has_no_csv(client, history):
    client.force_login(history.cast.manager)
    assert client.get("/staff/reports/nothing.csv").status_code == 404


def _drill_links(response, table: str) -> dict[str, str]:
    report = next(r for r in response.context["reports"] if r.table.key == table)
    return {cell.column.key: cell.href for row in report.rows for cell in row.cells if cell.href}


def test_a_figure_opens_the_cases_behind_it(client, history):
    client.force_login(history.cast.manager)
    links = _drill_links(client.get(INDEX), "promises")
    page = client.get(links["broken"])
    assert page.status_code == 200
    assert [case.reference for case in page.context["page"].object_list] == [history.late_case.reference]


def test_the_cases_behind_a_figure_keep_to_the_readers_scope(client, history):
    client.force_login(history.cast.administrator)
    far_link = _drill_links(client.get(INDEX), "responses")
    far_query = {key: values[0] for key, values in parse_qs(urlparse(far_link["received"]).query).items()}
    far_query["group"] = str(history.far_agent.pk)
    assert client.get(reverse("reports:cases"), far_query).context["page"].paginator.count == 1
    client.force_login(history.cast.manager)
    response = client.get(reverse("reports:cases"), far_query)
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 0


def test_a_drill_down_for_no_such_figure_is_a_form_error(client, history):
    client.force_login(history.cast.manager)
    response = client.get(reverse("reports:cases"), {"table": "promises", "metric": "nonsense", "group": "x"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"metric", "group"}


def test_the_page_takes_a_bounded_number_of_queries(client, history, django_assert_max_num_queries):
    client.force_login(history.cast.head)
    # One grouped query per table, one per median and one for the names of each table's groups,
    # plus the session, the user and the header's flag count: nothing per row.
    budget = 2 * len(TABLES) + 2 + 6
    with django_assert_max_num_queries(budget):
        assert client.get(INDEX, {"from": (timezone.localdate() - timedelta(days=90)).isoformat()}).status_code == 200
