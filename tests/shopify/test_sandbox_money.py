"""The sandbox store computes order and refund money as Shopify does, over real HTTP: tax
per line and on shipping, totals, refund line subtotals and tax, shipping refunds, order
adjustments, and the mandatory @idempotent key."""

from decimal import Decimal

import pytest
import requests

ORDER_QUERY = """
query o($id: ID!) {
  order(id: $id) {
    taxesIncluded
    subtotalPriceSet { shopMoney { amount } }
    totalTaxSet { shopMoney { amount } }
    currentTotalTaxSet { shopMoney { amount } }
    totalShippingPriceSet { shopMoney { amount } }
    totalPriceSet { shopMoney { amount } }
    currentTotalPriceSet { shopMoney { amount } }
    totalRefundedSet { shopMoney { amount } }
    totalRefundedShippingSet { shopMoney { amount } }
    refundDiscrepancySet { shopMoney { amount } }
    taxLines { title rate priceSet { shopMoney { amount } } }
    shippingLines(first: 5) {
      nodes {
        title
        originalPriceSet { shopMoney { amount } }
        taxLines { rate priceSet { shopMoney { amount } } }
      }
    }
    lineItems(first: 10) {
      nodes {
        id sku quantity
        discountedUnitPriceSet { shopMoney { amount } }
        discountedTotalSet { shopMoney { amount } }
        taxLines { rate priceSet { shopMoney { amount } } }
      }
    }
  }
}
"""

REFUND_MUTATION = """
mutation r($input: RefundInput!) {
  refundCreate(input: $input) @idempotent(key: "%s") {
    refund {
      totalRefundedSet { shopMoney { amount } }
      refundLineItems(first: 10) {
        nodes {
          quantity
          priceSet { shopMoney { amount } }
          subtotalSet { shopMoney { amount } }
          totalTaxSet { shopMoney { amount } }
        }
      }
      refundShippingLines(first: 5) {
        nodes {
          shippingLine { title }
          subtotalAmountSet { shopMoney { amount } }
          taxAmountSet { shopMoney { amount } }
        }
      }
      orderAdjustments(first: 5) {
        nodes { reason amountSet { shopMoney { amount } } taxAmountSet { shopMoney { amount } } }
      }
    }
    userErrors { field message }
  }
}
"""


def _graphql(sandbox, query, variables):
    response = requests.post(
        f"{sandbox.url}/admin/api/2026-10/graphql.json",
        json={"query": query, "variables": variables},
        headers={"X-Shopify-Access-Token": sandbox.access_token},
        timeout=5,
    )
    assert response.status_code == 200
    return response.json()


def _amount(bag) -> Decimal:
    return Decimal(bag["shopMoney"]["amount"])


def _order(sandbox, gid):
    body = _graphql(sandbox, ORDER_QUERY, {"id": gid})
    assert "errors" not in body, body
    return body["data"]["order"]


def _refund(sandbox, order_gid, key, **input_fields):
    body = _graphql(
        sandbox, REFUND_MUTATION % key, {"input": {"orderId": order_gid, **input_fields}}
    )
    assert "errors" not in body, body
    return body["data"]["refundCreate"]


def _transaction(order_gid, amount):
    return [{"orderId": order_gid, "amount": amount, "gateway": "bogus", "kind": "REFUND"}]


def _create(sandbox, **extra):
    return sandbox.control.create_order(
        lines=[
            {"sku": "CAP-NAVY", "quantity": 3, "price": "19.50"},
            {"sku": "MUG-LOGO", "quantity": 1, "price": "12.00", "discount": "2.00"},
        ],
        shipping="5.00",
        **extra,
    )


