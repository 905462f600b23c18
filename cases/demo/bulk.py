"""Fast inserts for the volume builder.

Django's `bulk_create` spends most of its time compiling SQL (on SQLite it may put only 999
parameters in one statement). Here ids are reserved up front, so children can point at their
parents before anything is written, and each table is written with one `executemany` of a
prepared single-row INSERT. Values go through each field's own `get_db_prep_save`, exactly
as the ORM would store them. Databases other than SQLite and PostgreSQL use `bulk_create`.
"""

from collections.abc import Callable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models

PASS_THROUGH = (models.CharField, models.TextField, models.IntegerField, models.BooleanField)


def fast_inserts_supported() -> bool:
    return connections[DEFAULT_DB_ALIAS].vendor in ("sqlite", "postgresql")


def reserve_ids(model: type[models.Model], objects: Sequence[models.Model]) -> None:
    """Give each object the id the database would have given it, without reusing any.

    On SQLite the caller's transaction holds the write lock (the project opens transactions
    IMMEDIATE), so nobody inserts between the read and our rows; on PostgreSQL the ids are
    drawn from the table's sequence, which is safe alongside concurrent inserts.
    """
    if not objects:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    table, pk_column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk_column, len(objects)],
            )
            ids = [row[0] for row in cursor.fetchall()]
        else:
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT MAX({connection.ops.quote_name(pk_column)}) FROM {quoted}")  # noqa: S608
            highest = cursor.fetchone()[0] or 0
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            first = max(highest, row[0] if row else 0) + 1
            ids = range(first, first + len(objects))
    for obj, new_id in zip(objects, ids, strict=True):
        obj.pk = new_id


def _reader(field: models.Field) -> Callable[[models.Model], Any]:
    """How to read one column's database value from an object."""
    if field.is_relation:
        # The related object may have been assigned before it had an id: read the id from it now.
        def related_id(obj: models.Model) -> Any:
            value = getattr(obj, field.attname)
            if value is None and field.is_cached(obj):
                related = field.get_cached_value(obj)
                value = related.pk if related is not None else None
            return value

        return related_id
    attname, connection = field.attname, connections[DEFAULT_DB_ALIAS]
    if isinstance(field, PASS_THROUGH):
        return lambda obj: getattr(obj, attname)
    # Dates are most of the values: adapt them directly, as DateTimeField.get_db_prep_value does.
    if isinstance(field, models.DateTimeField):
        adapt_datetime = connection.ops.adapt_datetimefield_value
        return lambda obj: adapt_datetime(getattr(obj, attname))
    if isinstance(field, models.DateField):
        adapt_date = connection.ops.adapt_datefield_value
        return lambda obj: adapt_date(getattr(obj, attname))
    return lambda obj: field.get_db_prep_save(getattr(obj, attname), connection)


def insert(model: type[models.Model], objects: Sequence[models.Model]) -> None:
    """Write objects whose ids were reserved, one prepared INSERT for all of them."""
    if not objects:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    columns = list(model._meta.concrete_fields)
    readers = [_reader(column) for column in columns]
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 — names come from the model, values are parameters
        connection.ops.quote_name(model._meta.db_table),
        ", ".join(connection.ops.quote_name(column.column) for column in columns),
        ", ".join(["%s"] * len(columns)),
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [[read(obj) for read in readers] for obj in objects])
