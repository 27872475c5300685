"""The sandbox account computes money as NetSuite does: line amounts, subTotal, total; the
computed fields are read-only; other-charge items carry tax and adjustments."""

from decimal import Decimal

import pytest
import requests
from lxml import etree

from connector.netsuite import records
from connector.netsuite.errors import NetSuiteRecordError
from sandbox.catalogue import DEMO_CHARGE_ITEMS
from sandbox.netsuite.demo import DEMO_SKUS, seed

MSGS = "urn:messages_2025_2.platform.webservices.netsuite.com"


def _setup(control):
    customer = control.customer(externalId="c-1", companyName="Acme")
    control.items("SKU-1", "SKU-2")
    charges = control.post(
        "items",
        {
            "items": [
                {"sku": "SHOPIFY-TAX", "type": "otherCharge"},
                {"sku": "SHOPIFY-ADJUSTMENT", "type": "otherCharge"},
            ]
        },
    )
    ids = {r["fields"]["itemId"]: r["internalId"] for r in control.records("inventoryItem")}
    ids.update({r["fields"]["itemId"]: r["internalId"] for r in charges})
    return customer, ids


def _order(customer, ids, external_id="so-1", **body):
    so = records.sales_order(
        external_id,
        customer=records.ref(customer["internalId"]),
        lines=[
            {"item": records.ref(ids["SKU-1"]), "quantity": 3, "rate": "19.99"},
            {"item": records.ref(ids["SKU-2"]), "quantity": 1, "rate": "5", "amount": 4.5},
            {"item": records.ref(ids["SHOPIFY-TAX"]), "amount": 6.12},
            {"item": records.ref(ids["SHOPIFY-ADJUSTMENT"]), "amount": -2.0},
        ],
    )
    for name, value in body.items():
        setattr(so, name, value)
    return so


def test_totals_are_computed_from_lines_shipping_and_handling(netsuite_sandbox):
    control = netsuite_sandbox.control
    client = netsuite_sandbox.client()
    customer, ids = _setup(control)
    ref = client.upsert(_order(customer, ids, shippingCost=5.0, handlingCost=1.25))
    so = client.get("salesOrder", internal_id=ref.internal_id)
    amounts = [line.amount for line in so.itemList.item]
    assert amounts == [59.97, 4.5, 6.12, -2.0]  # 3 × 19.99; sent amounts kept
    assert so.subTotal == 68.59
    assert so.total == 74.84  # + shipping 5.00 + handling 1.25
    # An update recomputes: new lines, no handling any more.
    update = records.record(
        "SalesOrder",
        internalId=ref.internal_id,
        itemList=records.factory("sales").SalesOrderItemList(
            item=[
                records.factory("sales").SalesOrderItem(
                    item=records.ref(ids["SKU-1"]), quantity=1, rate="10.005"
                )
            ]
        ),
        handlingCost=0.0,
    )
    client.update(update)
    so = client.get("salesOrder", internal_id=ref.internal_id)
    assert [line.amount for line in so.itemList.item] == [10.01]  # rounded half up
    assert (so.subTotal, so.total) == (10.01, 15.01)


@pytest.mark.parametrize("field", ["taxTotal", "subTotal", "total", "discountTotal"])
def test_computed_fields_are_read_only(netsuite_sandbox, field):
    control = netsuite_sandbox.control
    client = netsuite_sandbox.client()
    customer, ids = _setup(control)
    with pytest.raises(NetSuiteRecordError) as refused:
        client.upsert(_order(customer, ids, **{field: 4.5}))
    assert refused.value.code == "INSUFFICIENT_PERMISSION"
    assert f"set a value for element {field.lower()} due to" in str(refused.value)
    assert control.records("salesOrder") == []


def test_ignore_read_only_fields_preference_drops_them(netsuite_sandbox):
    control = netsuite_sandbox.control
    client = netsuite_sandbox.client()
    customer, ids = _setup(control)
    envelope = client.envelope("upsert", record=_order(customer, ids, taxTotal=99.0))
    header = envelope.find("{http://schemas.xmlsoap.org/soap/envelope/}Header")
    prefs = etree.SubElement(header, f"{{{MSGS}}}preferences")
    etree.SubElement(prefs, f"{{{MSGS}}}ignoreReadOnlyFields").text = "true"
    response = requests.post(netsuite_sandbox.url, data=etree.tostring(envelope), timeout=5)
    assert response.status_code == 200 and b'isSuccess="true"' in response.content
    fields = control.records("salesOrder")[0]["fields"]
    assert "taxTotal" not in fields
    assert Decimal(fields["total"]) == Decimal("68.59")