def test_orders_carry_tax_per_line_and_on_shipping_and_total_it(shopify_sandbox):
    created = _create(shopify_sandbox, tax_rate="0.08")
    order = _order(shopify_sandbox, created["admin_graphql_api_id"])
    cap, mug = order["lineItems"]["nodes"]
    assert _amount(cap["taxLines"][0]["priceSet"]) == Decimal("4.68")  # 58.50 × 8 %
    assert cap["taxLines"][0]["rate"] == 0.08
    assert _amount(mug["discountedUnitPriceSet"]) == Decimal("10.00")
    assert _amount(mug["taxLines"][0]["priceSet"]) == Decimal("0.80")
    shipping = order["shippingLines"]["nodes"][0]
    assert _amount(shipping["originalPriceSet"]) == Decimal("5.00")
    assert _amount(shipping["taxLines"][0]["priceSet"]) == Decimal("0.40")
    assert order["taxesIncluded"] is False
    assert _amount(order["subtotalPriceSet"]) == Decimal("68.50")
    assert _amount(order["totalTaxSet"]) == Decimal("5.88")
    assert _amount(order["totalShippingPriceSet"]) == Decimal("5.00")
    assert _amount(order["totalPriceSet"]) == Decimal("79.38")  # 68.50 + 5.00 + 5.88
    assert sum(_amount(t["priceSet"]) for t in order["taxLines"]) == Decimal("5.88")


def test_order_level_tax_is_spread_over_the_lines_and_taxes_included_is_not_added(
    shopify_sandbox,
):
    created = _create(shopify_sandbox, tax="6.85", shipping_tax="0.40")
    order = _order(shopify_sandbox, created["admin_graphql_api_id"])
    line_tax = [_amount(li["taxLines"][0]["priceSet"]) for li in order["lineItems"]["nodes"]]
    assert sum(line_tax) == Decimal("6.45")
    assert _amount(order["totalPriceSet"]) == Decimal("80.35")
    included = _create(shopify_sandbox, tax_rate="0.2", taxes_included=True)
    order = _order(shopify_sandbox, included["admin_graphql_api_id"])
    assert order["taxesIncluded"] is True
    assert _amount(order["totalPriceSet"]) == Decimal("73.50")  # tax inside the prices


def test_refund_lines_get_subtotal_and_prorated_tax_and_shipping_is_refunded(shopify_sandbox):
    created = _create(shopify_sandbox, tax_rate="0.08")
    gid = created["admin_graphql_api_id"]
    cap = next(li for li in created["line_items"] if li["sku"] == "CAP-NAVY")
    # One cap: 19.50 + 1.56 tax; shipping 5.00 + 0.40 tax.
    result = _refund(
        shopify_sandbox,
        gid,
        "k-1",
        refundLineItems=[{"lineItemId": f"gid://shopify/LineItem/{cap['id']}", "quantity": 1}],
        shipping={"fullRefund": True},
        transactions=_transaction(gid, "26.46"),
    )
    assert result["userErrors"] == []
    refund = result["refund"]
    line = refund["refundLineItems"]["nodes"][0]
    assert _amount(line["subtotalSet"]) == Decimal("19.50")
    assert _amount(line["totalTaxSet"]) == Decimal("1.56")
    assert _amount(line["priceSet"]) == Decimal("19.50")
    ship = refund["refundShippingLines"]["nodes"][0]
    assert _amount(ship["subtotalAmountSet"]) == Decimal("5.00")
    assert _amount(ship["taxAmountSet"]) == Decimal("0.40")
    assert refund["orderAdjustments"]["nodes"] == []
    assert _amount(refund["totalRefundedSet"]) == Decimal("26.46")
    order = _order(shopify_sandbox, gid)
    assert _amount(order["totalRefundedShippingSet"]) == Decimal("5.00")
    assert _amount(order["currentTotalTaxSet"]) == Decimal("3.92")  # 5.88 - 1.56 - 0.40
    assert _amount(order["currentTotalPriceSet"]) == Decimal("52.92")  # 79.38 - 26.46
    # Shipping is refunded once only.
    again = _refund(shopify_sandbox, gid, "k-2", shipping={"amount": "1.00"})
    assert again["refund"] is None
    assert again["userErrors"][0]["field"] == ["shipping", "amount"]


