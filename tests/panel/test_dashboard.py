"""The home page's dashboard: per connector and flow, the last and next run, synced and failed
over 24 hours and 7 days (from the hourly counts, never a scan of transactions), the oldest
pending record, the NetSuite budget in use and the Shopify points left; the polled fragment;
a query count that does not grow with flows, runs or history."""

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from connector.netsuite.models import BudgetAccount, BudgetLease, BudgetWaiter
from connector.netsuite.wsdl import passport_account_id
from flows.actions import update_flow_schedule
from flows.models import FlowRun, RunStatus, ShopifyPoints, Trigger
from panel import dashboard
from tests.factories import UserFactory, make_admin, make_connector, make_cs
from transactions import lifecycle, outcomes
from transactions.models import HourlyOutcome, Status, Transaction

pytestmark = pytest.mark.django_db


def _order(connector, source_id, status=None, created_at=None):
    txn, _ = lifecycle.upsert_transaction(
        connector, kind="order", source_channel="shopify", source_id=source_id, flow="order_import"
    )
    updates = {}
    if status:
        updates["status"] = status
    if created_at:
        updates["created_at"] = created_at
    if updates:
        Transaction.objects.filter(pk=txn.pk).update(**updates)
    return txn


def _chart(page: str, chart_id: str) -> dict:
    found = re.search(rf'<script id="{chart_id}" type="application/json">(.*?)</script>', page)
    assert found, f"no chart data {chart_id}"
    return json.loads(found.group(1))


def test_counts_per_flow_by_hour_and_by_day(client):
    connector = make_connector()
    admin = make_admin()
    update_flow_schedule(admin, connector, "order_import", {"enabled": True})
    now = timezone.now()
    txn = _order(connector, "o1")
    # Two hours ago: 3 synced, 1 failed; three days ago: 5 synced; eight days ago: not shown.
    for status, n, when in [
        (Status.ORDER_POSTED, 3, now - timedelta(hours=2)),
        (Status.ERROR, 1, now - timedelta(hours=2)),
        (Status.ORDER_POSTED, 5, now - timedelta(days=3)),
        (Status.ORDER_POSTED, 7, now - timedelta(days=8)),
    ]:
        for _ in range(n):
            outcomes.record(txn.pk, status, when)
    client.force_login(admin)
    page = client.get("/").content.decode()
    assert "Dashboard" in page
    day = _chart(page, f"day-{connector.pk}-order_import-data")
    week = _chart(page, f"week-{connector.pk}-order_import-data")
    assert len(day["labels"]) == 24 and len(week["labels"]) == 7
    assert day["synced"][-3] == 3 and day["failed"][-3] == 1 and sum(day["synced"]) == 3
    assert sum(week["synced"]) == 8 and sum(week["failed"]) == 1
    assert week["synced"][-1] == 3  # the newest 24-hour period holds the last 24 hours
    row = re.search(r'<tr data-flow="order_import">(.*?)</tr>', page, re.S).group(1)
    assert "3 synced" in row and "1 failed" in row and "8 synced" in row
    # The text alternative next to each chart.
    assert "Order to NetSuite Order Add, last 24 hours (by hour): 3 synced, 1 failed" in page


def test_last_run_next_run_lag_budget_and_points(client):
    connector = make_connector(netsuite_concurrency_limit=4)
    admin = make_admin()
    update_flow_schedule(admin, connector, "order_import", {"enabled": True})
    now = timezone.now()
    FlowRun.objects.create(
        connector=connector,
        flow="order_import",
        trigger=Trigger.SCHEDULE,
        status=RunStatus.PARTLY_FAILED,
        posted=12,
        failed=2,
        started_at=now - timedelta(minutes=3),
        finished_at=now - timedelta(minutes=2),
    )
    _order(connector, "old", Status.ERROR, created_at=now - timedelta(hours=5))
    _order(connector, "newer", Status.WAITING, created_at=now - timedelta(hours=1))
    _order(connector, "done", Status.ORDER_POSTED, created_at=now - timedelta(days=30))
    _order(connector, "asked", Status.RETRIEVED, created_at=now - timedelta(days=40))
    account = BudgetAccount.objects.create(
        account_id=passport_account_id(connector.netsuite_account_id)
    )
    for i, until in enumerate([now + timedelta(seconds=30), now + timedelta(seconds=30), now]):
        BudgetLease.objects.create(
            account=account, holder=f"h{i}", priority=1, acquired_at=now, lease_until=until
        )
    BudgetWaiter.objects.create(
        account=account, holder="w", priority=1, created_at=now, alive_until=now + timedelta(1)
    )
    ShopifyPoints.objects.create(
        connector=connector, available=400, maximum=1000, restore_rate=50, seen_at=now
    )
    client.force_login(admin)
    page = client.get("/").content.decode()
    row = re.search(r'<tr data-flow="order_import">(.*?)</tr>', page, re.S).group(1)
    assert "Partly failed" in row and "12 posted, 2 failed" in row
    assert "not scheduled" not in row  # switched on: the next run is shown
    lag = re.search(r"data-lag><time datetime=\"([^\"]+)\"", row).group(1)
    assert lag.startswith((now - timedelta(hours=5)).strftime("%Y-%m-%dT%H:%M"))
    assert "2 of 4</strong> in use, 1 waiting" in page  # the expired lease is not in use
    assert re.search(r"≈ 4\d\d of 1000", page)
    # A flow switched off with nothing to show is named in one line, not a row of zeros.
    assert '<tr data-flow="refund_to_netsuite">' not in page
    idle = re.search(r"<p class=\"muted small\" data-idle>(.*?)</p>", page, re.S).group(1)
    assert "Shopify Refund to NetSuite Refund Add" in idle
    assert "Shopify Order to NetSuite Order Add" not in idle


