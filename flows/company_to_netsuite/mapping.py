"""Pure functions from a Shopify company (GraphQL dict) to the NetSuite customers the company
sync writes: the company as the parent customer, each of its locations as a sub-customer
(Parent set) with its shipping and billing address. No I/O here.

Names and externalIds are the ones the B2B order import uses (`customers_for_order`), so a
company synced here and a company first met on an order are the same NetSuite records.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass

from connector import external_ids, gids
from connector.netsuite import records
from flows.sync import NeedsPerson


@dataclass(frozen=True)
class CompanyCustomer:
    external_id: str
    shopify_id: str  # the company's or the location's legacy id (the binding's key)
    company_name: str
    email: str | None = None
    phone: str | None = None
    parent_external_id: str | None = None
    # flows.addresses' shape; None when Shopify has none.
    shipping_address: dict | None = None
    billing_address: dict | None = None

    def fingerprint(self) -> str:
        """What was written, in 40 characters (a binding's marker): the same fingerprint
        means nothing to write again."""
        text = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True)
class CompanyPlan:
    parent: CompanyCustomer
    locations: tuple[CompanyCustomer, ...]

    @property
    def all(self) -> tuple[CompanyCustomer, ...]:
        return (self.parent, *self.locations)


def main_contact_email(company: dict) -> str | None:
    contacts = ((company.get("contacts") or {}).get("nodes")) or []
    main = next((c for c in contacts if c.get("isMainContact")), None) or (
        contacts[0] if contacts else None
    )
    return ((main or {}).get("customer") or {}).get("email") or None


def address_from_company(address: dict | None) -> dict | None:
    """Shopify's CompanyAddress as flows.addresses' shape: recipient (else the company name)
    → addressee, zoneCode → state, countryCode → NetSuite's Country value."""
    if not address:
        return None
    out = {
        "addressee": address.get("recipient") or address.get("companyName") or "",
        "addr1": address.get("address1") or "",
        "addr2": address.get("address2") or "",
        "city": address.get("city") or "",
        "state": address.get("zoneCode") or "",
        "zip": address.get("zip") or "",
        "country": records.country_value(None, address.get("countryCode")) or "",
        "addrPhone": address.get("phone") or "",
    }
    return out if any(out.values()) else None


def customers_for_company(company: dict) -> CompanyPlan:
    name = (company.get("name") or "").strip()
    if not name:
        raise NeedsPerson(
            f"Company {company.get('id')} has no name in Shopify: name it, then Retry."
        )
    email = main_contact_email(company)
    parent = CompanyCustomer(
        external_id=external_ids.company(company["id"]),
        shopify_id=gids.legacy_id(company["id"]),
        company_name=name,
        email=email,
    )
    locations = tuple(
        CompanyCustomer(
            external_id=external_ids.company_location(loc["id"]),
            shopify_id=gids.legacy_id(loc["id"]),
            company_name=f"{name} : {loc['name']}",
            email=email,
            parent_external_id=parent.external_id,
            shipping_address=address_from_company(loc.get("shippingAddress")),
            billing_address=address_from_company(loc.get("billingAddress")),
        )
        for loc in ((company.get("locations") or {}).get("nodes") or [])
    )
    return CompanyPlan(parent, locations)


def addressbook(customer: CompanyCustomer) -> list[dict]:
    """The customer's address book entries: one address that is both default shipping and
    default billing when Shopify's two are the same, else one of each. Written with
    replaceAll (the list's default), so a re-run replaces them instead of adding copies."""
    ship, bill = customer.shipping_address, customer.billing_address
    if ship and bill and ship == bill:
        return [{"address": ship, "default_shipping": True, "default_billing": True}]
    out = []
    if ship:
        out.append({"address": ship, "default_shipping": True, "default_billing": False})
    if bill:
        out.append({"address": bill, "default_shipping": False, "default_billing": True})
    return out
