"""A shipping address as both systems hold it, in one shape to compare and copy.

Shopify's MailingAddress becomes NetSuite's Address: name → addressee, address1/2 →
addr1/2, provinceCode → state, zip, phone → addrPhone, and the country as NetSuite's Country
value (``_unitedStates``; connector.netsuite.records.country_value). A country NetSuite's list
does not name the same way is left out (NetSuite then keeps the subsidiary's country) rather
than guessed."""

from __future__ import annotations

from connector.netsuite import records

FIELDS = ("addressee", "addr1", "addr2", "city", "state", "zip", "country", "addrPhone")


def from_shopify(address: dict | None) -> dict | None:
    if not address:
        return None
    name = address.get("name") or ""
    company = address.get("company") or ""
    out = {
        "addressee": ", ".join(p for p in (name, company) if p),
        "addr1": address.get("address1") or "",
        "addr2": address.get("address2") or "",
        "city": address.get("city") or "",
        "state": address.get("provinceCode") or address.get("province") or "",
        "zip": address.get("zip") or "",
        "country": records.country_value(address.get("country"), address.get("countryCodeV2"))
        or "",
        "addrPhone": address.get("phone") or "",
    }
    return out if any(out.values()) else None


def from_netsuite(address) -> dict | None:
    if address is None:
        return None
    out = {name: str(getattr(address, name, None) or "") for name in FIELDS}
    return out if any(out.values()) else None


def differs(wanted: dict | None, held: dict | None) -> bool:
    """Whether NetSuite must be told: Shopify has an address and NetSuite holds another."""
    return wanted is not None and wanted != (held or {name: "" for name in FIELDS})


def to_record(address: dict):
    return records.address(address)


def one_line(address: dict | None) -> str:
    if not address:
        return "none"
    parts = (address.get(n) for n in ("addressee", "addr1", "city", "zip", "country"))
    return ", ".join(p.lstrip("_") for p in parts if p)
