"""How every watcher reads and handles rows: in batches of a named size, each batch in one
transaction, rows locked with SKIP LOCKED where the database has it, each row in a savepoint.

Safety does not rest on the locks: every handler changes its row with a conditional update
(and flags are unique per open subject), so a second worker, a second beat or a re-run
after a killed worker finds nothing left to do. The locks only keep two workers from
reading the same rows; SQLite has none, and serialises writing transactions instead.
"""

import logging
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime, time, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from cases.models import WatcherCursor
from portal.time_limits import SoftTimeLimitExceeded

logger = logging.getLogger("cases.watchers")

_M = TypeVar("_M", bound=Model)


@dataclass
class ScanResult:
    """What one run of a watcher did, returned by its task and printed by the benchmark."""

    watcher: str
    examined: int = 0
    raised: int = 0
    acted: int = 0
    failed: int = 0
    batches: int = 0
    # Set when the task's soft time limit stopped the run; a watcher that scans twice skips the second.
    out_of_time: bool = field(default=False, repr=False, compare=False)

    def as_dict(self) -> dict[str, int | str]:
        outcome = asdict(self)
        del outcome["out_of_time"]
        return outcome


# A handler deals with one due row; it returns False when the row needed nothing after all
# (someone else got there first), so the run does not read it again.
Handler = Callable[[_M, datetime, ScanResult], bool]


# A set handler deals with a whole batch at once (bulk statements, watchers working through a
# backlog); it returns the pks of the rows that needed nothing after all.
SetHandler = Callable[[list[_M], datetime, ScanResult], set[int]]


# A preparer does a batch's slow work (rendering messages, computing deadlines) before the
# batch's transaction, from rows read outside it, and returns the set handler that writes the
# result for the rows still due once locked.
Preparer = Callable[[list[Any], datetime], SetHandler[Any]]


def lock_for_scan(queryset: QuerySet[_M]) -> QuerySet[_M]:
    """Lock the batch's rows so a concurrent worker takes the next ones instead (PostgreSQL)."""
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset


def has_rows(queryset: QuerySet[Any]) -> bool:
    """Whether an ordered query has any row, keeping its ORDER BY: with it PostgreSQL walks the
    index the ordering names; a bare EXISTS (LIMIT 1, no order) tempts it into a sequential
    scan when its statistics still count the rows just handled as due."""
    return bool(list(queryset.values_list("pk", flat=True)[:1]))


def resolve_batch_size(given: int | None) -> int:
    return given or settings.WATCHER_BATCH_SIZE


def _out_of_time(result: ScanResult, before: ScanResult) -> ScanResult:
    """The task's soft time limit fired during a batch, whose transaction has rolled back: keep
    the counts of the committed batches and stop; the next run takes the rest."""
    for counter in fields(ScanResult):
        setattr(result, counter.name, getattr(before, counter.name))
    result.out_of_time = True
    logger.warning("%s watcher: time limit reached, stopping after %s batches", result.watcher, result.batches)
    return result


def _handle(row: _M, handle: Handler[_M], now: datetime, result: ScanResult) -> bool:
    """One row in its own savepoint: a row that fails is logged and does not undo the batch."""
    try:
        with transaction.atomic():
            return handle(row, now, result)
    except SoftTimeLimitExceeded:
        raise  # not the row's fault: the run stops (scan_due)
    except Exception:
        result.failed += 1
        logger.exception("%s watcher failed on %s %s", result.watcher, row._meta.label, row.pk)
        return False


def _handle_set(
    rows: list[_M], handle_set: SetHandler[_M] | None, handle: Handler[_M], now: datetime, result: ScanResult
) -> set[int]:
    """The batch through `handle_set` in one savepoint; if it fails (or there is none: its
    preparation failed), row by row through `handle`, so that one bad row is logged and passed
    over without holding back the others."""
    if handle_set is not None:
        before = replace(result)
        try:
            with transaction.atomic():
                return handle_set(rows, now, result)
        except SoftTimeLimitExceeded:
            raise
        except Exception:
            result.raised, result.acted, result.failed = before.raised, before.acted, before.failed
            logger.warning("%s watcher: a batch failed, handling its rows one by one", result.watcher, exc_info=True)
        for row in rows:
            row.refresh_from_db()  # the set handler may have changed the copies it was given
    return {row.pk for row in rows if not _handle(row, handle, now, result)}


