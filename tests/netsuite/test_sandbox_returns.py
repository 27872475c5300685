"""The sandbox account's returns over SOAP, as NetSuite has them: a Return Authorization
initialized from a sales order (lines with their locations, no shipping), stored, read and
found by createdFrom; a credit from it only once approved; stock put back at a credit line's
location, never by the RA and never for other-charge lines."""

from decimal import Decimal

import pytest

from connector.netsuite import records
from connector.netsuite.errors import NetSuiteRecordError

from .test_sandbox_money import _setup


def _order_at(client, customer, ids, location="5"):
    so = records.sales_order(
        "so-ra",
        customer=records.ref(customer["internalId"]),
        lines=[
            {"item": records.ref(ids["SKU-1"]), "quantity": 3, "rate": "20"},
            {"item": records.ref(ids["SHOPIFY-TAX"]), "amount": 6.0},
        ],
    )
    so.itemList.item[0].location = records.ref(location)
    so.shippingCost = 4.0
    return client.upsert(so).internal_id


def _stock(control, sku) -> dict[str, Decimal]:
    (item,) = [r for r in control.records("inventoryItem") if r["fields"]["itemId"] == sku]
    return {
        row["locationId"]["internalId"]: Decimal(row["quantityOnHand"])
        for row in item["fields"].get("locationsList") or []
    }


@pytest.mark.parametrize("target", ["creditMemo", "cashRefund"])
def test_return_authorization_then_credit_restocks_at_the_line_location(netsuite_sandbox, target):
    control, client = netsuite_sandbox.control, netsuite_sandbox.client()
    customer, ids = _setup(control)
    control.post(
        "inventory-items",
        {"items": [{"sku": "SKU-1", "locations": [{"location": "5", "available": 2}]}]},
    )
    so_id = _order_at(client, customer, ids)

    ra = client.initialize("returnAuthorization", "salesOrder", internal_id=so_id)
    assert ra.itemList.item[0].location.internalId == "5"  # the line's location travels
    assert not hasattr(ra, "shippingCost")  # an RA has no shipping
    ra.externalId = "shopify-return-1"
    ra.itemList.item = [ra.itemList.item[0]]
    ra.itemList.item[0].quantity = 2
    ra.itemList.item[0].amount = 40.0
    ra.itemList.item[0].location = records.ref("7")
    ra.subTotal = ra.total = None
    ra_id = client.add(ra).internal_id
    stored = client.get("returnAuthorization", internal_id=ra_id)
    assert (stored.orderStatus, stored.subTotal, stored.total) == ("_pendingApproval", 40.0, 40.0)
    assert stored.createdFrom.internalId == so_id
    assert [r.internalId for r in client.find_created_from([so_id], ("returnAuthorization",))] == [
        ra_id
    ]
    assert _stock(control, "SKU-1") == {"5": 2}  # an RA moves no stock

    # Not approved yet: NetSuite offers no credit.
    with pytest.raises(NetSuiteRecordError) as refused:
        client.initialize(target, "returnAuthorization", internal_id=ra_id)
    assert refused.value.code == "INVALID_INITIALIZE_REF"
    client.update(
        records.record("ReturnAuthorization", internalId=ra_id, orderStatus="_pendingReceipt")
    )

    credit = client.initialize(target, "returnAuthorization", internal_id=ra_id)
    assert credit.createdFrom.internalId == ra_id
    assert [(line.quantity, line.amount) for line in credit.itemList.item] == [(2.0, 40.0)]
    credit.externalId = "shopify-refund-1"
    credit.subTotal = credit.total = None
    credit_id = client.add(credit).internal_id
    assert client.get(target, internal_id=credit_id).total == 40.0
    assert _stock(control, "SKU-1") == {"5": 2, "7": 2}  # back at the credit line's location


def test_credit_lines_without_location_or_of_charge_items_move_no_stock(netsuite_sandbox):
    control, client = netsuite_sandbox.control, netsuite_sandbox.client()
    customer, ids = _setup(control)
    control.post(
        "inventory-items",
        {"items": [{"sku": "SKU-1", "locations": [{"location": "5", "available": 2}]}]},
    )
    so_id = _order_at(client, customer, ids)
    control.order(so_id, "approve")
    control.order(so_id, "bill", **{"as": "invoice"})
    (invoice,) = client.find_created_from([so_id], ("invoice",))
    memo = client.initialize("creditMemo", "invoice", internal_id=invoice.internalId)
    memo.itemList.item[0].location = None  # no location: NetSuite's default, no stock here
    memo.externalId = "m-1"
    memo.subTotal = memo.total = None
    client.add(memo)
    assert _stock(control, "SKU-1") == {"5": 2}
