"""The company sync's pure mapping: Shopify company → parent and sub-customers."""

import pytest

from connector import external_ids
from flows.company_to_netsuite import mapping
from flows.sync import NeedsPerson


def _address(**over):
    base = {
        "companyName": "Acme",
        "recipient": None,
        "address1": "1 Main St",
        "address2": None,
        "city": "Springfield",
        "zip": "62701",
        "countryCode": "US",
        "zoneCode": "IL",
        "phone": None,
    }
    return {**base, **over}


def _company(**over):
    base = {
        "id": "gid://shopify/Company/7",
        "name": "Acme",
        "updatedAt": "2026-12-01T00:00:00Z",
        "locations": {
            "nodes": [
                {
                    "id": "gid://shopify/CompanyLocation/8",
                    "name": "HQ",
                    "shippingAddress": _address(),
                    "billingAddress": _address(),
                },
                {
                    "id": "gid://shopify/CompanyLocation/9",
                    "name": "Depot",
                    "shippingAddress": _address(address1="9 Dock Rd"),
                    "billingAddress": None,
                },
            ]
        },
        "contacts": {
            "nodes": [
                {"isMainContact": False, "customer": {"email": "other@acme.example"}},
                {"isMainContact": True, "customer": {"email": "buyer@acme.example"}},
            ]
        },
    }
    return {**base, **over}


def test_company_becomes_parent_and_one_sub_customer_per_location():
    plan = mapping.customers_for_company(_company())
    assert plan.parent.external_id == external_ids.company(7)
    assert plan.parent.company_name == "Acme"
    assert plan.parent.email == "buyer@acme.example"  # the main contact's
    assert [c.external_id for c in plan.locations] == [
        external_ids.company_location(8),
        external_ids.company_location(9),
    ]
    assert {c.parent_external_id for c in plan.locations} == {plan.parent.external_id}
    assert plan.locations[0].company_name == "Acme : HQ"  # as the B2B order import names it


def test_company_address_becomes_netsuite_address():
    address = mapping.address_from_company(_address(recipient="Receiving", phone="555"))
    assert address == {
        "addressee": "Receiving",
        "addr1": "1 Main St",
        "addr2": "",
        "city": "Springfield",
        "state": "IL",
        "zip": "62701",
        "country": "_unitedStates",
        "addrPhone": "555",
    }
    assert mapping.address_from_company(None) is None
    # No recipient: the company's name is the addressee.
    assert mapping.address_from_company(_address())["addressee"] == "Acme"


def test_addressbook_one_entry_when_shipping_is_billing_else_one_each():
    hq, depot = mapping.customers_for_company(_company()).locations
    (entry,) = mapping.addressbook(hq)
    assert entry["default_shipping"] and entry["default_billing"]
    (ship,) = mapping.addressbook(depot)
    assert ship["default_shipping"] and not ship["default_billing"]
    assert mapping.addressbook(mapping.customers_for_company(_company()).parent) == []


def test_fingerprint_follows_what_is_written():
    first = mapping.customers_for_company(_company())
    same = mapping.customers_for_company(_company(updatedAt="2026-12-02T00:00:00Z"))
    assert [c.fingerprint() for c in first.all] == [c.fingerprint() for c in same.all]
    renamed = _company()
    renamed["locations"]["nodes"][1]["name"] = "Warehouse"
    changed = mapping.customers_for_company(renamed)
    assert changed.parent.fingerprint() == first.parent.fingerprint()
    assert changed.locations[1].fingerprint() != first.locations[1].fingerprint()
    assert len(first.parent.fingerprint()) <= 100  # fits a binding's marker


def test_a_company_without_a_name_needs_a_person():
    with pytest.raises(NeedsPerson, match="no name"):
        mapping.customers_for_company(_company(name=" "))


def test_a_company_without_locations_is_the_parent_alone():
    plan = mapping.customers_for_company(_company(locations={"nodes": []}, contacts=None))
    assert plan.locations == ()
    assert plan.parent.email is None
