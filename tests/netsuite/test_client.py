"""The client against the sandbox account over real HTTP."""

import pytest

from connector.netsuite import records
from connector.netsuite.client import UPSERT_LIST_MAX
from connector.netsuite.errors import (
    NetSuiteAuthError,
    NetSuiteConcurrencyError,
    NetSuiteRecordError,
)


def _customer(n=1):
    return records.customer(f"shopify-cust-{n}", company_name=f"Acme {n}", email="ap@acme.test")


def test_test_connection(netsuite_sandbox):
    client = netsuite_sandbox.client()
    assert client.get_server_time().year >= 2025


def test_upsert_twice_makes_one_record(netsuite_sandbox):
    client = netsuite_sandbox.client()
    first = client.upsert(_customer())
    second = client.upsert(
        records.customer("shopify-cust-1", company_name="Acme Renamed", email="ap@acme.test")
    )
    assert first.internal_id == second.internal_id
    stored = netsuite_sandbox.control.records("customer")
    assert len(stored) == 1
    assert stored[0]["fields"]["companyName"] == "Acme Renamed"


def test_upsert_list_is_chunked(netsuite_sandbox):
    client = netsuite_sandbox.client()
    refs = client.upsert_list(_customer(n) for n in range(2 * UPSERT_LIST_MAX + 50))
    assert len(refs) == 250
    assert [r.external_id for r in refs[:2]] == ["shopify-cust-0", "shopify-cust-1"]
    calls = [e for e in netsuite_sandbox.control.log() if e["operation"] == "upsertList"]
    assert len(calls) == 3
    assert netsuite_sandbox.control.state()["counts"] == {"customer": 250}


@pytest.mark.parametrize("mode", ["delay", "drop"])
def test_time_out_after_commit_still_makes_exactly_one_record(netsuite_sandbox, mode):
    client = netsuite_sandbox.client(timeout=(2.0, 1.5))
    netsuite_sandbox.control.timeout_after_commit(count=1, mode=mode, seconds=3.0)

    ref = client.upsert(_customer())

    stored = netsuite_sandbox.control.records("customer", externalId="shopify-cust-1")
    assert len(stored) == 1
    assert ref.internal_id == stored[0]["internalId"]
    operations = [e["operation"] for e in netsuite_sandbox.control.log()]
    # The write, then the lookup that found it; no second write.
    assert operations == ["upsert", "get"]


def test_add_after_ambiguous_time_out_is_not_repeated(netsuite_sandbox):
    control = netsuite_sandbox.control
    client = netsuite_sandbox.client(timeout=(2.0, 1.5))
    cust = control.customer(externalId="c-1", companyName="Acme")
    control.items("SKU-1")
    so = control.sales_order(cust["internalId"], [{"sku": "SKU-1", "quantity": 2, "rate": 10}])
    control.order(so["internalId"], "approve")
    sale = control.order(so["internalId"], "bill", **{"as": "cashSale"})

    refund = client.initialize("cashRefund", "cashSale", internal_id=sale["internalId"])
    refund.externalId = "shopify-refund-1"
    refund.subTotal = refund.total = None  # computed by NetSuite, refused if sent back
    control.timeout_after_commit(count=1, mode="drop")
    ref = client.add(refund)

    stored = control.records("cashRefund")
    assert len(stored) == 1
    assert stored[0]["internalId"] == ref.internal_id
    assert stored[0]["fields"]["createdFrom"]["internalId"] == sale["internalId"]
    assert float(stored[0]["fields"]["total"]) == 20


def test_wrong_credentials_are_a_permanent_auth_error(netsuite_sandbox):
    client = netsuite_sandbox.client(token_secret="not-the-secret")
    with pytest.raises(NetSuiteAuthError) as caught:
        client.get_server_time()
    assert caught.value.retryable is False
    assert caught.value.code == "INVALID_LOGIN_ATTEMPT"
    assert "Invalid login attempt." in str(caught.value)
    assert "token" in str(caught.value)
    # Not retried: a permanent error stops the loop at once.
    assert len(netsuite_sandbox.control.log()) == 1


def test_get_of_a_missing_record_is_a_permanent_record_error(netsuite_sandbox):
    client = netsuite_sandbox.client()
    with pytest.raises(NetSuiteRecordError) as caught:
        client.get("salesOrder", external_id="nope")
    assert caught.value.code == "INVALID_KEY_OR_REF"
    assert caught.value.retryable is False
    assert "Invalid salesOrder reference key nope" in str(caught.value)
    assert client.find("salesOrder", "nope") is None


