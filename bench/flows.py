"""Benchmark the order import: N orders (each from a new customer) from the Shopify sandbox into
the NetSuite sandbox set to a realistic account, through the real engine and clients.

The sandboxes run in their own processes, so the CPU time measured here is ours alone (the
importing process: main thread and its NetSuite thread pool). The database is a fresh SQLite
file (the embedded default) with the real shared concurrency budget.

    make bench-flows            # 2,000 orders
    make bench-flows N=500

Last line: `orders_per_s: A  bound: B  ratio: R  cpu_ms_per_order: C`
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import requests

from bench.harness import bench_connector, django_on_a_fresh_database, sandboxes

# Per batch of 100 orders the import makes three NetSuite calls: an upsertList of the new
# customers and one of the sales orders (100 records each, charged per record), and a getList
# reading the 100 sales orders back so their totals can be checked against Shopify's (the
# sandbox charges a read its per-request latency only: its per-record latency models writes).
WRITE_LISTS_PER_BATCH = 2
READS_PER_BATCH = 1
LIST_SIZE = 100  # upsertList maximum


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=int(os.environ.get("N") or 2000))
    parser.add_argument("--limit", type=int, default=5, help="NetSuite concurrency limit")
    parser.add_argument("--latency", type=float, default=0.5, help="seconds per request")
    parser.add_argument("--latency-per-record", type=float, default=0.05)
    args = parser.parse_args()

    # Shopify is not what is measured: a bucket that never throttles this run (a real store
    # reads 2,000 orders in 100 pages of 942 points: ~2 minutes at Standard's 100 points/s).
    unthrottled = ["--restore-rate", "1000000", "--maximum-available", "1000000"]
    netsuite_knobs = ["--limit", str(args.limit), "--latency", str(args.latency)]
    netsuite_knobs += ["--latency-per-record", str(args.latency_per_record)]
    with sandboxes(unthrottled, netsuite_knobs) as (shopify_url, netsuite_url):
        django_on_a_fresh_database()
        result = run(args, shopify_url, netsuite_url)
    write = args.latency + LIST_SIZE * args.latency_per_record
    batch_seconds = WRITE_LISTS_PER_BATCH * write + READS_PER_BATCH * args.latency
    bound = args.limit * LIST_SIZE / batch_seconds
    rate = result["posted"] / result["seconds"]
    print(
        f"orders: {result['posted']} posted of {args.orders} in {result['seconds']:.1f}s; "
        f"NetSuite peak in flight {result['max_in_flight']}, refused {result['blocked']}"
    )
    writes_only = args.limit * LIST_SIZE / (WRITE_LISTS_PER_BATCH * write)
    print(f"bound without the read-back: {writes_only:.1f} (ratio {rate / writes_only:.2f})")
    print(
        f"orders_per_s: {rate:.1f}  bound: {bound:.1f}  ratio: {rate / bound:.2f}  "
        f"cpu_ms_per_order: {result['cpu'] * 1000 / max(1, result['posted']):.2f}"
    )


def run(args, shopify_url: str, netsuite_url: str) -> dict:

    from flows import engine
    from flows.models import FlowRun, Trigger

    made = requests.post(
        f"{netsuite_url}/_control/items",
        json={
            "items": [
                {"sku": "BENCH-TEE", "price": 20},
                {"sku": "SHOPIFY-TAX", "type": "otherCharge"},
            ]
        },
        timeout=30,
    )
    made.raise_for_status()
    tax_item = next(i["internalId"] for i in made.json() if i["fields"]["itemId"] == "SHOPIFY-TAX")
    requests.post(
        f"{shopify_url}/_control/orders",
        json={
            "count": args.orders,
            "lines": [{"sku": "BENCH-TEE", "quantity": 1, "price": "20.00"}],
            "tax": "1.60",
            "shipping": "4.90",
        },
        timeout=600,
    ).raise_for_status()

    user, connector = bench_connector(
        shopify_url, netsuite_url, limit=args.limit, netsuite_tax_item_id=tax_item
    )
    # Load the WSDL before timing: a once-per-process cost, not a per-order one.
    from connector.netsuite import wsdl

    wsdl.get_client()

    run, _ = engine.request_run(connector, "order_import", Trigger.API, user=user)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    engine.execute(run.pk)
    seconds = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    run = FlowRun.objects.get(pk=run.pk)
    if run.error or run.failed:
        print(f"run {run.status}: {run.failed} failed; {run.error[:500]}", file=sys.stderr)
    state = requests.get(f"{netsuite_url}/_control/state", timeout=30).json()
    return {
        "posted": run.posted,
        "seconds": seconds,
        "cpu": cpu,
        "max_in_flight": state.get("max_in_flight"),
        "blocked": state.get("blocked"),
    }


if __name__ == "__main__":
    main()
