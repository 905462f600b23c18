"""The role-matrix rows of the reports (/staff/reports/), added to tests/role_matrix.py's table.

Team managers and heads of department see their people's figures, the administrator (a superuser)
everyone's; other members of staff are told the reports are not for them (403); everyone outside
staff gets the 404 the staff pages give, and anonymous visitors are sent to sign in."""

from __future__ import annotations

from django.urls import reverse

from tests.role_matrix import DENIED, HIDDEN, LOGIN, OK, Expectations, Row, World, every


def _report(outcome_for_managers=OK) -> Expectations:
    return every(
        HIDDEN,
        staff=DENIED,
        colleague=DENIED,
        manager=outcome_for_managers,
        administrator=outcome_for_managers,
        anonymous=LOGIN,
    )


def _drill(world: World) -> str:
    query = f"table=promises&metric=made&by=owner&group={world.cast.owner.pk}"
    return f"{reverse('reports:cases')}?{query}"


REPORT_ROWS: list[Row] = [
    Row("reports:index", lambda world: reverse("reports:index"), get=_report()),
    Row("reports:table_csv", lambda world: reverse("reports:table_csv", args=["promises"]), get=_report()),
    Row("reports:cases", _drill, get=_report()),
]
