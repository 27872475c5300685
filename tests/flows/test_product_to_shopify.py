"""Products: NetSuite items → Shopify products and variants, and price levels → B2B price
lists, against both sandboxes over real HTTP."""

from __future__ import annotations

import importlib

import pytest
from django.test import override_settings

from connector import bindings
from connector.models import ItemBinding, PriceLevelMapping
from flows.models import RunStatus
from tests.factories import make_admin
from transactions import actions
from transactions.actions import run_post
from transactions.models import Kind, Status, Transaction

from .conftest import run_flow, set_options

pytestmark = pytest.mark.django_db(transaction=True)

FLOW = "product_to_shopify"
T0 = "2026-11-02T10:00:00Z"
T1 = "2026-11-03T10:00:00Z"
T2 = "2026-11-04T10:00:00Z"
run_module = importlib.import_module("flows.product_to_shopify.run")


class Catalogue:
    """Both sides of one test: NetSuite items (standalone and matrix) and Shopify products."""

    def __init__(self, connector, shopify_sandbox, netsuite_sandbox):
        self.connector = connector
        self.shopify = shopify_sandbox
        self.netsuite = netsuite_sandbox

    def items(self, *specs) -> dict[str, str]:
        return self.netsuite.control.post("inventory-items", {"items": list(specs)})["internalIds"]

    def tee(self, when=T0, price_s="20.00", price_m="20.00", **parent):
        return self.items(
            {
                "sku": "TEE",
                "name": "Organic tee",
                "matrix": "parent",
                "storeDescription": "<p>Soft cotton</p>",
                "lastModified": when,
                **parent,
            },
            child("TEE-S", "S", price_s, when),
            child("TEE-M", "M", price_m, when),
        )

    def products(self) -> list[dict]:
        return self.shopify.control.request("GET", "products")["products"]

    def product(self, title: str) -> dict:
        (found,) = [p for p in self.products() if p["title"] == title]
        return found

    def variant(self, sku: str) -> dict:
        for product in self.products():
            for variant in product["variants"]:
                if variant["sku"] == sku:
                    return variant
        raise AssertionError(f"no variant {sku}")

    def mutations(self, *names) -> list[dict]:
        return [m for m in self.shopify.control.mutations() if m["mutation"] in names]


def child(sku, size, price, when=T0, **extra):
    return {
        "sku": sku,
        "parent": "TEE",
        "options": {"custitem_size": size},
        "prices": {"1": price, "2": "30.00", "5": str(float(price) - 3)},
        "weight": 0.4,
        "weightUnit": "_lb",
        "upc": f"UPC-{sku}",
        "lastModified": when,
        **extra,
    }


@pytest.fixture
def catalogue(wired, shopify_sandbox, netsuite_sandbox):
    return Catalogue(wired, shopify_sandbox, netsuite_sandbox)


def test_new_matrix_and_standalone_items_become_products(catalogue):
    set_options(catalogue.connector, product_compare_at_price_level_id="2")
    catalogue.tee()
    catalogue.items(
        {
            "sku": "MUG",
            "name": "Mug",
            "description": "Stoneware",
            "prices": {"1": "9.99"},
            "lastModified": T0,
        }
    )
    run = run_flow(catalogue.connector, FLOW)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.failed == 0
    assert run.summary["products_created"] == 2

    tee = catalogue.product("Organic tee")
    assert tee["description_html"] == "<p>Soft cotton</p>"
    assert tee["status"] == "ACTIVE"
    assert [o["name"] for o in tee["options"]] == ["Size"]
    by_sku = {v["sku"]: v for v in tee["variants"]}
    assert set(by_sku) == {"TEE-S", "TEE-M"}
    small = by_sku["TEE-S"]
    assert (small["price"], small["compare_at_price"], small["barcode"]) == (
        "20.00",
        "30.00",
        "UPC-TEE-S",
    )
    assert small["weight"]["unit"] == "POUNDS" and float(small["weight"]["value"]) == 0.4
    mug = catalogue.product("Mug")
    assert [(v["sku"], v["price"]) for v in mug["variants"]] == [("MUG", "9.99")]

    # Created with productSet (one call a product), each after a read by SKU; bound both ways.
    assert len(catalogue.mutations("productSet")) == 2
    binding = ItemBinding.objects.get(connector=catalogue.connector, sku="TEE-S")
    assert binding.shopify_variant_id == str(small["id"])
    assert binding.netsuite_item_id
    product = bindings.find(catalogue.connector, "product", shopify_id=str(tee["id"]))
    assert product is not None and product.origin == "netsuite"
    # Successes do not bury the transactions page.
    assert not Transaction.objects.filter(kind=Kind.PRODUCT).exists()


