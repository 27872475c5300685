"""NetSuite item fulfillments → Shopify fulfilments, against both sandboxes over real HTTP."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from connector import bindings
from connector.models import Binding, ItemBinding, LocationMapping
from flows.context import Job
from flows.fulfilment.run import Fulfilments
from flows.models import FlowCursor, RunStatus
from flows.registry import FLOWS
from flows.sync import Synchronizer
from tests.conftest import require_service
from tests.factories import make_admin
from transactions import actions
from transactions.models import Channel, Kind, Status, Transaction

from .conftest import run_flow, set_options

pytestmark = pytest.mark.django_db(transaction=True)

FLOW = "fulfilment_to_shopify"
TWO_LINES = [
    {"sku": "SKU-A", "quantity": 2, "price": "10.00"},
    {"sku": "SKU-B", "quantity": 1, "price": "5.00"},
]


def _imported(wired, shopify_sandbox, netsuite_sandbox, lines=TWO_LINES, **order):
    """A Shopify order imported to NetSuite by the order import, approved there."""
    netsuite_sandbox.control.items(*{line["sku"] for line in lines})
    created = shopify_sandbox.control.create_order(lines=lines, **order)
    run = run_flow(wired, "order_import")
    assert run.posted == 1, (run.error, run.skip_reasons)
    so_id = Transaction.objects.get(
        kind=Kind.ORDER, source_id=str(created["id"])
    ).netsuite_sales_order_id
    netsuite_sandbox.control.order(so_id, "approve")
    return created, so_id


def _ship(netsuite_sandbox, so_id, **data):
    return netsuite_sandbox.control.post("item-fulfillments", {"sales_order": so_id, **data})


def _change(netsuite_sandbox, if_id, action, **data):
    return netsuite_sandbox.control.post(f"item-fulfillments/{if_id}/{action}", data)


def _creates(shopify_sandbox) -> list[dict]:
    return [m for m in shopify_sandbox.control.mutations() if m["mutation"] == "fulfillmentCreate"]


def _txn(if_id) -> Transaction:
    return Transaction.objects.get(
        kind=Kind.FULFILMENT, source_channel=Channel.NETSUITE, source_id=str(if_id)
    )


def _fulfilments(shopify_sandbox, order) -> list[dict]:
    return shopify_sandbox.control.order(order["id"])["fulfillments"]


def test_the_flow_is_declared_for_the_fulfilment_settings_tab():
    flow = FLOWS[FLOW]
    assert (flow.settings_section, flow.direction, flow.kind) == (
        "fulfilment",
        "netsuite_to_shopify",
        Kind.FULFILMENT,
    )
    assert flow.default_interval_minutes == 5 and flow.schedulable


def test_shipped_item_fulfillment_becomes_a_fulfilment_and_a_rerun_makes_no_second(
    wired, shopify_sandbox, netsuite_sandbox
):
    order, so_id = _imported(wired, shopify_sandbox, netsuite_sandbox)
    shipped = _ship(netsuite_sandbox, so_id, packages={"packageUpsList": ["1ZA", "1ZB"]})
    run = run_flow(wired, FLOW)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.posted == 1
    state = shopify_sandbox.control.order(order["id"])
    assert state["fulfillment_status"] == "FULFILLED"
    (fulfilment,) = state["fulfillments"]
    assert [t["number"] for t in fulfilment["tracking"]] == ["1ZA", "1ZB"]
    assert fulfilment["tracking"][0]["company"] == "UPS"
    assert fulfilment["tracking"][0]["url"] == "https://www.ups.com/track?tracknum=1ZA"
    assert fulfilment["notify_customer"] is True  # the option's default
    txn = _txn(shipped["internalId"])
    assert txn.status == Status.POSTED and txn.target_id == str(fulfilment["id"])
    assert txn.shopify_order_name == order["name"] and txn.netsuite_sales_order_id == so_id
    assert bindings.find(wired, Kind.FULFILMENT, netsuite_id=shipped["internalId"]).shopify_id == (
        str(fulfilment["id"])
    )
    assert FlowCursor.objects.get(connector=wired, flow=FLOW).position

    again = run_flow(wired, FLOW)
    assert again.status == RunStatus.SUCCEEDED
    assert (again.posted, again.failed) == (0, 0)
    assert again.skip_reasons == {"Already in Shopify.": 1}
    assert len(_creates(shopify_sandbox)) == 1


def test_partial_then_second_item_fulfillment(wired, shopify_sandbox, netsuite_sandbox):
    order, so_id = _imported(wired, shopify_sandbox, netsuite_sandbox)
    first = _ship(
        netsuite_sandbox,
        so_id,
        lines=[{"orderLine": 1, "quantity": 1}],
        packages={"packageList": ["P-1"]},
    )
    run = run_flow(wired, FLOW)
    assert run.posted == 1, run.error
    assert shopify_sandbox.control.order(order["id"])["fulfillment_status"] == (
        "PARTIALLY_FULFILLED"
    )
    second = _ship(netsuite_sandbox, so_id, packages={"packageList": ["P-2"]})  # the rest
    run = run_flow(wired, FLOW)
    assert run.posted == 1, run.error
    state = shopify_sandbox.control.order(order["id"])
    assert state["fulfillment_status"] == "FULFILLED"
    assert [[t["number"] for t in f["tracking"]] for f in state["fulfillments"]] == [
        ["P-1"],
        ["P-2"],
    ]
    assert _txn(first["internalId"]).status == _txn(second["internalId"]).status == Status.POSTED
    assert len(_creates(shopify_sandbox)) == 2


def test_lines_at_two_locations_make_two_fulfilments(wired, shopify_sandbox, netsuite_sandbox):
    order, so_id = _imported(wired, shopify_sandbox, netsuite_sandbox)
    line_b = order["line_items"][1]["id"]
    moved = shopify_sandbox.control.request(
        "POST", f"orders/{order['id']}/assign", locations={str(line_b): "East warehouse"}
    )
    main, east = (fo["location_id"] for fo in moved["fulfillment_orders"])
    LocationMapping.objects.create(
        connector=wired, netsuite_location_id="1", shopify_location_id=str(main)
    )
    LocationMapping.objects.create(
        connector=wired, netsuite_location_id="2", shopify_location_id=str(east)
    )
    shipped = _ship(
        netsuite_sandbox,
        so_id,
        lines=[
            {"orderLine": 1, "quantity": 2, "location": "1"},
            {"orderLine": 2, "quantity": 1, "location": "2"},
        ],
        packages={"packageFedExList": ["FX-1"]},
    )
    run = run_flow(wired, FLOW)
    assert run.posted == 1, run.error
    state = shopify_sandbox.control.order(order["id"])
    assert state["fulfillment_status"] == "FULFILLED"
    assert len(state["fulfillments"]) == 2
    assert {fo["status"] for fo in state["fulfillment_orders"]} == {"CLOSED"}
    bound = bindings.parts(wired, Kind.FULFILMENT, shipped["internalId"])
    assert set(bound) == {shipped["internalId"], f"{shipped['internalId']}:2"}
    assert set(bound.values()) == {str(f["id"]) for f in state["fulfillments"]}
    # Again: both found by their bindings, none made twice.
    run_flow(wired, FLOW)
    assert len(_creates(shopify_sandbox)) == 2


@pytest.mark.parametrize(
    "sublist, company, url",
    [
        ("packageList", None, None),
        ("packageUpsList", "UPS", "https://www.ups.com/track?tracknum=TRK-1"),
        ("packageFedExList", "FedEx", "https://www.fedex.com/fedextrack/?trknbr=TRK-1"),
        ("packageUspsList", "USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels=TRK-1"),
    ],
)
def test_tracking_from_each_of_the_four_package_lists(
    wired, shopify_sandbox, netsuite_sandbox, sublist, company, url
):
    order, so_id = _imported(wired, shopify_sandbox, netsuite_sandbox)
    _ship(netsuite_sandbox, so_id, packages={sublist: ["TRK-1"]})
    run = run_flow(wired, FLOW)
    assert run.posted == 1, run.error
    (fulfilment,) = _fulfilments(shopify_sandbox, order)
    assert fulfilment["tracking"] == [{"number": "TRK-1", "url": url, "company": company}]


def test_ship_method_names_the_carrier_of_a_generic_package(
    wired, shopify_sandbox, netsuite_sandbox
):
    order, so_id = _imported(wired, shopify_sandbox, netsuite_sandbox)
    _ship(netsuite_sandbox, so_id, packages={"packageList": ["DHL-1"]}, shipMethod="DHL Express")
    run_flow(wired, FLOW)
    (fulfilment,) = _fulfilments(shopify_sandbox, order)
    assert fulfilment["tracking"][0]["company"] == "DHL Express"


def test_write_whose_binding_was_lost_is_found_by_its_tracking_number(
    wired, shopify_sandbox, netsuite_sandbox
):
    """A worker created the fulfilment and died before binding it (and finishing the row):
    the next attempt finds it by tracking number and makes no second one."""
    order, so_id = _imported(wired, shopify_sandbox, netsuite_sandbox)
    shipped = _ship(netsuite_sandbox, so_id, packages={"packageUpsList": ["1ZLOST"]})
    shopify_sandbox.control.fulfil(order["id"], tracking={"number": "1ZLOST", "company": "UPS"})
    run = run_flow(wired, FLOW)
    assert run.posted == 1, run.error
    assert len(_fulfilments(shopify_sandbox, order)) == 1
    assert not _creates(shopify_sandbox)
    txn = _txn(shipped["internalId"])
    assert txn.status == Status.POSTED and "Already in Shopify" in txn.events.last().message
    assert bindings.find(wired, Kind.FULFILMENT, netsuite_id=shipped["internalId"])


def test_untracked_write_whose_binding_was_lost_is_found_by_its_lines(
    wired, shopify_sandbox, netsuite_sandbox
):
    order, so_id = _imported(wired, shopify_sandbox, netsuite_sandbox)
    _ship(netsuite_sandbox, so_id, lines=[{"orderLine": 1, "quantity": 2}])
    line_a = order["line_items"][0]["id"]
    shopify_sandbox.control.fulfil(order["id"], lines=[{"line_item_id": line_a, "quantity": 2}])
    run = run_flow(wired, FLOW)
    assert run.posted == 1, run.error
    assert not _creates(shopify_sandbox)
    assert len(_fulfilments(shopify_sandbox, order)) == 1


def test_row_claimed_by_another_worker_is_not_written_twice(
    wired, shopify_sandbox, netsuite_sandbox
):
    order, so_id = _imported(wired, shopify_sandbox, netsuite_sandbox)
    shipped = _ship(netsuite_sandbox, so_id, packages={"packageUpsList": ["1ZC"]})
    # Another worker (a second run, a Retry) holds the row right now.
    other = Synchronizer(
        Job(wired, FLOWS[FLOW]), kind=Kind.FULFILMENT, source_channel=Channel.NETSUITE
    )
    txn, won = other.record(shipped["internalId"], {"shopify_order_id": str(order["id"])})
    assert won
    run = run_flow(wired, FLOW)
    assert run.skip_reasons == {"Being posted by another worker.": 1}
    assert not _creates(shopify_sandbox)
    # That worker dies; after the post lease its row is taken over, and written once.
    Transaction.objects.filter(pk=txn.pk).update(
        posting_started_at=datetime.now(UTC) - timedelta(hours=1)
    )
    run = run_flow(wired, FLOW)
    assert run.posted == 1, run.error
    run_flow(wired, FLOW)
    assert len(_creates(shopify_sandbox)) == 1


def test_tracking_changed_later_updates_the_fulfilment(wired, shopify_sandbox, netsuite_sandbox):
    order, so_id = _imported(wired, shopify_sandbox, netsuite_sandbox)
    shipped = _ship(netsuite_sandbox, so_id, packages={"packageUpsList": ["1ZOLD"]})
    assert run_flow(wired, FLOW).posted == 1
    _change(
        netsuite_sandbox,
        shipped["internalId"],
        "packages",
        packages={
            "packageUpsList": [],
            "packageFedExList": ["FX-NEW"],
        },
    )
    run = run_flow(wired, FLOW)
    assert run.posted == 1, (run.error, run.skip_reasons)
    (fulfilment,) = _fulfilments(shopify_sandbox, order)
    assert fulfilment["tracking"] == [
        {
            "number": "FX-NEW",
            "url": "https://www.fedex.com/fedextrack/?trknbr=FX-NEW",
            "company": "FedEx",
        }
    ]
    updates = [
        m
        for m in shopify_sandbox.control.mutations()
        if m["mutation"] == "fulfillmentTrackingInfoUpdate"
    ]
    assert len(updates) == 1 and len(_creates(shopify_sandbox)) == 1
    txn = _txn(shipped["internalId"])
    assert (
        txn.status == Status.POSTED
        and "Tracking of Shopify fulfilment" in txn.events.last().message
    )
    # Nothing changed since: no second update.
    run_flow(wired, FLOW)
    assert (
        len(
            [
                m
                for m in shopify_sandbox.control.mutations()
                if m["mutation"].startswith("fulfillmentT")
            ]
        )
        == 1
    )


def test_fulfillment_order_on_hold_is_an_error_a_person_can_act_on(
    wired, shopify_sandbox, netsuite_sandbox
):
    order, so_id = _imported(wired, shopify_sandbox, netsuite_sandbox)
    shopify_sandbox.control.request("POST", f"orders/{order['id']}/hold", reason="AWAITING_PAYMENT")
    shipped = _ship(netsuite_sandbox, so_id, packages={"packageUpsList": ["1ZH"]})
    run = run_flow(wired, FLOW)
    assert run.failed == 1
    txn = _txn(shipped["internalId"])
    assert txn.status == Status.ERROR
    assert "on hold (Awaiting payment)" in txn.last_error and "release the hold" in txn.last_error
    assert txn.next_attempt_at is None  # waits for a person
    assert not _creates(shopify_sandbox)
    # Released in Shopify: the next run (the record is still in its window) posts it.
    shopify_sandbox.control.request("POST", f"orders/{order['id']}/release")
    run = run_flow(wired, FLOW)
    assert run.posted == 1, run.error
    assert len(_fulfilments(shopify_sandbox, order)) == 1


def test_more_than_left_to_fulfil_is_an_error(wired, shopify_sandbox, netsuite_sandbox):
    order, so_id = _imported(wired, shopify_sandbox, netsuite_sandbox)
    # A person fulfilled one of line A in Shopify by hand, untracked.
    line_a = order["line_items"][0]["id"]
    shopify_sandbox.control.fulfil(order["id"], lines=[{"line_item_id": line_a, "quantity": 1}])
    shipped = _ship(
        netsuite_sandbox,
        so_id,
        lines=[{"orderLine": 1, "quantity": 2}],
        packages={"packageList": ["P-9"]},
    )
    run = run_flow(wired, FLOW)
    assert run.failed == 1
    error = _txn(shipped["internalId"]).last_error
    assert "ships 2 of SKU SKU-A" in error and "only 1 left to fulfil" in error
    assert not _creates(shopify_sandbox)


def test_item_fulfillment_of_an_order_not_from_shopify_is_skipped(
    wired, shopify_sandbox, netsuite_sandbox
):
    _imported(wired, shopify_sandbox, netsuite_sandbox)  # so the flow has a start
    c = netsuite_sandbox.control
    customer = c.customer(firstName="Walk", lastName="In")
    so = c.sales_order(customer["internalId"], [{"sku": "SKU-A", "quantity": 1, "rate": 3}])
    c.order(so["internalId"], "approve")
    _ship(netsuite_sandbox, so["internalId"])
    run = run_flow(wired, FLOW)
    assert run.status == RunStatus.SUCCEEDED
    assert run.skip_reasons == {"Not an order synced from Shopify.": 1}
    assert not Transaction.objects.filter(kind=Kind.FULFILMENT).exists()


def test_sales_order_whose_shopify_order_is_gone_is_an_error(
    wired, shopify_sandbox, netsuite_sandbox
):
    _imported(wired, shopify_sandbox, netsuite_sandbox)
    c = netsuite_sandbox.control
    customer = c.customer(firstName="Lost", lastName="Order")
    so = c.sales_order(
        customer["internalId"],
        [{"sku": "SKU-A", "quantity": 1, "rate": 3}],
        externalId="shopify-order-999999",
    )
    c.order(so["internalId"], "approve")
    shipped = _ship(netsuite_sandbox, so["internalId"])
    run = run_flow(wired, FLOW)
    assert run.failed == 1
    assert "Shopify has no order 999999" in _txn(shipped["internalId"]).last_error


def test_picked_and_packed_wait_until_shipped(wired, shopify_sandbox, netsuite_sandbox):
    order, so_id = _imported(wired, shopify_sandbox, netsuite_sandbox)
    packed = _ship(netsuite_sandbox, so_id, shipStatus="_packed", packages={"packageList": ["W1"]})
    run = run_flow(wired, FLOW)
    txn = _txn(packed["internalId"])
    assert txn.status == Status.WAITING and "packed in NetSuite" in txn.status_reason
    assert txn.next_attempt_at is not None
    assert not _creates(shopify_sandbox)
    _change(netsuite_sandbox, packed["internalId"], "ship")
    run = run_flow(wired, FLOW)
    assert run.posted == 1, run.error
    assert len(_fulfilments(shopify_sandbox, order)) == 1


def test_notify_option_off_fulfils_without_telling_the_customer(
    wired, shopify_sandbox, netsuite_sandbox
):
    set_options(wired, notify_customer_on_fulfilment=False)
    order, so_id = _imported(wired, shopify_sandbox, netsuite_sandbox)
    shipped = _ship(netsuite_sandbox, so_id, packages={"packageUspsList": ["US-1"]})
    run_flow(wired, FLOW)
    (fulfilment,) = _fulfilments(shopify_sandbox, order)
    assert fulfilment["notify_customer"] is False
    assert "customer not notified" in _txn(shipped["internalId"]).events.last().message


def test_b2b_order_is_fulfilled_too(wired, shopify_sandbox, netsuite_sandbox):
    set_options(wired, b2b_sync_enabled=True)
    company = shopify_sandbox.control.create_company(
        name="Acme", external_id="ACME-1", locations=["HQ"], contact_email="buyer@acme.example"
    )
    order, so_id = _imported(
        wired, shopify_sandbox, netsuite_sandbox, b2b=True, company_id=company["id"]
    )
    _ship(netsuite_sandbox, so_id, packages={"packageUpsList": ["1ZB2B"]})
    run = run_flow(wired, FLOW)
    assert run.posted == 1, run.error
    assert shopify_sandbox.control.order(order["id"])["fulfillment_status"] == "FULFILLED"


def test_cursor_never_skips_a_record_stamped_in_the_same_instant(
    wired, shopify_sandbox, netsuite_sandbox
):
    """Two item fulfillments modified in the same millisecond, the second saved after the
    first run read the cursor's instant: the next run still finds it (on or after the cursor,
    less an overlap)."""
    order, so_id = _imported(wired, shopify_sandbox, netsuite_sandbox)
    stamp = (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    _ship(netsuite_sandbox, so_id, lines=[{"orderLine": 1, "quantity": 1}], lastModifiedDate=stamp)
    assert run_flow(wired, FLOW).posted == 1
    cursor = FlowCursor.objects.get(connector=wired, flow=FLOW).position
    assert cursor.startswith(stamp[:19])
    late = _ship(
        netsuite_sandbox, so_id, lines=[{"orderLine": 2, "quantity": 1}], lastModifiedDate=stamp
    )
    run = run_flow(wired, FLOW)
    assert run.posted == 1, run.error
    assert _txn(late["internalId"]).status == Status.POSTED
    assert len(_fulfilments(shopify_sandbox, order)) == 2


def test_retry_posts_one_row_through_post_one(wired, shopify_sandbox, netsuite_sandbox):
    """Retry (and the retry sweeper) take the same path, reading the item fulfillment again."""
    order, so_id = _imported(wired, shopify_sandbox, netsuite_sandbox)
    shopify_sandbox.control.request("POST", f"orders/{order['id']}/hold")
    shipped = _ship(netsuite_sandbox, so_id, packages={"packageUpsList": ["1ZR"]})
    run_flow(wired, FLOW)
    assert _txn(shipped["internalId"]).status == Status.ERROR
    shopify_sandbox.control.request("POST", f"orders/{order['id']}/release")
    actions.retry(make_admin(), _txn(shipped["internalId"]))
    txn = _txn(shipped["internalId"])
    assert txn.status == Status.POSTED, txn.last_error
    assert len(_fulfilments(shopify_sandbox, order)) == 1
    assert Binding.objects.filter(kind=Kind.FULFILMENT).count() == 1


def test_eight_workers_on_one_item_fulfillment_at_once_make_one_fulfilment(
    wired, shopify_sandbox, netsuite_sandbox
):
    """Two runs, a Retry and the sweeper racing for one record: the claim lets one through."""
    require_service(
        "postgres", connection.vendor == "postgresql", "concurrent claims need PostgreSQL"
    )
    order, so_id = _imported(wired, shopify_sandbox, netsuite_sandbox)
    shipped = _ship(netsuite_sandbox, so_id, packages={"packageUpsList": ["1ZRACE"]})
    record = netsuite_sandbox.client().get("itemFulfillment", shipped["internalId"])
    barrier, outcomes = threading.Barrier(8), []

    def worker():
        barrier.wait()
        try:
            outcomes.append(Fulfilments(Job(wired, FLOWS[FLOW])).handle(record))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [o[1] for o in outcomes].count("posted") == 1
    assert len(_creates(shopify_sandbox)) == 1
    assert len(_fulfilments(shopify_sandbox, order)) == 1


def test_item_without_a_sku_binding_is_looked_up_once_and_bound(
    wired, shopify_sandbox, netsuite_sandbox
):
    _order, so_id = _imported(wired, shopify_sandbox, netsuite_sandbox)
    ItemBinding.objects.filter(connector=wired).delete()  # e.g. SKUs bound before this flow
    _ship(netsuite_sandbox, so_id, packages={"packageUpsList": ["1ZLOOK"]})
    run = run_flow(wired, FLOW)
    assert run.posted == 1, run.error
    assert set(ItemBinding.objects.filter(connector=wired).values_list("sku", flat=True)) == {
        "SKU-A",
        "SKU-B",
    }
