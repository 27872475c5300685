"""The Shopify sandbox's inventory: levels per location read by GraphQL (schema-validated,
costed), and inventorySetQuantities as DOMAIN.md describes it since 2026-04."""

import pytest
import requests

from connector.shopify.errors import ShopifyUserError


def _setup(shopify_sandbox):
    control = shopify_sandbox.control
    main = control.request("GET", "inventory")["locations"][0]["id"]
    (made,) = control.request(
        "POST", "inventory/items", items=[{"sku": "SOCK", "levels": {str(main): 5}}]
    )["items"]
    return main, made["inventory_item_gid"]


def _quantity(item_gid, location, quantity, **extra):
    return {
        "inventoryItemId": item_gid,
        "locationId": f"gid://shopify/Location/{location}",
        "quantity": quantity,
        **extra,
    }


def _raw(shopify_sandbox, query, variables):
    return requests.post(
        f"{shopify_sandbox.url}/admin/api/2026-10/graphql.json",
        json={"query": query, "variables": variables},
        headers={"X-Shopify-Access-Token": shopify_sandbox.access_token},
        timeout=5,
    ).json()


MUTATION = """mutation set($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) { userErrors { code message field } } }"""


def test_missing_idempotency_key_is_refused_and_nothing_changes(shopify_sandbox):
    main, item = _setup(shopify_sandbox)
    body = _raw(
        shopify_sandbox,
        MUTATION,
        {
            "input": {
                "name": "available",
                "reason": "correction",
                "quantities": [_quantity(item, main, 9, changeFromQuantity=5)],
            }
        },
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    levels = shopify_sandbox.control.request("GET", "inventory/levels")["levels"]
    assert levels["SOCK"][str(main)]["available"] == 5


def test_change_from_quantity_must_be_passed_null_skips_the_check(shopify_sandbox):
    main, item = _setup(shopify_sandbox)
    client = shopify_sandbox.client()
    with pytest.raises(ValueError):
        client.set_inventory_quantities([_quantity(item, main, 9)], idempotency_key="k0")
    with pytest.raises(ShopifyUserError) as caught:
        client.mutate(
            "inventorySetQuantities",
            {
                "input": {
                    "name": "available",
                    "reason": "correction",
                    "quantities": [_quantity(item, main, 9)],
                },
                "idempotencyKey": "k1",
            },
        )
    assert caught.value.code == "COMPARE_QUANTITY_REQUIRED"
    client.set_inventory_quantities(
        [_quantity(item, main, 9, changeFromQuantity=None)], idempotency_key="k2"
    )
    with pytest.raises(ShopifyUserError) as stale:
        client.set_inventory_quantities(
            [_quantity(item, main, 1, changeFromQuantity=5)], idempotency_key="k3"
        )
    assert stale.value.code == "CHANGE_FROM_QUANTITY_STALE"
    levels = shopify_sandbox.control.request("GET", "inventory/levels")["levels"]
    assert levels["SOCK"][str(main)]["available"] == 9


def test_same_key_returns_the_first_result_without_applying_again(shopify_sandbox):
    main, item = _setup(shopify_sandbox)
    client = shopify_sandbox.client()
    first = client.set_inventory_quantities(
        [_quantity(item, main, 7, changeFromQuantity=5)], idempotency_key="same"
    )
    shopify_sandbox.control.request(
        "POST", "inventory/levels", levels=[{"sku": "SOCK", "location": main, "available": 3}]
    )
    again = client.set_inventory_quantities(
        [_quantity(item, main, 7, changeFromQuantity=5)], idempotency_key="same"
    )
    assert again["inventoryAdjustmentGroup"]["id"] == first["inventoryAdjustmentGroup"]["id"]
    levels = shopify_sandbox.control.request("GET", "inventory/levels")["levels"]
    assert levels["SOCK"][str(main)]["available"] == 3


def test_levels_are_read_by_sku_with_a_realistic_cost(shopify_sandbox):
    main, item = _setup(shopify_sandbox)
    client = shopify_sandbox.client()
    (node,) = client.iter_inventory_items("sku:SOCK OR sku:NONE", levels=2, page_size=10)
    assert node["id"] == item
    assert node["inventoryLevels"]["nodes"][0]["quantities"][0]["quantity"] == 5
    # 2 + first * (1 item + 1 variant + 2 + levels * 3) points, as the flow sizes its pages.
    assert client.budget._expected["inventoryItemsWithLevels"] == 2 + 10 * (4 + 3 * 2)
    (location,) = client.locations()
    assert location["legacyResourceId"] == str(main)
