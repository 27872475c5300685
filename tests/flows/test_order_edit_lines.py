"""The pure core of the order-edit flows: wanted vs held lines and the plan between them."""

from decimal import Decimal
from types import SimpleNamespace as NS

import pytest

from flows.charges import ChargeItems
from flows.order_edits import lines
from flows.order_edits.lock import lock_reason
from flows.sync import NeedsPerson

CHARGES = ChargeItems(tax="900", discount="901", adjustment="902")
KEY = "custcol_shopify_line_id"


def _bag(amount):
    return {"shopMoney": {"amount": str(amount), "currencyCode": "USD"}}


def _order(line_items, *, tax="0", discount="0", shipping="0", total="0", refunds=()):
    return {
        "id": "gid://shopify/Order/1",
        "name": "#1001",
        "taxesIncluded": False,
        "currentTotalTaxSet": _bag(tax),
        "currentTotalDiscountsSet": _bag(discount),
        "currentShippingPriceSet": _bag(shipping),
        "currentTotalPriceSet": _bag(total),
        "lineItems": {"nodes": line_items},
        "refunds": list(refunds),
    }


def _line(number, sku, qty, price, current=None):
    return {
        "id": f"gid://shopify/LineItem/{number}",
        "sku": sku,
        "title": sku.title(),
        "quantity": qty,
        "currentQuantity": qty if current is None else current,
        "originalUnitPriceSet": _bag(price),
    }


def _so_line(line, item, qty, rate, key="", amount=None, fulfilled=0):
    custom = NS(customField=[NS(scriptId=KEY, value=key)]) if key else None
    return NS(
        line=line,
        item=NS(internalId=item),
        quantity=qty,
        rate=None if rate is None else str(rate),
        amount=float(amount if amount is not None else Decimal(rate) * qty),
        quantityFulfilled=fulfilled,
        isClosed=False,
        customFieldList=custom,
        description="",
    )


def _so(item_lines, shipping="0", status="_pendingApproval"):
    return NS(
        internalId="77",
        orderStatus=status,
        itemList=NS(item=item_lines),
        shippingCost=float(shipping),
        total=0.0,
    )


def _wanted(order, **kw):
    return lines.with_items(lines.wanted_from_order(order, **kw), {"A": "10", "B": "11"})


def test_quantity_change_added_line_and_money_follow_shopify():
    order = _order(
        [_line(1, "A", 2, "10.00", current=1), _line(2, "B", 1, "5.00")],
        tax="1.50",
        shipping="4.00",
        total="20.50",
    )
    held = lines.held_from_sales_order(
        _so([_so_line(1, "10", 2, "10.00", key="1"), _so_line(2, "900", None, None, amount=2.5)]),
        key_field=KEY,
        charges=CHARGES,
    )
    plan = lines.plan(_wanted(order), held, charges=CHARGES)
    assert plan.updates[0] == {
        "line": "1",
        "key": "1",
        "quantity": 1,
        "rate": Decimal("10.00"),
        "amount": Decimal("10.00"),
        "closed": False,
    }
    assert plan.adds == [
        {
            "key": "2",
            "item_id": "11",
            "quantity": 1,
            "rate": Decimal("5.00"),
            "amount": Decimal("5.00"),
            "description": "B",
        }
    ]
    assert {"line": "2", "amount": Decimal("1.50"), "rate": None} in plan.updates
    assert plan.shipping == Decimal("4.00")
    assert {c["change"] for c in plan.changes} == {"quantity", "added", "charge", "shipping"}


def test_a_line_removed_in_shopify_is_zeroed_and_closed():
    order = _order([_line(1, "A", 2, "10.00", current=0)])
    held = lines.held_from_sales_order(
        _so([_so_line(1, "10", 2, "10.00", key="1")]), key_field=KEY, charges=CHARGES
    )
    update = lines.plan(_wanted(order), held, charges=CHARGES).updates[0]
    assert (update["quantity"], update["amount"], update["closed"]) == (0, Decimal("0.00"), True)


