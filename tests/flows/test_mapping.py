"""The mappers on their own: plain dicts in, plain values out, no database, no HTTP."""

from decimal import Decimal

import pytest

from flows.order_import import mapping as mappers
from flows.shopify_cancellation import mapping as cancellation


def _money(amount, currency="USD"):
    return {"shopMoney": {"amount": str(amount), "currencyCode": currency}}


def _order(**overrides):
    order = {
        "id": "gid://shopify/Order/5512",
        "name": "#1001",
        "email": "ann@example.com",
        "createdAt": "2026-11-01T10:00:00Z",
        "customer": {
            "id": "gid://shopify/Customer/77",
            "email": "ann@example.com",
            "firstName": "Ann",
            "lastName": "Lee",
        },
        "purchasingEntity": None,
        "totalPriceSet": _money("107.49"),
        "totalTaxSet": _money("7.49"),
        "totalShippingPriceSet": _money("10.00"),
        "totalDiscountsSet": _money("10.00"),
        "lineItems": {
            "pageInfo": {"hasNextPage": False},
            "nodes": [
                {
                    "id": "l1",
                    "title": "Mug",
                    "sku": "MUG-1",
                    "quantity": 2,
                    "originalUnitPriceSet": _money("25.00"),
                },
                {
                    "id": "l2",
                    "title": "Tee",
                    "sku": " TEE-M ",
                    "quantity": 1,
                    "originalUnitPriceSet": _money("50.00"),
                },
            ],
        },
    }
    order.update(overrides)
    return order


B2B_ENTITY = {
    "__typename": "PurchasingCompany",
    "company": {"id": "gid://shopify/Company/9", "name": "Acme"},
    "location": {"id": "gid://shopify/CompanyLocation/3", "name": "Berlin"},
    "contact": {"customer": {"email": "buyer@acme.example"}},
}


CHARGES = mappers.ChargeItems(tax="91", discount="92", adjustment="93")


def test_money_is_copied_exactly():
    fields = mappers.sales_order_for_order(_order(), {"MUG-1": "11", "TEE-M": "12"}, CHARGES)
    assert fields.external_id == "shopify-order-5512"
    assert (fields.tax_total, fields.shipping_cost, fields.discount, fields.total) == (
        Decimal("7.49"),
        Decimal("10.00"),
        Decimal("10.00"),
        Decimal("107.49"),
    )
    assert fields.currency == "USD"
    item = {"amount": None}
    charge = {"quantity": None, "rate": None}
    assert fields.lines == (
        {
            **item,
            "key": "l1",
            "item_internal_id": "11",
            "quantity": 2,
            "rate": Decimal("25.00"),
            "description": "Mug",
        },
        {
            **item,
            "key": "l2",
            "item_internal_id": "12",
            "quantity": 1,
            "rate": Decimal("50.00"),
            "description": "Tee",
        },
        # Shopify's discount and tax as lines of the charge items: NetSuite computes the total.
        {
            **charge,
            "item_internal_id": "92",
            "amount": Decimal("-10.00"),
            "description": "Shopify discounts of order #1001",
        },
        {
            **charge,
            "item_internal_id": "91",
            "amount": Decimal("7.49"),
            "description": "Shopify tax of order #1001",
        },
    )
    lines = sum((x["amount"] or x["quantity"] * x["rate"]) for x in fields.lines)
    assert lines + fields.shipping_cost == fields.total
    assert fields.other_ref_num == "#1001"


def test_no_discount_is_none_not_zero():
    fields = mappers.sales_order_for_order(
        _order(totalDiscountsSet=_money("0.00")), {"MUG-1": "11", "TEE-M": "12"}, CHARGES
    )
    assert fields.discount is None
    assert "92" not in [line["item_internal_id"] for line in fields.lines]


