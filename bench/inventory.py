"""Benchmark (not a test): the inventory flow on 10,000 SKUs × 2 locations changed in NetSuite,
synced into a Shopify store on the Standard plan's limits, through the real engine, clients,
budget and sandboxes (each sandbox in its own process, so the CPU measured is ours alone).

    make bench-inventory                      # 10,000 SKUs, NetSuite 1.2 s + 5 ms/record
    make bench-inventory N=2000 LATENCY=0.8

Set-up (not timed): the catalogue exists on both sides and one full resync has run (the
SKUs are bound and their Shopify levels known), with the Shopify bucket opened wide and no
NetSuite latency so the set-up is quick. Then every SKU's quantity changes at both NetSuite
locations, Shopify is set to 1,000 points restoring 100/s, NetSuite to its latency, and the
delta run is timed. While it saturates the budget a refund post (Shopify → NetSuite, URGENT)
runs; its time is compared with the same post made on an idle account.

The bound: NetSuite answers a search page by page; the first page gives the search id, the
others go in parallel on the slots the budget gives bulk work (the connector's limit less the
one the flow leaves for urgent work), so the NetSuite side needs 1 + ceil((pages - 1) / slots)
page times. Shopify's side needs (calls × 10 points - bucket) / restore rate seconds at least.
The two overlap (pages are written while others load): bound = SKUs / the larger.

Last line: `skus_per_s: A  bound: B  ratio: R  cpu_ms_per_sku: C  peak_rss_mb: M`
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import threading
import time

from bench.harness import bench_connector, django_on_a_fresh_database, sandboxes

PAGE_SIZE = 1000  # flows.inventory.run.PAGE_SIZE
MUTATION_COST = 10
PER_CALL = 250


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=int(os.environ.get("N") or 10000))
    parser.add_argument("--limit", type=int, default=5, help="NetSuite concurrency limit")
    parser.add_argument("--latency", type=float, default=float(os.environ.get("LATENCY") or 1.2))
    parser.add_argument("--latency-per-record", type=float, default=0.005)
    parser.add_argument("--restore-rate", type=float, default=100)
    parser.add_argument("--maximum-available", type=float, default=1000)
    args = parser.parse_args()

    with sandboxes(netsuite_args=["--limit", str(args.limit)]) as (shopify_url, netsuite_url):
        django_on_a_fresh_database()
        result = run(args, shopify_url, netsuite_url)
    report(args, result)


def report(args, result: dict) -> None:
    n = args.skus
    pages = max(1, math.ceil(n / PAGE_SIZE))
    page_seconds = args.latency + min(n, PAGE_SIZE) * args.latency_per_record
    bulk_slots = max(1, args.limit - 1)
    ns_seconds = page_seconds * (1 + math.ceil((pages - 1) / bulk_slots))
    ns_all_slots = page_seconds * (1 + math.ceil((pages - 1) / args.limit))
    calls = math.ceil(2 * n / PER_CALL)
    shopify_seconds = max(0.0, calls * MUTATION_COST - args.maximum_available) / args.restore_rate
    bound = n / max(ns_seconds, shopify_seconds)
    bound_all = n / max(ns_all_slots, shopify_seconds)
    rate = result["skus"] / result["seconds"]
    print(
        f"run: {result['status']}, {result['skus']} SKUs changed ({result['quantities']} "
        f"quantities in {result['calls']} calls) in {result['seconds']:.1f}s; NetSuite "
        f"{pages} pages of {page_seconds:.1f}s, peak in flight {result['max_in_flight']}, "
        f"refused {result['blocked']}; Shopify throttled {result['throttled']} time(s)"
    )
    print(
        f"NetSuite latency {args.latency}s + {args.latency_per_record * 1000:.0f} ms/record "
        f"(not scaled); Shopify {args.maximum_available:.0f} points, {args.restore_rate:.0f}/s"
    )
    print(
        f"bound with all {args.limit} slots (none kept for urgent work): {bound_all:.1f} "
        f"(ratio {rate / bound_all:.2f})"
    )
    print(
        f"refund post: unloaded {result['refund_idle']:.2f}s, while inventory saturates the "
        f"budget {result['refund_loaded']:.2f}s "
        f"({result['refund_loaded'] / result['refund_idle']:.2f}x; goal <= 2x)"
    )
    print(
        f"skus_per_s: {rate:.1f}  bound: {bound:.1f}  ratio: {rate / bound:.2f}  "
        f"cpu_ms_per_sku: {result['cpu'] * 1000 / max(1, result['skus']):.3f}  "
        f"peak_rss_mb: {result['peak_rss_mb']:.0f}"
    )


def run(args, shopify_url: str, netsuite_url: str) -> dict:

    from connector.models import LocationMapping
    from flows import engine
    from flows.models import FlowRun, Trigger
    from sandbox.control_client import ControlClient
    from transactions import demo

    shop = ControlClient(shopify_url, timeout=300)
    ns = ControlClient(netsuite_url, timeout=300)
    main = str(shop.get("inventory")["locations"][0]["id"])
    east = str(shop.post("locations", {"name": "East"})["id"])
    skus = [f"BENCH-{i:05d}" for i in range(args.skus)]
    shop.post("throttle", {"maximum_available": 1e9, "restore_rate": 1e9})
    for start_at in range(0, len(skus), 5000):
        chunk = skus[start_at : start_at + 5000]
        shop.post(
            "inventory/items", {"items": [{"sku": s, "levels": {main: 0, east: 0}} for s in chunk]}
        )

    def stock(when: str, base: int) -> None:
        for start_at in range(0, len(skus), 5000):
            items = [
                {
                    "sku": s,
                    "lastModified": when,
                    "locations": [
                        {"location": "1", "available": base + i % 7},
                        {"location": "2", "available": base + i % 5},
                    ],
                }
                for i, s in enumerate(skus[start_at : start_at + 5000], start=start_at)
            ]
            ns.post("inventory-items", {"items": items})

    stock("2026-11-01T00:00:00Z", 10)

    user, connector = bench_connector(
        shopify_url, netsuite_url, limit=args.limit, refund_sync_direction="shopify_to_netsuite"
    )
    LocationMapping.objects.create(
        connector=connector, netsuite_location_id="1", shopify_location_id=main
    )
    LocationMapping.objects.create(
        connector=connector, netsuite_location_id="2", shopify_location_id=east
    )
    refunds = [_refund(connector, shop, ns, demo, n) for n in range(2)]
    from connector.netsuite import wsdl

    wsdl.get_client()  # once per process, not per SKU

    # Set-up: a full resync binds every SKU and learns its Shopify levels.
    warm, _ = engine.request_run(connector, "inventory_to_shopify", Trigger.API, scope=["full"])
    engine.execute(warm.pk)
    warm.refresh_from_db()
    if warm.status != "succeeded":
        raise SystemExit(f"set-up resync {warm.status}: {warm.error}")

    # Every SKU changes at both locations in NetSuite, a day later.
    stock("2026-11-02T00:00:00Z", 20)
    shop.post(
        "throttle",
        {"maximum_available": args.maximum_available, "restore_rate": args.restore_rate},
    )
    ns.post("config", {"latency": args.latency, "latency_per_record": args.latency_per_record})
    idle = _post(refunds[0])

    run_row, _ = engine.request_run(connector, "inventory_to_shopify", Trigger.API)
    loaded: dict = {}

    def refund_under_load() -> None:
        from django.db import connection

        try:
            # Once the inventory run holds every slot it may take.
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if ns.get("state")["in_flight"] >= max(1, args.limit - 1):
                    break
                time.sleep(0.05)
            loaded["seconds"] = _post(refunds[1])
        finally:
            connection.close()

    helper = threading.Thread(target=refund_under_load)
    helper.start()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if os.environ.get("BENCH_PROFILE"):  # where our CPU goes: BENCH_PROFILE=out.prof
        import cProfile

        cProfile.runctx(
            "engine.execute(run_row.pk)", globals(), locals(), os.environ["BENCH_PROFILE"]
        )
    else:
        engine.execute(run_row.pk)
    seconds = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    helper.join()
    run_row = FlowRun.objects.get(pk=run_row.pk)
    if run_row.error or run_row.failed:
        print(f"run {run_row.status}: {run_row.failed} failed; {run_row.error[:500]}")
    state = ns.get("state")
    return {
        "status": run_row.status,
        "skus": run_row.posted,
        "quantities": run_row.summary.get("quantities_written", 0),
        "calls": run_row.summary.get("calls", 0),
        "seconds": seconds,
        "cpu": cpu,
        "max_in_flight": state["max_in_flight"],
        "blocked": state["blocked"],
        "throttled": shop.get("stats").get("throttled_count"),
        "refund_idle": idle,
        "refund_loaded": loaded.get("seconds", float("nan")),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _refund(connector, shop, ns, demo, n: int):
    """A Shopify order synced to NetSuite and billed there, refunded in Shopify: a refund to
    post to NetSuite (initialize from the cash sale, add, read back: URGENT budget calls)."""
    from connector.models import Connector
    from panel import actions
    from transactions import actions as txn_actions

    ns.post("items", {"items": [{"sku": f"REFUND-{n}", "price": 20}]})
    actions.update_options(None, connector, demo.charge_item_ids(ns))
    order = shop.post(
        "orders",
        {"lines": [{"sku": f"REFUND-{n}", "quantity": 2, "price": "20.00"}], "tax": "0"},
    )
    sales_order = demo.sync_order_to_netsuite(ns, order)
    demo.record_synced_order(connector, order, sales_order["internalId"])
    ns.post(f"sales-orders/{sales_order['internalId']}/bill", {"as": "cashSale"})
    line = order["line_items"][0]
    shop.post(
        f"orders/{order['id']}/refund",
        {"amount": "20.00", "lines": [{"line_item_id": line["id"], "quantity": 1}]},
    )
    connector = Connector.objects.select_related("options").get(pk=connector.pk)
    (txn,) = txn_actions.retrieve(None, connector, "shopify", order["name"]).transactions
    return txn.pk


def _post(txn_id: int) -> float:
    """A person's Post click and the task that posts it; seconds until it is Posted."""
    from transactions import actions, tasks
    from transactions.models import Transaction

    started = time.perf_counter()
    actions.request_post(None, txn_id)
    tasks.post_transaction(txn_id)
    seconds = time.perf_counter() - started
    txn = Transaction.objects.get(pk=txn_id)
    if txn.status != "posted":
        print(f"refund post ended {txn.status}: {txn.last_error}")
    return seconds


if __name__ == "__main__":
    main()