def test_a_rerun_writes_nothing_and_a_price_change_is_one_bulk_update(catalogue):
    catalogue.tee()
    run_flow(catalogue.connector, FLOW)
    before = len(catalogue.shopify.control.mutations())

    again = run_flow(catalogue.connector, FLOW, scope=["full"])
    assert again.status == RunStatus.SUCCEEDED, again.error
    assert again.posted == 0 and again.summary["unchanged"] == 3
    assert len(catalogue.shopify.control.mutations()) == before
    assert len(catalogue.products()) == 1

    catalogue.tee(when=T1, price_s="22.50")
    changed = run_flow(catalogue.connector, FLOW)
    assert changed.status == RunStatus.SUCCEEDED, changed.error
    assert changed.summary["variants_updated"] == 1
    (update,) = catalogue.mutations("productVariantsBulkUpdate")
    (sent,) = update["variables"]["variants"]
    assert sent["price"] == "22.50" and sent["inventoryItem"]["sku"] == "TEE-S"
    # Never a full replace of an existing product.
    assert len(catalogue.mutations("productSet")) == 1
    assert catalogue.variant("TEE-S")["price"] == "22.50"
    assert catalogue.variant("TEE-M")["price"] == "20.00"
    assert len(catalogue.product("Organic tee")["variants"]) == 2


def test_fields_the_merchant_keeps_are_never_overwritten(catalogue):
    catalogue.tee()
    run_flow(catalogue.connector, FLOW)
    tee = catalogue.product("Organic tee")
    # The merchant retitles the product and changes a barcode in Shopify.
    client = catalogue.shopify.client()
    client.mutate(
        "productUpdate", {"product": {"id": tee["admin_graphql_api_id"], "title": "Best tee"}}
    )
    client.mutate(
        "productVariantsBulkUpdate",
        {
            "productId": tee["admin_graphql_api_id"],
            "variants": [
                {"id": catalogue.variant("TEE-S")["admin_graphql_api_id"], "barcode": "MINE"}
            ],
        },
    )
    set_options(catalogue.connector, shopify_keeps_title=True, shopify_keeps_barcode=True)
    # NetSuite renames the item and changes its price and UPC.
    catalogue.tee(when=T1, price_s="25.00", name="Tee (NS name)")
    catalogue.items(child("TEE-S", "S", "25.00", T1, upc="NS-UPC"))
    run = run_flow(catalogue.connector, FLOW)
    assert run.status == RunStatus.SUCCEEDED, run.error
    tee = catalogue.product("Best tee")
    assert catalogue.variant("TEE-S")["barcode"] == "MINE"
    assert catalogue.variant("TEE-S")["price"] == "25.00"
    assert tee["description_html"] == "<p>Soft cotton</p>"
    for call in catalogue.mutations("productUpdate", "productVariantsBulkUpdate")[2:]:
        assert "title" not in str(call["variables"]) or "Best tee" in str(call["variables"])
        assert "barcode" not in str(call["variables"])