def test_tax_without_a_tax_item_says_which_setting():
    with pytest.raises(
        mappers.MappingError, match="set the NetSuite tax item in Settings › Orders"
    ):
        mappers.sales_order_for_order(
            _order(), {"MUG-1": "11", "TEE-M": "12"}, mappers.ChargeItems(discount="92")
        )


def test_unknown_sku_says_which_line_and_what_to_do():
    with pytest.raises(mappers.MappingError) as exc:
        mappers.sales_order_for_order(_order(), {"MUG-1": "11"})
    assert str(exc.value) == (
        "SKU TEE-M on line 2 is not an item in NetSuite: create it or map it, then Retry."
    )


def test_missing_sku():
    order = _order()
    order["lineItems"]["nodes"][0]["sku"] = ""
    with pytest.raises(mappers.MappingError, match=r"Line 1 of order #1001 .*has no SKU"):
        mappers.sales_order_for_order(order, {"TEE-M": "12"})


def test_b2c_customer():
    plan = mappers.customers_for_order(_order(), b2b_sync=False)
    assert plan.parents == ()
    (person,) = plan.customers
    assert person.external_id == "shopify-customer-77" == plan.entity_external_id
    assert (person.first_name, person.last_name, person.is_person) == ("Ann", "Lee", True)


def test_b2c_without_customer_data():
    with pytest.raises(mappers.MappingError, match="has no customer in Shopify"):
        mappers.customers_for_order(_order(customer=None), b2b_sync=False)
    with pytest.raises(mappers.MappingError, match="no name and no e-mail"):
        mappers.customers_for_order(
            _order(email=None, customer={"id": "gid://shopify/Customer/1"}), b2b_sync=False
        )


def test_b2b_company_is_parent_and_location_sub_customer():
    plan = mappers.customers_for_order(_order(purchasingEntity=B2B_ENTITY), b2b_sync=True)
    (parent,) = plan.parents
    (child,) = plan.customers
    assert parent.external_id == "shopify-company-9" and parent.company_name == "Acme"
    assert child.parent_external_id == parent.external_id
    assert child.external_id == "shopify-company-location-3" == plan.entity_external_id
    assert child.email == "buyer@acme.example"


def test_b2b_with_sync_off_is_refused_with_the_setting_to_change():
    with pytest.raises(mappers.MappingError, match="Settings › B2B"):
        mappers.customers_for_order(_order(purchasingEntity=B2B_ENTITY), b2b_sync=False)


@pytest.mark.parametrize(
    ("order", "reason"),
    [
        ({"displayFulfillmentStatus": "UNFULFILLED", "refunds": []}, None),
        ({"displayFulfillmentStatus": "PARTIALLY_FULFILLED"}, "Partly fulfilled"),
        ({"displayFinancialStatus": "PARTIALLY_REFUNDED"}, "Partly refunded"),
        (
            {
                "cancelledAt": "2026-11-02T00:00:00Z",
                "refunds": [{"createdAt": "2026-11-01T00:00:00Z"}],
            },
            "Partly refunded",
        ),
        (
            {
                "cancelledAt": "2026-11-02T00:00:00Z",
                "refunds": [{"createdAt": "2026-11-02T00:00:00Z"}],
            },
            None,
        ),
    ],
)
def test_shopify_cancellation_skip_reason(order, reason):
    found = cancellation.shopify_cancellation_skip_reason(order)
    assert (found is None) if reason is None else found.startswith(reason)


@pytest.mark.parametrize(
    ("status", "expected_status", "skip"),
    [
        ("_pendingApproval", "_cancelled", None),
        ("_pendingFulfillment", "_closed", None),
        ("_cancelled", None, "Already cancelled or closed"),
        ("_closed", None, "Already cancelled or closed"),
        ("_partiallyFulfilled", None, "only orders pending approval or pending fulfilment"),
    ],
)
def test_netsuite_cancellation_for_status(status, expected_status, skip):
    new_status, reason = cancellation.netsuite_cancellation_for_status(status)
    assert new_status == expected_status
    assert (reason is None) if skip is None else skip in reason
