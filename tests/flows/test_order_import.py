"""Order import against both sandboxes over real HTTP."""

from decimal import Decimal

import pytest

from connector import external_ids, items
from connector.models import ItemBinding
from flows import engine
from flows.models import FlowCursor, RunStatus
from transactions.models import Kind, Status, Transaction

from .conftest import run_flow, set_options

pytestmark = pytest.mark.django_db(transaction=True)


def _order_txn(order_id):
    return Transaction.objects.get(kind=Kind.ORDER, source_id=str(order_id))


def test_orders_become_customers_and_sales_orders_with_shopify_money(
    wired, shopify_sandbox, netsuite_sandbox
):
    netsuite_sandbox.control.items("TSHIRT-BLK-M", "MUG-WHT")
    order = shopify_sandbox.control.create_order(
        lines=[
            {"sku": "TSHIRT-BLK-M", "quantity": 2, "price": "25.00"},
            {"sku": "MUG-WHT", "quantity": 1, "price": "12.00"},
        ],
        tax="4.50",
        shipping="5.00",
        discount="3.00",
        email="ada@example.com",
    )
    run = run_flow(wired, "order_import")
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert (run.seen, run.posted, run.failed, run.total) == (1, 1, 0, 1)

    so = netsuite_sandbox.control.records(
        "salesOrder", externalId=external_ids.sales_order(order["id"])
    )
    assert len(so) == 1
    fields = so[0]["fields"]
    assert Decimal(fields["shippingCost"]) == Decimal("5.00")
    # Tax and discount travel as lines of the charge items (taxTotal is NetSuite's own).
    charges = {line["description"]: Decimal(line["amount"]) for line in fields["itemList"]}
    assert charges[f"Shopify tax of order {order['name']}"] == Decimal("4.50")
    assert charges[f"Shopify discounts of order {order['name']}"] == Decimal("-3.00")
    assert "taxTotal" not in fields
    # NetSuite's own total, read back and compared: Shopify's to the cent.
    assert Decimal(fields["total"]) == Decimal("68.50")
    customers = netsuite_sandbox.control.records("customer")
    assert [c["fields"].get("email") for c in customers] == ["ada@example.com"]

    txn = _order_txn(order["id"])
    assert txn.status == Status.ORDER_POSTED
    assert txn.netsuite_sales_order_id == so[0]["internalId"] == txn.target_id
    assert txn.shopify_order_name == order["name"]
    assert txn.amount == Decimal("68.50")
    assert "totals agree" in txn.events.get(type="posted").message
    assert run.transactions.filter(pk=txn.pk).exists()
    assert txn.events.filter(flow_run_id=run.pk).exists()
    wired.refresh_from_db()
    assert wired.last_run_at is not None and wired.last_error == ""


def test_unknown_sku_is_an_error_a_person_can_act_on_and_the_run_goes_on(
    wired, shopify_sandbox, netsuite_sandbox
):
    netsuite_sandbox.control.items("KNOWN")
    good = shopify_sandbox.control.create_order(lines=[{"sku": "KNOWN", "quantity": 1}])
    bad = shopify_sandbox.control.create_order(
        lines=[{"sku": "KNOWN", "quantity": 1}, {"sku": "ABC-1", "quantity": 1}]
    )
    run = run_flow(wired, "order_import")
    assert run.status == RunStatus.PARTLY_FAILED
    assert (run.posted, run.failed) == (1, 1)
    assert _order_txn(good["id"]).status == Status.ORDER_POSTED
    txn = _order_txn(bad["id"])
    assert txn.status == Status.ERROR
    assert txn.last_error == (
        "SKU ABC-1 on line 2 is not an item in NetSuite: create it or map it, then Retry."
    )
    wired.refresh_from_db()
    assert "1 record(s) failed" in wired.last_error and wired.last_error_at

    # Fixed in NetSuite, updated in Shopify: the next run posts it, once.
    netsuite_sandbox.control.items("ABC-1")
    shopify_sandbox.control.edit(bad["id"], add_sku="KNOWN", add_quantity=1)
    run = run_flow(wired, "order_import")
    assert _order_txn(bad["id"]).status == Status.ORDER_POSTED
    assert len(netsuite_sandbox.control.records("salesOrder")) == 2


