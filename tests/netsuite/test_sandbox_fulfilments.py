"""Item fulfillments in the sandbox account: created from a sales order with lines and the four
package lists, changed later, and found by the lastModifiedDate search, honouring
bodyFieldsOnly."""

import datetime as dt

import pytest
import requests
from lxml import etree

from sandbox.control_client import ControlError


def _order(c, externalId="shopify-order-7"):
    c.items("SKU-A", "SKU-B")
    cust = c.customer(firstName="A", lastName="B")
    so = c.sales_order(
        cust["internalId"],
        [{"sku": "SKU-A", "quantity": 3, "rate": 5}, {"sku": "SKU-B", "quantity": 1, "rate": 7}],
        externalId=externalId,
    )
    c.order(so["internalId"], "approve")
    return so


def _fulfil(c, so_id, **data):
    return c.post("item-fulfillments", {"sales_order": so_id, **data})


def test_item_fulfillment_with_lines_and_all_package_lists(netsuite_sandbox):
    c = netsuite_sandbox.control
    so = _order(c)
    made = _fulfil(
        c,
        so["internalId"],
        lines=[{"orderLine": 1, "quantity": 2, "location": "7"}],
        packages={
            "packageList": ["GEN-1"],
            "packageUpsList": ["1ZUPS"],
            "packageFedExList": ["FDX-1"],
            "packageUspsList": ["USPS-1"],
        },
    )
    client = netsuite_sandbox.client()
    found = client.get("itemFulfillment", made["internalId"])
    assert found.createdFrom.internalId == so["internalId"]
    assert found.shipStatus == "_shipped"
    (line,) = found.itemList.item
    assert (line.orderLine, line.quantity, line.location.internalId) == (1, 2.0, "7")
    assert found.packageList.package[0].packageTrackingNumber == "GEN-1"
    assert found.packageUpsList.packageUps[0].packageTrackingNumberUps == "1ZUPS"
    assert found.packageFedExList.packageFedEx[0].packageTrackingNumberFedEx == "FDX-1"
    assert found.packageUspsList.packageUsps[0].packageTrackingNumberUsps == "USPS-1"
    assert c.records("salesOrder", internalId=so["internalId"])[0]["fields"]["orderStatus"] == (
        "_partiallyFulfilled"
    )


def test_more_than_left_on_the_order_line_is_refused(netsuite_sandbox):
    c = netsuite_sandbox.control
    so = _order(c)
    _fulfil(c, so["internalId"], lines=[{"orderLine": 1, "quantity": 2}])
    with pytest.raises(ControlError, match="1 left to fulfil"):
        _fulfil(c, so["internalId"], lines=[{"orderLine": 1, "quantity": 2}])


def test_search_by_last_modified_date_and_changes_bump_it(netsuite_sandbox):
    c = netsuite_sandbox.control
    so = _order(c)
    old = _fulfil(
        c,
        so["internalId"],
        lines=[{"orderLine": 2, "quantity": 1}],
        lastModifiedDate="2026-01-01T10:00:00.000Z",
    )
    new = _fulfil(
        c,
        so["internalId"],
        lines=[{"orderLine": 1, "quantity": 1}],
        shipStatus="_packed",
        lastModifiedDate="2026-01-02T10:00:00.000Z",
    )
    client = netsuite_sandbox.client()
    since = dt.datetime(2026, 1, 2, 10, tzinfo=dt.UTC)
    assert [r.internalId for r in client.find_modified_since(["itemFulfillment"], since)] == [
        new["internalId"]
    ]
    assert len(client.find_modified_since(["itemFulfillment"])) == 2
    # A tracking number typed later, and shipping, move lastModifiedDate.
    c.post(
        f"item-fulfillments/{old['internalId']}/packages",
        {"packages": {"packageUpsList": ["1ZNEW"]}, "lastModifiedDate": "2026-01-03T00:00:00Z"},
    )
    c.post(f"item-fulfillments/{new['internalId']}/ship", {})
    found = client.find_modified_since(
        ["itemFulfillment"], dt.datetime(2026, 1, 2, 12, tzinfo=dt.UTC)
    )
    assert {r.internalId for r in found} == {old["internalId"], new["internalId"]}
    by_id = {r.internalId: r for r in found}
    assert by_id[new["internalId"]].shipStatus == "_shipped"
    assert by_id[old["internalId"]].packageUpsList.packageUps[0].packageTrackingNumberUps == "1ZNEW"


def test_search_without_body_fields_only_false_has_no_sublists(netsuite_sandbox):
    c = netsuite_sandbox.control
    so = _order(c)
    _fulfil(c, so["internalId"], packages={"packageUpsList": ["1Z"]})
    client = netsuite_sandbox.client()
    search = __import__("connector.netsuite.records", fromlist=["x"]).modified_since_search(
        ["itemFulfillment"]
    )
    # The same search without search preferences: NetSuite's default is bodyFieldsOnly=true.
    envelope = client.envelope("search", searchRecord=search)
    response = requests.post(
        netsuite_sandbox.url,
        data=etree.tostring(envelope),
        headers={"Content-Type": "text/xml", "SOAPAction": "search"},
        timeout=5,
    )
    assert response.status_code == 200, response.text
    assert b"shipStatus" in response.content
    assert b"itemList" not in response.content and b"packageUpsList" not in response.content
    with_lists = client.find_modified_since(["itemFulfillment"])
    assert with_lists[0].itemList is not None and with_lists[0].packageUpsList is not None