def test_the_polled_fragment_is_the_dashboard_alone(client):
    connector = make_connector()
    client.force_login(make_cs())
    response = client.get("/dashboard/live/")
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.startswith('<section id="dashboard"')
    assert "<html" not in fragment
    assert 'hx-get="/dashboard/live/"' in fragment and 'hx-trigger="every 10s"' in fragment
    assert connector.name in fragment
    assert client.post("/dashboard/live/").status_code == 405


def test_login_and_role_needed(client):
    assert client.get("/dashboard/live/").status_code == 302  # to the login page
    client.force_login(UserFactory())  # no role
    assert client.get("/dashboard/live/").status_code == 403
    assert client.get("/").status_code == 403


def test_queries_do_not_grow_with_connectors_flows_runs_or_history(
    client, django_assert_max_num_queries
):
    admin = make_admin()
    client.force_login(admin)
    first = make_connector()
    FlowRun.objects.create(connector=first, flow="order_import", trigger=Trigger.SCHEDULE)
    with django_assert_max_num_queries(30) as small:
        client.get("/dashboard/live/")
    baseline = len(small.captured_queries)

    now = timezone.now()
    for _ in range(4):
        connector = make_connector()
        update_flow_schedule(admin, connector, "order_import", {"enabled": True})
        update_flow_schedule(admin, connector, "inventory_to_shopify", {"enabled": True})
        for i in range(30):
            FlowRun.objects.create(
                connector=connector,
                flow="order_import",
                trigger=Trigger.SCHEDULE,
                status=RunStatus.SUCCEEDED,
                finished_at=now - timedelta(minutes=i),
            )
        txn = _order(connector, "o1", Status.ERROR)
        for h in range(0, 24 * 7, 5):
            outcomes.record(txn.pk, Status.ORDER_POSTED, now - timedelta(hours=h))
        ShopifyPoints.objects.create(
            connector=connector, available=1, maximum=1000, restore_rate=50, seen_at=now
        )
    assert HourlyOutcome.objects.count() > 100
    with django_assert_max_num_queries(baseline) as big:
        page = client.get("/dashboard/live/").content.decode()
    assert page.count('class="card dashboard-card"') == 5
    assert not any(
        "transactions_transaction" in q["sql"] and "COUNT" in q["sql"].upper()
        for q in big.captured_queries
    )


def test_build_reads_buckets_not_transactions():
    connector = make_connector()
    txn = _order(connector, "o1")
    outcomes.record(txn.pk, Status.ORDER_POSTED, timezone.now())
    (board,) = dashboard.build([connector])
    row = next(r for r in board.flows if r.flow.api_name == "order_import")
    assert (row.day.total_synced, row.week.total_synced) == (1, 1)
    # A refund row made without a flow name counts for the flow that syncs its kind.
    refund, _ = lifecycle.upsert_transaction(
        connector, kind="refund", source_channel="netsuite", source_id="r1"
    )
    outcomes.record(refund.pk, Status.POSTED, timezone.now())
    (board,) = dashboard.build([connector])
    row = next(r for r in board.flows if r.flow.api_name == "refund_to_shopify")
    assert row.day.total_synced == 1


def test_home_page_counts_failing_rows_up_to_a_bound(client):
    connector = make_connector()
    Transaction.objects.bulk_create(
        Transaction(
            connector=connector,
            kind="order",
            source_channel="shopify",
            source_id=f"e{i}",
            status=Status.ERROR,
        )
        for i in range(1001)
    )
    other = make_connector()
    _order(other, "x", Status.ERROR)
    client.force_login(make_cs())
    page = client.get("/").content.decode()
    assert "more than 1,000 still failing" in page
    assert "1 still failing" in page
