"""The pure decisions of flows/refunds/restock.py: where a refunded item goes back in
NetSuite, and which refunds are returns."""

from flows.refunds.restock import ReturnOptions, is_return, mapped_elsewhere, place

MAP = ReturnOptions(locations={"100": ["5", "8"], "200": ["7"]})


def line(restock="RETURN", location="100", sku="CAP-NAVY"):
    return {
        "sku": sku,
        "quantity": 1,
        "amount": "19.50",
        "restock_type": restock,
        "location_id": location,
    }


def test_mapped_location_prefers_the_order_lines_among_several():
    assert place(line(), "8", MAP).location == "8"
    assert place(line(), "3", MAP).location == "5"  # not among them: the lowest mapped
    assert place(line(location="200"), "5", MAP).location == "7"


def test_unmapped_or_missing_shopify_location_falls_back_to_the_order_line():
    for shopify_location in ("999", None):
        placed = place(line(location=shopify_location), "5", MAP)
        assert (placed.location, placed.as_adjustment) == ("5", False)
    placed = place(line(location=None), None, MAP)
    assert placed.location is None and "NetSuite uses its default" in placed.reason


def test_every_restocking_type_restocks_and_no_restock_never_does():
    for restock in ("RETURN", "CANCEL", "LEGACY_RESTOCK"):
        assert place(line(restock), "5", MAP).location == "5"
    not_restocked = place(line("NO_RESTOCK", location=None), "5", MAP)
    assert (not_restocked.location, not_restocked.as_adjustment) == (None, True)
    damaged = ReturnOptions(locations=MAP.locations, no_restock_location="9")
    placed = place(line("NO_RESTOCK", location=None), "5", damaged)
    assert (placed.location, placed.as_adjustment) == ("9", False)


def test_a_return_is_named_by_shopify_or_shown_by_a_returned_line():
    assert is_return({"return_id": "gid://shopify/Return/1", "lines": []})
    assert is_return({"lines": [line("CANCEL"), line("RETURN")]})
    assert not is_return({"lines": [line("CANCEL"), line("NO_RESTOCK")]})
    assert not is_return({})


def test_a_not_restocked_location_mapped_to_shopify_is_found():
    assert (
        mapped_elsewhere(ReturnOptions(locations=MAP.locations, no_restock_location="7")) == "200"
    )
    assert mapped_elsewhere(ReturnOptions(locations=MAP.locations, no_restock_location="9")) is None
    assert mapped_elsewhere(MAP) is None
