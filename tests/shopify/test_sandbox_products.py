"""The Shopify sandbox's products, price lists, staged uploads and bulk mutations, over real
HTTP with the operations the product sync sends (connector/shopify/operations)."""

import json

import pytest
import requests

from connector.shopify.errors import ShopifyUserError

SHIRT = {
    "title": "Oxford shirt",
    "descriptionHtml": "<p>Cotton</p>",
    "status": "ACTIVE",
    "productOptions": [
        {"name": "Size", "values": [{"name": "S"}, {"name": "M"}]},
        {"name": "Colour", "values": [{"name": "Blue"}]},
    ],
    "variants": [
        {
            "optionValues": [
                {"optionName": "Size", "name": "S"},
                {"optionName": "Colour", "name": "Blue"},
            ],
            "price": "30.00",
            "compareAtPrice": "40.00",
            "barcode": "0001",
            "inventoryItem": {
                "sku": "OX-S-BLU",
                "measurement": {"weight": {"value": 0.3, "unit": "KILOGRAMS"}},
            },
        },
        {
            "optionValues": [
                {"optionName": "Size", "name": "M"},
                {"optionName": "Colour", "name": "Blue"},
            ],
            "price": "32.50",
            "inventoryItem": {"sku": "OX-M-BLU"},
        },
    ],
}


def _create_shirt(client):
    payload = client.mutate("productSet", {"input": SHIRT, "variants": 10})
    return payload["product"]


def _products(control):
    return {p["title"]: p for p in control.products()}


def _prices(control, title="Oxford shirt"):
    return {v["sku"]: v["price"] for v in _products(control)[title]["variants"]}


def _number(gid):
    return int(gid.rsplit("/", 1)[1])


def _raw(sandbox, query, variables=None):
    return requests.post(
        f"{sandbox.url}/admin/api/2026-10/graphql.json",
        json={"query": query, "variables": variables or {}},
        headers={"X-Shopify-Access-Token": sandbox.access_token},
        timeout=5,
    ).json()


def test_product_set_creates_the_product_with_its_options_and_variants(shopify_sandbox):
    product = _create_shirt(shopify_sandbox.client())
    variants = product["variants"]["nodes"]
    assert [v["sku"] for v in variants] == ["OX-S-BLU", "OX-M-BLU"]
    first = variants[0]
    assert first["price"] == "30.00" and first["compareAtPrice"] == "40.00"
    assert first["barcode"] == "0001"
    assert first["product"]["id"] == product["id"]
    assert first["inventoryItem"]["id"].startswith("gid://shopify/InventoryItem/")
    assert variants[1]["compareAtPrice"] is None and variants[1]["barcode"] is None

    body = _raw(
        shopify_sandbox,
        """query($id: ID!) { product(id: $id) { title status handle descriptionHtml
          options { name values } hasOnlyDefaultVariant
          variants(first: 5) { nodes { title position selectedOptions { name value }
            inventoryItem { sku measurement { weight { unit value } } } } } } }""",
        {"id": product["id"]},
    )
    node = body["data"]["product"]
    assert node["title"] == "Oxford shirt" and node["status"] == "ACTIVE"
    assert node["handle"] == "oxford-shirt" and node["descriptionHtml"] == "<p>Cotton</p>"
    assert node["options"] == [
        {"name": "Size", "values": ["S", "M"]},
        {"name": "Colour", "values": ["Blue"]},
    ]
    assert node["hasOnlyDefaultVariant"] is False
    small, medium = node["variants"]["nodes"]
    assert small["title"] == "S / Blue" and small["position"] == 1 and medium["position"] == 2
    assert small["selectedOptions"] == [
        {"name": "Size", "value": "S"},
        {"name": "Colour", "value": "Blue"},
    ]
    assert small["inventoryItem"] == {
        "sku": "OX-S-BLU",
        "measurement": {"weight": {"unit": "KILOGRAMS", "value": 0.3}},
    }
    assert medium["inventoryItem"]["measurement"]["weight"] is None