def _prepare(rows: list[_M], prepare: Preparer, now: datetime, result: ScanResult) -> SetHandler[_M] | None:
    try:
        return prepare(rows, now)
    except SoftTimeLimitExceeded:
        raise
    except Exception:
        logger.warning(
            "%s watcher: preparing a batch failed, handling its rows one by one", result.watcher, exc_info=True
        )
        for row in rows:
            row.refresh_from_db()  # the preparer may have changed the copies it was given
        return None


def scan_due(
    *,
    result: ScanResult,
    due: Callable[[], QuerySet[_M]],
    handle: Handler[_M],
    now: datetime,
    size: int | None = None,
    handle_set: SetHandler[_M] | None = None,
    prepare: Preparer | None = None,
    write_size: int | None = None,
) -> ScanResult:
    """Hand every due row to `handle`, batch by batch, until none is left or the run's budget
    (WATCHER_MAX_BATCHES_PER_RUN) is spent. `due()` must select only rows that still need
    work, through an index, so that a scan with nothing due costs one index probe.

    With `handle_set` or `prepare`, each batch goes to it whole, and batches are at most
    WATCHER_WRITE_BATCH_SIZE rows: one short write transaction each (SQLite holds its single
    write lock for the whole transaction), with as many more batches in the run's budget;
    `write_size` sets another size for a handler that costs more or less per row.

    With `prepare`, a batch is read first outside any transaction and prepared there; the
    transaction then locks those of its rows still due and not held by another worker (the
    others are left to that worker) and writes with the handler `prepare` returned."""
    if result.out_of_time:
        return result
    size = resolve_batch_size(size)
    budget = settings.WATCHER_MAX_BATCHES_PER_RUN
    write_size = write_size or settings.WATCHER_WRITE_BATCH_SIZE
    if (handle_set is not None or prepare is not None) and size > write_size:
        budget *= math.ceil(size / write_size)  # the same rows per run
        size = write_size
    if not has_rows(due()):
        return result  # the common case: one index probe, and no write transaction (SQLite locks on BEGIN)
    passed_over: set[int] = set()  # failed or already handled elsewhere: not read again this run
    for _ in range(budget):
        before = replace(result)
        try:
            read = _scan_batch(due, handle, handle_set, prepare, now, size, passed_over, result)
        except SoftTimeLimitExceeded:
            return _out_of_time(result, before)
        result.batches += 1
        if read < size:
            break
    return result


def _scan_batch(
    due: Callable[[], QuerySet[_M]],
    handle: Handler[_M],
    handle_set: SetHandler[_M] | None,
    prepare: Preparer | None,
    now: datetime,
    size: int,
    passed_over: set[int],
    result: ScanResult,
) -> int:
    """One batch of scan_due; returns the rows read."""
    if prepare is not None:
        return len(_prepared_batch(due, prepare, handle, now, size, passed_over, result))
    with transaction.atomic():
        queryset = due()
        if passed_over:
            queryset = queryset.exclude(pk__in=passed_over)
        rows = list(lock_for_scan(queryset)[:size])
        if handle_set is not None:
            passed_over |= _handle_set(rows, handle_set, handle, now, result)
        else:
            for row in rows:
                if not _handle(row, handle, now, result):
                    passed_over.add(row.pk)
    result.examined += len(rows)
    return len(rows)


