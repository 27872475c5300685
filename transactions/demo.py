"""Demo refunds in the sandboxes, and the synced-order rows they hang from.

So that Retrieve has something to find on the first start, before anyone runs the order
import, `sync_order_to_netsuite` makes the sales order the import would make (Shopify's lines,
tax on the tax item, shipping) through the NetSuite sandbox's control API, and
`record_synced_order` writes the row and binding the import would write (see
transactions.orders). Both are idempotent, so `run_panel` can call `seed_sandboxes` on every
start. The connector's charge items are set to the sandbox account's.

The demo: #1001 billed as a cash sale and refunded by a cash refund; #1002 billed as an
invoice and refunded by a credit memo; #1003 synced but not billed, and shipped in NetSuite
with a UPS tracking number (the fulfilment flow's first Run sends it to Shopify). The demo
items carry stock at two NetSuite locations, both mapped to the shop's location (the inventory
flow sums them), unless an admin has made a location map already.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from connector import bindings, external_ids
from connector.actions import set_location_map, update_options
from sandbox.control_client import ControlClient as Control

from . import lifecycle
from .models import Channel, Kind, Status

DEMO_ORDERS = {"#1001": "cashSale", "#1002": "invoice", "#1003": None}
DEMO_SHIPPED = "#1003"
DEMO_TRACKING = "1ZDEMO0000000001"
# NetSuite location internal id -> (name, available per demo SKU)
DEMO_STOCK_LOCATIONS = {"1": ("Main warehouse", 40), "2": ("Overflow", 8)}


def record_synced_order(connector, shopify_order: dict, sales_order_id: str):
    """The Transaction the order import writes for an order synced to NetSuite."""
    txn, _ = lifecycle.upsert_transaction(
        connector,
        kind=Kind.ORDER,
        source_channel=Channel.SHOPIFY,
        source_id=str(shopify_order["id"]),
        status=Status.ORDER_POSTED,
        defaults={
            "shopify_order_id": str(shopify_order["id"]),
            "shopify_order_name": shopify_order["name"],
            "netsuite_sales_order_id": str(sales_order_id),
            "target_id": str(sales_order_id),
            "source_type": "order",
            "amount": Decimal(shopify_order["totals"]["total"]),
            "currency": shopify_order.get("currency", ""),
            "posted_at": None,
        },
        message=f"Order {shopify_order['name']} synced to NetSuite (demo).",
    )
    bindings.bind(
        connector,
        Kind.ORDER,
        shopify_id=str(shopify_order["id"]),
        netsuite_id=str(sales_order_id),
        netsuite_type="salesOrder",
        origin=Channel.SHOPIFY,
    )
    return txn


CHARGE_ITEMS = {
    "netsuite_tax_item_id": "SHOPIFY-TAX",
    "netsuite_discount_item_id": "SHOPIFY-DISCOUNT",
    "netsuite_adjustment_item_id": "SHOPIFY-ADJUSTMENT",
}


def charge_item_ids(netsuite: Control) -> dict[str, str]:
    """The sandbox account's charge items, as connector options."""
    by_sku = {
        r["fields"].get("itemId"): r["internalId"]
        for r in netsuite.get("records", type="otherChargeSaleItem")
    }
    return {option: by_sku[sku] for option, sku in CHARGE_ITEMS.items() if sku in by_sku}


def sync_order_to_netsuite(netsuite: Control, shopify_order: dict) -> dict:
    """The NetSuite sales order for a Shopify order, keyed by its externalId; approved."""
    external_id = external_ids.sales_order(shopify_order["id"])
    existing = netsuite.get("records", type="salesOrder", externalId=external_id)
    if existing:
        return existing[0]
    netsuite.post(
        "items",
        {"items": [{"sku": li["sku"], "price": li["price"]} for li in shopify_order["line_items"]]},
    )
    customer_key = external_ids.customer(shopify_order.get("customer_id") or shopify_order["id"])
    customers = netsuite.get("records", type="customer", externalId=customer_key)
    customer = (
        customers[0]
        if customers
        else netsuite.post(
            "customers",
            {
                "customers": [
                    {
                        "externalId": customer_key,
                        "email": shopify_order.get("email") or "",
                        "firstName": "Demo",
                        "lastName": shopify_order["name"],
                    }
                ]
            },
        )[0]
    )
    order = netsuite.post(
        "sales-orders",
        {
            "customer": customer["internalId"],
            "externalId": external_id,
            "lines": [
                {"sku": li["sku"], "quantity": li["quantity"], "rate": li["price"]}
                for li in shopify_order["line_items"]
            ]
            + _tax_line(shopify_order),
            "shippingCost": shopify_order["totals"].get("shipping") or "0.00",
        },
    )
    netsuite.post(f"sales-orders/{order['internalId']}/approve")
    return order