def test_a_new_matrix_child_is_added_to_the_existing_product(catalogue):
    catalogue.tee()
    run_flow(catalogue.connector, FLOW)
    catalogue.items(child("TEE-L", "L", "21.00", T1))
    run = run_flow(catalogue.connector, FLOW)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.summary["variants_created"] == 1
    tee = catalogue.product("Organic tee")
    assert sorted(v["sku"] for v in tee["variants"]) == ["TEE-L", "TEE-M", "TEE-S"]
    assert len(catalogue.mutations("productVariantsBulkCreate")) == 1
    assert len(catalogue.mutations("productSet")) == 1


def test_a_product_made_by_hand_is_found_by_sku_not_made_twice(catalogue):
    catalogue.shopify.control.request(
        "POST",
        "products",
        products=[
            {
                "title": "Hand-made mug",
                "variants": [{"sku": "MUG", "price": "5.00"}],
            }
        ],
    )
    catalogue.items({"sku": "MUG", "name": "Mug", "prices": {"1": "9.99"}, "lastModified": T0})
    run = run_flow(catalogue.connector, FLOW)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert len(catalogue.products()) == 1
    assert not catalogue.mutations("productSet")
    assert catalogue.variant("MUG")["price"] == "9.99"
    assert run.summary["found_by_sku"] == 1


def test_a_lost_create_answer_is_found_on_retry_and_not_made_twice(catalogue):
    catalogue.items({"sku": "MUG", "name": "Mug", "prices": {"1": "9.99"}, "lastModified": T0})
    # Shopify creates the product, and the answer never comes (a time-out well above a normal
    # answer even on a loaded machine, below the hang).
    catalogue.shopify.control.fail_next(1, "apply_then_hang", seconds=4, operation="productSet")
    with override_settings(HTTP_READ_TIMEOUT=1.5):
        run = run_flow(catalogue.connector, FLOW)
    assert run.failed == 1, (run.summary, catalogue.shopify.control.mutations())
    txn = Transaction.objects.get(kind=Kind.PRODUCT)
    assert txn.status == Status.ERROR and txn.payload["sku"] == "MUG"
    assert len(catalogue.products()) == 1  # it was made

    # The retry reads by SKU first, finds the product and binds it: no second product.
    actions.retry(make_admin(), txn.pk)
    run_post(txn.pk)
    txn.refresh_from_db()
    assert txn.status == Status.POSTED, txn.last_error
    assert len(catalogue.products()) == 1
    assert len(catalogue.mutations("productSet")) == 1


def test_price_levels_go_to_the_mapped_b2b_price_list(catalogue):
    price_list = catalogue.shopify.control.request(
        "POST", "price_lists", name="Wholesale", currency="USD"
    )
    PriceLevelMapping.objects.create(
        connector=catalogue.connector,
        netsuite_price_level_id="5",
        shopify_price_list_id=str(price_list["id"]),
    )
    catalogue.tee()
    run = run_flow(catalogue.connector, FLOW)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.summary["prices_written"] == 2
    fixed = catalogue.variant("TEE-S")["price_lists"][str(price_list["id"])]
    assert fixed["price"] == "17.00"
    # A re-run writes no price again; a changed level price is written alone.
    run_flow(catalogue.connector, FLOW, scope=["full"])
    assert len(catalogue.mutations("priceListFixedPricesAdd")) == 1
    catalogue.items(child("TEE-M", "M", "20.00", T1, prices={"1": "20.00", "5": "16.00"}))
    run_flow(catalogue.connector, FLOW)
    calls = catalogue.mutations("priceListFixedPricesAdd")
    assert len(calls) == 2 and len(calls[1]["variables"]["prices"]) == 1
    assert catalogue.variant("TEE-M")["price_lists"][str(price_list["id"])]["price"] == "16.00"


