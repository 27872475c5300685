"""Inventory: NetSuite → Shopify, against both sandboxes over real HTTP."""

from __future__ import annotations

import pytest

from connector.items import bind_items
from connector.models import ItemBinding, LocationMapping
from flows.inventory.run import FULL
from flows.models import FlowCursor, FlowRun, KnownShopifyLevel, RunStatus
from transactions.models import Kind, Status, Transaction

from .conftest import run_flow

pytestmark = pytest.mark.django_db(transaction=True)

FLOW = "inventory_to_shopify"
T0 = "2026-11-02T10:00:00Z"


class Stock:
    """Both sides of one test: NetSuite items with stock per location, Shopify variants with
    levels, and the connector's location map."""

    def __init__(self, connector, shopify_sandbox, netsuite_sandbox):
        self.connector = connector
        self.shopify = shopify_sandbox
        self.netsuite = netsuite_sandbox
        inventory = shopify_sandbox.control.request("GET", "inventory")
        self.main = str(inventory["locations"][0]["id"])
        self.east = str(shopify_sandbox.control.request("POST", "locations", name="East")["id"])

    def map(self, **pairs):
        """NetSuite location id -> Shopify location id."""
        for netsuite_id, shopify_id in pairs.items():
            LocationMapping.objects.create(
                connector=self.connector,
                netsuite_location_id=netsuite_id.lstrip("_"),
                shopify_location_id=shopify_id,
            )

    def netsuite_items(self, *items):
        return self.netsuite.control.post("inventory-items", {"items": list(items)})

    def shopify_items(self, *skus, levels=None):
        levels = levels or {self.main: 0, self.east: 0}
        return self.shopify.control.request(
            "POST", "inventory/items", items=[{"sku": s, "levels": levels} for s in skus]
        )["items"]

    def levels(self) -> dict:
        return self.shopify.control.request("GET", "inventory/levels")["levels"]

    def available(self, sku, location) -> int:
        return self.levels()[sku][location]["available"]

    def inventory_mutations(self) -> list[dict]:
        return [
            m for m in self.shopify.control.mutations() if m["mutation"] == "inventorySetQuantities"
        ]


def item(sku, when=T0, **by_location):
    return {
        "sku": sku,
        "lastModified": when,
        "locations": [
            {"location": loc.lstrip("_"), "available": qty} for loc, qty in by_location.items()
        ],
    }


@pytest.fixture
def stock(wired, shopify_sandbox, netsuite_sandbox):
    return Stock(wired, shopify_sandbox, netsuite_sandbox)


def test_quantities_copied_locations_summed_and_unmapped_ignored(stock):
    stock.map(_1=stock.main, _2=stock.main, _3=stock.east)  # 1 + 2 summed into Main
    stock.shopify_items("TEE-S", "TEE-M")
    stock.netsuite_items(
        item("TEE-S", _1=4, _2=6, _3=2, _9=100),  # location 9 is not mapped
        item("TEE-M", _1=1, _3=7),
    )
    run = run_flow(stock.connector, FLOW)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert stock.available("TEE-S", stock.main) == 10
    assert stock.available("TEE-S", stock.east) == 2
    assert stock.available("TEE-M", stock.main) == 1
    assert stock.available("TEE-M", stock.east) == 7
    assert (run.seen, run.posted, run.failed) == (2, 2, 0)
    assert run.summary["unmapped_netsuite_locations"] == {"9": 1}
    assert run.summary["quantities_written"] == 4
    # Every SKU's ids are bound, and no Transaction buries the page for a success.
    binding = ItemBinding.objects.get(connector=stock.connector, sku="TEE-S")
    assert binding.netsuite_item_id and binding.shopify_inventory_item_id
    assert binding.shopify_variant_id
    assert not Transaction.objects.filter(kind=Kind.INVENTORY).exists()
    # Written with the mandatory key and a compare in every quantity.
    (call,) = stock.inventory_mutations()
    assert call["idempotency_key"]
    quantities = call["variables"]["input"]["quantities"]
    assert all("changeFromQuantity" in q and q["changeFromQuantity"] == 0 for q in quantities)


def test_unchanged_quantities_are_not_written_again(stock):
    stock.map(_1=stock.main)
    stock.shopify_items("CAP")
    stock.netsuite_items(item("CAP", _1=5))
    run_flow(stock.connector, FLOW)
    second = run_flow(stock.connector, FLOW)
    assert second.status == RunStatus.SUCCEEDED
    assert second.skip_reasons == {"Unchanged.": 1}
    assert len(stock.inventory_mutations()) == 1