def test_skus_are_bound_to_items_and_an_admin_binding_maps_a_sku_netsuite_does_not_know(
    wired, shopify_sandbox, netsuite_sandbox
):
    netsuite_sandbox.control.items("TSHIRT-BLK-M")
    shirt = netsuite_sandbox.control.records("inventoryItem", itemId="TSHIRT-BLK-M")[0]
    # The shop calls it OLD-SHIRT; NetSuite only knows TSHIRT-BLK-M: an admin binds them.
    items.bind_item(
        wired, "OLD-SHIRT", netsuite_item_id=shirt["internalId"], source=ItemBinding.Source.ADMIN
    )
    order = shopify_sandbox.control.create_order(
        lines=[{"sku": "TSHIRT-BLK-M", "quantity": 1}, {"sku": "OLD-SHIRT", "quantity": 1}]
    )
    run = run_flow(wired, "order_import")
    assert run.posted == 1, _order_txn(order["id"]).last_error
    bound = dict(ItemBinding.objects.filter(connector=wired).values_list("sku", "netsuite_item_id"))
    assert bound == {"TSHIRT-BLK-M": shirt["internalId"], "OLD-SHIRT": shirt["internalId"]}
    so = netsuite_sandbox.control.records("salesOrder")[0]["fields"]["itemList"]
    assert [line["item"]["internalId"] for line in so][:2] == [shirt["internalId"]] * 2


def test_rerun_creates_no_duplicate_and_cursor_moves(wired, shopify_sandbox, netsuite_sandbox):
    netsuite_sandbox.control.items("SKU-1")
    shopify_sandbox.control.create_orders(3, lines=[{"sku": "SKU-1", "quantity": 1}])
    first = run_flow(wired, "order_import")
    assert first.posted == 3
    cursor = FlowCursor.objects.get(connector=wired, flow="order_import").position
    second = run_flow(wired, "order_import")
    assert second.status == RunStatus.SUCCEEDED
    assert second.posted == 0
    assert len(netsuite_sandbox.control.records("salesOrder")) == 3
    assert FlowCursor.objects.get(connector=wired, flow="order_import").position >= cursor


def test_b2b_order_makes_company_parent_and_location_sub_customer(
    wired, shopify_sandbox, netsuite_sandbox
):
    netsuite_sandbox.control.items("SKU-1")
    company = shopify_sandbox.control.create_company(
        name="Acme", external_id="ACME-1", locations=["HQ"], contact_email="buyer@acme.example"
    )
    order = shopify_sandbox.control.create_order(
        lines=[{"sku": "SKU-1", "quantity": 1}], b2b=True, company_id=company["id"]
    )
    # B2B sync off: an error that says which switch to turn on.
    run = run_flow(wired, "order_import")
    assert run.failed == 1
    assert "Sync B2B orders" in _order_txn(order["id"]).last_error

    set_options(wired, b2b_sync_enabled=True)
    shopify_sandbox.control.edit(order["id"], add_sku="SKU-1", add_quantity=1)
    run = run_flow(wired, "order_import")
    assert run.posted == 1, run.error
    customers = {c["externalId"]: c for c in netsuite_sandbox.control.records("customer")}
    parent = customers[external_ids.company(company["id"])]
    children = [c for c in customers.values() if c["fields"].get("parent")]
    assert len(children) == 1
    assert parent["fields"]["companyName"] == "Acme"
    so = netsuite_sandbox.control.records("salesOrder")[0]
    assert children[0]["internalId"] in str(so["fields"]["entity"])


