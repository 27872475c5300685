"""The reverse plan's pure rules: what a sales order asks of its Shopify order."""

from decimal import Decimal

from flows.charges import ChargeItems
from flows.order_edit_to_shopify import mapping
from flows.order_edits import lines as edit_lines

CHARGES = ChargeItems(tax="91", discount="92", adjustment="93")


def _order(*lines, refunds=()):
    return {
        "id": "gid://shopify/Order/1",
        "lineItems": {
            "nodes": [
                {
                    "id": f"gid://shopify/LineItem/{line_id}",
                    "sku": sku,
                    "title": sku.title(),
                    "quantity": qty,
                    "currentQuantity": current,
                    "unfulfilledQuantity": current - fulfilled,
                    "originalUnitPriceSet": {"shopMoney": {"amount": "10.00"}},
                    "variant": {"id": f"gid://shopify/ProductVariant/{line_id}"},
                }
                for line_id, sku, qty, current, fulfilled in lines
            ]
        },
        "refunds": list(refunds),
        "currentTotalPriceSet": {"shopMoney": {"amount": "0", "currencyCode": "USD"}},
    }


def _held(*lines):
    return edit_lines.Held(
        internal_id="500",
        status="_pendingFulfillment",
        lines=tuple(
            edit_lines.HeldLine(
                line=str(n),
                key=key,
                item_id=item,
                quantity=qty,
                rate=Decimal("10.00"),
                amount=Decimal(10 * qty),
                charge="tax" if item == "91" else "",
            )
            for n, (key, item, qty) in enumerate(lines, start=1)
        ),
        shipping=Decimal(0),
        total=Decimal(0),
    )


def _plan(held, order, skus=None):
    wanted = edit_lines.wanted_from_order(order)
    return mapping.plan(held, wanted, order, charges=CHARGES, skus=skus or {})


def test_same_quantities_and_charge_lines_ask_nothing():
    order = _order((11, "SHIRT", 2, 2, 0))
    plan = _plan(_held(("11", "1", 2), ("", "91", 1), ("", "93", 1)), order)
    assert not plan.edits_shopify and not plan.blocked and not plan.keys


def test_a_quantity_moves_shopify_by_the_difference_refunds_kept_apart():
    refund = {
        "id": "gid://shopify/Refund/7",
        "refundLineItems": {
            "nodes": [
                {
                    "quantity": 1,
                    "lineItem": {"id": "gid://shopify/LineItem/11"},
                    "subtotalSet": {"shopMoney": {"amount": "10.00"}},
                    "totalTaxSet": {"shopMoney": {"amount": "0"}},
                }
            ]
        },
        "refundShippingLines": {"nodes": []},
    }
    # Shopify: 3 ordered, 1 refunded (current 2); the sales order still carries the refunded
    # unit (its credit memo credits it), so 3 there means "unchanged" and 4 means "+1".
    order = _order((11, "SHIRT", 3, 2, 0), refunds=[refund])
    assert not _plan(_held(("11", "1", 3)), order).edits_shopify
    plan = _plan(_held(("11", "1", 4)), order)
    assert plan.set_quantities == [
        {"line_id": "11", "sku": "SHIRT", "title": "Shirt", "quantity": 3}
    ]


def test_fewer_than_fulfilled_is_blocked_with_the_reason():
    plan = _plan(_held(("11", "1", 1)), _order((11, "SHIRT", 3, 3, 2)))
    assert plan.blocked == [
        "Fulfilled lines cannot be reduced in Shopify: SHIRT has 2 unit(s) fulfilled, and "
        "NetSuite asks for 1."
    ]
    assert plan.changes[0]["source_quantity"] == 1 and plan.changes[0]["fulfilled"] == 2


def test_an_unkeyed_line_is_added_unless_a_shopify_line_no_key_names_has_its_sku():
    order = _order((11, "SHIRT", 2, 2, 0), (12, "CAP", 1, 1, 0))
    held = _held(("11", "1", 2), ("", "3", 1), ("", "4", 5))
    plan = _plan(held, order, skus={"3": "CAP", "4": "MUG"})
    assert plan.keys == {"2": "12"}  # the CAP line an earlier attempt added: keyed back
    assert [(a["sku"], a["quantity"]) for a in plan.adds] == [("MUG", 5)]


def test_a_bundle_component_changed_is_blocked():
    order = _order((11, "KIT", 1, 1, 0))
    wanted = edit_lines.Wanted(
        lines=(
            edit_lines.WantedLine(
                key="11:BOLT",
                sku="BOLT",
                quantity=4,
                rate=Decimal(1),
                amount=Decimal(4),
                description="Bolt",
            ),
        ),
        discount=Decimal(0),
        tax=Decimal(0),
        shipping=Decimal(0),
        total=Decimal(4),
        currency="USD",
    )
    plan = mapping.plan(_held(("11:BOLT", "5", 6)), wanted, order, charges=CHARGES, skus={})
    assert plan.bundles and plan.blocked and not plan.edits_shopify