def test_product_set_refuses_bad_options_and_too_many_variants(shopify_sandbox):
    client = shopify_sandbox.client()
    four = {
        **SHIRT,
        "productOptions": [{"name": n, "values": [{"name": "x"}]} for n in "ABCD"],
    }
    with pytest.raises(ShopifyUserError) as caught:
        client.mutate("productSet", {"input": four, "variants": 1})
    assert caught.value.code == "OPTIONS_OVER_LIMIT"

    missing = {**SHIRT, "variants": [{**SHIRT["variants"][0], "optionValues": []}]}
    with pytest.raises(ShopifyUserError) as caught:
        client.mutate("productSet", {"input": missing, "variants": 1})
    assert caught.value.code == "OPTION_VALUES_MISSING"

    unknown_value = {
        **SHIRT,
        "variants": [
            {
                "optionValues": [
                    {"optionName": "Size", "name": "XL"},
                    {"optionName": "Colour", "name": "Blue"},
                ]
            }
        ],
    }
    with pytest.raises(ShopifyUserError) as caught:
        client.mutate("productSet", {"input": unknown_value, "variants": 1})
    assert caught.value.code == "OPTION_VALUE_DOES_NOT_EXIST"
    assert caught.value.user_errors[0]["field"] == [
        "input",
        "variants",
        "0",
        "optionValues",
        "0",
        "name",
    ]

    values = [{"name": str(n)} for n in range(2049)]
    many = {
        "title": "Many",
        "productOptions": [{"name": "N", "values": values}],
        "variants": [{"optionValues": [{"optionName": "N", "name": v["name"]}]} for v in values],
    }
    with pytest.raises(ShopifyUserError) as caught:
        client.mutate("productSet", {"input": many, "variants": 1})
    assert caught.value.code == "VARIANTS_OVER_LIMIT"
    assert _products(shopify_sandbox.control) == {}


def test_product_set_with_an_id_replaces_the_product_and_deletes_omitted_variants(
    shopify_sandbox,
):
    """The hazard the product sync must avoid: productSet on an existing product keeps only
    the variants it is sent; the others go, with their price list prices."""
    client = shopify_sandbox.client()
    control = shopify_sandbox.control
    product = _create_shirt(client)
    small, medium = product["variants"]["nodes"]
    price_list = control.request("POST", "price_lists", name="Wholesale", currency="USD")
    client.mutate(
        "priceListFixedPricesAdd",
        {
            "priceListId": price_list["admin_graphql_api_id"],
            "prices": [
                {"variantId": medium["id"], "price": {"amount": "20.00", "currencyCode": "USD"}}
            ],
        },
    )

    only_small = {
        "title": "Oxford shirt (new title)",
        "productOptions": [
            {"name": "Size", "values": [{"name": "S"}]},
            {"name": "Colour", "values": [{"name": "Blue"}]},
        ],
        "variants": [{**SHIRT["variants"][0], "id": small["id"], "price": "31.00"}],
    }
    payload = client.mutate(
        "productSet", {"input": {**only_small, "id": product["id"]}, "variants": 10}
    )
    assert payload["product"]["id"] == product["id"]
    (kept,) = payload["product"]["variants"]["nodes"]
    assert kept["id"] == small["id"] and kept["price"] == "31.00"

    stored = _products(control)["Oxford shirt (new title)"]
    assert [v["sku"] for v in stored["variants"]] == ["OX-S-BLU"]
    found = client.execute("productVariantsBySku", {"first": 5, "query": "sku:OX-M-BLU"})
    assert found["productVariants"]["nodes"] == []
    (listed,) = control.price_lists()
    assert listed["prices"] == {}


def test_product_create_update_and_unknown_product(shopify_sandbox):
    client = shopify_sandbox.client()
    created = _raw(
        shopify_sandbox,
        """mutation($product: ProductCreateInput!) { productCreate(product: $product) {
          product { id status variants(first: 2) { nodes { title price } } }
          userErrors { field message } } }""",
        {"product": {"title": "Mug", "status": "DRAFT"}},
    )["data"]["productCreate"]
    product = created["product"]
    assert product["status"] == "DRAFT"
    assert product["variants"]["nodes"] == [{"title": "Default Title", "price": "0.00"}]

    client.mutate("productUpdate", {"product": {"id": product["id"], "status": "ACTIVE"}})
    stored = _products(shopify_sandbox.control)["Mug"]
    assert stored["status"] == "ACTIVE" and stored["title"] == "Mug"  # the rest is kept

    with pytest.raises(ShopifyUserError) as caught:
        client.mutate(
            "productUpdate", {"product": {"id": "gid://shopify/Product/999999", "title": "X"}}
        )
    assert caught.value.user_errors == [{"field": ["id"], "message": "Product does not exist"}]


