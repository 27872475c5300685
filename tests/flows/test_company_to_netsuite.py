"""Company sync (Shopify companies → NetSuite parent and sub-customers) over real HTTP."""

import pytest

from connector import bindings, external_ids
from flows import engine
from flows.models import FlowRun, RunStatus, Trigger
from tests.factories import make_admin
from transactions import actions
from transactions.actions import run_post
from transactions.models import Kind, Status, Transaction

from .conftest import run_flow, set_options

pytestmark = pytest.mark.django_db(transaction=True)

HQ_ADDRESS = {
    "recipient": "Receiving",
    "address1": "1 Main St",
    "city": "Springfield",
    "zip": "62701",
    "country_code": "US",
    "zone_code": "IL",
}
DEPOT_SHIP = {"address1": "9 Dock Rd", "city": "Portland", "zip": "97201", "country_code": "US"}
DEPOT_BILL = {"address1": "PO Box 7", "city": "Portland", "zip": "97202", "country_code": "US"}


def _company(shopify_sandbox):
    return shopify_sandbox.control.create_company(
        name="Acme",
        locations=[
            {"name": "HQ", "shipping_address": HQ_ADDRESS, "billing_address": HQ_ADDRESS},
            {"name": "Depot", "shipping_address": DEPOT_SHIP, "billing_address": DEPOT_BILL},
        ],
        contact_email="buyer@acme.example",
    )


def _customers(netsuite_sandbox) -> dict[str, dict]:
    return {c["externalId"]: c for c in netsuite_sandbox.control.records("customer")}


def _upserts(netsuite_sandbox) -> int:
    return sum(1 for entry in netsuite_sandbox.control.log() if "upsert" in str(entry).lower())


def test_company_with_two_locations_becomes_parent_and_two_sub_customers(
    wired, shopify_sandbox, netsuite_sandbox
):
    set_options(wired, b2b_sync_enabled=True)
    company = _company(shopify_sandbox)
    run = run_flow(wired, "company_to_netsuite")
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert (run.seen, run.posted, run.failed) == (1, 1, 0)

    customers = _customers(netsuite_sandbox)
    assert len(customers) == 3
    parent = customers[external_ids.company(company["id"])]
    assert parent["fields"]["companyName"] == "Acme"
    assert str(parent["fields"]["isPerson"]).lower() == "false"
    assert parent["fields"]["email"] == "buyer@acme.example"
    hq_loc, depot_loc = company["locations"]
    hq = customers[external_ids.company_location(hq_loc["id"])]
    depot = customers[external_ids.company_location(depot_loc["id"])]
    for child in (hq, depot):
        assert parent["internalId"] in str(child["fields"]["parent"])
    assert hq["fields"]["companyName"] == "Acme : HQ"
    # One address for both roles when Shopify's two are the same; two when they differ.
    assert str(hq["fields"]["addressbookList"]).count("1 Main St") == 1
    assert "9 Dock Rd" in str(depot["fields"]["addressbookList"])
    assert "PO Box 7" in str(depot["fields"]["addressbookList"])

    txn = Transaction.objects.get(kind=Kind.COMPANY, source_id=str(company["id"]))
    assert txn.status == Status.POSTED
    assert txn.target_id == parent["internalId"]
    bound = bindings.find(wired, "company_location", shopify_id=str(depot_loc["id"]))
    assert bound.netsuite_id == depot["internalId"]


def test_a_company_with_more_locations_than_a_page_has_them_all(
    wired, shopify_sandbox, netsuite_sandbox
):
    set_options(wired, b2b_sync_enabled=True)
    names = [f"Store {n:02d}" for n in range(30)]  # the company page reads 25 locations
    company = shopify_sandbox.control.create_company(name="Chain", locations=names)
    run = run_flow(wired, "company_to_netsuite")
    assert run.status == RunStatus.SUCCEEDED, run.error
    customers = _customers(netsuite_sandbox)
    assert len(customers) == 31
    for location in company["locations"]:
        assert external_ids.company_location(location["id"]) in customers


def test_a_rerun_writes_nothing_twice(wired, shopify_sandbox, netsuite_sandbox):
    set_options(wired, b2b_sync_enabled=True)
    _company(shopify_sandbox)
    first = run_flow(wired, "company_to_netsuite")
    assert first.posted == 1, first.error
    before = _customers(netsuite_sandbox)
    upserts = _upserts(netsuite_sandbox)

    # The cursor is inclusive (whole seconds), so the company is seen again: nothing written.
    again = run_flow(wired, "company_to_netsuite")
    assert again.status == RunStatus.SUCCEEDED, again.error
    assert again.posted == 0
    assert _upserts(netsuite_sandbox) == upserts
    assert _customers(netsuite_sandbox) == before


def test_a_renamed_location_follows(wired, shopify_sandbox, netsuite_sandbox):
    set_options(wired, b2b_sync_enabled=True)
    company = _company(shopify_sandbox)
    assert run_flow(wired, "company_to_netsuite").posted == 1
    depot_loc = company["locations"][1]
    shopify_sandbox.control.update_company_location(
        company["id"], depot_loc["id"], name="Warehouse"
    )
    run = run_flow(wired, "company_to_netsuite")
    assert run.posted == 1, run.error
    customers = _customers(netsuite_sandbox)
    assert len(customers) == 3  # updated in place, not added
    depot = customers[external_ids.company_location(depot_loc["id"])]
    assert depot["fields"]["companyName"] == "Acme : Warehouse"
    assert str(depot["fields"]["addressbookList"]).count("9 Dock Rd") == 1