def test_stale_compare_is_read_again_and_only_that_item_retried(stock):
    stock.map(_1=stock.main)
    stock.shopify_items("A", "B", "C")
    stock.netsuite_items(item("A", _1=1), item("B", _1=1), item("C", _1=1))
    run_flow(stock.connector, FLOW)  # known levels: 1 each
    # A sale in Shopify moves B under us; NetSuite changes all three.
    stock.shopify.control.request(
        "POST", "inventory/levels", levels=[{"sku": "B", "location": stock.main, "available": 0}]
    )
    stock.netsuite_items(
        item("A", "2026-11-02T11:00:00Z", _1=8),
        item("B", "2026-11-02T11:00:00Z", _1=8),
        item("C", "2026-11-02T11:00:00Z", _1=8),
    )
    run = run_flow(stock.connector, FLOW)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert {s: stock.available(s, stock.main) for s in "ABC"} == {"A": 8, "B": 8, "C": 8}
    calls = stock.inventory_mutations()[1:]
    sent = [[q["inventoryItemId"] for q in c["variables"]["input"]["quantities"]] for c in calls]
    b_item = ItemBinding.objects.get(sku="B").shopify_inventory_item_id
    b_gid = f"gid://shopify/InventoryItem/{b_item}"
    # 1: all three, refused as a whole (B stale); 2: A and C without B; 3: B alone, from 0.
    assert len(sent) == 3
    assert b_gid in sent[0] and len(sent[0]) == 3
    assert b_gid not in sent[1] and len(sent[1]) == 2
    assert sent[2] == [b_gid]
    assert calls[2]["variables"]["input"]["quantities"][0]["changeFromQuantity"] == 0
    assert run.summary["stale_rereads"] == 1
    assert len({c["idempotency_key"] for c in calls}) == 3


def test_unknown_skus_reported_once_with_the_list(stock):
    stock.map(_1=stock.main)
    stock.shopify_items("KNOWN")
    stock.netsuite_items(item("KNOWN", _1=3), *[item(f"GHOST-{n}", _1=1) for n in range(30)])
    run = run_flow(stock.connector, FLOW)
    assert run.status == RunStatus.SUCCEEDED
    assert run.summary["unknown_skus"]["count"] == 30
    assert sorted(run.summary["unknown_skus"]["skus"]) == sorted(f"GHOST-{n}" for n in range(30))
    assert run.skip_reasons == {"No Shopify variant with this SKU.": 30}
    assert not Transaction.objects.filter(kind=Kind.INVENTORY).exists()


def test_batches_hold_at_most_250_quantities(stock):
    stock.map(_1=stock.main, _2=stock.east)
    skus = [f"BULK-{n:04d}" for n in range(300)]
    stock.shopify_items(*skus)
    stock.netsuite_items(*[item(s, _1=2, _2=3) for s in skus])
    run = run_flow(stock.connector, FLOW)
    assert run.status == RunStatus.SUCCEEDED, run.error
    sizes = [len(c["variables"]["input"]["quantities"]) for c in stock.inventory_mutations()]
    assert sum(sizes) == 600 and max(sizes) <= 250
    assert run.posted == 300


def test_delta_cursor_rereads_equal_timestamps_and_skips_nothing(stock):
    stock.map(_1=stock.main)
    stock.shopify_items("D1", "D2", "D3")
    stock.netsuite_items(item("D1", "2026-11-02T10:00:05Z", _1=1))
    run_flow(stock.connector, FLOW)
    cursor = FlowCursor.objects.get(connector=stock.connector, flow=FLOW).position
    assert cursor == "2026-11-02T10:00:05Z"
    # D2 changed in the very second of the cursor (committed after our read), D3 later.
    stock.netsuite_items(
        item("D2", "2026-11-02T10:00:05Z", _1=2), item("D3", "2026-11-02T10:00:06Z", _1=3)
    )
    run = run_flow(stock.connector, FLOW)
    assert stock.available("D2", stock.main) == 2
    assert stock.available("D3", stock.main) == 3
    assert run.posted == 2 and run.skip_reasons == {"Unchanged.": 1}  # D1 read again
    assert FlowCursor.objects.get(flow=FLOW).position == "2026-11-02T10:00:06Z"


def test_full_resync_reads_everything_and_lists_shopify_skus_not_in_netsuite(stock):
    stock.map(_1=stock.main)
    stock.shopify_items("OLD", "ONLY-IN-SHOPIFY")
    stock.netsuite_items(item("OLD", "2026-01-01T00:00:00Z", _1=4))
    FlowCursor.objects.create(connector=stock.connector, flow=FLOW, position="2026-11-01T00:00:00Z")
    delta = run_flow(stock.connector, FLOW)
    assert delta.seen == 0  # older than the cursor
    run = run_flow(stock.connector, FLOW, scope=[FULL])
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.summary["mode"] == "full"
    assert stock.available("OLD", stock.main) == 4
    assert run.summary["not_in_netsuite"] == {"count": 1, "skus": ["ONLY-IN-SHOPIFY"]}


