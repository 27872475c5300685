"""Benchmark (not a test): seconds from a Shopify event to its NetSuite record, when webhooks
drive the work, through the whole product as it is deployed: gunicorn answering the signed
deliveries, a django-q2 cluster on Redis running the flows, PostgreSQL, and both sandboxes in
processes of their own with NetSuite at 1 s per request and a concurrency limit of 5.

    make bench-latency                 # 300 orders over 60 s, 30 refunds over 60 s
    make bench-latency N=100 DURATION=20 REFUNDS=20 SKUS=3000

1. Orders: N Shopify orders created over SECONDS, each delivered by `orders/create` to the
   panel (the bench plays Shopify's delivery: the sandbox signs and posts it). Latency: the
   order's creation -> its NetSuite sales order written and read back (the row Posted).
2. Refunds: the imported orders are billed in NetSuite (cash sales); REFUNDS of them are
   refunded in Shopify over DURATION, each announced by `refunds/create`. Latency: the
   refund's creation -> its NetSuite cash refund written and read back. A refund takes about
   six NetSuite calls (the billed record, earlier refunds, initialize, add, read back), so at
   5 in flight and 1 s each the account posts at most ~0.8 refunds/s: 30 a minute is a busy
   store (an order in ten refunded), well inside that.
3. Orders again while the inventory flow saturates the NetSuite budget (full resyncs of SKUS
   items back to back, BULK priority): the same as 1, compared with its p95.

`lost` counts events with no NetSuite record when the bench gives up (2 minutes after the
last one); `twice` counts Shopify records with more than one NetSuite record.

Last line: `p50_s: A  p95_s: B  max_s: C  lost: 0  twice: 0` for 1, after lines for 2 and 3
(`loaded_p95_s: L  ratio: R` against 1's p95).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from bench.harness import bench_connector, deployed, deployed_arguments, pct

GIVE_UP_AFTER = float(os.environ.get("GIVE_UP_AFTER") or 120)  # seconds after the last event


def main() -> None:
    parser = deployed_arguments(__doc__.splitlines()[0], orders=300, seconds=60)
    parser.add_argument("--refunds", type=int, default=int(os.environ.get("REFUNDS") or 30))
    args = parser.parse_args()
    with deployed(args, database="panel_latency", redis_db=9) as urls:
        Bench(args, *urls).run()


class Bench:
    # Switched on: the flows webhooks start. Not the inventory flow: switched on, its schedule
    # starts a full sync of the stock at once, which would run through the idle phase and
    # swallow the load's full resyncs (a request meeting an active delta run only marks it
    # to run again, as a plain delta); the load requests its runs itself (Trigger.API).
    FLOWS = ("order_import", "refund_to_netsuite")

    def __init__(self, args, shopify_url: str, netsuite_url: str, web_url: str):
        from sandbox.control_client import ControlClient

        self.args = args
        self.shop = ControlClient(shopify_url, timeout=300)
        self.ns = ControlClient(netsuite_url, timeout=300)
        self.web_url = web_url
        self.pool = ThreadPoolExecutor(16, thread_name_prefix="deliver")
        self.refused: Counter = Counter()
        # More delivery threads than the control client's pooled connections: a connection
        # is opened anew now and then, which is fine; its warning is noise in the figures.
        logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)

    # -- set-up ---------------------------------------------------------------------------
    def setup(self) -> None:
        from connector.models import LocationMapping
        from flows import actions as flow_actions
        from transactions import demo

        charges = [{"sku": sku, "type": "otherCharge"} for sku in demo.CHARGE_ITEMS.values()]
        self.ns.post("items", {"items": [{"sku": "LATENCY-TEE", "price": 20}, *charges]})
        self.user, self.connector = bench_connector(
            self.shop.base_url,
            self.ns.base_url,
            limit=self.args.limit,
            refund_sync_direction="shopify_to_netsuite",
            **demo.charge_item_ids(self.ns),
        )
        main = str(self.shop.get("inventory")["locations"][0]["id"])
        LocationMapping.objects.create(
            connector=self.connector, netsuite_location_id="1", shopify_location_id=main
        )
        # Switched on (webhooks start only switched-on flows), with the delta schedule a day
        # away: what is measured is the webhook path, not a lucky schedule.
        for flow in self.FLOWS:
            flow_actions.update_flow_schedule(
                self.user, self.connector, flow, {"enabled": True, "interval_minutes": 1440}
            )
        self.hook = f"{self.web_url}/webhooks/shopify/{self.connector.pk}/"

    def deliver(self, topic: str, order_id) -> None:
        def go():
            answer = self.shop.post(
                "webhooks/deliver", {"topic": topic, "order_id": order_id, "url": self.hook}
            )
            if answer.get("status") != 200:
                self.refused[answer.get("status")] += 1

        self.pool.submit(go)

    # -- phases ---------------------------------------------------------------------------
    def orders(self, count: int, seconds: float) -> dict[str, float]:
        """Create `count` orders evenly over `seconds`, each delivered; order id -> created."""
        created: dict[str, float] = {}
        t0 = time.time()
        for n in range(count):
            due = t0 + n * seconds / count
            time.sleep(max(0.0, due - time.time()))
            order = self.shop.post(
                "orders",
                {
                    "lines": [{"sku": "LATENCY-TEE", "quantity": 1, "price": "20.00"}],
                    "tax": "1.60",
                    "shipping": "4.90",
                },
            )
            created[str(order["id"])] = time.time()
            self.deliver("orders/create", order["id"])
        return created

    def refunds(self, order_ids: list[str], seconds: float) -> dict[str, float]:
        from transactions.models import Kind, Transaction

        so_ids = dict(
            Transaction.objects.filter(kind=Kind.ORDER, source_id__in=order_ids).values_list(
                "source_id", "target_id"
            )
        )
        for order_id in order_ids:  # approved and billed in NetSuite before the refunds come
            self.ns.post(f"sales-orders/{so_ids[order_id]}/approve")
            self.ns.post(f"sales-orders/{so_ids[order_id]}/bill", {"as": "cashSale"})
        created: dict[str, float] = {}
        t0 = time.time()
        for n, order_id in enumerate(order_ids):
            due = t0 + n * seconds / len(order_ids)
            time.sleep(max(0.0, due - time.time()))
            order = self.shop.get(f"orders/{order_id}")
            line = order["line_items"][0]
            refunded = self.shop.post(
                f"orders/{order_id}/refund",
                {"amount": "21.60", "lines": [{"line_item_id": line["id"], "quantity": 1}]},
            )
            refund_id = str(refunded["refunds"][-1]["id"])
            created[refund_id] = time.time()
            self.deliver("refunds/create", order_id)
        return created

    def wait_posted(self, kind: str, created: dict[str, float]) -> dict:
        """Poll our rows until every source is posted or we give up; the latencies."""
        from transactions.models import Transaction

        posted: dict[str, float] = {}
        deadline = max(created.values()) + GIVE_UP_AFTER
        while len(posted) < len(created) and time.time() < deadline:
            time.sleep(0.5)
            rows = Transaction.objects.filter(
                kind=kind, source_id__in=list(created), posted_at__isnull=False
            ).values_list("source_id", "posted_at")
            posted.update({source: at.timestamp() for source, at in rows})
        latencies = sorted(posted[s] - created[s] for s in posted)
        return {"latencies": latencies, "lost": len(created) - len(posted)}

    def twice(self, record_type: str, created: dict[str, float]) -> int:
        """Shopify records with more than one NetSuite record (by the externalId we derive)."""
        from connector import external_ids

        derive = external_ids.sales_order if record_type == "salesOrder" else external_ids.refund
        wanted = {derive(source) for source in created}
        counts = Counter(
            r.get("externalId")
            for r in self.ns.get("records", type=record_type)
            if r.get("externalId") in wanted
        )
        return sum(1 for n in counts.values() if n > 1)

    def settle(self, timeout: float = 600) -> None:
        """Wait until no flow run is queued or running (a schedule's first run, the warm-up):
        an idle phase starts idle."""
        from flows.models import ACTIVE_RUN_STATUSES, FlowRun

        deadline = time.time() + timeout
        while FlowRun.objects.filter(status__in=ACTIVE_RUN_STATUSES).exists():
            if time.time() > deadline:
                raise SystemExit("flow runs still active after the set-up: see the admin")
            time.sleep(1)

    def saturate(self, stop: threading.Event, seen: list[int]) -> None:
        """Full inventory resyncs back to back (BULK), through the cluster, until `stop`."""
        from django.db import connection

        from flows import engine
        from flows.models import FlowRun, Trigger

        try:
            while not stop.is_set():
                run, _ = engine.request_run(
                    self.connector, "inventory_to_shopify", Trigger.API, scope=["full"]
                )
                while not stop.is_set():
                    # A busy sandbox may drop a control request: that sample is missed.
                    with contextlib.suppress(Exception):
                        seen.append(self.ns.get("state")["in_flight"])
                    if not FlowRun.objects.get(pk=run.pk).is_active:
                        break
                    time.sleep(0.5)
        finally:
            connection.close()

    def stock(self) -> None:
        skus = [f"LOAD-{i:05d}" for i in range(self.args.skus)]
        main = str(self.shop.get("inventory")["locations"][0]["id"])
        for at in range(0, len(skus), 5000):
            chunk = skus[at : at + 5000]
            levels = [{"sku": s, "levels": {main: 0}} for s in chunk]
            self.shop.post("inventory/items", {"items": levels})
            self.ns.post(
                "inventory-items",
                {
                    "items": [
                        {
                            "sku": s,
                            "lastModified": "2026-11-01T00:00:00Z",
                            "locations": [{"location": "1", "available": 5 + i % 7}],
                        }
                        for i, s in enumerate(chunk)
                    ]
                },
            )

    # -- the whole bench ------------------------------------------------------------------
    def run(self) -> None:
        from transactions.models import Kind

        args = self.args
        self.setup()
        self.stock()
        self.ns.post("config", {"latency": args.latency, "latency_per_record": 0.005})
        # Not timed: the cluster's first task (a worker's start) and the item bindings.
        warm = self.wait_posted(Kind.ORDER, self.orders(1, 0))
        if warm["lost"]:
            self.diagnose()
            raise SystemExit("the warm-up order did not reach NetSuite: see above")

        self.settle()
        orders = self.orders(args.orders, args.seconds)
        unloaded = self.wait_posted(Kind.ORDER, orders)
        unloaded["twice"] = self.twice("salesOrder", orders)
        self.line("orders, idle budget", unloaded)
        if unloaded["lost"] == len(orders):
            raise SystemExit("no order reached NetSuite: see above")

        refunded = list(orders)[: args.refunds]
        if refunded:
            refunds = self.refunds(refunded, args.seconds)
            result = self.wait_posted(Kind.REFUND, refunds)
            result["twice"] = self.twice("cashRefund", refunds)
            self.line("refunds (webhook -> NetSuite cash refund)", result)

        stop, seen = threading.Event(), []
        load = threading.Thread(target=self.saturate, args=(stop, seen))
        load.start()
        time.sleep(5)  # the first resync has the budget
        try:
            busy = self.orders(args.orders, args.seconds)
            loaded = self.wait_posted(Kind.ORDER, busy)
        finally:
            stop.set()
            load.join()
        loaded["twice"] = self.twice("salesOrder", busy)
        saturated = sum(1 for n in seen if n >= args.limit - 1) / max(1, len(seen))
        self.line(f"orders, inventory saturating the budget ({saturated:.0%} of samples)", loaded)
        if self.refused:
            print(f"deliveries not answered 200: {dict(self.refused)}")
        p95, loaded_p95 = pct(unloaded["latencies"], 95), pct(loaded["latencies"], 95)
        print(f"loaded_p95_s: {loaded_p95:.2f}  ratio: {loaded_p95 / max(p95, 1e-9):.2f}")
        print(self.figures(unloaded))

    def line(self, label: str, result: dict) -> None:
        print(f"{label}: {self.figures(result)}", flush=True)
        if result["lost"]:
            self.diagnose()

    def diagnose(self) -> None:
        """Where the lost ones stopped: deliveries refused or stuck, runs, rows."""
        from django.db.models import Count

        from connector.shopify.models import WebhookDelivery
        from flows.models import FlowRun
        from transactions.models import Transaction

        def by(qs, *fields):
            return list(qs.values(*fields).annotate(n=Count("pk")).order_by(*fields))

        print(f"  deliveries not answered 200: {dict(self.refused)}")
        print(f"  deliveries: {by(WebhookDelivery.objects, 'topic', 'status')}")
        print(f"  runs: {by(FlowRun.objects, 'flow', 'lane', 'status')}")
        print(f"  rows: {by(Transaction.objects, 'kind', 'status')}")
        for run in FlowRun.objects.exclude(error="")[:3]:
            print(f"  run {run.pk} {run.flow}: {run.error[:300]}")
        for txn in Transaction.objects.exclude(last_error="")[:3]:
            print(f"  row {txn.pk} {txn.kind} {txn.source_id}: {txn.last_error[:300]}")

    @staticmethod
    def figures(result: dict) -> str:
        lat = result["latencies"]
        return (
            f"p50_s: {pct(lat, 50):.2f}  p95_s: {pct(lat, 95):.2f}  "
            f"max_s: {max(lat, default=float('nan')):.2f}  lost: {result['lost']}  "
            f"twice: {result['twice']}"
        )


if __name__ == "__main__":
    main()
