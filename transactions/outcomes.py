"""Hourly outcome counts (the dashboard's synced / failed charts), kept as things happen.

Lifecycle's `finish` calls `record` inside the transaction that changes the status, so the
count commits or rolls back with it: nothing counted that did not happen, nothing lost. Why
not a periodic rollup from a watermark: rows commit out of id and time order, so a rollup
either misses late commits or has to re-read a window; a counter has neither problem.

Cost: one small SELECT (the rows' connector, kind, channel, flow) and one upsert per bucket —
`finish_many` batches them, so a finished batch of 100 orders is two statements, not 200.
Contention: a bucket row is locked from its upsert to the commit; batches upsert their buckets
in sorted order so two batches cannot deadlock on them.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from contextlib import contextmanager
from datetime import UTC, datetime

from django.db import connection

from .models import HourlyOutcome, Outcome, Transaction

COLUMN_OF = {
    **dict.fromkeys(Outcome.SYNCED, "synced"),
    **dict.fromkeys(Outcome.FAILED, "failed"),
    **dict.fromkeys(Outcome.SKIPPED, "skipped"),
    **dict.fromkeys(Outcome.WAITING, "waiting"),
}
COLUMNS = ("synced", "failed", "skipped", "waiting")

_local = threading.local()


def hour_of(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


@contextmanager
def batch():
    """Collect the outcomes recorded inside and write them once at the end (finish_many).
    Must be used inside the database transaction that finishes the rows."""
    if getattr(_local, "pending", None) is not None:  # already batching: the outer one writes
        yield
        return
    _local.pending = []
    try:
        yield
        pending, _local.pending = _local.pending, None
        _write(pending)
    finally:
        _local.pending = None


def record(txn_id: int, status: str, at: datetime) -> None:
    """Count one finished attempt (called by lifecycle.finish after its UPDATE landed)."""
    if status not in COLUMN_OF:
        return
    pending = getattr(_local, "pending", None)
    if pending is not None:
        pending.append((txn_id, status, at))
    else:
        _write([(txn_id, status, at)])


def _write(outcomes: Iterable[tuple[int, str, datetime]]) -> None:
    outcomes = list(outcomes)
    if not outcomes:
        return
    keys = {
        pk: (connector_id, kind, channel, flow)
        for pk, connector_id, kind, channel, flow in Transaction.objects.filter(
            pk__in={o[0] for o in outcomes}
        ).values_list("pk", "connector_id", "kind", "source_channel", "flow")
    }
    buckets: dict[tuple, Counter] = {}
    for txn_id, status, at in outcomes:
        if txn_id in keys:
            buckets.setdefault((*keys[txn_id], hour_of(at)), Counter())[COLUMN_OF[status]] += 1
    for key in sorted(buckets):
        _upsert(key, buckets[key])


def _upsert(key: tuple, counts: Counter) -> None:
    """INSERT … ON CONFLICT DO UPDATE adding the counts (the same SQL on PostgreSQL and
    SQLite): Django's bulk_create(update_conflicts=True) can only overwrite, not add."""
    q = connection.ops.quote_name
    table = q(HourlyOutcome._meta.db_table)
    key_columns = ["connector_id", "kind", "source_channel", "flow", "hour"]
    values = [counts.get(c, 0) for c in COLUMNS]
    hour = connection.ops.adapt_datetimefield_value(key[4])
    # Only identifiers from the model and placeholders are interpolated; values are parameters.
    names = ", ".join(q(c) for c in key_columns + list(COLUMNS))
    marks = ", ".join(["%s"] * (len(key_columns) + len(COLUMNS)))
    target = ", ".join(q(c) for c in key_columns)
    adds = ", ".join(f"{q(c)} = {table}.{q(c)} + EXCLUDED.{q(c)}" for c in COLUMNS)
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks}) ON CONFLICT ({target}) DO UPDATE SET {adds}"  # noqa: S608, E501
    with connection.cursor() as cursor:
        cursor.execute(sql, [*key[:4], hour, *values])