def test_bulk_update_changes_only_the_fields_sent_and_reports_by_index(shopify_sandbox):
    client = shopify_sandbox.client()
    product = _create_shirt(client)
    small, medium = product["variants"]["nodes"]
    client.mutate(
        "productVariantsBulkUpdate",
        {
            "productId": product["id"],
            "variants": [
                {"id": small["id"], "price": "29.00", "compareAtPrice": None},
                {
                    "id": medium["id"],
                    "barcode": "0002",
                    "inventoryItem": {
                        "sku": "OX-M-BLUE",
                        "measurement": {"weight": {"value": 12, "unit": "OUNCES"}},
                    },
                },
            ],
        },
    )
    stored = _products(shopify_sandbox.control)["Oxford shirt"]["variants"]
    variants = {v["id"]: v for v in stored}
    s, m = variants[_number(small["id"])], variants[_number(medium["id"])]
    assert (s["price"], s["compare_at_price"], s["barcode"], s["sku"]) == (
        "29.00",
        None,
        "0001",
        "OX-S-BLU",
    )
    assert (m["price"], m["barcode"], m["sku"]) == ("32.50", "0002", "OX-M-BLUE")
    assert m["weight"] == {"value": 12.0, "unit": "OUNCES"}

    # allowPartialUpdates: true (the operation's choice) keeps the valid one.
    with pytest.raises(ShopifyUserError) as caught:
        client.mutate(
            "productVariantsBulkUpdate",
            {
                "productId": product["id"],
                "variants": [
                    {"id": small["id"], "price": "-1.00"},
                    {"id": medium["id"], "price": "33.00"},
                ],
            },
        )
    assert caught.value.user_errors == [
        {
            "field": ["variants", "0", "price"],
            "message": "Price must be greater than or equal to 0",
            "code": "NEGATIVE_PRICE_VALUE",
        }
    ]
    prices = _prices(shopify_sandbox.control)
    assert prices == {"OX-S-BLU": "29.00", "OX-M-BLUE": "33.00"}


def test_bulk_update_without_partial_updates_changes_nothing_when_one_fails(shopify_sandbox):
    client = shopify_sandbox.client()
    product = _create_shirt(client)
    small = product["variants"]["nodes"][0]
    body = _raw(
        shopify_sandbox,
        """mutation($productId: ID!, $variants: [ProductVariantsBulkInput!]!) {
          productVariantsBulkUpdate(productId: $productId, variants: $variants) {
            product { id } productVariants { id } userErrors { field code } } }""",
        {
            "productId": product["id"],
            "variants": [
                {"id": small["id"], "price": "1.00"},
                {"id": "gid://shopify/ProductVariant/987654", "price": "2.00"},
            ],
        },
    )["data"]["productVariantsBulkUpdate"]
    assert body["userErrors"] == [
        {"field": ["variants", "1", "id"], "code": "PRODUCT_VARIANT_DOES_NOT_EXIST"}
    ]
    assert body["product"] is None and body["productVariants"] is None
    prices = _prices(shopify_sandbox.control)
    assert prices == {"OX-S-BLU": "30.00", "OX-M-BLU": "32.50"}


def test_bulk_update_refuses_another_products_variant_and_an_unknown_product(shopify_sandbox):
    client = shopify_sandbox.client()
    product = _create_shirt(client)
    other = shopify_sandbox.control.request(
        "POST", "products", products=[{"title": "Cap", "sku": "CAP", "price": "9.00"}]
    )["products"][0]
    with pytest.raises(ShopifyUserError) as caught:
        client.mutate(
            "productVariantsBulkUpdate",
            {
                "productId": product["id"],
                "variants": [{"id": other["variants"][0]["admin_graphql_api_id"], "price": "1.00"}],
            },
        )
    assert caught.value.code == "MUST_BE_FOR_THIS_PRODUCT"
    assert caught.value.user_errors[0]["field"] == ["variants", "0", "id"]
    with pytest.raises(ShopifyUserError) as caught:
        client.mutate(
            "productVariantsBulkUpdate",
            {"productId": "gid://shopify/Product/424242", "variants": []},
        )
    assert caught.value.code == "PRODUCT_DOES_NOT_EXIST"
    assert _products(shopify_sandbox.control)["Cap"]["variants"][0]["price"] == "9.00"


def test_bulk_create_adds_variants_and_their_option_values(shopify_sandbox):
    client = shopify_sandbox.client()
    product = _create_shirt(client)
    large = {
        "optionValues": [
            {"optionName": "Size", "name": "L"},
            {"optionName": "Colour", "name": "Blue"},
        ],
        "price": "34.00",
        "inventoryItem": {"sku": "OX-L-BLU"},
    }
    payload = client.mutate(
        "productVariantsBulkCreate", {"productId": product["id"], "variants": [large]}
    )
    (made,) = payload["productVariants"]
    assert made["sku"] == "OX-L-BLU" and made["price"] == "34.00"
    assert made["product"]["id"] == product["id"]
    stored = _products(shopify_sandbox.control)["Oxford shirt"]
    assert [v["sku"] for v in stored["variants"]] == ["OX-S-BLU", "OX-M-BLU", "OX-L-BLU"]
    size = next(o for o in stored["options"] if o["name"] == "Size")
    assert [v["name"] for v in size["values"]] == ["S", "M", "L"]

    with pytest.raises(ShopifyUserError) as caught:
        client.mutate(
            "productVariantsBulkCreate", {"productId": product["id"], "variants": [large]}
        )
    assert caught.value.code == "VARIANT_ALREADY_EXISTS"


