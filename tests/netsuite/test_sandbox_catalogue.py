"""Items as products from the NetSuite sandbox: prices per level, matrix parents and children
with their options, weights and UPCs, read by the client's catalogue parser over HTTP; and
items by internal id (a changed child's parent)."""

from datetime import UTC, datetime
from decimal import Decimal


def _catalogue(netsuite_sandbox):
    return netsuite_sandbox.control.post(
        "inventory-items",
        {
            "items": [
                {
                    "sku": "TEE",
                    "name": "Organic tee",
                    "matrix": "parent",
                    "storeDescription": "<p>Soft</p>",
                    "lastModified": "2026-01-01T00:00:00Z",
                },
                {
                    "sku": "TEE-S",
                    "parent": "TEE",
                    "options": {"custitem_size": "S", "custitem_colour": "Red"},
                    "prices": [
                        {"level": 1, "price": "20.00"},
                        {"level": 1, "price": "18.00", "quantity": 10},
                        {"level": 5, "price": "15.50"},
                    ],
                    "weight": 0.25,
                    "weightUnit": "_kg",
                    "upc": "0123456789012",
                    "lastModified": "2026-03-01T00:00:00Z",
                },
                {
                    "sku": "MUG",
                    "name": "Mug",
                    "description": "Stoneware",
                    "prices": {"1": "9.99"},
                    "inactive": True,
                    "lastModified": "2026-03-02T00:00:00Z",
                },
            ]
        },
    )["internalIds"]


def test_items_read_as_products_with_prices_options_and_matrix(netsuite_sandbox):
    ids = _catalogue(netsuite_sandbox)
    client = netsuite_sandbox.client()
    page = client.item_catalogue(datetime(2026, 2, 1, tzinfo=UTC))
    by_sku = {i.sku: i for i in page.items}
    assert set(by_sku) == {"TEE-S", "MUG"}
    tee_s = by_sku["TEE-S"]
    assert tee_s.is_child and tee_s.parent_id == ids["TEE"]
    assert tee_s.options == [("custitem_size", "S"), ("custitem_colour", "Red")]
    # The first quantity tier is the price; other levels by their id.
    assert tee_s.price("1") == Decimal("20.00")
    assert tee_s.price("5") == Decimal("15.50")
    assert (tee_s.weight, tee_s.weight_unit, tee_s.barcode) == (
        Decimal("0.25"),
        "_kg",
        "0123456789012",
    )
    mug = by_sku["MUG"]
    assert (mug.title, mug.description, mug.inactive, mug.matrix_type) == (
        "Mug",
        "Stoneware",
        True,
        "",
    )
    (parent,) = client.items_by_id([ids["TEE"]])
    assert parent.is_parent and parent.title == "Organic tee"
    assert parent.description == "<p>Soft</p>"
    assert client.items_by_id([]) == []