def test_lines_written_before_keys_are_matched_by_item_in_order_and_given_their_key():
    order = _order([_line(1, "A", 1, "10.00"), _line(2, "A", 3, "10.00")], total="40.00")
    held = lines.held_from_sales_order(
        _so([_so_line(1, "10", 1, "10.00"), _so_line(2, "10", 2, "10.00")]),
        key_field=KEY,
        charges=CHARGES,
    )
    plan = lines.plan(_wanted(order), held, charges=CHARGES)
    assert {"line": "1", "key": "1"} in plan.updates  # unchanged, now keyed
    changed = next(u for u in plan.updates if u["line"] == "2")
    assert (changed["key"], changed["quantity"]) == ("2", 3)
    assert not plan.adds


def test_nothing_to_do_when_netsuite_matches():
    order = _order([_line(1, "A", 2, "10.00")], total="20.00")
    held = lines.held_from_sales_order(
        _so([_so_line(1, "10", 2, "10.00", key="1")]), key_field=KEY, charges=CHARGES
    )
    assert lines.plan(_wanted(order), held, charges=CHARGES).empty


def test_new_tax_without_a_tax_item_needs_a_person():
    order = _order([_line(1, "A", 1, "10.00")], tax="1.00", total="11.00")
    held = lines.held_from_sales_order(
        _so([_so_line(1, "10", 1, "10.00", key="1")]), key_field=KEY, charges=ChargeItems()
    )
    with pytest.raises(NeedsPerson, match="tax item"):
        lines.plan(_wanted(order), held, charges=ChargeItems())


def test_an_unknown_sku_needs_a_person_but_a_removed_one_does_not():
    order = _order([_line(1, "Z", 1, "10.00")])
    with pytest.raises(NeedsPerson, match="SKU Z"):
        _wanted(order)
    assert _wanted(_order([_line(1, "Z", 1, "10.00", current=0)])).lines == ()


def test_refunds_not_absorbed_are_added_back_and_absorbed_ones_are_not():
    refund = {
        "id": "gid://shopify/Refund/5",
        "refundLineItems": {
            "nodes": [
                {
                    "quantity": 1,
                    "lineItem": {"id": "gid://shopify/LineItem/1"},
                    "subtotalSet": _bag("9.00"),
                    "totalTaxSet": _bag("0.90"),
                }
            ]
        },
        "refundShippingLines": {"nodes": []},
    }
    order = _order(
        [_line(1, "A", 2, "10.00", current=1)],
        tax="0.90",
        discount="1.00",
        total="9.90",
        refunds=[refund],
    )
    kept = lines.wanted_from_order(order)
    assert kept.lines[0].quantity == 2
    assert (kept.tax, kept.discount, kept.total) == (
        Decimal("1.80"),
        Decimal("2.00"),
        Decimal("19.80"),
    )
    absorbed = lines.wanted_from_order(order, absorbed_refunds=["5"])
    assert absorbed.lines[0].quantity == 1 and absorbed.total == Decimal("9.90")
    assert kept.version() != absorbed.version()


def test_versions_ignore_line_order_and_zero_lines():
    a = lines.fingerprint({"1": 2, "2": 0}, 0, Decimal("1.5"), 4)
    b = lines.fingerprint({"1": 2}, Decimal("0.00"), Decimal("1.50"), Decimal("4"))
    assert a == b


@pytest.mark.parametrize(
    ("status", "cut_off", "fulfilled", "locked"),
    [
        ("_pendingApproval", "_pendingFulfillment", 0, False),
        ("_pendingFulfillment", "_pendingFulfillment", 0, False),
        ("_pendingFulfillment", "_pendingFulfillment", 1, True),
        ("_partiallyFulfilled", "_pendingFulfillment", 0, True),
        ("_pendingFulfillment", "_pendingApproval", 0, True),
        ("_pendingBilling", "_pendingBilling", 0, False),
        ("_cancelled", "_fullyBilled", 0, True),
        ("_closed", "_fullyBilled", 0, True),
    ],
)
def test_the_lock(status, cut_off, fulfilled, locked):
    assert (lock_reason(status, cut_off, fulfilled) is not None) is locked
