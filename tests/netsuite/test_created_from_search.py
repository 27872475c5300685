def test_find_created_from(netsuite_sandbox):
    c = netsuite_sandbox.control
    c.items("SKU-A")
    cust = c.customer(firstName="A", lastName="B")
    so = c.sales_order(
        cust["internalId"],
        [{"sku": "SKU-A", "quantity": 2, "rate": 5}],
        externalId="shopify-order-1",
    )
    c.order(so["internalId"], "approve")
    bill = c.order(so["internalId"], "bill", **{"as": "cashSale"})
    refund = c.order(so["internalId"], "refund")
    client = netsuite_sandbox.client()
    bills = client.find_created_from([so["internalId"]], ["cashSale", "invoice"])
    assert [b.internalId for b in bills] == [bill["internalId"]]
    refunds = client.find_created_from([bill["internalId"]], ["cashRefund", "creditMemo"])
    assert [r.internalId for r in refunds] == [refund["internalId"]]
    assert type(refunds[0]).__name__ == "CashRefund"
    assert client.find_created_from([so["internalId"]], ["creditMemo"]) == []
