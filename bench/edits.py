"""Benchmark (not a test): seconds from an order edit committed in Shopify to the NetSuite sales
order updated (issue 14), when `orders/edited` webhooks drive the work, through the product as
deployed (bench/harness.py `deployed`: gunicorn, a qcluster on Redis, PostgreSQL, both
sandboxes in processes of their own, NetSuite at 1 s per request and 5 requests in flight).

    make bench-edits                   # 300 orders, edited over 60 s, idle then under load
    make bench-edits N=100 DURATION=20 SKUS=3000 FILL=0

Set-up (not timed): N orders (two lines, a tax rate, shipping) created in Shopify and imported
into NetSuite by the order import (NetSuite without latency for it), the flow
`order_edit_to_netsuite` switched on, NetSuite then at 1 s per request.

1. Idle: each order edited once in Shopify (a quantity up, one in four a line added) over
   DURATION seconds, each edit announced by an `orders/edited` delivery to the panel (the
   sandbox signs and posts it). Latency: the edit committed in Shopify -> the order's
   `order_edit` row Posted (written, read back, total equal to Shopify's) with a new version,
   at or after the edit.
2. Loaded: each order edited again (a quantity down, one in four a line removed) while the
   inventory flow's full resyncs of SKUS items run back to back (BULK priority), as
   bench-latency's phase 3 does, and FILL more BULK callers (default: the limit, 5) keep
   every NetSuite slot busy: a resync reads NetSuite for seconds and writes Shopify for
   minutes, so alone it fills the budget only a fifth of the time (FILL=0 shows that).

The arithmetic: a records run takes up to 20 edits (the flow's `records_per_run`) and makes
three NetSuite calls per batch (getList of the sales orders, one updateList, a getList reading
the totals back), ~3.2 s at 1 s each. 5 requests in flight at 1 s post at most
5 / 3 x 20 = ~33 edits/s with full batches; 300 edits over 60 s is 5/s, a sixth of that and
a busy store's morning (every order of the day edited within a minute). At 5/s and ~3.2 s a
run, four workers meet 4 to 5 edits a run and keep ~4 requests in flight, which leaves the
inventory load one slot unless edits go first (they are URGENT; inventory is BULK).

At the end: `lost` counts edits whose row was not Posted with the new version 2 minutes after
the last edit; `twice` counts sales orders where a Shopify line key (the SO line custom field)
is on more than one line; `totals_differ` counts sales orders whose total is not Shopify's
current total. Then where an edit's time went (waiting for a worker: the webhook -> the start
of the records run that carried it; in the run: the three NetSuite calls, budget waits
included), run sizes, and samples of the budget queue.

Last line: `edit_p95_s: A  unloaded_p95_s: B  ratio: R` (A: phase 2's p95, B: phase 1's).
Goal (issue 14): A under 10 s and R under 2.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import Counter
from decimal import Decimal

from bench.harness import deployed, deployed_arguments, pct
from bench.latency import GIVE_UP_AFTER, Bench

FLOW = "order_edit_to_netsuite"
TEE, MUG, CAP = "LATENCY-TEE", "EDIT-MUG", "EDIT-CAP"


def main() -> None:
    parser = deployed_arguments(__doc__.splitlines()[0], orders=300, seconds=60)
    parser.add_argument(
        "--fill",
        type=int,
        default=int(os.environ.get("FILL") or -1),
        help="BULK callers beside the resyncs (default: the limit; 0: the resyncs alone)",
    )
    args = parser.parse_args()
    if args.fill < 0:
        args.fill = args.limit
    with deployed(args, database="panel_edits", redis_db=10) as urls:
        EditsBench(args, *urls).run()


def raise_quantity(n: int, order: dict) -> dict:
    """Phase 1's edit: one order in four gets a line added, the others a quantity up."""
    if n % 4 == 0:
        return {"add_sku": CAP, "price": "8.00"}
    return {"line_item_id": _line(order, TEE), "quantity": 3}


def lower_quantity(n: int, order: dict) -> dict:
    """Phase 2's edit: one order in four loses a line (zeroed and closed in NetSuite)."""
    if n % 4 == 1:
        return {"line_item_id": _line(order, MUG), "quantity": 0}
    return {"line_item_id": _line(order, TEE), "quantity": 1}