def _prepared_batch(
    due: Callable[[], QuerySet[_M]],
    prepare: Preparer,
    handle: Handler[_M],
    now: datetime,
    size: int,
    passed_over: set[int],
    result: ScanResult,
) -> list[_M]:
    """One batch of scan_due with a preparer; returns the rows read before the transaction."""
    queryset = due()
    if passed_over:
        queryset = queryset.exclude(pk__in=passed_over)
    read = list(queryset[:size])
    if not read:
        return read
    handle_set = _prepare(read, prepare, now, result)
    prepared = {row.pk: row for row in read}
    with transaction.atomic():
        locked = lock_for_scan(due().filter(pk__in=list(prepared)).select_related(None))
        held = set(locked.values_list("pk", flat=True))
        # Gone meanwhile, or being handled by another worker: that worker's to finish.
        passed_over |= prepared.keys() - held
        rows = [row for row in read if row.pk in held]  # the prepared copies, as the handler expects
        if rows:
            passed_over |= _handle_set(rows, handle_set, handle, now, result)
    result.examined += len(rows)
    return read


def claim_rows(still_due: QuerySet[_M], rows: list[_M], **marks: object) -> list[_M]:
    """Mark those of `rows` that `still_due` still selects, in one conditional update, and return
    them. Inside the batch's transaction the rows cannot change between the look and the update:
    PostgreSQL holds their locks (lock_for_scan), SQLite its one write lock."""
    claimable = set(still_due.filter(pk__in=[row.pk for row in rows]).values_list("pk", flat=True))
    if claimable:
        still_due.filter(pk__in=claimable).update(**marks)
    return [row for row in rows if row.pk in claimable]


def lock_cursor(name: str) -> WatcherCursor | None:
    """The sweep's cursor, locked for this transaction; None if another worker holds it."""
    WatcherCursor.objects.get_or_create(name=name)
    return lock_for_scan(WatcherCursor.objects.filter(name=name)).first()


# A sweep checks each row with the services one by one (several statements each, about 5 ms):
# few rows per transaction keeps SQLite's single write lock short.
SWEEP_ROWS_PER_TRANSACTION = 25


def sweep_new_rows(
    *,
    result: ScanResult,
    cursor_name: str,
    rows: QuerySet[_M],
    created_field: str,
    handle: Handler[_M],
    now: datetime,
    size: int | None = None,
) -> ScanResult:
    """Hand each row added to an append-only table since the last sweep to `handle`.

    The cursor only moves past rows handled without error and older than WATCHER_SETTLE_SECONDS:
    a transaction that drew a lower id but committed later is still read on a following run
    (handlers are idempotent, so rows read again cost time, not correctness).
    """
    size = resolve_batch_size(size)
    budget = settings.WATCHER_MAX_BATCHES_PER_RUN
    if size > SWEEP_ROWS_PER_TRANSACTION:
        budget *= math.ceil(size / SWEEP_ROWS_PER_TRANSACTION)  # the same rows per run
        size = SWEEP_ROWS_PER_TRANSACTION
    settled_before = now - timedelta(seconds=settings.WATCHER_SETTLE_SECONDS)
    cursor = WatcherCursor.objects.filter(name=cursor_name).first()
    if cursor is not None and not has_rows(rows.filter(pk__gt=cursor.last_id).order_by("pk")):
        return result  # nothing new since the last sweep: no write transaction
    for _ in range(budget):
        before = replace(result)
        try:
            with transaction.atomic():
                cursor = lock_cursor(cursor_name)
                if cursor is None:
                    return result  # another worker is sweeping this table right now
                batch = list(rows.filter(pk__gt=cursor.last_id).order_by("pk")[:size])
                settled = True
                for row in batch:
                    handled = _handle(row, handle, now, result)
                    # A row that failed holds the cursor back, so the next run tries it again.
                    settled = settled and handled and getattr(row, created_field) <= settled_before
                    if settled:
                        cursor.last_id = row.pk
                cursor.last_at = now
                cursor.save(update_fields=["last_id", "last_at", "updated_at"])
        except SoftTimeLimitExceeded:
            return _out_of_time(result, before)  # the cursor rolled back with the batch
        result.batches += 1
        result.examined += len(batch)
        if len(batch) < size or not settled:
            break
    return result


def start_of_day(day: object) -> datetime:
    """Midnight at the start of a calendar date, in the portal's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))  # type: ignore[arg-type]