def test_full_resync_corrects_a_level_changed_in_shopify(stock):
    """Delta runs trust the last level read; a full resync reads Shopify again."""
    stock.map(_1=stock.main)
    stock.shopify_items("DRIFT")
    stock.netsuite_items(item("DRIFT", _1=6))
    run_flow(stock.connector, FLOW)
    stock.shopify.control.request(
        "POST",
        "inventory/levels",
        levels=[{"sku": "DRIFT", "location": stock.main, "available": 2}],
    )
    run = run_flow(stock.connector, FLOW, scope=[FULL])
    assert run.posted == 1
    assert stock.available("DRIFT", stock.main) == 6


def test_a_refused_quantity_becomes_one_error_row_and_the_rest_goes_through(stock):
    stock.map(_1=stock.main, _2=stock.east)
    stock.shopify_items("FINE", "GONE")
    stock.netsuite_items(item("FINE", _1=3, _2=1), item("GONE", _1=3, _2=1))
    # The level of GONE at East disappears from Shopify after we read it.
    run_flow(stock.connector, FLOW, scope=[FULL])
    gone = ItemBinding.objects.get(sku="GONE").shopify_inventory_item_id
    stock.shopify.server.store.shop(None).levels.pop(f"{gone}:{stock.east}")
    stock.netsuite_items(item("FINE", T0, _1=5, _2=2), item("GONE", T0, _1=5, _2=2))
    run = run_flow(stock.connector, FLOW)
    assert run.status == RunStatus.PARTLY_FAILED
    assert stock.available("FINE", stock.east) == 2
    (row,) = Transaction.objects.filter(kind=Kind.INVENTORY)
    assert row.status == Status.ERROR and "GONE" in row.last_error
    assert row.payload["sku"] == "GONE"
    assert run.summary["failed_skus"] == ["GONE"]


def test_no_location_map_fails_the_run_with_what_to_do(stock):
    stock.netsuite_items(item("X", _1=1))
    run = run_flow(stock.connector, FLOW)
    assert run.status == RunStatus.FAILED
    assert "Settings › Inventory" in run.error


def test_known_levels_are_remembered(stock):
    stock.map(_1=stock.main)
    stock.shopify_items("MEM")
    stock.netsuite_items(item("MEM", _1=9))
    run_flow(stock.connector, FLOW)
    level = KnownShopifyLevel.objects.get(connector=stock.connector, location_id=stock.main)
    assert level.available == 9


def test_bind_items_in_bulk_keeps_what_an_admin_set(wired):
    ItemBinding.objects.create(
        connector=wired, sku="ADM", netsuite_item_id="77", source=ItemBinding.Source.ADMIN
    )
    bind_items(
        wired,
        {
            "ADM": {"netsuite_item_id": "99", "shopify_inventory_item_id": "5"},
            "NEW": {"netsuite_item_id": "12"},
        },
    )
    adm = ItemBinding.objects.get(sku="ADM")
    assert (adm.netsuite_item_id, adm.shopify_inventory_item_id) == ("77", "5")
    assert ItemBinding.objects.get(sku="NEW").netsuite_item_id == "12"


def test_run_summary_is_on_the_run_row(stock):
    stock.map(_1=stock.main)
    stock.shopify_items("S1")
    stock.netsuite_items(item("S1", _1=1))
    run = run_flow(stock.connector, FLOW)
    assert FlowRun.objects.get(pk=run.pk).summary["finished"] is True


def test_retry_of_a_failed_sku_reads_netsuite_again_and_posts_it(stock):
    from tests.factories import make_cs
    from transactions import actions

    stock.map(_1=stock.main, _2=stock.east)
    stock.shopify_items("GONE")
    stock.netsuite_items(item("GONE", _1=3, _2=1))
    run_flow(stock.connector, FLOW)
    gone = ItemBinding.objects.get(sku="GONE").shopify_inventory_item_id
    levels = stock.shopify.server.store.shop(None).levels
    saved = levels.pop(f"{gone}:{stock.east}")
    stock.netsuite_items(item("GONE", T0, _1=5, _2=2))
    run_flow(stock.connector, FLOW)
    row = Transaction.objects.get(kind=Kind.INVENTORY)
    assert row.status == Status.ERROR
    # Still not stocked: a Retry fails again (not answered with the first refusal's replay).
    assert actions.retry(make_cs(), row)
    row.refresh_from_db()
    assert row.status == Status.ERROR and "no longer stocked" not in row.last_error
    levels[f"{gone}:{stock.east}"] = saved  # someone stocked it at East again
    # Retry (the transaction list's button): the flow's post_one reads NetSuite again.
    assert actions.retry(make_cs(), row)
    row.refresh_from_db()
    assert row.status == Status.POSTED, row.last_error
    assert stock.available("GONE", stock.east) == 2
    assert stock.available("GONE", stock.main) == 5


