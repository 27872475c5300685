"""The comparison as pure functions: each kind of variance, and equal books."""

from decimal import Decimal as D

from reconciliation.compare import (
    NetSuiteRecord,
    OrderFacts,
    ShopifyOrder,
    ShopifyRefund,
    compare_order,
)


def order(*refunds, total="70.00", tax="0.00"):
    return ShopifyOrder("1", "#1001", D(total), D(tax), tuple(refunds))


def so(internal_id="10", total="70.00", tax="0.00"):
    return NetSuiteRecord(internal_id, "salesOrder", "shopify-order-1", D(total), D(tax))


def ns_refund(internal_id, external_id="", total="25.00", tax="0.00"):
    return NetSuiteRecord(internal_id, "cashRefund", external_id, D(total), D(tax), "20")


def kinds(facts):
    return sorted((f.kind, f.record) for f in compare_order(facts))


def test_equal_books_give_nothing():
    facts = OrderFacts(
        order(ShopifyRefund("5", D("25.00"), D("0.00"))),
        sales_orders=[so()],
        refunds=[ns_refund("30", "shopify-refund-5")],
    )
    assert compare_order(facts) == []


def test_a_refund_made_by_the_panel_in_shopify_twice_is_a_duplicate():
    note = "NetSuite cashRefund 30 [NetSuite connector]"
    facts = OrderFacts(
        order(
            ShopifyRefund("5", D("25.00"), D("0"), note),
            ShopifyRefund("6", D("25.00"), D("0"), note),
        ),
        sales_orders=[so()],
        refunds=[ns_refund("30")],
    )
    [finding] = compare_order(facts)
    assert (finding.kind, finding.shopify_ids, finding.netsuite_ids) == (
        "duplicate",
        ("5", "6"),
        ("30",),
    )
    assert finding.actual == D("50.00")


def test_a_netsuite_refund_bound_to_its_shopify_refund_matches():
    facts = OrderFacts(
        order(ShopifyRefund("5", D("25.00"), D("0.00"))),
        sales_orders=[so()],
        refunds=[ns_refund("30")],
        refund_bindings={"30": "5"},
    )
    assert compare_order(facts) == []


def test_two_sales_orders_and_money_variances():
    assert kinds(OrderFacts(order(), sales_orders=[so("10"), so("11")])) == [("duplicate", "order")]
    assert kinds(OrderFacts(order(), sales_orders=[so(total="69.99")])) == [("amount", "order")]
    assert kinds(OrderFacts(order(tax="1.00"), sales_orders=[so(tax="0.50", total="70.00")])) == [
        ("tax", "order")
    ]
    assert kinds(OrderFacts(order())) == [("missing_in_netsuite", "order")]


def test_keys_are_stable_and_distinct():
    a = compare_order(OrderFacts(order(), sales_orders=[so(total="1.00")]))[0]
    b = compare_order(OrderFacts(order(), sales_orders=[so(total="2.00")]))[0]
    assert a.key == b.key  # the same variance with a new figure updates the same row
    c = compare_order(OrderFacts(order(), sales_orders=[so(tax="1.00")]))[0]
    assert c.key != a.key
