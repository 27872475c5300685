"""Benchmark (not a test): the Other Transactions list and the retrieve lookup on 1,000,000
transactions in PostgreSQL.

    make bench-transactions        # BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/panel_bench

Fills the database once with COPY (kept between runs), then times full requests of the list
page through Django's test client (view, queries, template) and the synced-order lookup that
starts every retrieve, and the home page's dashboard (the page and its polled fragment) with a
year of history behind it: the hourly outcome counts rolled up from the million rows, and a
run of each connector's order import every 15 minutes for a year (175,000 runs). Prints p50/p95
per request; the last line is
`list_p95_ms: X  retrieve_p95_ms: Y  dashboard_p95_ms: Z`.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROWS = int(os.environ.get("BENCH_ROWS", "1000000"))
URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/panel_bench")
REPEAT = int(os.environ.get("BENCH_REPEAT", "60"))
CONNECTORS = 5


def _ensure_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _setup_django() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    os.environ["DATABASE_URL"] = URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _fill() -> None:
    from django.db import connection

    from connector.models import Connector
    from tests.factories import make_connector
    from transactions.models import Transaction

    while Connector.objects.count() < CONNECTORS:
        make_connector()
    connector_ids = list(Connector.objects.order_by("pk").values_list("pk", flat=True))
    have = Transaction.objects.count()
    if have >= ROWS:
        return
    print(f"Inserting {ROWS - have:,} transactions with COPY ...", flush=True)
    started = time.monotonic()
    rng = random.Random(42)
    now = datetime.now(UTC)
    statuses = ["retrieved", "scheduled", "posted", "posted", "posted", "error", "ignored"]
    columns = (
        "connector_id, kind, source_channel, flow, source_id, source_type, target_id, "
        "shopify_order_id, shopify_order_name, netsuite_sales_order_id, amount, currency, "
        "status, status_reason, last_error, attempts, key_generation, payload, created_at, "
        "updated_at"
    )
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY transactions_transaction ({columns}) FROM STDIN") as copy:
            for i in range(have, ROWS):
                order_number = 100000 + i // 2
                is_order = i % 2 == 0
                created = now - timedelta(seconds=(ROWS - i) * 30)
                status = "order_posted" if is_order else rng.choice(statuses)
                sku = f"SKU-{i % 5000:05d}"
                # What the search reads: the source record (email, SKUs) and the open error.
                payload = json.dumps(
                    {
                        "email": f"customer{order_number}@example.com",
                        "name": f"#{order_number}",
                        "line_items": [{"sku": sku, "quantity": 1, "title": "Item " + sku}],
                    }
                )
                error = (
                    f"SKU {sku} on line 1 is not an item in NetSuite: create it or map it."
                    if status == "error"
                    else ""
                )
                copy.write_row(
                    (
                        connector_ids[i % len(connector_ids)],
                        "order" if is_order else "refund",
                        "shopify" if is_order or i % 4 == 1 else "netsuite",
                        "",
                        f"s{i}",
                        "order" if is_order else "cashRefund",
                        f"t{i}",
                        str(order_number),
                        f"#{order_number}",
                        str(5000000 + order_number),
                        f"{rng.randint(100, 99999) / 100:.2f}",
                        "USD",
                        status,
                        "",
                        error,
                        1,
                        0,
                        payload,
                        created,
                        created,
                    )
                )
        cursor.execute("ANALYZE transactions_transaction")
    print(f"  done in {time.monotonic() - started:.0f}s", flush=True)


def _fill_dashboard() -> None:
    """A year of what the dashboard reads, made the way production makes it: outcome counts
    per connector, kind, channel, flow and hour (one attempt per row, in the hour it was
    created), and order-import runs every 15 minutes, with the flow switched on."""
    from django.db import connection

    from connector.models import Connector
    from flows.actions import update_flow_schedule
    from flows.models import FlowRun, FlowSchedule
    from tests.factories import make_admin
    from transactions.models import HourlyOutcome

    started = time.monotonic()
    with connection.cursor() as cursor:
        if not HourlyOutcome.objects.exists():
            print("Rolling up hourly outcome counts ...", flush=True)
            cursor.execute(
                """
                INSERT INTO transactions_hourlyoutcome
                    (connector_id, kind, source_channel, flow, hour,
                     synced, failed, skipped, waiting)
                SELECT connector_id, kind, source_channel, flow,
                       date_trunc('hour', created_at),
                       count(*) FILTER (WHERE status IN ('posted', 'order_posted', 'complete')),
                       count(*) FILTER (WHERE status = 'error'),
                       count(*) FILTER (WHERE status = 'skipped'),
                       count(*) FILTER (WHERE status = 'waiting')
                FROM transactions_transaction
                GROUP BY 1, 2, 3, 4, 5
                """
            )
        if not FlowRun.objects.exists():
            print("Inserting a year of order-import runs ...", flush=True)
            cursor.execute(
                """
                INSERT INTO flows_flowrun
                    (connector_id, flow, trigger, status, scope, run_again, attempts, seen,
                     posted, skipped, failed, skip_reasons, summary, error, created_at,
                     started_at, finished_at)
                SELECT c.id, 'order_import', 'schedule',
                       CASE WHEN extract(minute FROM t) = 0 THEN 'partly_failed'
                            ELSE 'succeeded' END,
                       '[]', false, 1, 10, 9, 0, 1, '{}', '{}', '', t, t,
                       t + interval '40 seconds'
                FROM connector_connector c,
                     generate_series(now() - interval '365 days', now(), interval '15 minutes') t
                """
            )
        cursor.execute("ANALYZE transactions_hourlyoutcome")
        cursor.execute("ANALYZE flows_flowrun")
    admin = None
    for connector in Connector.objects.all():
        if not FlowSchedule.objects.filter(connector=connector, enabled=True).exists():
            admin = admin or make_admin(username="bench-admin")
            update_flow_schedule(admin, connector, "order_import", {"enabled": True})
    print(f"  dashboard data ready in {time.monotonic() - started:.0f}s", flush=True)


def _explain_lag() -> None:
    """The plan of one lag subquery (the oldest pending row of a flow): it must be an index
    probe of txn_pending_oldest, not a scan."""
    from connector.models import Connector
    from transactions.models import PENDING, Transaction

    connector = Connector.objects.order_by("pk").first()
    query = (
        Transaction.objects.filter(
            connector=connector, kind="order", source_channel="shopify", status__in=PENDING
        )
        .order_by("created_at")
        .values("created_at")[:1]
    )
    print("  EXPLAIN lag:", " | ".join(query.explain().splitlines()[:3]))


def _timed(fn, repeat: int = REPEAT) -> list[float]:
    fn()  # warm caches and connections
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def main() -> None:
    _ensure_database(URL)
    _setup_django()
    _fill()
    _fill_dashboard()

    from django.test import Client

    from connector.models import Connector
    from tests.factories import make_cs
    from transactions.listing import PAGE_SIZE, encode_cursor
    from transactions.models import Transaction
    from transactions.orders import find_synced_order

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(make_cs(username="bench-cs"))
    connector = Connector.objects.order_by("pk").first()
    total = Transaction.objects.count()
    newest = Transaction.objects.order_by("-created_at", "-id")
    cursor = encode_cursor(newest[PAGE_SIZE - 1])
    deep = newest[ROWS // 2]

    rng = random.Random(7)
    pages = {
        "list newest": "/transactions/",
        "list page 2": f"/transactions/?after={cursor}",
        "list deep page (row 500,000)": f"/transactions/?after={encode_cursor(deep)}",
        "list by connector": f"/transactions/?connector={connector.pk}",
        "list by status error": "/transactions/?status=error",
        "list by kind+channel": "/transactions/?kind=refund&source_channel=netsuite",
        "list by connector+status": f"/transactions/?connector={connector.pk}&status=scheduled",
        "list search #order": "/transactions/?search=%23300123",
        "list search email": "/transactions/?search=customer590123%40example.com",
        "list search SKU": "/transactions/?search=SKU-04321",
        "list search error text": "/transactions/?search=not%20an%20item",
        "list search no match": "/transactions/?search=nobody%40nowhere.example",
    }
    print(f"{total:,} transactions in {URL.rsplit('/', 1)[-1]}; {REPEAT} requests each")
    list_all: list[float] = []
    for label, url in pages.items():
        times = _timed(lambda url=url: client.get(url))
        list_all.extend(times)
        print(f"  {label:32s} p50 {_p(times, 50):7.1f} ms   p95 {_p(times, 95):7.1f} ms")

    connectors = list(Connector.objects.order_by("pk"))

    def lookup_direct():  # the database half of Retrieve; the other half is NetSuite
        number = 100000 + rng.randrange(ROWS // 2)
        # Order i lives on connector i % 5 (i even); any connector exercises the index path.
        found = find_synced_order(connectors[rng.randrange(len(connectors))], f"#{number}")
        return found

    retrieve = _timed(lookup_direct, repeat=REPEAT * 5)
    print(
        f"  {'retrieve lookup (synced order)':32s} p50 {_p(retrieve, 50):7.1f} ms   "
        f"p95 {_p(retrieve, 95):7.1f} ms"
    )

    _explain_lag()
    dashboard_all: list[float] = []
    dashboard_pages = {"home page (dashboard)": "/", "dashboard fragment": "/dashboard/live/"}
    for label, url in dashboard_pages.items():
        times = _timed(lambda url=url: client.get(url))
        dashboard_all.extend(times)
        print(f"  {label:32s} p50 {_p(times, 50):7.1f} ms   p95 {_p(times, 95):7.1f} ms")
    print(
        f"list_p95_ms: {_p(list_all, 95):.1f}  retrieve_p95_ms: {_p(retrieve, 95):.1f}  "
        f"dashboard_p95_ms: {_p(dashboard_all, 95):.1f}"
    )


if __name__ == "__main__":
    main()
