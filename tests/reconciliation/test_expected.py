"""What NetSuite should hold for an edited order, as pure functions over Shopify's answer:
the edges the HTTP tests do not reach (lines not read, a line without a SKU)."""

from decimal import Decimal as D

from reconciliation import expected, read
from reconciliation.compare import NetSuiteLine, NetSuiteRecord, OrderFacts, compare_order


def money(amount):
    return {"shopMoney": {"amount": amount}}


def node(lines, refunds=(), more_lines=False, total="60.00"):
    """An edited order as OrderReconciliation sends it: placed for 70.00, now `total`."""
    return {
        "id": "gid://shopify/Order/1",
        "legacyResourceId": "1",
        "name": "#1001",
        "edited": True,
        "totalPriceSet": money("70.00"),
        "totalTaxSet": money("0.00"),
        "totalDiscountsSet": money("0.00"),
        "totalShippingPriceSet": money("0.00"),
        "currentTotalPriceSet": money(total),
        "currentTotalTaxSet": money("0.00"),
        "currentTotalDiscountsSet": money("0.00"),
        "currentShippingPriceSet": money("0.00"),
        "lineItems": {"pageInfo": {"hasNextPage": more_lines}, "nodes": list(lines)},
        "refunds": list(refunds),
    }


def line(number, sku, quantity, current, price="10.00"):
    return {
        "id": f"gid://shopify/LineItem/{number}",
        "sku": sku,
        "quantity": quantity,
        "currentQuantity": current,
        "originalUnitPriceSet": money(price),
        "taxLines": [],
    }


def refund(number, line_number, quantity, amount):
    return {
        "id": f"gid://shopify/Refund/{number}",
        "legacyResourceId": str(number),
        "note": "",
        "totalRefundedSet": money(amount),
        "refundLineItems": {
            "pageInfo": {"hasNextPage": False},
            "nodes": [
                {
                    "quantity": quantity,
                    "lineItem": {"id": f"gid://shopify/LineItem/{line_number}", "sku": "X"},
                    "subtotalSet": money(amount),
                    "totalTaxSet": money("0.00"),
                }
            ],
        },
        "refundShippingLines": {"nodes": []},
        "orderAdjustments": {"nodes": []},
    }


def sales_order(total, lines=()):
    return NetSuiteRecord("10", "salesOrder", "shopify-order-1", D(total), D("0.00"), lines=lines)


def test_an_edited_order_is_expected_at_its_current_quantities_with_refunds_added_back():
    order = read.shopify_order(
        node(
            [line(1, "A", 5, 3), line(2, "B", 2, 0)],  # A: 2 removed, 1 of them refunded
            [refund(7, 1, 1, "10.00")],
            total="30.00",
        )
    )
    edited = expected.as_edited(order, frozenset(), {})
    assert edited.edited and edited.source is None and edited.figures_known
    assert edited.total == D("40.00")  # 30.00 now, the refund's 10.00 added back
    assert [(x.sku, x.quantity, x.amount) for x in edited.lines] == [
        ("A", 4, D("40.00")),
        ("B", 0, D("0.00")),
    ]
    # B was removed in Shopify and NetSuite has no line of it (or one closed at 0): equal
    held = (NetSuiteLine("1", "A", D(4), D("40.00")),)
    facts = OrderFacts(edited, sales_orders=[sales_order("40.00", held)])
    assert [f for f in compare_order(facts) if f.record == "order"] == []


def test_a_refund_naming_a_line_not_read_leaves_the_figures_unknown_not_wrong():
    # 11 lines in Shopify, 10 read; the refund is of the 11th
    order = read.shopify_order(
        node(
            [line(i, f"S{i}", 1, 1) for i in range(1, 11)],
            [refund(7, 11, 1, "10.00")],
            more_lines=True,
        )
    )
    edited = expected.as_edited(order, frozenset(), {})
    assert edited.lines is None and not edited.figures_known
    facts = OrderFacts(edited, sales_orders=[sales_order("999.00")])
    # The sales order is not judged on figures nobody knows; the refund still is.
    assert [(f.kind, f.record) for f in compare_order(facts)] == [("missing_in_netsuite", "refund")]

    # Absorbed, that refund is not added back at all: the figures are known again.
    absorbed = expected.as_edited(order, frozenset({"7"}), {})
    assert absorbed.figures_known and absorbed.total == D("60.00")
    assert compare_order(OrderFacts(absorbed, sales_orders=[sales_order("60.00")])) == []


def test_an_edited_order_with_a_line_without_sku_is_compared_as_placed():
    order = read.shopify_order(node([line(1, "A", 5, 3), line(2, "", 2, 2)]))
    placed = expected.as_edited(order, frozenset(), {})
    assert not placed.edited and placed.source is None
    assert placed.total == D("70.00")