def test_record_errors_on_write_carry_netsuites_message(netsuite_sandbox):
    client = netsuite_sandbox.client()
    order = records.sales_order(
        "o-1", customer=records.ref("999999"), lines=[{"item": records.ref("1"), "quantity": 1}]
    )
    with pytest.raises(NetSuiteRecordError) as caught:
        client.upsert(order)
    assert caught.value.code == "INVALID_KEY_OR_REF"
    assert "entity" in caught.value.message


@pytest.mark.parametrize(
    ("fault", "code"),
    [("concurrency", "WS_REQUEST_BLOCKED"), ("session", "WS_CONCUR_SESSION_DISALLWD")],
)
def test_concurrency_fault_is_retried_then_succeeds(netsuite_sandbox, fault, code):
    slept = []
    client = netsuite_sandbox.client(sleep=slept.append, max_retries=3, backoff_base=0.2)
    netsuite_sandbox.control.fail_next(2, fault)
    assert client.upsert(_customer()).internal_id
    assert len(slept) == 2
    assert all(0 <= s <= 0.2 * 2**i for i, s in enumerate(slept))
    outcomes = [e["outcome"] for e in netsuite_sandbox.control.log()]
    assert outcomes == [code, code, "ok"]


def test_retries_are_bounded(netsuite_sandbox):
    client = netsuite_sandbox.client(max_retries=2)
    netsuite_sandbox.control.fail_next(5, "concurrency")
    with pytest.raises(NetSuiteConcurrencyError) as caught:
        client.get_server_time()
    assert caught.value.retryable
    assert len(netsuite_sandbox.control.log()) == 3


def test_http_503_is_retried(netsuite_sandbox):
    client = netsuite_sandbox.client()
    netsuite_sandbox.control.fail_next(1, "http503")
    assert client.get_server_time()


def test_sales_order_lifecycle_and_checkbox_update(netsuite_sandbox):
    control = netsuite_sandbox.control
    client = netsuite_sandbox.client()
    (item,) = control.items("SKU-RED")
    cust = client.upsert(_customer())
    sub = client.upsert(
        records.customer(
            "shopify-loc-1", company_name="Acme Berlin", parent_external_id=cust.external_id
        )
    )
    order = client.upsert(
        records.sales_order(
            "shopify-order-1001",
            customer=records.ref(sub.internal_id),
            lines=[{"item": records.ref(item["internalId"]), "quantity": 3, "rate": 12.5}],
            custom_checkboxes={"custbody_etail_cancelled_exported": False},
        )
    )
    fetched = client.get("salesOrder", internal_id=order.internal_id)
    assert fetched.orderStatus == "_pendingApproval"
    assert fetched.itemList.item[0].quantity == 3
    assert (
        control.records("customer", externalId="shopify-loc-1")[0]["fields"]["parent"]["internalId"]
        == cust.internal_id
    )

    client.update(records.status_update(order.internal_id, "_pendingFulfillment"))
    client.update(
        records.checkbox_update(
            "SalesOrder", order.internal_id, {"custbody_etail_cancelled_exported": True}
        )
    )
    stored = control.records("salesOrder")[0]["fields"]
    assert stored["orderStatus"] == "_pendingFulfillment"
    assert stored["customFieldList"] == {"custbody_etail_cancelled_exported": "true"}
    # The update touched only what it sent.
    assert stored["itemList"][0]["quantity"] == "3"


def test_credit_memo_from_invoice(netsuite_sandbox):
    control = netsuite_sandbox.control
    client = netsuite_sandbox.client()
    cust = control.customer(companyName="B2B Co")
    control.items("SKU-1", "SKU-2")
    so = control.sales_order(
        cust["internalId"],
        [{"sku": "SKU-1", "quantity": 1, "rate": 30}, {"sku": "SKU-2", "rate": 5}],
    )
    control.order(so["internalId"], "approve")
    control.order(so["internalId"], "fulfil", tracking=["1Z999"])
    invoice = control.order(so["internalId"], "bill", **{"as": "invoice"})
    memo = client.initialize("creditMemo", "invoice", internal_id=invoice["internalId"])
    assert memo.createdFrom.internalId == invoice["internalId"]
    memo.externalId = "shopify-refund-2"
    memo.subTotal = memo.total = None  # computed by NetSuite, refused if sent back
    client.add(memo)
    assert float(control.records("creditMemo")[0]["fields"]["total"]) == 35
    fulfilment = control.records("itemFulfillment")[0]["fields"]
    assert fulfilment["packageList"] == [{"packageTrackingNumber": "1Z999"}]
    assert control.records("salesOrder")[0]["fields"]["orderStatus"] == "_fullyBilled"