def test_b2b_sync_off_the_flow_does_not_run_and_says_why(wired, shopify_sandbox, netsuite_sandbox):
    _company(shopify_sandbox)
    with pytest.raises(engine.FlowNotRunnable, match="Sync B2B orders"):
        engine.request_run(wired, "company_to_netsuite", Trigger.BUTTON)
    assert not FlowRun.objects.filter(connector=wired, flow="company_to_netsuite").exists()
    assert netsuite_sandbox.control.records("customer") == []


def test_a_refused_company_is_an_error_and_a_retry_writes_it_once(
    wired, shopify_sandbox, netsuite_sandbox
):
    set_options(wired, b2b_sync_enabled=True)
    company = _company(shopify_sandbox)
    # NetSuite refuses the parent customer: no sub-customer can be written without it.
    netsuite_sandbox.control.fail_next(1, fault="record_unexpected", operation="upsertList")
    run = run_flow(wired, "company_to_netsuite")
    assert run.failed == 1
    txn = Transaction.objects.get(kind=Kind.COMPANY, source_id=str(company["id"]))
    assert txn.status == Status.ERROR
    assert "unexpected error" in txn.last_error.lower()
    assert netsuite_sandbox.control.records("customer") == []
    assert bindings.find(wired, "company", shopify_id=str(company["id"])) is None

    actions.retry(make_admin(), txn.pk)
    run_post(txn.pk)
    txn.refresh_from_db()
    assert txn.status == Status.POSTED, txn.last_error
    assert len(_customers(netsuite_sandbox)) == 3
    # The next run sees the company again (inclusive cursor) and writes nothing.
    upserts = _upserts(netsuite_sandbox)
    assert run_flow(wired, "company_to_netsuite").posted == 0
    assert _upserts(netsuite_sandbox) == upserts


def test_a_refused_location_keeps_the_others_and_a_retry_writes_only_it(
    wired, shopify_sandbox, netsuite_sandbox
):
    set_options(wired, b2b_sync_enabled=True)
    company = _company(shopify_sandbox)
    assert run_flow(wired, "company_to_netsuite").posted == 1
    hq_loc, depot_loc = company["locations"]
    for loc, name in ((hq_loc, "Head office"), (depot_loc, "Warehouse")):
        shopify_sandbox.control.update_company_location(company["id"], loc["id"], name=name)
    upserts = _upserts(netsuite_sandbox)
    # Only the two renamed locations are written (the parent is unchanged); NetSuite refuses
    # the first of them.
    netsuite_sandbox.control.fail_next(1, fault="record_unexpected", operation="upsertList")
    run = run_flow(wired, "company_to_netsuite")
    assert run.failed == 1
    assert _upserts(netsuite_sandbox) == upserts + 1
    txn = Transaction.objects.get(kind=Kind.COMPANY, source_id=str(company["id"]))
    assert txn.status == Status.ERROR
    assert "Head office" in txn.last_error
    customers = _customers(netsuite_sandbox)
    hq_id = external_ids.company_location(hq_loc["id"])
    depot_id = external_ids.company_location(depot_loc["id"])
    assert customers[hq_id]["fields"]["companyName"] == "Acme : HQ"
    assert customers[depot_id]["fields"]["companyName"] == "Acme : Warehouse"

    actions.retry(make_admin(), txn.pk)
    run_post(txn.pk)
    txn.refresh_from_db()
    assert txn.status == Status.POSTED, txn.last_error
    customers = _customers(netsuite_sandbox)
    assert len(customers) == 3
    assert customers[hq_id]["fields"]["companyName"] == "Acme : Head office"
    assert _upserts(netsuite_sandbox) == upserts + 2  # the refused location alone, once


def test_a_b2b_order_after_the_company_sync_uses_the_bound_customers(
    wired, shopify_sandbox, netsuite_sandbox
):
    set_options(wired, b2b_sync_enabled=True)
    netsuite_sandbox.control.items("SKU-1")
    company = _company(shopify_sandbox)
    assert run_flow(wired, "company_to_netsuite").posted == 1
    upserts = _upserts(netsuite_sandbox)
    customers = _customers(netsuite_sandbox)
    depot_loc = company["locations"][1]
    depot = customers[external_ids.company_location(depot_loc["id"])]

    order = shopify_sandbox.control.create_order(
        lines=[{"sku": "SKU-1", "quantity": 1}],
        b2b=True,
        company_id=company["id"],
        location_id=depot_loc["id"],
    )
    run = run_flow(wired, "order_import")
    assert run.posted == 1, run.error
    so = netsuite_sandbox.control.records(
        "salesOrder", externalId=external_ids.sales_order(order["id"])
    )[0]
    assert depot["internalId"] in str(so["fields"]["entity"])
    # Only the sales order was upserted: no customer written again.
    assert _upserts(netsuite_sandbox) == upserts + 1
    assert _customers(netsuite_sandbox) == customers
