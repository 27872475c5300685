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


# -- per line ---------------------------------------------------------------------------------

from reconciliation.compare import Line, NetSuiteLine  # noqa: E402

CHARGES = {"900": "tax", "901": "discount", "902": "adjustment"}


def shopify_lines(*lines):
    return tuple(Line(sku, D(q), D(a), None if t is None else D(t)) for sku, q, a, t in lines)


def ns_line(item, quantity, amount, name="", tax=None):
    return NetSuiteLine(
        item, name, None if quantity is None else D(quantity), D(amount), tax and D(tax)
    )


def lined(shopify, netsuite, shipping="0.00", charges=(), skus=None, total="70.00"):
    o = ShopifyOrder("1", "#1001", D(total), D("0.00"), (), lines=shopify, charges=tuple(charges))
    s = NetSuiteRecord(
        "10",
        "salesOrder",
        "shopify-order-1",
        D(total),
        D("0.00"),
        lines=tuple(netsuite),
        shipping=D(shipping),
    )
    facts = OrderFacts(o, sales_orders=[s], item_skus=skus or {}, charge_items=CHARGES)
    return sorted((f.kind, f.line_kind, f.line) for f in compare_order(facts))


TEE = ("TEE", "2", "50.00", None)
CAP = ("CAP", "1", "20.00", None)


def test_charge_lines_are_not_item_lines_and_equal_lines_give_nothing():
    netsuite = [
        ns_line("1", "2", "50.00", name="TEE"),
        ns_line("2", "1", "20.00", name="CAP"),
        ns_line("900", None, "4.00"),  # tax: the record's tax, not a line
        ns_line("901", None, "-5.00"),  # discount
    ]
    charges = [("discount", D("-5.00")), ("shipping", D("6.00"))]
    assert lined(shopify_lines(TEE, CAP), netsuite, shipping="6.00", charges=charges) == []
    assert lined(shopify_lines(TEE, CAP), netsuite, shipping="0.00", charges=charges) == [
        ("amount", "charge", "shipping")
    ]


def test_item_bindings_name_items_before_the_names_netsuite_sends():
    netsuite = [ns_line("1", "2", "50.00", name="Black tee"), ns_line("2", "1", "20.00")]
    assert lined(shopify_lines(TEE, CAP), netsuite, skus={"1": "TEE", "2": "CAP"}) == []
    assert lined(shopify_lines(TEE, CAP), netsuite, skus={"2": "CAP"}) == [
        ("missing_in_netsuite", "item", "TEE"),
        ("missing_in_shopify", "item", "Black tee"),
    ]
    assert lined(shopify_lines(TEE), [ns_line("1", "2", "50.00")], skus={}) == [
        ("missing_in_netsuite", "item", "TEE"),
        ("missing_in_shopify", "item", "NetSuite item 1"),
    ]


def test_each_kind_of_line_variance():
    skus = {"1": "TEE", "2": "CAP"}
    twice = [ns_line("1", "1", "25.00"), ns_line("1", "1", "25.00"), ns_line("2", "1", "20.00")]
    # two lines of one SKU on each side are equal when they add up the same
    assert (
        lined(
            shopify_lines(("TEE", "1", "25.00", None), ("TEE", "1", "25.00", None), CAP),
            twice,
            skus=skus,
        )
        == []
    )
    assert lined(shopify_lines(TEE, CAP), twice, skus=skus) == [("duplicate", "item", "TEE")]
    more = [ns_line("1", "3", "75.00"), ns_line("2", "1", "20.00")]
    assert lined(shopify_lines(TEE, CAP), more, skus=skus) == [("quantity", "item", "TEE")]
    moved = [ns_line("1", "2", "49.00"), ns_line("2", "1", "21.00")]
    assert lined(shopify_lines(TEE, CAP), moved, skus=skus) == [
        ("amount", "item", "CAP"),
        ("amount", "item", "TEE"),
    ]
    # line tax only where both sides carry it
    taxed = [ns_line("1", "2", "50.00", tax="3.00"), ns_line("2", "1", "20.00", tax="1.00")]
    tee_tax = ("TEE", "2", "50.00", "4.00")
    assert lined(shopify_lines(tee_tax, CAP), taxed, skus=skus) == [("tax", "item", "TEE")]


def test_lines_not_all_read_are_not_compared_but_charges_are():
    netsuite = [ns_line("1", "5", "1.00")]
    assert lined(None, netsuite, shipping="1.00", skus={"1": "TEE"}) == [
        ("amount", "charge", "shipping")
    ]


def test_a_line_finding_keeps_its_row_whatever_its_figures():
    skus = {"1": "TEE", "2": "CAP"}

    def findings(tee_quantity):
        o = ShopifyOrder("1", "#1001", D("70.00"), D("0"), (), lines=shopify_lines(TEE, CAP))
        s = NetSuiteRecord(
            "10",
            "salesOrder",
            "",
            D("70.00"),
            D("0"),
            lines=(ns_line("1", tee_quantity, "50.00"), ns_line("2", "2", "20.00")),
        )
        return compare_order(OrderFacts(o, sales_orders=[s], item_skus=skus))

    a, b = findings("3"), findings("4")
    assert [f.key for f in a] == [f.key for f in b]
    assert len({f.key for f in a}) == 2  # one row per line
    assert a[0].line in a[0].key