def test_bulk_create_on_a_default_product_replaces_its_default_variant(shopify_sandbox):
    client = shopify_sandbox.client()
    made = shopify_sandbox.control.request(
        "POST", "products", products=[{"title": "Sock", "sku": "SOCK", "price": "5.00"}]
    )["products"][0]
    client.mutate(
        "productVariantsBulkCreate",
        {
            "productId": made["admin_graphql_api_id"],
            "variants": [
                {
                    "optionValues": [{"optionName": "Size", "name": n}],
                    "inventoryItem": {"sku": f"SOCK-{n}"},
                }
                for n in ("S", "M")
            ],
        },
    )
    stored = _products(shopify_sandbox.control)["Sock"]
    assert [v["sku"] for v in stored["variants"]] == ["SOCK-S", "SOCK-M"]
    assert [o["name"] for o in stored["options"]] == ["Size"]


def test_variants_by_sku_finds_several_skus_and_pages(shopify_sandbox):
    control = shopify_sandbox.control
    control.request(
        "POST",
        "products",
        products=[
            {"title": "A", "sku": "A-1"},
            {"title": "B", "sku": "B 2"},
            {"title": "C", "sku": "C-3"},
        ],
    )
    client = shopify_sandbox.client()
    data = client.execute(
        "productVariantsBySku", {"first": 10, "query": 'sku:A-1 OR sku:"B 2" OR sku:NOPE'}
    )
    nodes = data["productVariants"]["nodes"]
    assert sorted(n["sku"] for n in nodes) == ["A-1", "B 2"]
    assert all(n["product"]["id"].startswith("gid://shopify/Product/") for n in nodes)

    page = _raw(
        shopify_sandbox,
        """query($after: String) { productVariants(first: 2, after: $after) {
          nodes { sku } pageInfo { hasNextPage endCursor } } }""",
    )["data"]["productVariants"]
    assert [n["sku"] for n in page["nodes"]] == ["A-1", "B 2"] and page["pageInfo"]["hasNextPage"]
    rest = _raw(
        shopify_sandbox,
        """query($after: String) { productVariants(first: 2, after: $after) {
          nodes { sku } pageInfo { hasNextPage } } }""",
        {"after": page["pageInfo"]["endCursor"]},
    )["data"]["productVariants"]
    assert [n["sku"] for n in rest["nodes"]] == ["C-3"] and not rest["pageInfo"]["hasNextPage"]

    product_id = nodes[0]["product"]["id"].rsplit("/", 1)[1]
    by_product = _raw(
        shopify_sandbox,
        "query($q: String) { productVariants(first: 5, query: $q) { nodes { sku } } }",
        {"q": f"product_id:{product_id}"},
    )["data"]["productVariants"]["nodes"]
    assert len(by_product) == 1


def test_variants_by_sku_costs_by_the_page_size(shopify_sandbox):
    response = requests.post(
        shopify_sandbox.client().url,
        json={
            "query": 'query { productVariants(first: 50, query: "sku:X") { nodes { id sku '
            "inventoryItem { id } product { id } } } }"
        },
        headers={"X-Shopify-Access-Token": shopify_sandbox.access_token},
        timeout=5,
    ).json()
    assert response["extensions"]["cost"]["requestedQueryCost"] == 2 + 50 * 3


