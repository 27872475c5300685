"""The dashboard's hourly counts: kept by lifecycle's finish in the same database transaction,
counting the outcome of each attempt in the hour it was recorded."""

from datetime import UTC, datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.factories import make_connector
from transactions import lifecycle, outcomes
from transactions.models import HourlyOutcome, Status, Transaction

pytestmark = pytest.mark.django_db


def _orders(connector, n, prefix="o", flow="order_import"):
    rows = lifecycle.upsert_transactions(
        connector,
        kind="order",
        source_channel="shopify",
        records={f"{prefix}{i}": {} for i in range(n)},
        flow=flow,
    )
    return [rows[f"{prefix}{i}"].pk for i in range(n)]


def _counts(connector):
    return {
        (o.flow, o.kind, o.source_channel): (o.synced, o.failed, o.skipped, o.waiting)
        for o in HourlyOutcome.objects.filter(connector=connector)
    }


def test_finish_counts_each_outcome_once_in_its_hour():
    connector = make_connector()
    ids = _orders(connector, 4)
    statuses = [Status.ORDER_POSTED, Status.ERROR, Status.SKIPPED, Status.WAITING]
    for pk, status in zip(ids, statuses, strict=True):
        assert lifecycle.claim(pk)
        assert lifecycle.finish(pk, status, error="boom" if status == Status.ERROR else "")
    # A finish that does not land (the row is no longer Posting) counts nothing.
    assert lifecycle.finish(ids[0], Status.ERROR, error="late") is False
    assert _counts(connector) == {("order_import", "order", "shopify"): (1, 1, 1, 1)}
    bucket = HourlyOutcome.objects.get(connector=connector)
    assert bucket.hour == outcomes.hour_of(bucket.hour)  # the start of an hour


def test_finish_many_one_upsert_per_bucket():
    connector = make_connector()
    ids = _orders(connector, 100)
    won = lifecycle.claim_many(ids)
    assert won == set(ids)
    results = [
        {"txn_id": pk, "status": Status.ORDER_POSTED if i % 10 else Status.ERROR, "error": "x"}
        for i, pk in enumerate(ids)
    ]
    lifecycle.finish_many(results)
    assert _counts(connector) == {("order_import", "order", "shopify"): (90, 10, 0, 0)}
    # 100 rows, one bucket: one SELECT of the rows' keys and one upsert for the counts.
    ids2 = _orders(connector, 50, prefix="b")
    lifecycle.claim_many(ids2)
    with CaptureQueriesContext(connection) as ctx:
        lifecycle.finish_many({"txn_id": pk, "status": Status.ORDER_POSTED} for pk in ids2)
    sql = [q["sql"].lower() for q in ctx.captured_queries]
    assert len([q for q in sql if "hourlyoutcome" in q]) == 1
    assert len([q for q in sql if q.startswith("select") and '"flow"' in q]) == 1
    assert _counts(connector) == {("order_import", "order", "shopify"): (140, 10, 0, 0)}


def test_a_row_that_fails_then_posts_is_one_failure_and_one_sync():
    connector = make_connector()
    (pk,) = _orders(connector, 1)
    assert lifecycle.claim(pk)
    assert lifecycle.finish(pk, Status.ERROR, error="NetSuite timed out")
    assert lifecycle.claim(pk)  # Retry
    assert lifecycle.finish(pk, Status.ORDER_POSTED)
    assert _counts(connector) == {("order_import", "order", "shopify"): (1, 1, 0, 0)}
    assert Transaction.objects.get(pk=pk).status == Status.ORDER_POSTED


def test_attempts_in_different_hours_land_in_their_own_buckets():
    connector = make_connector()
    (pk,) = _orders(connector, 1)
    ten, eleven = datetime(2026, 3, 1, 10, 59, tzinfo=UTC), datetime(2026, 3, 1, 11, 1, tzinfo=UTC)
    outcomes.record(pk, Status.ERROR, ten)
    outcomes.record(pk, Status.POSTED, eleven)
    outcomes.record(pk, Status.POSTED, eleven)
    got = {o.hour: (o.synced, o.failed) for o in HourlyOutcome.objects.filter(connector=connector)}
    assert got == {
        datetime(2026, 3, 1, 10, tzinfo=UTC): (0, 1),
        datetime(2026, 3, 1, 11, tzinfo=UTC): (2, 0),
    }


def test_counts_roll_back_with_the_finish():
    connector = make_connector()
    ids = _orders(connector, 3)
    lifecycle.claim_many(ids)
    with pytest.raises(RuntimeError), transaction.atomic():
        lifecycle.finish_many({"txn_id": pk, "status": Status.ORDER_POSTED} for pk in ids)
        raise RuntimeError("the batch's transaction fails after the finish")
    assert not HourlyOutcome.objects.exists()
    assert set(Transaction.objects.filter(pk__in=ids).values_list("status", flat=True)) == {
        Status.POSTING
    }


def test_rows_without_a_flow_and_other_statuses():
    connector = make_connector()
    txn, _ = lifecycle.upsert_transaction(
        connector, kind="refund", source_channel="netsuite", source_id="r1"
    )
    assert lifecycle.claim(txn.pk)
    assert lifecycle.finish(txn.pk, Status.POSTED)
    assert lifecycle.claim(txn.pk, from_statuses=[Status.POSTED], to_status=Status.SCHEDULED)
    # Not an attempt's outcome: not counted.
    assert lifecycle.finish(txn.pk, Status.IGNORED, from_status=Status.SCHEDULED)
    assert _counts(connector) == {("", "refund", "netsuite"): (1, 0, 0, 0)}