def test_a_missing_price_list_is_an_error_a_person_can_read(catalogue):
    PriceLevelMapping.objects.create(
        connector=catalogue.connector, netsuite_price_level_id="5", shopify_price_list_id="999"
    )
    catalogue.tee()
    run = run_flow(catalogue.connector, FLOW)
    assert run.failed == 2
    txn = Transaction.objects.filter(kind=Kind.PRODUCT).first()
    assert "price list 999" in txn.last_error and "does not exist" in txn.last_error


def test_above_the_threshold_updates_go_as_one_bulk_operation(catalogue):
    catalogue.shopify.control.request("POST", "bulk", rows_per_second=0)
    for n in range(4):
        catalogue.items(
            {"sku": f"CAP-{n}", "name": f"Cap {n}", "prices": {"1": "10.00"}, "lastModified": T0}
        )
    run_flow(catalogue.connector, FLOW)
    set_options(catalogue.connector, product_bulk_threshold=2)
    for n in range(4):
        catalogue.items(
            {"sku": f"CAP-{n}", "name": f"Cap {n}", "prices": {"1": "12.00"}, "lastModified": T1}
        )
    run = run_flow(catalogue.connector, FLOW)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.summary["bulk_operations"] == 1
    assert run.summary["variants_updated"] == 4
    assert not catalogue.mutations("productVariantsBulkUpdate")  # none sent one by one
    assert len(catalogue.mutations("bulkOperationRunMutation")) == 1
    assert all(catalogue.variant(f"CAP-{n}")["price"] == "12.00" for n in range(4))
    # The bulk results are bound like direct writes: a re-run writes nothing.
    again = run_flow(catalogue.connector, FLOW, scope=["full"])
    assert again.posted == 0 and len(catalogue.mutations("bulkOperationRunMutation")) == 1


def test_a_refused_variant_is_an_error_and_the_others_are_written(catalogue):
    catalogue.tee()
    run_flow(catalogue.connector, FLOW)
    catalogue.items(
        child("TEE-S", "S", "-1.00", T1, prices={"1": "-1.00"}),
        child("TEE-M", "M", "24.00", T1),
    )
    run = run_flow(catalogue.connector, FLOW)
    assert (run.posted, run.failed) == (1, 1)
    txn = Transaction.objects.get(kind=Kind.PRODUCT)
    assert txn.status == Status.ERROR and txn.payload["sku"] == "TEE-S"
    assert "TEE-S" in txn.last_error
    assert catalogue.variant("TEE-M")["price"] == "24.00"
    # Fixed in NetSuite: the next run writes it and closes the row.
    catalogue.items(child("TEE-S", "S", "19.00", T2))
    run_flow(catalogue.connector, FLOW)
    txn.refresh_from_db()
    assert txn.status == Status.POSTED
    assert catalogue.variant("TEE-S")["price"] == "19.00"


def test_a_refused_create_is_an_error_on_each_variant_and_a_later_run_creates_it(catalogue):
    four = {
        "custitem_size": "S",
        "custitem_colour": "Red",
        "custitem_fit": "Slim",
        "custitem_cut": "V",
    }
    catalogue.items(
        {"sku": "TEE", "name": "Organic tee", "matrix": "parent", "lastModified": T0},
        child("TEE-S", "S", "20.00", options=four),
    )
    run = run_flow(catalogue.connector, FLOW)
    assert run.failed == 1  # the child; the parent's outcome is its children's
    txn = Transaction.objects.get(kind=Kind.PRODUCT)
    assert txn.payload["sku"] == "TEE-S" and "Shopify refused to create" in txn.last_error
    assert catalogue.products() == []
    # Three options in NetSuite now: the next run creates it and closes the row.
    catalogue.items(child("TEE-S", "S", "20.00", T1, options={"custitem_size": "S"}))
    run = run_flow(catalogue.connector, FLOW)
    assert run.failed == 0, run.error
    txn.refresh_from_db()
    assert txn.status == Status.POSTED
    assert [v["sku"] for v in catalogue.product("Organic tee")["variants"]] == ["TEE-S"]
