"""Sandbox behaviour that the client tests do not already cover."""

import requests
from lxml import etree

from connector.netsuite import records
from sandbox.netsuite import NetSuiteSandbox
from sandbox.netsuite.demo import DEMO_SKUS, seed


def test_a_replayed_passport_is_refused(netsuite_sandbox):
    client = netsuite_sandbox.client()
    body = etree.tostring(client.envelope("getServerTime"))
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": "getServerTime"}
    first = requests.post(netsuite_sandbox.url, data=body, headers=headers, timeout=5)
    again = requests.post(netsuite_sandbox.url, data=body, headers=headers, timeout=5)
    assert first.status_code == 200
    assert again.status_code == 500
    assert b"INVALID_LOGIN_ATTEMPT" in again.content


def test_a_message_the_xsds_refuse_gets_a_fault(netsuite_sandbox):
    client = netsuite_sandbox.client()
    envelope = client.envelope("upsert", record=records.customer("x", company_name="A"))
    record = envelope.find(".//{*}record")
    record.append(etree.Element("{urn:relationships_2025_2.lists.webservices.netsuite.com}bogus"))
    response = requests.post(netsuite_sandbox.url, data=etree.tostring(envelope), timeout=5)
    assert response.status_code == 500
    assert b"bogus" in response.content
    assert netsuite_sandbox.control.state()["counts"] == {}


def test_demo_seed_is_idempotent(netsuite_sandbox):
    seed(netsuite_sandbox.server)
    seed(netsuite_sandbox.server)
    counts = netsuite_sandbox.control.state()["counts"]
    assert counts == {"inventoryItem": len(DEMO_SKUS), "otherChargeSaleItem": 3, "customer": 4}
    berlin = netsuite_sandbox.control.records("customer", externalId="demo-company-acme-berlin")
    assert berlin[0]["fields"]["parent"]["internalId"]


def test_records_survive_a_restart_with_a_state_file(tmp_path, settings):
    state = tmp_path / "netsuite.json"
    first = NetSuiteSandbox(contracts_dir=str(settings.CONTRACTS_DIR), state_path=state)
    seed(first)
    second = NetSuiteSandbox(contracts_dir=str(settings.CONTRACTS_DIR), state_path=state)
    assert second.store.item_by_sku(DEMO_SKUS[0][0]) is not None
    new = second.store.add("Customer", "after-restart")
    assert int(new.internal_id) > max(int(i) for i in first.store.records)


def test_cancel_is_refused_once_approved(netsuite_sandbox):
    control = netsuite_sandbox.control
    cust = control.customer(companyName="Acme")
    control.items("SKU-1")
    so = control.sales_order(cust["internalId"], [{"sku": "SKU-1"}])
    control.order(so["internalId"], "approve")
    response = requests.post(
        f"{netsuite_sandbox.base_url}/_control/sales-orders/{so['internalId']}/cancel", timeout=5
    )
    assert response.status_code == 400
    assert "cannot cancel" in response.json()["error"]