def _line(order: dict, sku: str) -> int:
    return next(li["id"] for li in order["line_items"] if li["sku"] == sku)


class EditsBench(Bench):
    FLOWS = ("order_import", FLOW)

    # -- set-up ---------------------------------------------------------------------------
    def imported_orders(self, count: int) -> list[dict]:
        """`count` Shopify orders imported into NetSuite (not timed); their Shopify states."""
        from flows import engine
        from flows.models import Trigger
        from transactions.models import Kind, Transaction

        self.ns.post("items", {"items": [{"sku": MUG, "price": 12}, {"sku": CAP, "price": 8}]})
        made = self.shop.post(
            "orders",
            {
                "count": count,
                "lines": [
                    {"sku": TEE, "quantity": 2, "price": "20.00", "title": "Tee"},
                    {"sku": MUG, "quantity": 1, "price": "12.00", "title": "Mug"},
                ],
                "tax_rate": "0.08",
                "shipping": "4.90",
            },
        )
        ids = [str(i) for i in made.get("ids") or [made["id"]]]
        engine.request_run(self.connector, "order_import", Trigger.API)
        deadline = time.time() + 300
        while time.time() < deadline:
            posted = Transaction.objects.filter(
                kind=Kind.ORDER, source_id__in=ids, posted_at__isnull=False
            ).count()
            if posted == len(ids):
                break
            time.sleep(1)
        else:
            self.diagnose()
            raise SystemExit(f"the order import posted {posted} of {len(ids)} orders: see above")
        states = {str(o["id"]): o for o in self.shop.get("orders")["orders"]}
        return [states[i] for i in ids]

    # -- a phase --------------------------------------------------------------------------
    def edits(self, orders: list[dict], seconds: float, change) -> dict[str, float]:
        """Edit each order once, evenly over `seconds`, each announced; order id -> edited."""
        edited: dict[str, float] = {}
        t0 = time.time()
        for n, order in enumerate(orders):
            due = t0 + n * seconds / len(orders)
            time.sleep(max(0.0, due - time.time()))
            order_id = str(order["id"])
            self.shop.post(f"orders/{order_id}/edit", change(n, order))
            edited[order_id] = time.time()
            self.deliver("orders/edited", order_id)
        return edited

    def wait_applied(self, edited: dict[str, float], before: dict[str, str]) -> dict:
        """Poll the order-edit rows until each is Posted with a version other than `before`'s,
        at or after its edit; the latencies (and each order's, for the breakdown)."""
        from transactions.models import Kind, Transaction

        applied: dict[str, float] = {}
        deadline = max(edited.values()) + GIVE_UP_AFTER
        while len(applied) < len(edited) and time.time() < deadline:
            time.sleep(0.5)
            rows = Transaction.objects.filter(
                kind=Kind.ORDER_EDIT,
                source_id__in=[s for s in edited if s not in applied],
                posted_at__isnull=False,
            ).values_list("source_id", "posted_at", "payload")
            for source, at, payload in rows:
                newer = (payload or {}).get("version") != before.get(source)
                if newer and at.timestamp() >= edited[source]:
                    applied[source] = at.timestamp()
        by_order = {s: applied[s] - edited[s] for s in applied}
        return {
            "latencies": sorted(by_order.values()),
            "by_order": by_order,
            "lost": len(edited) - len(applied),
        }

    def versions(self, order_ids) -> dict[str, str]:
        from transactions.models import Kind, Transaction

        rows = Transaction.objects.filter(kind=Kind.ORDER_EDIT, source_id__in=list(order_ids))
        return {r.source_id: (r.payload or {}).get("version") for r in rows}

    def phase(self, label: str, orders: list[dict], change, seen: list | None = None) -> dict:
        ids = [str(o["id"]) for o in orders]
        before = self.versions(ids)
        samples: list[dict] = []
        stop = threading.Event()
        sampler = threading.Thread(target=self.sample, args=(stop, samples))
        sampler.start()
        try:
            edited = self.edits(orders, self.args.seconds, change)
            result = self.wait_applied(edited, before)
        finally:
            stop.set()
            sampler.join()
        result.update(self.on_netsuite(ids))
        load = ""
        if seen is not None:
            saturated = sum(1 for n in seen if n >= self.args.limit - 1) / max(1, len(seen))
            load = f" ({saturated:.0%} of samples with the budget full)"
        self.line(f"{label}{load}", result)
        self.breakdown(edited, result["by_order"], samples)
        return result

    # -- what was measured ----------------------------------------------------------------
    def on_netsuite(self, order_ids: list[str]) -> dict[str, int]:
        """Sales orders with a Shopify line key on two lines, and whose total is not
        Shopify's current total (read from both sandboxes' control APIs)."""
        from connector import external_ids

        key_field = self.connector.options.netsuite_line_key_field_id
        shopify = {str(o["id"]): o for o in self.shop.get("orders")["orders"]}
        wanted = {external_ids.sales_order(i): i for i in order_ids}
        twice = differ = 0
        for so in self.ns.get("records", type="salesOrder"):
            order_id = wanted.get(so.get("externalId"))
            if order_id is None:
                continue
            keys = Counter(
                (line.get("customFieldList") or {}).get(key_field)
                for line in so["fields"].get("itemList") or []
            )
            keys.pop(None, None)
            twice += any(n > 1 for n in keys.values())
            total = Decimal(shopify[order_id]["totals"]["current_total"])
            differ += Decimal(so["fields"].get("total") or "0") != total
        return {"twice": twice, "totals_differ": differ}

    def sample(self, stop: threading.Event, samples: list[dict]) -> None:
        """Every half second: the edit flow's records runs queued and running, and the budget
        queue by priority (what an edit waits for: a worker, or a NetSuite slot)."""
        from django.db import connection
        from django.db.models import Count

        from connector.netsuite.models import BudgetLease, BudgetWaiter
        from flows.models import FlowRun, Lane, RunStatus

        try:
            while not stop.wait(0.5):
                runs = Counter(
                    dict(
                        FlowRun.objects.filter(
                            flow=FLOW,
                            lane=Lane.RECORDS,
                            status__in=(RunStatus.QUEUED, RunStatus.RUNNING),
                        )
                        .values_list("status")
                        .annotate(n=Count("pk"))
                    )
                )
                waiting = dict(BudgetWaiter.objects.values_list("priority").annotate(n=Count("pk")))
                held = dict(BudgetLease.objects.values_list("priority").annotate(n=Count("pk")))
                samples.append(
                    {
                        "queued": runs[RunStatus.QUEUED],
                        "running": runs[RunStatus.RUNNING],
                        "waiting": waiting,
                        "held": held,
                    }
                )
        finally:
            connection.close()

    def breakdown(self, edited: dict[str, float], by_order: dict[str, float], samples) -> None:
        """Where an edit's seconds went: until the records run that carried it started (a
        free worker), reading its orders from Shopify and claiming their rows, then the
        NetSuite calls (budget waits included) and the finish; run sizes; the queues."""
        from connector.netsuite.budget import Priority
        from flows.models import FlowRun, Lane
        from transactions.models import Kind, Transaction

        first = min(edited.values())
        runs = list(
            FlowRun.objects.filter(
                flow=FLOW, lane=Lane.RECORDS, started_at__isnull=False
            ).values_list("scope", "started_at", "finished_at")
        )
        runs = [(s, a.timestamp(), b.timestamp() if b else None) for s, a, b in runs]
        runs = [r for r in runs if r[1] >= first]
        claimed = {
            source: at.timestamp()
            for source, at in Transaction.objects.filter(
                kind=Kind.ORDER_EDIT, source_id__in=list(by_order), posting_started_at__isnull=False
            ).values_list("source_id", "posting_started_at")
        }
        carried: dict[str, float] = {}  # order -> start of the run that applied its edit
        for order_id in by_order:
            at = edited[order_id]
            starts = [start for scope, start, _end in runs if order_id in scope and start >= at]
            if starts and order_id in claimed:
                carried[order_id] = min(starts)
        last_claim: dict[float, float] = {}  # a run's start -> its last row claimed
        for order_id, start in carried.items():
            last_claim[start] = max(last_claim.get(start, 0.0), claimed[order_id])
        to_start, reading, writing = [], [], []
        for order_id, start in carried.items():
            to_start.append(start - edited[order_id])
            reading.append(last_claim[start] - start)
            writing.append(edited[order_id] + by_order[order_id] - last_claim[start])
        sizes = [len(scope) for scope, _s, _e in runs]
        lasted = [end - start for _scope, start, end in runs if end]

        def spread(values):
            return f"p50 {pct(values, 50):.2f} p95 {pct(values, 95):.2f}"

        def mean(key, priority=None):
            values = [
                (s[key].get(priority, 0) if priority is not None else s[key]) for s in samples
            ]
            return sum(values) / max(1, len(values))

        print(
            f"  seconds until its run started: {spread(sorted(to_start))}; reading and "
            f"claiming the run's orders: {spread(sorted(reading))}; NetSuite and finish: "
            f"{spread(sorted(writing))}",
            flush=True,
        )
        print(
            f"  records runs: {len(runs)}, edits a run: {spread(sorted(sizes))}, "
            f"run seconds: {spread(sorted(lasted))}",
            flush=True,
        )
        calls = Counter(e["operation"] for e in self.ns.get("log") if e["at"] >= first)
        print(f"  NetSuite calls since the first edit (the last 1000): {dict(calls)}")
        print(
            f"  mean over samples: runs queued {mean('queued'):.1f}, running "
            f"{mean('running'):.1f}; NetSuite slots held urgent "
            f"{mean('held', Priority.URGENT):.1f} / bulk {mean('held', Priority.BULK):.1f}; "
            f"waiting urgent {mean('waiting', Priority.URGENT):.1f} / bulk "
            f"{mean('waiting', Priority.BULK):.1f}",
            flush=True,
        )

    def fill_budget(self, stop: threading.Event) -> None:
        """A BULK caller keeping one NetSuite slot busy back to back (an item lookup, as the
        inventory and product flows make) until `stop`. A full resync reads NetSuite for a
        few seconds and then writes Shopify for minutes, so the resyncs alone leave the
        budget mostly free; `limit` of these keep it full, as issue 14's load says."""
        from django.db import connection

        from connector.clients import netsuite_client
        from connector.netsuite.budget import Priority

        client = netsuite_client(self.connector, priority=Priority.BULK)
        try:
            while not stop.is_set():
                with contextlib.suppress(Exception):  # a refusal is a call like another
                    client.find_item_by_sku("LOAD-00000")
        finally:
            connection.close()

    @staticmethod
    def figures(result: dict) -> str:
        return f"{Bench.figures(result)}  totals_differ: {result.get('totals_differ', 0)}"

    # -- the whole bench ------------------------------------------------------------------
    def run(self) -> None:
        args = self.args
        self.setup()
        self.stock()
        orders = self.imported_orders(args.orders + 1)
        self.ns.post("config", {"latency": args.latency, "latency_per_record": 0.005})
        # Not timed: the cluster's first edit run and the added item's binding.
        warm, orders = orders[:1], orders[1:]
        if self.wait_applied(self.edits(warm, 0, raise_quantity), self.versions([warm[0]["id"]]))[
            "lost"
        ]:
            self.diagnose()
            raise SystemExit("the warm-up edit did not reach NetSuite: see above")

        self.settle()
        unloaded = self.phase("edits, idle budget", orders, raise_quantity)
        if unloaded["lost"] == len(orders):
            raise SystemExit("no edit reached NetSuite: see above")

        stop, seen = threading.Event(), []
        load = [threading.Thread(target=self.saturate, args=(stop, seen))]
        load += [threading.Thread(target=self.fill_budget, args=(stop,)) for _ in range(args.fill)]
        for thread in load:
            thread.start()
        time.sleep(5)  # the first resync has the budget
        try:
            current = {str(o["id"]): o for o in self.shop.get("orders")["orders"]}
            orders = [current[str(o["id"])] for o in orders]
            label = "edits, inventory saturating the budget"
            loaded = self.phase(label, orders, lower_quantity, seen)
        finally:
            stop.set()
            for thread in load:
                thread.join()
        if self.refused:
            print(f"deliveries not answered 200: {dict(self.refused)}")
        p95, loaded_p95 = pct(unloaded["latencies"], 95), pct(loaded["latencies"], 95)
        print(
            f"edit_p95_s: {loaded_p95:.2f}  unloaded_p95_s: {p95:.2f}  "
            f"ratio: {loaded_p95 / max(p95, 1e-9):.2f}"
        )


if __name__ == "__main__":
    main()
