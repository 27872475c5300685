"""Benchmark (not a test): the product sync on 5,000 changed NetSuite matrix items (10,000
variants) into a Shopify store on the Standard plan's limits (100 points/s), through the real
engine, clients and sandboxes (each sandbox in its own process: the CPU measured is ours).

    make bench-products                 # 5,000 products x 2 variants
    make bench-products N=1000

Set-up (not timed): the catalogue exists in NetSuite and one full sync has created every
product in Shopify (with the bucket opened wide). Then every variant's price changes in
NetSuite, Shopify goes back to 1,000 points restoring 100/s, and two delta runs are timed:

- direct: every product's variants in one `productVariantsBulkUpdate` call (10 points), as a
  run below the bulk threshold writes them. This is the path the cost limit binds: the bound
  is (calls x 10 points - the bucket) / 100 points/s for the whole catalogue, and the ratio
  says how close the flow comes to it (goal >= 0.8).
- bulk: the same change again with the bulk threshold below the catalogue, so the updates go
  as one bulk operation (JSONL upload, polled): outside the cost limit, reported on its own
  line for comparison.

Last line: `variants_per_s: A  bound: B  ratio: R  cpu_ms_per_variant: C`
"""

from __future__ import annotations

import argparse
import os
import resource
import time

from bench.harness import bench_connector, django_on_a_fresh_database, sandboxes

MUTATION_COST = 10
SEED_CHUNK = 2000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=int(os.environ.get("N") or 5000))
    parser.add_argument("--variants", type=int, default=2, help="variants per product")
    parser.add_argument("--latency", type=float, default=0.5, help="NetSuite seconds/request")
    parser.add_argument("--restore-rate", type=float, default=100)
    parser.add_argument("--maximum-available", type=float, default=1000)
    parser.add_argument("--bulk-rows-per-second", type=float, default=200)
    args = parser.parse_args()
    shopify_args = ["--bulk-rows-per-second", str(args.bulk_rows_per_second)]
    with sandboxes(shopify_args) as (shopify_url, netsuite_url):
        django_on_a_fresh_database()
        run(args, shopify_url, netsuite_url)


def run(args, shopify_url: str, netsuite_url: str) -> None:
    from connector.netsuite import wsdl
    from panel import actions
    from sandbox.control_client import ControlClient

    shop = ControlClient(shopify_url, timeout=600)
    ns = ControlClient(netsuite_url, timeout=600)
    shop.post("throttle", {"maximum_available": 1e9, "restore_rate": 1e9})
    started = time.perf_counter()
    seed(ns, args, "2026-11-01T00:00:00Z", base=20)
    _user, connector = bench_connector(shopify_url, netsuite_url, limit=5)
    wsdl.get_client()  # once per process, not per item
    created = timed(connector, ["full"])
    print(
        f"set-up: {args.products} products x {args.variants} variants created in "
        f"{created['seconds']:.1f}s ({created['summary'].get('products_created')} created, "
        f"{created['failed']} failed); seeding took {time.perf_counter() - started:.0f}s"
    )
    if created["failed"] or created["summary"].get("products_created") != args.products:
        raise SystemExit(f"set-up failed: {created['status']} {created['error'][:500]}")
    variants = args.products * args.variants

    def change(day: str, base: int) -> None:
        shop.post("throttle", {"maximum_available": 1e9, "restore_rate": 1e9})
        seed(ns, args, day, base=base)
        shop.post(
            "throttle",
            {"maximum_available": args.maximum_available, "restore_rate": args.restore_rate},
        )
        ns.post("config", {"latency": args.latency})

    # Direct: one call a product (threshold above the catalogue).
    actions.update_options(None, connector, {"product_bulk_threshold": args.products + 1})
    change("2026-11-02T00:00:00Z", 30)
    direct = timed(connector)
    check(direct, variants, "direct")
    # Bulk: the same change again, above the threshold.
    actions.update_options(
        None, connector, {"product_bulk_threshold": min(500, max(1, args.products // 2))}
    )
    change("2026-11-03T00:00:00Z", 40)
    bulk = timed(connector)
    check(bulk, variants, "bulk")

    calls = args.products * max(1, -(-args.variants // 250))
    bound_seconds = max(0.0, calls * MUTATION_COST - args.maximum_available) / args.restore_rate
    bound = variants / bound_seconds
    rate = direct["summary"]["variants_updated"] / direct["seconds"]
    bulk_rate = bulk["summary"]["variants_updated"] / bulk["seconds"]
    print(
        f"direct: {direct['summary']['variants_updated']} variants in {direct['seconds']:.1f}s, "
        f"{direct['summary']['calls']} calls, Shopify throttled "
        f"{shop.get('stats').get('throttled_count')} time(s); NetSuite {args.latency}s/request"
    )
    print(
        f"bulk: {bulk['summary']['variants_updated']} variants in {bulk['seconds']:.1f}s "
        f"({bulk_rate:.1f} variants/s, {bulk['summary']['bulk_operations']} bulk operation(s), "
        f"sandbox runs {args.bulk_rows_per_second:.0f} rows/s), cpu_ms_per_variant "
        f"{bulk['cpu'] * 1000 / variants:.3f}"
    )
    print(f"peak_rss_mb: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
    print(
        f"variants_per_s: {rate:.1f}  bound: {bound:.1f}  ratio: {rate / bound:.2f}  "
        f"cpu_ms_per_variant: {direct['cpu'] * 1000 / variants:.3f}"
    )


def seed(ns, args, when: str, *, base: int) -> None:
    """Every product as a NetSuite matrix parent with `variants` children, all changed at
    `when`, priced from `base`."""
    items = []
    for p in range(args.products):
        parent = f"BENCH-{p:05d}"
        items.append(
            {"sku": parent, "name": f"Bench {p}", "matrix": "parent", "lastModified": when}
        )
        for v in range(args.variants):
            items.append(
                {
                    "sku": f"{parent}-{v}",
                    "parent": parent,
                    "options": {"custitem_size": f"S{v}"},
                    "prices": {"1": f"{base + p % 10}.{v:02d}"},
                    "weight": 1,
                    "weightUnit": "_lb",
                    "lastModified": when,
                }
            )
        if len(items) >= SEED_CHUNK:
            ns.post("inventory-items", {"items": items})
            items = []
    if items:
        ns.post("inventory-items", {"items": items})


def timed(connector, scope=None) -> dict:
    from flows import engine
    from flows.models import FlowRun, Trigger

    row, _ = engine.request_run(connector, "product_to_shopify", Trigger.API, scope=scope or [])
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if os.environ.get("BENCH_PROFILE"):  # where our CPU goes: BENCH_PROFILE=out.prof
        import cProfile

        cProfile.runctx("engine.execute(row.pk)", globals(), locals(), os.environ["BENCH_PROFILE"])
    else:
        engine.execute(row.pk)
    seconds, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    row = FlowRun.objects.get(pk=row.pk)
    return {
        "status": row.status,
        "failed": row.failed,
        "error": row.error or "",
        "summary": row.summary or {},
        "seconds": seconds,
        "cpu": cpu,
    }


def check(result: dict, variants: int, path: str) -> None:
    done = result["summary"].get("variants_updated")
    if result["failed"] or done != variants:
        raise SystemExit(
            f"{path} run {result['status']}: {done} of {variants} variants updated, "
            f"{result['failed']} failed; {result['error'][:500]} {result['summary']}"
        )


if __name__ == "__main__":
    main()
