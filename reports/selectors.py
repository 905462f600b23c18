"""The reports' reads: each table is one grouped query (plus one bounded query per median and one
for the group names), counted by the database with Count(filter=...), never row by row in Python.

Every query is limited to the people the reader's report covers (cases.policies.report_owners_for).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.db.models import (
    Avg,
    Count,
    F,
    FloatField,
    Func,
    Max,
    OuterRef,
    QuerySet,
    Subquery,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cases.models import Case
from contractors.models import ContractorCompany, Job
from people.models import Department, Service
from reports import figures
from reports.period import Period
from reports.tables import TABLES, Column, Table

GROUPINGS: dict[str, Any] = {
    "owner": _("Team member"),
    "department": _("Department"),
    "company": _("Contractor company"),
    "service": _("Service"),
}
NO_GROUP = "none"


@dataclass
class Cell:
    column: Column
    value: Any
    text: str
    metric: str
    href: str = ""


@dataclass
class Row:
    label: str
    group: str
    dims: dict[str, str]
    dim_labels: list[str]
    cells: list[Cell]

    @property
    def labels(self) -> list[str]:
        return [self.label, *self.dim_labels]


@dataclass
class Bar:
    label: str
    value: float
    text: str


@dataclass
class Report:
    table: Table
    by: str
    rows: list[Row]
    bars: list[Bar] = field(default_factory=list)

    @property
    def header(self) -> list[str]:
        first = str(self.table.person_label) if self.by == "owner" else str(GROUPINGS[self.by])
        dims = [gettext("Kind") for _dim in self.table.dims]
        return [first, *dims, *(str(column.label) for column in self.table.columns)]

    def lines(self) -> list[list[str]]:
        """The table as text, row by row, exactly as the page shows it: what the CSV export writes."""
        return [[*row.labels, *(cell.text for cell in row.cells)] for row in self.rows]


def _group_expression(table: Table, by: str) -> Any:
    if by == "owner":
        return F(table.person)
    if by == "department":
        return F(f"{table.person}__staff_profile__department")
    if by == "service":
        return F(f"{table.case_path}service")
    if table.company:
        return F(table.company)
    # A case may have had several contractors: it counts for the company of its latest job.
    case = OuterRef(table.case_path.removesuffix("__"))
    latest = Job.objects.filter(case=case).order_by("-created_at", "-pk").values("company")[:1]
    return Subquery(latest)


def scoped_rows(table: Table, *, period: Period, owners: QuerySet[User] | None, by: str, now: datetime) -> QuerySet:
    """The table's rows in the period, limited to the reader's scope, with their group."""
    rows = table.rows_in(since=period.since, until=period.until, now=now)
    if owners is not None:
        rows = rows.filter(**{f"{table.person}__in": owners.values("pk")})
    return rows.annotate(report_group=_group_expression(table, by))


def _aggregates(table: Table) -> dict[str, Any]:
    counted: dict[str, Any] = {f"m_{m.key}": Count("pk", filter=m.when) for m in table.measures}
    for column in table.columns:
        when = table.measure(column.measure).when
        if column.kind == "mean":
            counted[f"c_{column.key}"] = Avg(column.value_field, filter=when)
        elif column.kind == "highest":
            counted[f"c_{column.key}"] = Max(column.value_field, filter=when)
    return counted


class SecondsBetween(Func):
    """`end - start` in seconds, computed by the database itself: Django's portable datetime
    difference calls back into Python on SQLite for every row, twice here (select and sort)."""

    output_field = FloatField()
    template = "EXTRACT(EPOCH FROM (%(expressions)s))"
    arg_joiner = " - "

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="((julianday(%(expressions)s)) * 86400.0)", arg_joiner=") - julianday("
        )


def grouped_rows(table: Table, *, period: Period, owners: QuerySet[User] | None, by: str, now: datetime) -> QuerySet:
    """The table's one grouped query: a row per group (and dim) with every count. The page and
    tests/reports/test_query_plans.py read this same query."""
    rows = scoped_rows(table, period=period, owners=owners, by=by, now=now)
    return rows.values(*_dims(table)).annotate(**_aggregates(table)).order_by()


def _dims(table: Table) -> list[str]:
    return ["report_group", *table.dims]


def middle_rows(rows: QuerySet, table: Table, column: Column, dims: list[str]) -> QuerySet:
    """The median's query, in SQL that SQLite and PostgreSQL share: rank each group's rows by the
    duration and keep the middle one or two (at most two rows per group)."""
    start, end = column.ends
    partition = [F(dim) for dim in dims]
    return (
        rows.filter(table.measure(column.measure).when)
        .annotate(span=SecondsBetween(F(end), F(start)))
        .annotate(
            position=Window(RowNumber(), partition_by=partition, order_by=[F("span").asc(), F("pk").asc()]),
            size=Window(Count("pk"), partition_by=partition),
        )
        .filter(position__gte=(F("size") + 1) / 2, position__lte=(F("size") + 2) / 2)
        .order_by()
        .values_list(*dims, "span")
    )


def _medians(rows: QuerySet, table: Table, column: Column, dims: list[str]) -> dict[tuple, timedelta]:
    """The median of a duration per group (the middle rows middle_rows returns, averaged when two)."""
    middles: dict[tuple, list[float]] = defaultdict(list)
    for *key, seconds in middle_rows(rows, table, column, dims):
        middles[tuple(key)].append(seconds)
    # Rounded to the millisecond: julianday's floating point is exact to about 50 microseconds.
    return {key: timedelta(seconds=round(sum(values) / len(values), 3)) for key, values in middles.items()}


def _group_labels(by: str, ids: set[Any]) -> dict[Any, str]:
    ids = {pk for pk in ids if pk is not None}
    labels: dict[Any, str] = {None: str(figures.NO_GROUP_LABELS[by])}
    if not ids:
        return labels
    if by == "owner":
        for user in User.objects.filter(pk__in=ids).only("first_name", "last_name", "username"):
            labels[user.pk] = user.get_full_name() or user.get_username()
        return labels
    model = {"department": Department, "service": Service, "company": ContractorCompany}[by]
    labels.update(model._default_manager.filter(pk__in=ids).values_list("pk", "name"))
    return labels


def report_table(
    table: Table, *, period: Period, owners: QuerySet[User] | None, by: str, now: datetime | None = None
) -> Report:
    now = now or timezone.now()
    rows = scoped_rows(table, period=period, owners=owners, by=by, now=now)
    dims = _dims(table)
    found = list(grouped_rows(table, period=period, owners=owners, by=by, now=now))
    medians = {column.key: _medians(rows, table, column, dims) for column in table.columns if column.kind == "median"}
    labels = _group_labels(by, {line["report_group"] for line in found})
    report_rows = []
    for line in found:
        key = tuple(line[dim] for dim in dims)
        cells = [_cell(column, line, medians.get(column.key, {}).get(key)) for column in table.columns]
        group = line["report_group"]
        report_rows.append(
            Row(
                label=labels.get(group, str(group)),
                group=NO_GROUP if group is None else str(group),
                dims={dim: line[dim] for dim in table.dims},
                dim_labels=[table.dim_labels(line[dim]) for dim in table.dims],
                cells=cells,
            )
        )
    report_rows.sort(key=lambda row: [label.casefold() for label in row.labels])
    report = Report(table=table, by=by, rows=report_rows)
    report.bars = _bars(report)
    return report


def _cell(column: Column, line: dict[str, Any], median: timedelta | None) -> Cell:
    if column.kind == "count":
        value: Any = line[f"m_{column.measure}"]
    elif column.kind == "share":
        whole = line[f"m_{column.of}"]
        value = 100 * line[f"m_{column.measure}"] / whole if whole else None
    elif column.kind == "median":
        value = median
    else:
        value = line[f"c_{column.key}"]
    return Cell(column=column, value=value, text=figures.text(column.kind, value), metric=column.measure)


def _bars(report: Report) -> list[Bar]:
    chart, table = report.table.chart, report.table
    if chart.measures:
        totals = {key: 0 for key in chart.measures}
        for row in report.rows:
            for cell in row.cells:
                if cell.column.kind == "count" and cell.column.measure in totals:
                    totals[cell.column.measure] += cell.value
        return [
            Bar(str(table.measure(key).label), total, figures.text("count", total)) for key, total in totals.items()
        ]
    index = next(i for i, column in enumerate(table.columns) if column.key == chart.column)
    kind = table.columns[index].kind
    if table.dims:
        # Flags: one bar per kind, over every group.
        by_dim: dict[str, int] = defaultdict(int)
        for row in report.rows:
            by_dim[row.dim_labels[0]] += row.cells[index].value
        return [Bar(label, total, figures.text(kind, total)) for label, total in sorted(by_dim.items())]
    bars = []
    for row in report.rows:
        cell = row.cells[index]
        if cell.value is not None:
            bars.append(Bar(row.label, figures.number(kind, cell.value), cell.text))
    return bars


def report_tables(
    *, period: Period, owners: QuerySet[User] | None, by: str, now: datetime | None = None
) -> list[Report]:
    now = now or timezone.now()
    return [report_table(table, period=period, owners=owners, by=by, now=now) for table in TABLES.values()]


def cases_behind(
    table: Table,
    *,
    metric: str,
    period: Period,
    owners: QuerySet[User] | None,
    by: str,
    group: str,
    dims: dict[str, str],
    now: datetime | None = None,
) -> QuerySet[Case]:
    """The cases behind one figure: those with a row of `table` counted by `metric` in the group."""
    rows = scoped_rows(table, period=period, owners=owners, by=by, now=now or timezone.now())
    rows = rows.filter(table.measure(metric).when, **dims)
    rows = rows.filter(report_group__isnull=True) if group == NO_GROUP else rows.filter(report_group=group)
    case_ids = rows.order_by().values(table.case_path.removesuffix("__"))
    return (
        Case.objects.filter(pk__in=case_ids)
        .select_related("owner", "customer", "service")
        .order_by("-last_activity_at", "-pk")
    )
