"""Demo data for the sandbox account: items matching the demo Shopify store, a few customers."""

from __future__ import annotations

from .control import create_customer, create_item

# The SKUs of the demo Shopify store's products (keep in step with sandbox/shopify's demo).
DEMO_SKUS = (
    ("TSHIRT-BLK-M", "T-shirt black M", 25.0),
    ("TSHIRT-BLK-L", "T-shirt black L", 25.0),
    ("HOODIE-GRY-M", "Hoodie grey M", 59.0),
    ("MUG-WHT", "Mug white", 12.0),
    ("CAP-NVY", "Cap navy", 19.0),
)

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