def _tax_line(shopify_order: dict) -> list[dict]:
    tax = Decimal(shopify_order["totals"].get("tax") or 0)
    return [{"sku": "SHOPIFY-TAX", "amount": str(tax)}] if tax else []


def bill_and_refund(netsuite: Control, sales_order_id: str, bill_as: str, lines=None) -> dict:
    """Bill the order (once) and refund the billed record (once); returns the refund."""
    bills = netsuite.get("records", type=bill_as, createdFrom=sales_order_id)
    bill = (
        bills[0] if bills else netsuite.post(f"sales-orders/{sales_order_id}/bill", {"as": bill_as})
    )
    refund_type = "cashRefund" if bill_as == "cashSale" else "creditMemo"
    refunds = netsuite.get("records", type=refund_type, createdFrom=bill["internalId"])
    if refunds:
        return refunds[0]
    return netsuite.post(f"sales-orders/{sales_order_id}/refund", {"lines": lines})


def seed_sandboxes(connector, shopify_url: str, netsuite_url: str) -> list[str]:
    """Make the demo orders' NetSuite side and their synced-order rows. Idempotent."""
    shopify, netsuite = Control(shopify_url), Control(netsuite_url)
    update_options(None, connector, charge_item_ids(netsuite))
    done = []
    for name, bill_as in DEMO_ORDERS.items():
        order = shopify.get(f"orders/{name.replace('#', '%23')}")
        sales_order = sync_order_to_netsuite(netsuite, order)
        record_synced_order(connector, order, sales_order["internalId"])
        if bill_as:
            # Refund the first line only: a partial refund, as customers usually get.
            first = sales_order_lines(netsuite, sales_order["internalId"])[:1]
            bill_and_refund(netsuite, sales_order["internalId"], bill_as, lines=first)
        if name == DEMO_SHIPPED:
            ship(netsuite, sales_order["internalId"])
        done.append(name)
    stock(connector, shopify, netsuite)
    return done


def ship(netsuite: Control, sales_order_id: str) -> dict:
    """A shipped item fulfillment of the whole order with a UPS tracking number, once."""
    made = netsuite.get("records", type="itemFulfillment", createdFrom=sales_order_id)
    if made:
        return made[0]
    return netsuite.post(
        "item-fulfillments",
        {
            "sales_order": sales_order_id,
            "packages": {"packageUpsList": [DEMO_TRACKING]},
            "shipStatus": "_shipped",
        },
    )


def stock(connector, shopify: Control, netsuite: Control) -> None:
    """Stock of the demo items at two NetSuite locations, and (if the connector has none yet)
    a location map sending both to the shop's first location."""
    from sandbox.catalogue import DEMO_CATALOGUE

    netsuite.post(
        "inventory-items",
        {
            "items": [
                {
                    "sku": sku,
                    "name": title,
                    "locations": [
                        {"location": loc, "name": name, "available": qty, "onHand": qty}
                        for loc, (name, qty) in DEMO_STOCK_LOCATIONS.items()
                    ],
                }
                for sku, title, _price in DEMO_CATALOGUE
            ]
        },
    )
    if connector.location_mappings.exists():
        return
    shop_location = str(shopify.get("inventory")["locations"][0]["id"])
    with transaction.atomic():
        set_location_map(None, connector, dict.fromkeys(DEMO_STOCK_LOCATIONS, shop_location))


def sales_order_lines(netsuite: Control, sales_order_id: str) -> list[dict]:
    record = netsuite.get("records", type="salesOrder", internalId=sales_order_id)[0]
    items = record["fields"].get("itemList") or []
    # Item lines only: the tax travels on a charge line, which has an amount, not a quantity.
    return [
        {"item": line["item"]["internalId"], "quantity": line["quantity"]}
        for line in items
        if line.get("quantity")
    ]