def test_price_list_fixed_prices_add_replaces_and_checks_the_currency(shopify_sandbox):
    client = shopify_sandbox.client()
    control = shopify_sandbox.control
    company = control.create_company(name="Acme", locations=["HQ"])
    price_list = control.request(
        "POST",
        "price_lists",
        name="Acme EUR",
        currency="EUR",
        company_location_ids=[company["locations"][0]["id"]],
    )
    product = _create_shirt(client)
    small, medium = product["variants"]["nodes"]

    lists = client.execute("priceLists", {"first": 10})["priceLists"]
    assert lists["nodes"] == [
        {
            "id": price_list["admin_graphql_api_id"],
            "name": "Acme EUR",
            "currency": "EUR",
            "catalog": {"id": price_list["catalog_admin_graphql_api_id"], "title": "Acme EUR"},
        }
    ]
    assert lists["pageInfo"]["hasNextPage"] is False

    def add(prices):
        return client.mutate(
            "priceListFixedPricesAdd",
            {"priceListId": price_list["admin_graphql_api_id"], "prices": prices},
        )

    eur = {"amount": "25.00", "currencyCode": "EUR"}
    payload = add([{"variantId": small["id"], "price": eur}])
    assert payload["prices"] == [{"variant": {"id": small["id"]}}]
    add([{"variantId": small["id"], "price": {"amount": "24.00", "currencyCode": "EUR"}}])
    (stored,) = control.price_lists()
    assert stored["prices"] == {
        small["id"].rsplit("/", 1)[1]: {"price": "24.00", "compare_at_price": None}
    }

    with pytest.raises(ShopifyUserError) as caught:
        add(
            [
                {"variantId": medium["id"], "price": eur},
                {"variantId": small["id"], "price": {"amount": "1.00", "currencyCode": "USD"}},
            ]
        )
    assert caught.value.code == "PRICE_LIST_CURRENCY_MISMATCH"
    assert caught.value.user_errors[0]["field"] == ["prices", "1", "price", "currencyCode"]
    with pytest.raises(ShopifyUserError) as caught:
        add([{"variantId": "gid://shopify/ProductVariant/5555555", "price": eur}])
    assert caught.value.code == "VARIANT_NOT_FOUND"
    (stored,) = control.price_lists()
    assert len(stored["prices"]) == 1  # all-or-nothing: the medium price was not written
    with pytest.raises(ShopifyUserError) as caught:
        client.mutate(
            "priceListFixedPricesAdd",
            {"priceListId": "gid://shopify/PriceList/1234567", "prices": []},
        )
    assert caught.value.code == "PRICE_LIST_NOT_FOUND"

    body = _raw(
        shopify_sandbox,
        """query($id: ID!) { priceList(id: $id) { fixedPricesCount
          prices(first: 5, originType: FIXED) { nodes { price { amount currencyCode }
            originType variant { sku } } }
          catalog { ... on CompanyLocationCatalog { companyLocations(first: 5) {
            nodes { name } } } } } }""",
        {"id": price_list["admin_graphql_api_id"]},
    )["data"]["priceList"]
    assert body["fixedPricesCount"] == 1
    assert body["prices"]["nodes"] == [
        {
            "price": {"amount": "24.00", "currencyCode": "EUR"},
            "originType": "FIXED",
            "variant": {"sku": "OX-S-BLU"},
        }
    ]
    assert body["catalog"]["companyLocations"]["nodes"] == [{"name": "HQ"}]
    catalogs = _raw(
        shopify_sandbox,
        "{ catalogs(first: 5, type: COMPANY_LOCATION) { nodes { title status } } }",
    )["data"]["catalogs"]["nodes"]
    assert catalogs == [{"title": "Acme EUR", "status": "ACTIVE"}]


# -- staged uploads and bulk mutations ----------------------------------------------------

BULK_UPDATE = (
    "mutation call($productId: ID!, $variants: [ProductVariantsBulkInput!]!) { "
    "productVariantsBulkUpdate(productId: $productId, variants: $variants, "
    "allowPartialUpdates: true) { product { id } userErrors { field message code } } }"
)


def _stage(client, lines: list) -> str:
    """stagedUploadsCreate, then the multipart POST a client makes (parameters, file last)."""
    target = client.mutate(
        "stagedUploadsCreate",
        {
            "input": [
                {
                    "resource": "BULK_MUTATION_VARIABLES",
                    "filename": "bulk_op_vars.jsonl",
                    "mimeType": "text/jsonl",
                    "httpMethod": "POST",
                }
            ]
        },
    )["stagedTargets"][0]
    params = {p["name"]: p["value"] for p in target["parameters"]}
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    response = requests.post(
        target["url"],
        data=params,
        files={"file": ("bulk_op_vars.jsonl", text.encode(), "text/jsonl")},
        timeout=5,
    )
    assert response.status_code == 201, response.text
    assert "<PostResponse>" in response.text
    return params["key"]