def test_amount_only_refund_is_an_order_adjustment(shopify_sandbox):
    created = _create(shopify_sandbox, tax_rate="0.08")
    gid = created["admin_graphql_api_id"]
    result = _refund(
        shopify_sandbox,
        gid,
        "k-3",
        transactions=_transaction(gid, "10.00"),
        discrepancyReason="CUSTOMER",
    )
    refund = result["refund"]
    assert refund["refundLineItems"]["nodes"] == []
    adjustment = refund["orderAdjustments"]["nodes"][0]
    assert adjustment["reason"] == "CUSTOMER"
    assert _amount(adjustment["amountSet"]) == Decimal("-10.00")  # in the customer's favour
    assert _amount(refund["totalRefundedSet"]) == Decimal("10.00")
    order = _order(shopify_sandbox, gid)
    assert _amount(order["refundDiscrepancySet"]) == Decimal("-10.00")
    assert _amount(order["totalRefundedSet"]) == Decimal("10.00")


def test_transaction_above_what_can_be_refunded_is_refused(shopify_sandbox):
    created = _create(shopify_sandbox, tax_rate="0.08")
    gid = created["admin_graphql_api_id"]
    result = _refund(shopify_sandbox, gid, "k-4", transactions=_transaction(gid, "79.39"))
    assert result["refund"] is None
    assert result["userErrors"][0]["field"] == ["transactions"]
    assert shopify_sandbox.control.order(created["id"])["refunds"] == []


@pytest.mark.parametrize(
    ("mutation", "arguments"),
    [
        ("refundCreate", '(input: {orderId: "gid://shopify/Order/1"}) { userErrors { message } }'),
        (
            "inventorySetQuantities",
            '(input: {name: "available", reason: "correction", quantities: []}) '
            "{ userErrors { message } }",
        ),
    ],
)
def test_mandatory_idempotency_key(shopify_sandbox, mutation, arguments):
    body = _graphql(shopify_sandbox, f"mutation {{ {mutation}{arguments} }}", {})
    assert "@idempotent" in body["errors"][0]["message"]
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_control_refund_with_shipping_and_suggested_amount(shopify_sandbox):
    created = _create(shopify_sandbox, tax_rate="0.08")
    mug = next(li for li in created["line_items"] if li["sku"] == "MUG-LOGO")
    state = shopify_sandbox.control.refund(
        created["id"],
        lines=[{"line_item_id": mug["id"], "quantity": 1}],
        shipping={"amount": "2.50"},
        amount="suggested",
    )
    refund = state["refunds"][0]
    assert refund["total"] == "13.50"  # 10.00 + 0.80 tax + 2.50 shipping + 0.20 its tax
    assert refund["adjustments"] == []


def test_demo_orders_have_tax_and_shipping(shopify_sandbox):
    shopify_sandbox.control.reset(demo=True)
    order = shopify_sandbox.control.order("%231001")
    totals = {k: Decimal(v) for k, v in order["totals"].items()}
    assert totals["tax"] > 0 and totals["shipping"] == Decimal("5.00")
    assert totals["total"] == totals["subtotal"] + totals["shipping"] + totals["tax"]
    assert all(Decimal(li["tax"]) > 0 for li in order["line_items"])


def test_orders_count_is_exact_under_the_limit_and_at_least_over_it(shopify_sandbox):
    shopify_sandbox.control.create_orders(3, lines=[{"sku": "C-1", "quantity": 1}])
    client = shopify_sandbox.client()
    assert client.count_orders_for_import() == 3
    body = _graphql(shopify_sandbox, "query { ordersCount(limit: 2) { count precision } }", {})
    capped = body["data"]["ordersCount"]
    assert capped == {"count": 2, "precision": "AT_LEAST"}
