"""The product sync's pure functions: items → products, what is sent, fingerprints."""

from decimal import Decimal

from connector.netsuite.catalogue import ItemProduct
from flows.product_to_shopify import mapping
from flows.product_to_shopify.mapping import Pricing


def item(internal_id, sku, **kw) -> ItemProduct:
    return ItemProduct(internal_id=internal_id, sku=sku, last_modified="", **kw)


PARENT = item("10", "TEE", title="Tee", description="<p>Soft</p>", matrix_type="_parent")


def child(internal_id, sku, size, colour="Red", price="20.00"):
    return item(
        internal_id,
        sku,
        matrix_type="_child",
        parent_id="10",
        options=[("custitem_size", size), ("custitem_colour", colour)],
        prices={("1", "1"): Decimal(price), ("7", "1"): Decimal("25.00")},
        weight=Decimal("0.5"),
        weight_unit="_lb",
        barcode="123",
    )


def test_matrix_children_become_one_product_with_options():
    products, orphans = mapping.products_of(
        [child("11", "TEE-S", "S"), child("12", "TEE-M", "M"), item("20", "MUG")],
        {"10": PARENT},
        Pricing(compare_at_level="7"),
    )
    assert orphans == []
    tee, mug = products
    assert (tee.key, tee.title, tee.options) == ("10", "Tee", ["Size", "Colour"])
    created = tee.set_input()
    assert created["productOptions"] == [
        {"name": "Size", "values": [{"name": "S"}, {"name": "M"}]},
        {"name": "Colour", "values": [{"name": "Red"}]},
    ]
    first = created["variants"][0]
    assert first["optionValues"] == [
        {"optionName": "Size", "name": "S"},
        {"optionName": "Colour", "name": "Red"},
    ]
    assert (first["price"], first["compareAtPrice"], first["barcode"]) == ("20.00", "25.00", "123")
    assert first["inventoryItem"] == {
        "sku": "TEE-S",
        "measurement": {"weight": {"value": 0.5, "unit": "POUNDS"}},
    }
    # A standalone item: one default variant.
    assert mug.set_input()["productOptions"] == [
        {"name": "Title", "values": [{"name": "Default Title"}]}
    ]
    assert mug.set_input()["status"] == "ACTIVE"


def test_a_child_without_its_parent_is_left_out():
    products, orphans = mapping.products_of([child("11", "TEE-S", "S")], {}, Pricing())
    assert products == [] and [o.sku for o in orphans] == ["TEE-S"]


def test_kept_fields_are_not_sent_and_not_in_the_fingerprint():
    (tee,), _ = mapping.products_of([child("11", "TEE-S", "S")], {"10": PARENT}, Pricing())
    variant = tee.variants[0]
    kept = frozenset({"barcode", "weight", "compare_at_price"})
    assert variant.fields(kept) == {"inventoryItem": {"sku": "TEE-S"}, "price": "20.00"}
    assert tee.fields(frozenset({"title", "description"})) == {"status": "ACTIVE"}
    # A change in a kept field does not change what is written.
    before = variant.fingerprint(kept)
    variant.item.barcode = "999"
    assert variant.fingerprint(kept) == before
    assert variant.fingerprint(frozenset()) != before


def test_option_names_and_refused_indexes():
    assert mapping.option_name("custitem_shirt_size") == "Shirt size"
    assert mapping.option_name("custitemcolor") == "Color"
    errors = [
        {"field": ["variants", "1", "price"], "message": "Price must be positive"},
        {"field": ["productId"], "message": "Product does not exist"},
    ]
    assert mapping.refused_indexes(errors, 2) == {
        1: "Price must be positive",
        -1: "Product does not exist",
    }
