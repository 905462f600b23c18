"""Fast inserts for the volume builder.

Django's `bulk_create` spends most of its time compiling SQL (on SQLite it may put only 999
parameters in one statement). Here ids are reserved up front, so children can point at their
parents before anything is written, and each table is written with one `executemany` of a
prepared single-row INSERT. Values are adapted as each field's `get_db_prep_save` would
store them. Databases other than SQLite and PostgreSQL use `bulk_create`.
"""

from collections.abc import Callable, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models

PASS_THROUGH = (models.CharField, models.TextField, models.IntegerField, models.BooleanField)


def fast_inserts_supported() -> bool:
    return connections[DEFAULT_DB_ALIAS].vendor in ("sqlite", "postgresql")


def next_ids(model: type[models.Model], count: int) -> Sequence[int]:
    """The ids the database would hand out for `count` new rows, never reusing one.

    On SQLite the caller's transaction holds the write lock (the project opens transactions
    IMMEDIATE), so nobody inserts between the read and our rows; on PostgreSQL the ids are
    drawn from the table's sequence, which is safe alongside concurrent inserts.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    table, pk_column = model._meta.db_table, model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk_column, count],
            )
            return [row[0] for row in cursor.fetchall()]
        quoted = connection.ops.quote_name(table)
        cursor.execute(f"SELECT MAX({connection.ops.quote_name(pk_column)}) FROM {quoted}")  # noqa: S608
        highest = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        first = max(highest, row[0] if row else 0) + 1
        return range(first, first + count)


def reserve_ids(model: type[models.Model], objects: Sequence[models.Model]) -> None:
    """Give each object its id before anything is written."""
    if objects:
        for obj, new_id in zip(objects, next_ids(model, len(objects)), strict=True):
            obj.pk = new_id


def _adapter(field: models.Field) -> Callable[[Any], Any] | None:
    """How a Python value becomes this column's database value (None: as it is)."""
    connection = connections[DEFAULT_DB_ALIAS]
    if field.is_relation or isinstance(field, PASS_THROUGH):
        return None
    # Dates are most of the values: adapt them directly, as DateTimeField.get_db_prep_value does.
    if isinstance(field, models.DateTimeField):
        return connection.ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return connection.ops.adapt_datefield_value
    return lambda value: field.get_db_prep_save(value, connection)


def _reader(field: models.Field) -> Callable[[models.Model], Any]:
    """How to read one column's database value from an object."""
    attname, adapt = field.attname, _adapter(field)
    if field.is_relation:
        # The related object may have been assigned before it had an id: read the id from it now.
        def related_id(obj: models.Model) -> Any:
            value = getattr(obj, attname)
            if value is None and field.is_cached(obj):
                related = field.get_cached_value(obj)
                value = related.pk if related is not None else None
            return value

        return related_id
    if adapt is None:
        return lambda obj: getattr(obj, attname)
    return lambda obj: adapt(getattr(obj, attname))


def _execute(model: type[models.Model], columns: list[models.Field], params: list[list[Any]]) -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 — names come from the model, values are parameters
        connection.ops.quote_name(model._meta.db_table),
        ", ".join(connection.ops.quote_name(column.column) for column in columns),
        ", ".join(["%s"] * len(columns)),
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def insert(model: type[models.Model], objects: Sequence[models.Model]) -> None:
    """Write objects whose ids were reserved, one prepared INSERT for all of them."""
    if objects:
        columns = [field for field in model._meta.concrete_fields if not field.generated]  # the database writes those
        readers = [_reader(column) for column in columns]
        _execute(model, columns, [[read(obj) for read in readers] for obj in objects])


def insert_values(model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Write plain value rows (one per new row, in the order of `names`, foreign keys as ids)
    without building model instances: for the largest table, the timeline."""
    if not rows:
        return
    columns = [model._meta.pk, *(model._meta.get_field(name) for name in names)]
    adapters = [_adapter(column) for column in columns[1:]]
    params = [
        [new_id, *(value if adapt is None else adapt(value) for adapt, value in zip(adapters, row, strict=True))]
        for new_id, row in zip(next_ids(model, len(rows)), rows, strict=True)
    ]
    _execute(model, columns, params)
