"""Demo data for the sandbox account: the demo Shopify store's items (same SKUs), the
other-charge items for tax, adjustments and discounts, a few customers."""

from __future__ import annotations

from sandbox.catalogue import DEMO_CATALOGUE, DEMO_CHARGE_ITEMS

from .control import create_customer, create_item

# The demo Shopify store's products, by SKU: one catalogue for both sandboxes.
DEMO_SKUS = DEMO_CATALOGUE

DEMO_CUSTOMERS = (
    {
        "externalId": "demo-customer-ada",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "email": "ada@example.com",
    },
    {
        "externalId": "demo-customer-alan",
        "firstName": "Alan",
        "lastName": "Turing",
        "email": "alan@example.com",
    },
)
DEMO_COMPANY = {
    "externalId": "demo-company-acme",
    "companyName": "Acme Retail GmbH",
    "email": "ap@acme.example",
}


def seed(sandbox, skus=DEMO_SKUS) -> dict:
    """Idempotent: items are matched by SKU, customers by externalId."""
    with sandbox.store.lock:
        items = [create_item(sandbox, sku=sku, name=name, price=price) for sku, name, price in skus]
        items += [
            create_item(sandbox, sku=sku, name=name, type="otherCharge")
            for sku, name in DEMO_CHARGE_ITEMS.items()
        ]
        customers = []
        for fields in (*DEMO_CUSTOMERS, DEMO_COMPANY):
            existing = sandbox.store.get("Customer", external_id=fields["externalId"])
            customers.append(existing or create_customer(sandbox, **fields))
        company = customers[-1]
        location_id = "demo-company-acme-berlin"
        if sandbox.store.get("Customer", external_id=location_id) is None:
            create_customer(
                sandbox,
                externalId=location_id,
                companyName="Acme Retail GmbH : Berlin",
                parent=company.internal_id,
            )
        sandbox.store.save()
    return {"items": len(items), "customers": len(customers) + 1}
