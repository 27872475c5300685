"""Inventory items with stock per location in the NetSuite sandbox, found by lastModifiedDate;
searches return sublists only when asked (bodyFieldsOnly=false)."""

from datetime import UTC, datetime

from connector.netsuite import records


def _items(netsuite_sandbox):
    netsuite_sandbox.control.post(
        "inventory-items",
        {
            "items": [
                {
                    "sku": "OLD",
                    "lastModified": "2026-01-01T00:00:00Z",
                    "locations": [{"location": "1", "available": 3}],
                },
                {
                    "sku": "NEW",
                    "lastModified": "2026-03-01T00:00:00Z",
                    "locations": [
                        {"location": "1", "available": 4, "onHand": 6},
                        {"location": "2", "available": 1},
                    ],
                },
            ]
        },
    )


def test_item_stock_since_a_date_with_quantities_per_location(netsuite_sandbox):
    _items(netsuite_sandbox)
    client = netsuite_sandbox.client()
    page = client.item_stock(datetime(2026, 2, 1, tzinfo=UTC))
    assert [(i.sku, i.available) for i in page.items] == [("NEW", {"1": 4.0, "2": 1.0})]
    assert page.items[0].last_modified == "2026-03-01T00:00:00Z"
    assert len(client.item_stock().items) == 2


def test_body_fields_only_leaves_the_sublists_out(netsuite_sandbox):
    _items(netsuite_sandbox)
    client = netsuite_sandbox.client()
    search = records.item_stock_search(datetime(2026, 2, 1, tzinfo=UTC))
    for body_only, has_locations in ((True, False), (False, True)):
        prefs = client._msg("SearchPreferences")(bodyFieldsOnly=body_only, pageSize=10)
        result = client._call("search", searchRecord=search, _search_prefs=prefs)
        (item,) = result.recordList.record
        assert item.itemId == "NEW"
        assert (item.locationsList is not None) is has_locations