def test_body_discount_needs_a_discount_item(netsuite_sandbox):
    control = netsuite_sandbox.control
    client = netsuite_sandbox.client()
    customer, ids = _setup(control)
    with pytest.raises(NetSuiteRecordError) as refused:
        client.upsert(_order(customer, ids, discountRate="-3.00"))
    assert refused.value.code == "INSUFFICIENT_PERMISSION"
    assert "element discountrate" in str(refused.value)
    discount = control.post("items", {"items": [{"sku": "DISC", "type": "discount"}]})[0]
    ref = client.upsert(
        _order(
            customer,
            ids,
            discountItem=records.ref(discount["internalId"]),
            discountRate="-10%",
            shippingCost=5.0,
        )
    )
    so = client.get("salesOrder", internal_id=ref.internal_id)
    assert (so.subTotal, so.discountTotal, so.total) == (68.59, -6.86, 66.73)


def test_other_charge_items_are_found_by_item_id_and_unknown_items_refused(netsuite_sandbox):
    control = netsuite_sandbox.control
    client = netsuite_sandbox.client()
    customer, ids = _setup(control)
    found = client.find_item_by_sku("SHOPIFY-TAX")
    assert type(found).__name__ == "OtherChargeSaleItem"
    assert found.internalId == ids["SHOPIFY-TAX"]
    so = _order(customer, ids)
    so.itemList.item[2].item = records.ref("999999")
    with pytest.raises(NetSuiteRecordError) as refused:
        client.upsert(so)
    assert refused.value.code == "INVALID_KEY_OR_REF"


@pytest.mark.parametrize(
    ("bill_as", "target"), [("cashSale", "cashRefund"), ("invoice", "creditMemo")]
)
def test_initialize_copies_every_line_and_shipping_and_computes_totals(
    netsuite_sandbox, bill_as, target
):
    control = netsuite_sandbox.control
    client = netsuite_sandbox.client()
    customer, ids = _setup(control)
    ref = client.upsert(_order(customer, ids, shippingCost=5.0))
    bill = client.initialize(bill_as, "salesOrder", internal_id=ref.internal_id)
    assert [line.amount for line in bill.itemList.item] == [59.97, 4.5, 6.12, -2.0]
    assert (bill.shippingCost, bill.subTotal, bill.total) == (5.0, 68.59, 73.59)
    bill.externalId = f"bill-{bill_as}"
    with pytest.raises(NetSuiteRecordError):
        client.add(bill)  # the computed fields initialize returned are read-only
    bill.subTotal = bill.total = None
    bill_ref = client.add(bill)
    refund = client.initialize(target, bill_as, internal_id=bill_ref.internal_id)
    assert [line.amount for line in refund.itemList.item] == [59.97, 4.5, 6.12, -2.0]
    assert (refund.shippingCost, refund.total) == (5.0, 73.59)
    # A partial refund: one unit of the first line, plus the tax line, no shipping.
    refund.itemList.item = [refund.itemList.item[0], refund.itemList.item[2]]
    refund.itemList.item[0].quantity = 1
    refund.itemList.item[0].amount = None
    refund.itemList.item[1].amount = 2.04
    refund.shippingCost = None
    refund.subTotal = refund.total = None
    refund.externalId = "refund-1"
    refund_ref = client.add(refund)
    stored = control.records(target, internalId=refund_ref.internal_id)[0]["fields"]
    assert [line["amount"] for line in stored["itemList"]] == ["19.99", "2.04"]
    assert Decimal(stored["total"]) == Decimal("22.03")