def test_saved_search_pages_through_all_cancelled_orders(netsuite_sandbox):
    control = netsuite_sandbox.control
    client = netsuite_sandbox.client(page_size=5)
    cust = control.customer(companyName="Acme")
    control.items("SKU-1")
    expected = set()
    for n in range(13):
        so = control.sales_order(
            cust["internalId"], [{"sku": "SKU-1"}], externalId=f"shopify-order-{n}"
        )
        if n % 2:
            control.order(so["internalId"], "cancel")
        else:
            control.order(so["internalId"], "approve")
            control.order(so["internalId"], "close")
        expected.add(so["internalId"])
    exported = control.sales_order(cust["internalId"], [{"sku": "SKU-1"}], externalId="done")
    control.order(exported["internalId"], "cancel")
    control.order(
        exported["internalId"],
        "set-checkbox",
        scriptId="custbody_etail_cancelled_exported",
        value=True,
    )
    control.sales_order(cust["internalId"], [{"sku": "SKU-1"}])  # pending, not from Shopify

    found = list(client.search(script_id="customsearch_nsc_cancelled_orders"))

    assert {r.internalId for r in found} == expected
    assert len(found) == 13
    operations = [e["operation"] for e in control.log()]
    assert operations == ["search", "searchMoreWithId", "searchMoreWithId"]
    assert found[0].orderStatus in {"_cancelled", "_closed"}


def test_invalid_envelope_gets_a_fault(netsuite_sandbox):
    import requests

    response = requests.post(
        netsuite_sandbox.url,
        data=b"<soapenv:Envelope xmlns:soapenv='http://schemas.xmlsoap.org/soap/envelope/'>"
        b"<soapenv:Body><x/></soapenv:Body></soapenv:Envelope>",
        timeout=5,
    )
    assert response.status_code == 500
    assert b"Fault" in response.content


def test_upsert_list_after_ambiguous_time_out_makes_no_duplicates(netsuite_sandbox):
    client = netsuite_sandbox.client(timeout=(2.0, 1.5))
    netsuite_sandbox.control.timeout_after_commit(count=1, mode="drop")
    refs = client.upsert_list(_customer(n) for n in range(3))
    assert [r.external_id for r in refs] == ["shopify-cust-0", "shopify-cust-1", "shopify-cust-2"]
    assert netsuite_sandbox.control.state()["counts"] == {"customer": 3}
    assert [e["operation"] for e in netsuite_sandbox.control.log()] == ["upsertList", "getList"]


def test_a_lookup_that_fails_after_an_ambiguous_write_is_retried_before_writing(netsuite_sandbox):
    client = netsuite_sandbox.client(timeout=(2.0, 1.5), max_retries=4)
    control = netsuite_sandbox.control
    control.timeout_after_commit(count=1, mode="drop")
    # The lookup's own retries (1 + 4 attempts) all fail, so the write's retry loop sees the
    # lookup fail; it must look up again rather than write blindly.
    control.fail_next(5, "unexpected", operation="get")
    ref = client.upsert(_customer())
    assert len(control.records("customer")) == 1
    assert control.records("customer")[0]["internalId"] == ref.internal_id
    assert [e["operation"] for e in control.log()] == ["upsert"] + ["get"] * 6


def test_fault_classification():
    from connector.netsuite.errors import NetSuiteUnavailable, from_fault

    assert isinstance(
        from_fault("exceededRequestLimitFault", "WS_CONCUR_SESSION_DISALLWD", "x"),
        NetSuiteConcurrencyError,
    )
    assert isinstance(from_fault("invalidAccountFault", "INVALID_ACCT", "x"), NetSuiteAuthError)
    assert isinstance(
        from_fault("unexpectedErrorFault", "UNEXPECTED_ERROR", "x"), NetSuiteUnavailable
    )
    permission = from_fault("insufficientPermissionFault", "INSUFFICIENT_PERMISSION", "no")
    assert isinstance(permission, NetSuiteRecordError)
    assert not permission.retryable
