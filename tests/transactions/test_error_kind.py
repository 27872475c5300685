from transactions.errors import error_kind


def test_messages_that_differ_only_in_ids_and_amounts_are_one_kind():
    a = error_kind("No NetSuite item has SKU “A-1” (order #1001).")
    b = error_kind("No NetSuite item has SKU “ZZ-9” (order #1042).")
    assert a == b == "No NetSuite item has SKU “…” (order …)."
    assert error_kind("NetSuite total 10.00 differs from Shopify total 12.50") == error_kind(
        "NetSuite total 7.10 differs from Shopify total 8.00"
    )
    assert error_kind("Customer bob@example.com: DUP_ENTITY") == "Customer …: DUP_ENTITY"


def test_different_messages_stay_apart_and_empty_is_empty():
    assert error_kind("Order … not found") != error_kind("Customer … not found")
    assert error_kind("") == ""
    assert error_kind("first line\nsecond line") == "first line"
    assert len(error_kind("x " * 500)) <= 200


def test_a_sku_without_digits_or_quotes_is_still_an_identifier():
    a = error_kind("SKU TEE-M on line 2 is not an item in NetSuite: create it or map it.")
    b = error_kind("SKU ABC-12 on line 1 is not an item in NetSuite: create it or map it.")
    assert a == b == "SKU … on line … is not an item in NetSuite: create it or map it."
    assert error_kind("Line 1 has no SKU in Shopify") == "Line … has no SKU in Shopify"
