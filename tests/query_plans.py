"""Reading a query's plan in tests, on SQLite and PostgreSQL alike: does it read a whole table?"""

import re

from django.db import connection
from django.db.models import QuerySet


def plan_of(queryset: QuerySet) -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")  # tiny test tables: ask what it would use
    return queryset.explain()


def scans_whole(plan: str, table: str) -> bool:
    if connection.vendor == "postgresql":
        return re.search(rf"Seq Scan on {table}\b", plan) is not None
    # SQLite: "SCAN t" reads the table; "SCAN t USING INDEX i" reads all of an index just the same.
    return re.search(rf"\bSCAN {table}\b", plan) is not None
