"""Fulfilment in the sandbox store over real HTTP: fulfillment orders per location, holds that
refuse fulfilment with Shopify's error, the order's fulfilments with their tracking and lines,
and fulfillmentTrackingInfoUpdate."""

import pytest

from connector.shopify.errors import ShopifyUserError


def _order(shopify_sandbox):
    return shopify_sandbox.control.create_order(
        lines=[
            {"sku": "A", "quantity": 2, "price": "10.00"},
            {"sku": "B", "quantity": 1, "price": "5.00"},
        ]
    )


def test_lines_at_two_locations_make_two_fulfillment_orders(shopify_sandbox):
    order = _order(shopify_sandbox)
    line_b = order["line_items"][1]["id"]
    shopify_sandbox.control.request(
        "POST", f"orders/{order['id']}/assign", locations={str(line_b): "East warehouse"}
    )
    client = shopify_sandbox.client()
    found = client.get_order_fulfilment(order["admin_graphql_api_id"])
    fos = found["fulfillmentOrders"]["nodes"]
    assert len(fos) == 2
    locations = {fo["assignedLocation"]["location"]["id"] for fo in fos}
    assert len(locations) == 2
    by_line = {
        li["lineItem"]["id"]: (fo["id"], li) for fo in fos for li in fo["lineItems"]["nodes"]
    }
    fo_a, line_a = by_line[found["lineItems"]["nodes"][0]["id"]]
    created = client.create_fulfillment(
        [
            {
                "fulfillmentOrderId": fo_a,
                "fulfillmentOrderLineItems": [{"id": line_a["id"], "quantity": 1}],
            }
        ],
        tracking={"numbers": ["1Z1", "1Z2"], "company": "UPS"},
        notify_customer=True,
    )
    assert [t["number"] for t in created["trackingInfo"]] == ["1Z1", "1Z2"]
    again = client.get_order_fulfilment(order["admin_graphql_api_id"])
    (fulfilment,) = again["fulfillments"]
    assert fulfilment["createdAt"]
    assert fulfilment["fulfillmentLineItems"]["nodes"] == [
        {"quantity": 1, "lineItem": {"id": found["lineItems"]["nodes"][0]["id"]}}
    ]
    remaining = {
        li["id"]: li["remainingQuantity"]
        for fo in again["fulfillmentOrders"]["nodes"]
        for li in fo["lineItems"]["nodes"]
    }
    assert remaining[line_a["id"]] == 1
    state = shopify_sandbox.control.order(order["id"])
    assert state["fulfillments"][0]["notify_customer"] is True

    updated = client.update_fulfillment_tracking(
        fulfilment["id"], {"number": "1Z9", "company": "UPS"}, notify_customer=False
    )
    assert [t["number"] for t in updated["trackingInfo"]] == ["1Z9"]


def test_a_fulfillment_order_on_hold_refuses_fulfilment(shopify_sandbox):
    order = _order(shopify_sandbox)
    shopify_sandbox.control.request("POST", f"orders/{order['id']}/hold", reason="AWAITING_PAYMENT")
    client = shopify_sandbox.client()
    found = client.get_order_fulfilment(order["admin_graphql_api_id"])
    (fo,) = found["fulfillmentOrders"]["nodes"]
    assert fo["status"] == "ON_HOLD"
    assert fo["fulfillmentHolds"][0]["displayReason"] == "Awaiting payment"
    with pytest.raises(ShopifyUserError, match="unfulfillable status= on_hold"):
        client.create_fulfillment([{"fulfillmentOrderId": fo["id"]}])
    shopify_sandbox.control.request("POST", f"orders/{order['id']}/release")
    client.create_fulfillment([{"fulfillmentOrderId": fo["id"]}])
    assert shopify_sandbox.control.order(order["id"])["fulfillment_status"] == "FULFILLED"


def test_one_fulfilment_ships_from_one_location(shopify_sandbox):
    order = _order(shopify_sandbox)
    line_b = order["line_items"][1]["id"]
    shopify_sandbox.control.request(
        "POST", f"orders/{order['id']}/assign", locations={str(line_b): "East warehouse"}
    )
    client = shopify_sandbox.client()
    fos = client.get_order_fulfilment(order["admin_graphql_api_id"])["fulfillmentOrders"]["nodes"]
    with pytest.raises(ShopifyUserError, match="same location"):
        client.create_fulfillment([{"fulfillmentOrderId": fo["id"]} for fo in fos])
    assert shopify_sandbox.control.order(order["id"])["fulfillment_status"] == "UNFULFILLED"