def test_control_refund_with_lines_and_amount_only_lines(netsuite_sandbox):
    control = netsuite_sandbox.control
    customer, ids = _setup(control)
    so = control.sales_order(
        customer["internalId"],
        [
            {"sku": "SKU-1", "quantity": 2, "rate": "10"},
            {"sku": "SHOPIFY-TAX", "amount": "1.60"},
        ],
        shippingCost="4.00",
    )
    assert (so["fields"]["subTotal"], so["fields"]["total"]) == ("21.60", "25.60")
    control.order(so["internalId"], "approve")
    sale = control.order(so["internalId"], "bill", **{"as": "cashSale"})
    assert sale["fields"]["total"] == "25.60" and sale["fields"]["shippingCost"] == "4.00"
    refund = control.order(
        so["internalId"],
        "refund",
        lines=[
            {"item": ids["SKU-1"], "quantity": 1},
            {"item": ids["SHOPIFY-TAX"], "amount": "0.80"},
            {"item": ids["SHOPIFY-ADJUSTMENT"], "amount": "-1.00"},
        ],
        shippingCost="4.00",
    )
    amounts = [line["amount"] for line in refund["fields"]["itemList"]]
    assert amounts == ["10.00", "0.80", "-1.00"]
    assert refund["fields"]["total"] == "13.80"


def test_demo_catalogue_has_the_shopify_skus_and_the_charge_items(netsuite_sandbox):
    from sandbox.shopify.demo import CATALOGUE

    seed(netsuite_sandbox.server)
    control = netsuite_sandbox.control
    skus = {r["fields"]["itemId"] for r in control.records("inventoryItem")}
    assert skus == {sku for sku, _name, _price in CATALOGUE} == {s[0] for s in DEMO_SKUS}
    charges = {r["fields"]["itemId"] for r in control.records("otherChargeSaleItem")}
    assert (
        charges
        == set(DEMO_CHARGE_ITEMS)
        == {
            "SHOPIFY-TAX",
            "SHOPIFY-ADJUSTMENT",
            "SHOPIFY-DISCOUNT",
        }
    )


def _update_lines(client, internal_id, lines, replace_all=None):
    sales = records.factory("sales")
    item_list = sales.SalesOrderItemList(item=[sales.SalesOrderItem(**line) for line in lines])
    if replace_all is not None:
        item_list.replaceAll = replace_all
    client.update(records.record("SalesOrder", internalId=internal_id, itemList=item_list))
    return client.get("salesOrder", internal_id=internal_id)


def test_lines_are_numbered_and_replace_all_false_edits_only_the_lines_sent(netsuite_sandbox):
    # DOMAIN: replaceAll defaults to true (a line not sent is deleted); with replaceAll=false a
    # line is addressed by its `line` number and the others stay.
    client = netsuite_sandbox.client()
    customer, ids = _setup(netsuite_sandbox.control)
    ref = client.upsert(_order(customer, ids))
    so = client.get("salesOrder", internal_id=ref.internal_id)
    assert [line.line for line in so.itemList.item] == [1, 2, 3, 4]

    so = _update_lines(
        client,
        ref.internal_id,
        [
            {"line": 1, "quantity": 5},  # 5 × 19.99, rate kept
            {"item": records.ref(ids["SKU-2"]), "quantity": 2, "rate": "7.50"},  # added
        ],
        replace_all=False,
    )
    lines = [(line.line, line.quantity, line.amount) for line in so.itemList.item]
    assert lines == [(1, 5, 99.95), (2, 1, 4.5), (3, None, 6.12), (4, None, -2.0), (5, 2, 15.0)]
    assert so.total == 123.57

    # The default replaces every line: the new ones get numbers never used on the record.
    one = {"item": records.ref(ids["SKU-1"]), "quantity": 1}
    so = _update_lines(client, ref.internal_id, [one])
    assert [(line.line, line.quantity) for line in so.itemList.item] == [(6, 1)]


def test_a_line_number_the_order_does_not_have_is_refused_and_nothing_changes(netsuite_sandbox):
    client = netsuite_sandbox.client()
    customer, ids = _setup(netsuite_sandbox.control)
    ref = client.upsert(_order(customer, ids))
    with pytest.raises(NetSuiteRecordError) as refused:
        _update_lines(client, ref.internal_id, [{"line": 9, "quantity": 1}], replace_all=False)
    assert refused.value.code == "INVALID_KEY_OR_REF"
    so = client.get("salesOrder", internal_id=ref.internal_id)
    assert [line.quantity for line in so.itemList.item] == [3, 1, None, None]
