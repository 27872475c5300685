"""Demo data: a store with a few dozen orders in the states the connector must handle.

#1001, #1002 and #1003 stay ordinary paid B2C orders with SKUs: the NetSuite demo data is
seeded for exactly those.

One deliberate, labelled failure is planted: the newest order has a SKU the NetSuite account
does not have (`PLANTED_FAILURE_SKU`, its line titled as such, its email and staff note say
so), so the first Run shows exactly one failure, explained, and a newcomer can fix its cause
(create the item in NetSuite) and Retry.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sandbox.catalogue import DEMO_CATALOGUE
from sandbox.shopify.store import Shop, Store, iso

# One catalogue with the NetSuite sandbox's demo items (same SKUs).
CATALOGUE = list(DEMO_CATALOGUE)
DEMO_TAX_RATE = "0.08"  # 8 % on every line and on shipping
PLANTED_FAILURE_SKU = "DEMO-NOT-IN-NETSUITE"
PLANTED_FAILURE_NOTE = (
    "Demo: a deliberate failure. This SKU is not an item in NetSuite; create the item, then Retry."
)


def seed_demo(store: Store, shop: Shop, count: int = 36) -> None:
    for sku, title, price in CATALOGUE:
        store.variant_for_sku(shop, sku, price, title)
    acme = store.add_company(shop, "Acme Wholesale", "ACME-001", ["Acme HQ", "Acme Depot"])
    store.add_company(shop, "Globex Retail", "GLOBEX-7")
    start = datetime.now(UTC) - timedelta(days=count)

    def lines(i: int) -> list[dict]:
        first = CATALOGUE[i % len(CATALOGUE)]
        second = CATALOGUE[(i + 2) % len(CATALOGUE)]
        return [
            {"sku": first[0], "title": first[1], "price": first[2], "quantity": 1 + i % 3},
            {"sku": second[0], "title": second[1], "price": second[2], "quantity": 1},
        ]

    for i in range(count):
        when = iso(start + timedelta(days=i, hours=i % 7))
        kind = (
            "paid"
            if i < 3
            else [
                "paid",
                "unpaid",
                "partly_refunded",
                "fulfilled",
                "cancelled",
                "b2b",
                "refunded",
                "partly_fulfilled",
            ][i % 8]
        )
        order = store.create_order(
            shop,
            lines(i),
            paid=kind != "unpaid" and kind != "b2b",
            email=f"demo{i + 1}@example.com",
            company_id=acme["id"] if kind == "b2b" else None,
            # Sales tax on the lines and on shipping, per line as Shopify charges it.
            tax_rate=DEMO_TAX_RATE,
            shipping="5.00",
            created_at=when,
        )
        if kind == "partly_refunded":
            first = order["line_items"][0]
            returned = [{"lineItemId": first["id"], "quantity": 1, "restockType": "RETURN"}]
            amount = store.suggested_refund(order, returned)  # the item and its tax
            store.refund(
                order,
                returned,
                [{"amount": str(amount), "kind": "REFUND"}],
                "Customer returned one item",
            )
        elif kind == "refunded":
            net = store.totals(order)["net"]
            everything = [
                {"lineItemId": li["id"], "quantity": li["quantity"], "restockType": "NO_RESTOCK"}
                for li in order["line_items"]
            ]
            store.refund(
                order,
                everything,
                [{"amount": str(net), "kind": "REFUND"}],
                "Full refund",
                shipping={"fullRefund": True},
            )
        elif kind in ("fulfilled", "partly_fulfilled"):
            fo = order["fulfillment_orders"][0]
            picks = fo["line_items"] if kind == "fulfilled" else fo["line_items"][:1]
            store.fulfil(
                shop,
                [
                    {
                        "fulfillmentOrderId": fo["id"],
                        "fulfillmentOrderLineItems": [
                            {"id": p["id"], "quantity": p["remaining"]} for p in picks
                        ],
                    }
                ],
                {"number": f"1Z999AA1{i:08d}", "company": "UPS"},
            )
        elif kind == "cancelled":
            store.cancel(order, "CUSTOMER", restock=True, refund=True)
        order["updated_at"] = max(order["updated_at"], when)
    plant_failure(store, shop)


def plant_failure(store: Store, shop: Shop) -> dict:
    """The one labelled failure of the demo: an order with a SKU NetSuite does not know."""
    order = store.create_order(
        shop,
        [
            {
                "sku": PLANTED_FAILURE_SKU,
                "title": "Demo: deliberate failure (SKU missing in NetSuite)",
                "price": "12.00",
                "quantity": 1,
            }
        ],
        paid=True,
        email="planted-failure@example.com",
        tax_rate=DEMO_TAX_RATE,
        shipping="5.00",
    )
    order["staff_note"] = PLANTED_FAILURE_NOTE
    return order