def test_retention_deletes_old_runs_and_done_rows_but_never_open_ones(stock):
    from datetime import timedelta

    from django.utils import timezone

    from flows import sweeper

    stock.map(_1=stock.main)
    stock.shopify_items("R")
    stock.netsuite_items(item("R", _1=1))
    old_run = run_flow(stock.connector, FLOW)
    new_run = run_flow(stock.connector, FLOW)
    long_ago = timezone.now() - timedelta(days=31)
    FlowRun.objects.filter(pk=old_run.pk).update(finished_at=long_ago)
    done, open_ = (
        Transaction.objects.create(
            connector=stock.connector,
            kind=Kind.INVENTORY,
            source_channel="netsuite",
            source_id=str(n),
            status=status,
        )
        for n, status in ((1, Status.POSTED), (2, Status.ERROR))
    )
    Transaction.objects.filter(pk__in=[done.pk, open_.pk]).update(updated_at=long_ago)
    report = sweeper.sweep()
    assert report["inventory_runs_deleted"] == 1 and report["inventory_rows_deleted"] == 1
    assert not FlowRun.objects.filter(pk=old_run.pk).exists()
    assert FlowRun.objects.filter(pk=new_run.pk).exists()
    assert list(Transaction.objects.values_list("pk", flat=True)) == [open_.pk]


def test_inventory_waits_behind_urgent_work_for_the_netsuite_budget():
    """The budget is saturated; an URGENT request (refunds, cancellations) is granted the next
    free slot before BULK requests of the inventory flow that queued earlier."""
    import uuid

    from connector.netsuite.budget import DatabaseBudget, Priority
    from flows.registry import FLOWS

    inventory = FLOWS[FLOW].priority
    refunds = FLOWS["refund_to_shopify"].priority
    assert inventory == Priority.BULK and refunds == Priority.URGENT
    budget = DatabaseBudget()
    account = "INV_PRIORITY"
    held = [budget.acquire(account, 2) for _ in range(2)]  # saturated
    bulk = [uuid.uuid4().hex for _ in range(3)]
    for holder in bulk:
        assert not budget.try_grant(account, 2, holder, inventory, enqueue=True)
    urgent = uuid.uuid4().hex
    assert not budget.try_grant(account, 2, urgent, refunds, enqueue=True)
    budget.release(held[0])
    assert not budget.try_grant(account, 2, bulk[0], inventory)
    assert budget.try_grant(account, 2, urgent, refunds)
    budget.release(held[1])
    assert budget.try_grant(account, 2, bulk[0], inventory)


def test_cursor_compares_netsuite_times_as_instants():
    from flows.inventory import mapping

    pacific = mapping.parse_cursor("2026-11-02T03:00:05.000-08:00")
    utc = mapping.parse_cursor("2026-11-02T10:00:00Z")
    assert pacific > utc
    assert mapping.format_cursor(pacific) == "2026-11-02T11:00:05Z"


def test_pages_load_in_parallel_but_leave_a_slot_for_urgent_work(stock, monkeypatch):
    import importlib

    # (flows.inventory.run is also the name of the run function the package exports.)
    monkeypatch.setattr(importlib.import_module("flows.inventory.run"), "PAGE_SIZE", 5)
    stock.connector.netsuite_concurrency_limit = 3
    stock.connector.save(update_fields=["netsuite_concurrency_limit"])
    stock.map(_1=stock.main)
    skus = [f"P-{n:02d}" for n in range(25)]  # 5 pages
    stock.shopify_items(*skus)
    stock.netsuite_items(*[item(s, _1=n + 1) for n, s in enumerate(skus)])
    stock.netsuite.control.config(latency=0.3)
    run = run_flow(stock.connector, FLOW)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.posted == 25
    state = stock.netsuite.control.state()
    # Pages 2-5 on limit - 1 = 2 threads: in parallel, never on the last slot.
    assert state["max_in_flight"] == 2
    assert stock.available("P-24", stock.main) == 25
