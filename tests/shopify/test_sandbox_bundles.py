"""Shopify sells a bundle as its component lines, each pointing at the bundle's
`lineItemGroup`; the sandbox store shows them so over real HTTP (and nothing on other lines)."""

import pytest
import requests

QUERY = """
query o($id: ID!) {
  order(id: $id) {
    lineItems(first: 10) {
      nodes {
        sku quantity
        lineItemGroup { id title quantity variantId variantSku productId customAttributes { key } }
      }
    }
  }
}
"""

GIFT_BOX = {"title": "Gift box", "sku": "BOX-1", "quantity": 2}


def _lines(sandbox, gid: str) -> list[dict]:
    response = requests.post(
        f"{sandbox.url}/admin/api/2026-10/graphql.json",
        json={"query": QUERY, "variables": {"id": gid}},
        headers={"X-Shopify-Access-Token": sandbox.access_token},
        timeout=5,
    )
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return body["data"]["order"]["lineItems"]["nodes"]


def test_component_lines_carry_their_bundle_and_other_lines_null(shopify_sandbox):
    created = shopify_sandbox.control.create_order(
        lines=[
            {"sku": "MUG-LOGO", "quantity": 2, "price": "6.00", "group": GIFT_BOX},
            {"sku": "CAP-NAVY", "quantity": 4, "price": "9.75", "group": GIFT_BOX},
            {"sku": "TSHIRT-BLK-M", "quantity": 1, "price": "25.00"},
        ]
    )
    mug, cap, shirt = _lines(shopify_sandbox, created["admin_graphql_api_id"])
    assert shirt["lineItemGroup"] is None
    group = mug["lineItemGroup"]
    assert group == cap["lineItemGroup"]  # one bundle, two component lines
    assert group["id"].startswith("gid://shopify/LineItemGroup/")
    assert (group["title"], group["quantity"], group["variantSku"]) == ("Gift box", 2, "BOX-1")
    assert group["variantId"].startswith("gid://shopify/ProductVariant/")
    assert group["productId"].startswith("gid://shopify/Product/")  # the bundle's product
    assert group["customAttributes"] == []
    # The control API shows the same group on the stored lines.
    lines = shopify_sandbox.control.order(created["id"])["line_items"]
    assert [line["group"] and line["group"]["sku"] for line in lines] == ["BOX-1", "BOX-1", None]


def test_two_bundles_on_one_order_are_two_groups(shopify_sandbox):
    created = shopify_sandbox.control.create_order(
        lines=[
            {"sku": "MUG-LOGO", "quantity": 1, "group": {"title": "Mug set", "sku": "SET-1"}},
            {"sku": "MUG-LOGO", "quantity": 3, "group": {"title": "Gift box", "quantity": 3}},
        ]
    )
    first, second = _lines(shopify_sandbox, created["admin_graphql_api_id"])
    assert first["lineItemGroup"]["id"] != second["lineItemGroup"]["id"]
    assert first["lineItemGroup"]["quantity"] == 1
    # A group given without a SKU has no variant (as a line group made by an app).
    assert second["lineItemGroup"]["variantSku"] is None
    assert second["lineItemGroup"]["variantId"] is None


def test_orders_without_groups_are_unchanged(shopify_sandbox):
    created = shopify_sandbox.control.create_order(lines=[{"sku": "CAP-NAVY", "quantity": 1}])
    (line,) = _lines(shopify_sandbox, created["admin_graphql_api_id"])
    assert line["lineItemGroup"] is None
    assert shopify_sandbox.control.order(created["id"])["line_items"][0]["group"] is None


@pytest.mark.parametrize(
    ("group", "message"),
    [
        ({"sku": "BOX-1"}, "needs a title"),
        ("Gift box", "needs a title"),
        ({"title": "Gift box", "quantity": 0}, "at least 1"),
        ({"title": "Gift box", "quantity": "two"}, "whole number"),
        ({"title": "Gift box", "quantity": 2}, "multiple of its group's"),
    ],
)
def test_a_bad_group_is_refused_and_no_order_is_made(shopify_sandbox, group, message):
    response = requests.post(
        f"{shopify_sandbox.url}/_control/orders",
        json={"lines": [{"sku": "MUG-LOGO", "quantity": 3, "group": group}]},
        timeout=5,
    )
    assert response.status_code == 400
    assert message in response.text
    assert shopify_sandbox.control.orders() == []
