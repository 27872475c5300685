"""Every envelope the client builds validates against the real 2025.2 XSDs."""

from pathlib import Path

import pytest

from connector.netsuite import records
from connector.netsuite.budget import NoBudget
from connector.netsuite.client import NetSuiteClient
from sandbox.netsuite.schema import ContractSchema, body_payload


@pytest.fixture(scope="module")
def schema():
    from django.conf import settings

    # The same loader the sandbox validates requests with.
    return ContractSchema(Path(settings.CONTRACTS_DIR) / "netsuite" / "2025_2")


@pytest.fixture(scope="module")
def client():
    return NetSuiteClient(
        "1234567_SB1",
        "ck",
        "cs",
        "tok",
        "ts",
        service_url="http://127.0.0.1:9/x",
        budget=NoBudget(),
    )


def _order():
    return records.sales_order(
        "shopify-order-1001",
        customer=records.ref("42"),
        lines=[
            {"item": records.ref("7"), "quantity": 2, "rate": 19.99},
            {"item": records.ref(external_id="sku-2"), "quantity": 1, "rate": 5, "amount": 5.0},
        ],
        memo="Shopify #1001",
        other_ref_num="#1001",
        custom_checkboxes={"custbody_etail_cancelled_exported": False},
    )


def _messages(client):
    customer = records.customer("shopify-cust-1", company_name="Acme", email="ap@acme.test")
    sub = records.customer(
        "shopify-loc-1", company_name="Acme Berlin", parent_external_id="shopify-cust-1"
    )
    person = records.customer("shopify-cust-2", first_name="Ada", last_name="L", is_person=True)
    refund = records.record(
        "CashRefund",
        externalId="shopify-refund-9",
        createdFrom=records.ref("55"),
        customFieldList=records.boolean_fields({"custbody_from_shopify": True}),
    )
    yield "upsert customer", "upsert", {"record": customer}
    yield "upsert sub-customer", "upsert", {"record": sub}
    yield "upsert person", "upsert", {"record": person}
    yield "upsert sales order", "upsert", {"record": _order()}
    yield "upsertList", "upsertList", {"record": [customer, _order()]}
    yield "add cash refund", "add", {"record": refund}
    yield (
        "add credit memo",
        "add",
        {"record": records.record("CreditMemo", externalId="cm-1", entity=records.ref("42"))},
    )
    yield (
        "update checkbox",
        "update",
        {
            "record": records.checkbox_update(
                "SalesOrder", "77", {"custbody_etail_cancelled_exported": True}
            )
        },
    )
    yield "update status", "update", {"record": records.status_update("77", "_pendingFulfillment")}
    yield "get", "get", {"baseRef": records.ref(external_id="x", record_type="salesOrder")}
    yield (
        "getList",
        "getList",
        {"baseRef": [records.ref("1", record_type="customer"), records.ref("2", None, "invoice")]},
    )
    yield (
        "initialize cash refund",
        "initialize",
        {"initializeRecord": records.initialize_record("cashRefund", "cashSale", internal_id="5")},
    )
    yield (
        "initialize credit memo",
        "initialize",
        {"initializeRecord": records.initialize_record("creditMemo", "invoice", internal_id="6")},
    )
    yield (
        "saved search by id",
        "search",
        {
            "searchRecord": records.saved_transaction_search("501"),
            "search_preferences": client.search_preferences(50),
        },
    )
    yield (
        "saved search by script id",
        "search",
        {"searchRecord": records.saved_transaction_search(saved_search_script_id="customsearch_x")},
    )
    yield "searchMoreWithId", "searchMoreWithId", {"searchId": "WEBSERVICES_1", "pageIndex": 2}
    yield "getServerTime", "getServerTime", {}
    yield "getAccountGovernanceInfo", "getAccountGovernanceInfo", {}


def test_every_message_validates(client, schema):
    seen = 0
    for label, operation, kwargs in _messages(client):
        envelope = client.envelope(operation, **kwargs)
        errors = schema.errors(body_payload(envelope))
        assert errors == [], f"{label}: {errors}"
        seen += 1
    assert seen == 18


def test_the_validator_catches_a_wrong_message(client, schema):
    envelope = client.envelope("upsert", record=records.customer("x", company_name="A"))
    record = body_payload(envelope)[0]
    record.append(record[0].__copy__())  # companyName twice: not allowed by the sequence
    assert schema.errors(body_payload(envelope))