def test_staged_upload_and_bulk_mutation_end_to_end(shopify_sandbox):
    shopify_sandbox.control.set_bulk(rows_per_second=0)
    client = shopify_sandbox.client()
    product = _create_shirt(client)
    small, medium = product["variants"]["nodes"]
    key = _stage(
        client,
        [
            {"productId": product["id"], "variants": [{"id": small["id"], "price": "11.00"}]},
            {"productId": product["id"], "variants": [{"id": medium["id"], "price": "-5.00"}]},
            "",
            {"productId": product["id"], "variants": "not a list of variants"},
        ],
    )
    # A bucket that barely refills: only the direct calls below may use it.
    shopify_sandbox.control.set_throttle(maximum_available=50, restore_rate=0.001)
    started = client.mutate(
        "bulkOperationRunMutation",
        {"mutation": BULK_UPDATE, "stagedUploadPath": key, "clientIdentifier": "sync-1"},
    )["bulkOperation"]
    assert started["status"] == "CREATED"

    operation = client.execute("bulkOperation", {"id": started["id"]})["bulkOperation"]
    assert operation["status"] == "COMPLETED" and operation["errorCode"] is None
    assert operation["objectCount"] == "3" and operation["partialDataUrl"] is None
    lines = [json.loads(x) for x in requests.get(operation["url"], timeout=5).text.splitlines()]
    assert lines[0] == {
        "data": {"productVariantsBulkUpdate": {"product": {"id": product["id"]}, "userErrors": []}},
        "__lineNumber": 0,
    }
    assert lines[1]["__lineNumber"] == 1
    assert lines[1]["data"]["productVariantsBulkUpdate"]["userErrors"] == [
        {
            "field": ["variants", "0", "price"],
            "message": "Price must be greater than or equal to 0",
            "code": "NEGATIVE_PRICE_VALUE",
        }
    ]
    assert lines[2]["__lineNumber"] == 3 and "data" not in lines[2]
    assert "variants" in lines[2]["errors"][0]["message"]
    prices = _prices(shopify_sandbox.control)
    assert prices == {"OX-S-BLU": "11.00", "OX-M-BLU": "32.50"}
    # The three lines did not use the cost bucket: 50 - 10 (run) - 1 (poll) - 1 (this).
    polled = _raw(
        shopify_sandbox, "query($id: ID!) { bulkOperation(id: $id) { id } }", {"id": started["id"]}
    )
    assert polled["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 38
    current = _raw(
        shopify_sandbox, "{ currentBulkOperation(type: MUTATION) { id status rootObjectCount } }"
    )["data"]["currentBulkOperation"]
    assert current == {"id": started["id"], "status": "COMPLETED", "rootObjectCount": "3"}


def test_bulk_mutation_refusals(shopify_sandbox):
    client = shopify_sandbox.client()
    key = _stage(client, [{"productId": "gid://shopify/Product/1", "variants": []}])

    def run(mutation, path):
        with pytest.raises(ShopifyUserError) as caught:
            client.mutate(
                "bulkOperationRunMutation", {"mutation": mutation, "stagedUploadPath": path}
            )
        return caught.value

    two_roots = 'mutation { a: productUpdate(product: {title: "x"}) { product { id } } '
    two_roots += 'b: productUpdate(product: {title: "y"}) { product { id } } }'
    assert run(two_roots, key).code == "INVALID_MUTATION"
    assert run("query { shop { id } }", key).code == "INVALID_MUTATION"
    assert run("mutation {", key).code == "INVALID_MUTATION"
    missing = run(BULK_UPDATE, "tmp/1/bulk/nope/bulk_op_vars.jsonl")
    assert missing.code == "NO_SUCH_FILE"
    assert "JSONL file could not be found" in str(missing)
    broken = _stage(client, ['{"productId": 1}', "{not json"])
    assert run(BULK_UPDATE, broken).code == "INVALID_STAGED_UPLOAD_FILE"


def test_upload_refuses_unknown_keys_and_bad_signatures(shopify_sandbox):
    client = shopify_sandbox.client()
    target = client.mutate(
        "stagedUploadsCreate",
        {
            "input": [
                {
                    "resource": "BULK_MUTATION_VARIABLES",
                    "filename": "vars.jsonl",
                    "mimeType": "text/jsonl",
                    "httpMethod": "POST",
                }
            ]
        },
    )["stagedTargets"][0]
    assert target["url"].startswith(shopify_sandbox.url + "/_uploads/")
    params = {p["name"]: p["value"] for p in target["parameters"]}
    assert {"key", "policy", "x-goog-signature", "Content-Type", "success_action_status"} <= set(
        params
    )
    forged = {**params, "key": "tmp/1/bulk/other/vars.jsonl"}
    response = requests.post(
        target["url"], data=forged, files={"file": ("v", b"{}\n", "text/jsonl")}, timeout=5
    )
    assert response.status_code == 403 and "AccessDenied" in response.text
    bad = {**params, "x-goog-signature": "00"}
    response = requests.post(
        target["url"], data=bad, files={"file": ("v", b"{}\n", "text/jsonl")}, timeout=5
    )
    assert response.status_code == 403


def test_a_sixth_running_bulk_mutation_is_refused(shopify_sandbox):
    # A slow pace keeps the first five running; none of this waits for them.
    shopify_sandbox.control.set_bulk(rows_per_second=0.001)
    client = shopify_sandbox.client()
    key = _stage(client, [{"product": {"id": "gid://shopify/Product/1", "title": "x"}}] * 3)
    mutation = (
        "mutation call($product: ProductUpdateInput!) { productUpdate(product: $product) "
        "{ product { id } userErrors { field message } } }"
    )
    ids = []
    for _ in range(5):
        ids.append(
            client.mutate(
                "bulkOperationRunMutation", {"mutation": mutation, "stagedUploadPath": key}
            )["bulkOperation"]["id"]
        )
    with pytest.raises(ShopifyUserError) as caught:
        client.mutate("bulkOperationRunMutation", {"mutation": mutation, "stagedUploadPath": key})
    assert caught.value.code == "LIMIT_REACHED"
    # Cancelling one frees a place.
    cancel = _raw(
        shopify_sandbox,
        "mutation($id: ID!) { bulkOperationCancel(id: $id) { bulkOperation { status } "
        "userErrors { message } } }",
        {"id": ids[0]},
    )["data"]["bulkOperationCancel"]
    assert cancel["bulkOperation"]["status"] == "CANCELING"
    shopify_sandbox.server.bulk.join(timeout=10, operation_ids=[ids[0]])
    cancelled = client.execute("bulkOperation", {"id": ids[0]})["bulkOperation"]
    assert cancelled["status"] == "CANCELED"
    # Its first line may or may not have run before the cancel; what ran is partial data.
    assert bool(cancelled["partialDataUrl"]) == (cancelled["objectCount"] != "0")
    client.mutate("bulkOperationRunMutation", {"mutation": mutation, "stagedUploadPath": key})
    shopify_sandbox.control.request("POST", "reset")  # ends the runners of this test


def test_bulk_knob_fails_operations_with_partial_data(shopify_sandbox):
    shopify_sandbox.control.set_bulk(rows_per_second=0, fail_after=1)
    client = shopify_sandbox.client()
    product = _create_shirt(client)
    small = product["variants"]["nodes"][0]
    line = {"productId": product["id"], "variants": [{"id": small["id"], "price": "12.00"}]}
    key = _stage(client, [line, line])
    started = client.mutate(
        "bulkOperationRunMutation", {"mutation": BULK_UPDATE, "stagedUploadPath": key}
    )["bulkOperation"]
    operation = client.execute("bulkOperation", {"id": started["id"]})["bulkOperation"]
    assert operation["status"] == "FAILED" and operation["errorCode"] == "INTERNAL_SERVER_ERROR"
    assert operation["url"] is None and operation["objectCount"] == "1"
    partial = requests.get(operation["partialDataUrl"], timeout=5).text.splitlines()
    assert len(partial) == 1


def test_order_variants_belong_to_a_default_product(shopify_sandbox):
    """Variants made for orders and inventory have their own "Default Title" product."""
    shopify_sandbox.control.create_order(lines=[{"sku": "TEE", "quantity": 1, "price": "9.00"}])
    data = shopify_sandbox.client().execute(
        "productVariantsBySku", {"first": 5, "query": "sku:TEE"}
    )
    (variant,) = data["productVariants"]["nodes"]
    assert variant["price"] == "9.00"
    product = _products(shopify_sandbox.control)["TEE"]
    assert product["admin_graphql_api_id"] == variant["product"]["id"]
    assert product["variants"][0]["title"] == "Default Title"
    node = _raw(
        shopify_sandbox,
        """query($id: ID!) { productVariant(id: $id) { displayName inventoryQuantity
          inventoryItem { variant { id } inventoryLevels(first: 2) {
            nodes { quantities(names: ["available"]) { quantity } } } } } }""",
        {"id": variant["id"]},
    )["data"]["productVariant"]
    assert node["displayName"] == "TEE - Default Title"
    assert node["inventoryItem"]["variant"]["id"] == variant["id"]
    # An order's variant is stocked with 100 at every location; the order took none yet.
    levels = node["inventoryItem"]["inventoryLevels"]["nodes"]
    assert [level["quantities"][0]["quantity"] for level in levels] == [100]
    assert node["inventoryQuantity"] == 100


def test_bulk_operations_run_in_the_background_at_the_configured_pace(shopify_sandbox):
    """The default: a thread runs the lines (here at a fast pace; joined, not slept on)."""
    shopify_sandbox.control.set_bulk(rows_per_second=100000)
    client = shopify_sandbox.client()
    product = _create_shirt(client)
    small = product["variants"]["nodes"][0]
    lines = [
        {"productId": product["id"], "variants": [{"id": small["id"], "price": f"{n}.00"}]}
        for n in range(1, 21)
    ]
    key = _stage(client, lines)
    started = client.mutate(
        "bulkOperationRunMutation", {"mutation": BULK_UPDATE, "stagedUploadPath": key}
    )["bulkOperation"]
    assert started["status"] == "CREATED"
    shopify_sandbox.server.bulk.join(timeout=30, operation_ids=[started["id"]])
    operation = client.execute("bulkOperation", {"id": started["id"]})["bulkOperation"]
    assert operation["status"] == "COMPLETED" and operation["objectCount"] == "20"
    assert _prices(shopify_sandbox.control)["OX-S-BLU"] == "20.00"  # the lines ran in order


def test_a_restart_fails_the_operations_it_interrupted(tmp_path):
    from connector.shopify.client import ShopifyClient
    from sandbox.shopify import DEFAULT_ACCESS_TOKEN, DEFAULT_SHOP_DOMAIN, ShopifySandbox

    state = tmp_path / "shopify.json"
    first = ShopifySandbox(state_path=state, bulk_rows_per_second=0.001, restore_rate=10000)
    client = ShopifyClient(DEFAULT_SHOP_DOMAIN, DEFAULT_ACCESS_TOKEN, endpoint=first.start())
    try:
        product = _create_shirt(client)
        small = product["variants"]["nodes"][0]
        line = {"productId": product["id"], "variants": [{"id": small["id"], "price": "1.00"}]}
        key = _stage(client, [line, line])
        started = client.mutate(
            "bulkOperationRunMutation", {"mutation": BULK_UPDATE, "stagedUploadPath": key}
        )["bulkOperation"]
    finally:
        first.stop()
        first.bulk.join(timeout=10)

    second = ShopifySandbox(state_path=state, bulk_rows_per_second=0)
    client = ShopifyClient(DEFAULT_SHOP_DOMAIN, DEFAULT_ACCESS_TOKEN, endpoint=second.start())
    try:
        operation = client.execute("bulkOperation", {"id": started["id"]})["bulkOperation"]
        assert operation["status"] == "FAILED"
        assert operation["errorCode"] == "INTERNAL_SERVER_ERROR"
        # Products, the upload and its file survived: the same file runs again.
        again = client.mutate(
            "bulkOperationRunMutation", {"mutation": BULK_UPDATE, "stagedUploadPath": key}
        )["bulkOperation"]
        done = client.execute("bulkOperation", {"id": again["id"]})["bulkOperation"]
        assert done["status"] == "COMPLETED" and done["objectCount"] == "2"
    finally:
        second.stop()


def test_each_mutation_answers_codes_of_its_own_enum(shopify_sandbox):
    """A too-long SKU is TOO_LONG for the update and INVALID for the create (its enum has no
    TOO_LONG); a code outside the enum would be a GraphQL error instead of a userError."""
    client = shopify_sandbox.client()
    product = _create_shirt(client)
    small = product["variants"]["nodes"][0]
    long_sku = {"sku": "X" * 256}
    with pytest.raises(ShopifyUserError) as caught:
        client.mutate(
            "productVariantsBulkUpdate",
            {
                "productId": product["id"],
                "variants": [{"id": small["id"], "inventoryItem": long_sku}],
            },
        )
    assert caught.value.code == "TOO_LONG"
    assert caught.value.user_errors[0]["field"] == ["variants", "0", "inventoryItem", "sku"]
    with pytest.raises(ShopifyUserError) as caught:
        client.mutate(
            "productVariantsBulkCreate",
            {
                "productId": product["id"],
                "variants": [
                    {
                        "optionValues": [
                            {"optionName": "Size", "name": "XS"},
                            {"optionName": "Colour", "name": "Blue"},
                        ],
                        "inventoryItem": long_sku,
                    }
                ],
            },
        )
    assert caught.value.code == "INVALID"
    with pytest.raises(ShopifyUserError) as caught:
        client.mutate(
            "productVariantsBulkCreate",
            {
                "productId": product["id"],
                "variants": [{"optionValues": [{"optionName": "Fabric", "name": "Silk"}]}],
            },
        )
    assert caught.value.code == "OPTION_VALUES_FOR_NUMBER_OF_UNKNOWN_OPTIONS"