def test_b2b_only_skips_b2c_orders_and_imports_b2b_ones(wired, shopify_sandbox, netsuite_sandbox):
    from django.core.exceptions import ValidationError

    netsuite_sandbox.control.items("SKU-1")
    # B2B-only without B2B sync is refused with a reason, and changes nothing.
    with pytest.raises(ValidationError, match="Sync B2B orders"):
        set_options(wired, b2b_only=True)
    set_options(wired, b2b_sync_enabled=True, b2b_only=True)
    company = shopify_sandbox.control.create_company(name="Acme", locations=["HQ"])
    b2b = shopify_sandbox.control.create_order(
        lines=[{"sku": "SKU-1", "quantity": 1}], b2b=True, company_id=company["id"]
    )
    b2c = shopify_sandbox.control.create_order(lines=[{"sku": "SKU-1", "quantity": 1}])
    run = run_flow(wired, "order_import")
    assert (run.posted, run.failed) == (1, 0), run.error
    assert _order_txn(b2b["id"]).status == Status.ORDER_POSTED
    skipped = _order_txn(b2c["id"])
    assert skipped.status == Status.SKIPPED
    assert "B2B orders only" in skipped.events.last().message
    assert len(netsuite_sandbox.control.records("salesOrder")) == 1


@pytest.mark.postgres
def test_a_worker_killed_midway_loses_nothing_and_writes_nothing_twice(
    wired, shopify_sandbox, netsuite_sandbox
):
    """A real worker process is killed (SIGKILL) after NetSuite took its first batch; the
    sweeper re-queues the run and the rows it left Posting; nothing is lost or doubled."""
    import multiprocessing
    import time
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from flows.models import FlowRun, Trigger
    from flows.sweeper import sweep
    from tests.conftest import require_service
    from transactions import actions

    require_service(
        "postgres", connection.vendor == "postgresql", "a worker process needs PostgreSQL"
    )
    netsuite_sandbox.control.items("SKU-1")
    shopify_sandbox.control.create_orders(150, lines=[{"sku": "SKU-1", "quantity": 1}])
    wired.netsuite_concurrency_limit = 1
    wired.save(update_fields=["netsuite_concurrency_limit"])
    netsuite_sandbox.control.config(latency=0.3)
    run, _ = engine.request_run(wired, "order_import", Trigger.BUTTON)
    s = connection.settings_dict
    db_url = f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
    from tests.flows import flow_worker

    worker = multiprocessing.get_context("spawn").Process(
        target=flow_worker.execute, args=(db_url, run.pk)
    )
    worker.start()
    deadline = time.monotonic() + 60
    while len(netsuite_sandbox.control.records("salesOrder")) < 100:
        assert time.monotonic() < deadline, "the worker never wrote its first batch"
        time.sleep(0.05)
    worker.kill()  # SIGKILL: no finally, no clean-up, as a machine dies
    worker.join(10)
    netsuite_sandbox.control.config(latency=0)

    dead = FlowRun.objects.get(pk=run.pk)
    assert dead.status == RunStatus.RUNNING  # nobody finished it
    FlowRun.objects.filter(pk=dead.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    assert sweep()["runs_requeued"] == 1
    engine.execute(dead.pk)
    # Rows the dead worker left Posting are posted again once their lease runs out.
    later = timezone.now() + timedelta(seconds=wired_lease() + 1)
    actions.sweep_stuck_posts(now=later)
    assert len(netsuite_sandbox.control.records("salesOrder")) == 150
    assert Transaction.objects.filter(kind=Kind.ORDER, status=Status.ORDER_POSTED).count() == 150
    run = run_flow(wired, "order_import")
    assert run.posted == 0
    assert len(netsuite_sandbox.control.records("salesOrder")) == 150


def wired_lease() -> int:
    from django.conf import settings

    return settings.TRANSACTIONS_POST_LEASE_SECONDS


def test_a_run_counts_its_orders_before_it_imports_them(
    wired, shopify_sandbox, netsuite_sandbox, monkeypatch
):
    from flows.models import FlowRun
    from flows.order_import.run import OrderImporter

    netsuite_sandbox.control.items("SKU-1")
    shopify_sandbox.control.create_orders(3, lines=[{"sku": "SKU-1", "quantity": 1}])
    totals_seen = []
    post_batch = OrderImporter._post_batch

    def watching(self, batch):
        # What the run's page shows while the first batch is being written.
        totals_seen.append(FlowRun.objects.get(pk=self.job.run_id).total)
        return post_batch(self, batch)

    monkeypatch.setattr(OrderImporter, "_post_batch", watching)
    run = run_flow(wired, "order_import")
    assert totals_seen == [3]
    assert (run.total, run.posted) == (3, 3)
