"""Benchmark the daily reconciliation: N orders (R of them refunded) in both sandboxes at a
realistic latency, reconciled over a 90-day window through the real clients.

The sandboxes run in their own processes, so the CPU time measured here is ours alone. The
database is a fresh SQLite file. A few variances are planted (orders never synced, refunds
never copied) and must be found; every other order is equal on both sides.

    make bench-reconcile                 # 20,000 orders, 5,000 refunds
    make bench-reconcile N=5000 R=1250

Last line: `orders_per_s: A  calls: N  cpu_ms_per_order: C  peak_rss_mb: M`
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections import Counter

import requests

from bench.harness import bench_connector, django_on_a_fresh_database, sandboxes

PLANTED_UNSYNCED = 5  # orders with no sales order
PLANTED_LOST_REFUNDS = 5  # Shopify refunds with no NetSuite cash refund
SEED_BATCH = 2000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=int(os.environ.get("N") or 20000))
    parser.add_argument("--refunds", type=int, default=int(os.environ.get("R") or 5000))
    parser.add_argument("--latency", type=float, default=0.5, help="NetSuite s per request")
    parser.add_argument("--shopify-latency-ms", type=float, default=150)
    args = parser.parse_args()

    # As in bench-flows, Shopify's points bucket is not what is measured (the sandbox charges
    # the requested cost and never refunds the difference to the actual cost, as Shopify does);
    # the requested points are printed so the throttle can be reckoned separately.
    shopify_knobs = ["--restore-rate", "1000000", "--maximum-available", "1000000"]
    shopify_knobs += ["--latency-ms", str(args.shopify_latency_ms)]
    with sandboxes(shopify_knobs, ["--latency", str(args.latency)]) as (shopify_url, netsuite_url):
        django_on_a_fresh_database()
        result = run(args, shopify_url, netsuite_url)
    rate = result["orders"] / result["seconds"]
    for line in result["sample"]:
        print(f"  e.g. {line}")
    print(
        f"orders checked: {result['orders']} in {result['seconds']:.1f}s; calls: Shopify "
        f"{result['shopify_calls']}, NetSuite "
        f"{result['netsuite_calls']}; variances: {result['variances']} "
        f"(planted {PLANTED_UNSYNCED + PLANTED_LOST_REFUNDS}); seeding took "
        f"{result['seed_seconds']:.0f}s"
    )
    print(
        f"orders_per_s: {rate:.1f}  calls: {result['shopify_calls'] + result['netsuite_calls']}  "
        f"cpu_ms_per_order: {result['cpu'] * 1000 / max(1, result['orders']):.3f}  "
        f"peak_rss_mb: {result['peak_rss_mb']:.0f}"
    )


def seed(args, shopify_url: str, netsuite_url: str) -> None:
    from connector import external_ids

    session = requests.Session()
    made = session.post(
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
    customer = session.post(
        f"{netsuite_url}/_control/customers",
        json={"customers": [{"externalId": "bench-customer", "email": "bench@example.com"}]},
        timeout=30,
    ).json()[0]["internalId"]
    refunded = set(range(args.refunds))
    for start_at in range(0, args.orders, SEED_BATCH):
        count = min(SEED_BATCH, args.orders - start_at)
        answer = session.post(
            f"{shopify_url}/_control/orders",
            json={
                "count": count,
                "lines": [{"sku": "BENCH-TEE", "quantity": 1, "price": "20.00"}],
                "tax": "1.60",
                "shipping": "4.90",
            },
            timeout=600,
        ).json()
        ids = answer["ids"] if "ids" in answer else [answer["id"]]
        orders = []
        for n, order_id in enumerate(ids, start=start_at):
            refund = None
            if n in refunded:
                session.post(
                    f"{shopify_url}/_control/orders/{order_id}/refund",
                    json={"full": True},
                    timeout=30,
                ).raise_for_status()
                last = session.get(f"{shopify_url}/_control/orders/{order_id}", timeout=30).json()
                if n >= PLANTED_LOST_REFUNDS:
                    refund = {"externalId": external_ids.refund(last["refunds"][-1]["id"])}
                else:
                    refund = None
            if n in range(args.refunds, args.refunds + PLANTED_UNSYNCED):
                continue  # never synced
            orders.append(
                {
                    "externalId": external_ids.sales_order(order_id),
                    "lines": [
                        {"sku": "BENCH-TEE", "quantity": 1, "rate": "20.00"},
                        {"sku": "SHOPIFY-TAX", "amount": "1.60"},
                    ],
                    "shippingCost": "4.90",
                    **({"refund": refund} if refund else {}),
                }
            )
        session.post(
            f"{netsuite_url}/_control/bulk-sales-orders",
            json={"customer": customer, "orders": orders},
            timeout=600,
        ).raise_for_status()


def run(args, shopify_url: str, netsuite_url: str) -> dict:

    from connector.netsuite.client import NetSuiteClient
    from connector.shopify.client import ShopifyClient
    from reconciliation.models import Variance
    from reconciliation.run import reconcile

    t0 = time.perf_counter()
    seed(args, shopify_url, netsuite_url)
    seed_seconds = time.perf_counter() - t0
    charge_items = requests.get(
        f"{netsuite_url}/_control/records", params={"type": "otherChargeSaleItem"}, timeout=30
    ).json()
    tax_item = next(i["internalId"] for i in charge_items if i["fields"]["itemId"] == "SHOPIFY-TAX")

    _user, connector = bench_connector(shopify_url, netsuite_url, netsuite_tax_item_id=tax_item)
    from connector.netsuite import wsdl

    wsdl.get_client()  # once per process, not per order

    counts = {"shopify": 0, "netsuite": 0, "points": 0}
    execute, call = ShopifyClient.execute, NetSuiteClient._call

    def counted_execute(self, *a, **kw):
        counts["shopify"] += 1
        return execute(self, *a, **kw)

    def counted_call(self, *a, **kw):
        counts["netsuite"] += 1
        return call(self, *a, **kw)

    ShopifyClient.execute, NetSuiteClient._call = counted_execute, counted_call
    cpu0, wall0 = time.process_time(), time.perf_counter()
    result = reconcile(connector, 90)
    seconds = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0
    if result.error:
        print(f"run failed: {result.error[:500]}", file=sys.stderr)
    return {
        "orders": result.orders_checked,
        "seconds": seconds,
        "cpu": cpu,
        "shopify_calls": counts["shopify"],
        "netsuite_calls": counts["netsuite"],
        "variances": dict(
            Counter(
                f"{kind}/{record}"
                for kind, record in Variance.objects.filter(resolved_at__isnull=True).values_list(
                    "kind", "record"
                )
            )
        ),
        "sample": list(Variance.objects.values_list("detail", flat=True)[:3]),
        "seed_seconds": seed_seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


if __name__ == "__main__":
    main()
