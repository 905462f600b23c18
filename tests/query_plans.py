"""Reading a query's plan in tests, on SQLite and PostgreSQL alike: does it read a whole table?"""

import re

from django.db import connection
from django.db.models import QuerySet


def plan_of(queryset: QuerySet) -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")  # tiny test tables: ask what it would use
    return queryset.explain()


def plan_of_sql(queryset: QuerySet) -> str:
    """plan_of for the queries Django's explain() cannot word: one filtered on a window function,
    which Django wraps in an outer SELECT and then puts EXPLAIN inside it."""
    sql, params = queryset.query.sql_with_params()
    return _explain(sql, params)


def plan_of_statement(sql: str) -> str:
    """plan_of for a statement captured as run (CaptureQueriesContext), its values written in."""
    return _explain(sql, None)


def _explain(sql: str, params: tuple | None) -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
        return "\n".join(row[-1] for row in cursor.fetchall())


def scans_whole(plan: str, table: str) -> bool:
    if connection.vendor == "postgresql":
        return re.search(rf"Seq Scan on {table}\b", plan) is not None
    # SQLite: "SCAN t" reads the table; "SCAN t USING INDEX i" reads all of an index just the same.
    return re.search(rf"\bSCAN {table}\b", plan) is not None
