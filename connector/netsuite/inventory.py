"""Stock per item and location, read from NetSuite item searches.

The inventory flow reads thousands of items a run. zeep builds an object with every one of the
~300 fields an InventoryItem may have for each record it parses, which costs milliseconds a
record; the search answer is therefore read here with lxml, keeping only what the flow needs:
the item's internal id, SKU (`itemId`), `lastModifiedDate` and, per location of its
`locationsList`, the location's internal id and `quantityAvailable`. Faults and unsuccessful
statuses still go through zeep and the client's error classification.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

CORE = "urn:core_2025_2.platform.webservices.netsuite.com"
ACCT = "urn:accounting_2025_2.lists.webservices.netsuite.com"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"

_RECORD = f"{{{CORE}}}record"
_ITEM_ID = f"{{{ACCT}}}itemId"
_MODIFIED = f"{{{ACCT}}}lastModifiedDate"
_LOCATIONS = f"{{{ACCT}}}locationsList"
_LOCATION_ID = f"{{{ACCT}}}locationId"
_AVAILABLE = f"{{{ACCT}}}quantityAvailable"


@dataclass
class ItemStock:
    internal_id: str
    sku: str
    last_modified: str  # as NetSuite sent it (xsd:dateTime)
    # NetSuite location internal id -> quantity available; None when the record came without
    # its sublists (a body-fields-only search).
    available: dict[str, float] | None = field(default=None)


@dataclass
class ItemPage:
    items: list  # ItemStock here; catalogue.ItemProduct for the product sync
    search_id: str | None
    total_pages: int
    page_index: int
    total_records: int


class NotASearchAnswer(Exception):
    """The body is not a successful search answer: let zeep read it and raise what it says."""


def inventory_items(body: bytes, read: Callable[[etree._Element], object]) -> ItemPage:
    """A search answer's InventoryItem records, each made into what `read` returns (other
    item types carry no stock and are no products), with the page's numbers."""
    try:
        root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, huge_tree=True))
    except etree.XMLSyntaxError as exc:
        raise NotASearchAnswer(str(exc)) from exc
    result = root.find(f".//{{{CORE}}}searchResult")
    if result is None:
        raise NotASearchAnswer("no searchResult")
    status = result.find(f"{{{CORE}}}status")
    if status is None or status.get("isSuccess") != "true":
        raise NotASearchAnswer("search refused")
    record_list = result.find(f"{{{CORE}}}recordList")
    items = [
        read(rec)
        for rec in (record_list if record_list is not None else ())
        if rec.tag == _RECORD and (rec.get(XSI_TYPE) or "").endswith(":InventoryItem")
    ]

    def number(name: str, default: int = 0) -> int:
        text = result.findtext(f"{{{CORE}}}{name}")
        return int(text) if text else default

    return ItemPage(
        items=items,
        search_id=result.findtext(f"{{{CORE}}}searchId"),
        total_pages=number("totalPages", 1),
        page_index=number("pageIndex", 1),
        total_records=number("totalRecords"),
    )


def item_stock(rec: etree._Element) -> ItemStock:
    locations = rec.find(_LOCATIONS)
    available = None
    if locations is not None:
        available = {}
        for row in locations:
            ref = row.find(_LOCATION_ID)
            if ref is None or ref.get("internalId") is None:
                continue
            quantity = row.findtext(_AVAILABLE)
            available[ref.get("internalId")] = float(quantity) if quantity else 0.0
    return ItemStock(
        internal_id=rec.get("internalId"),
        sku=(rec.findtext(_ITEM_ID) or "").strip(),
        last_modified=(rec.findtext(_MODIFIED) or "").strip(),
        available=available,
    )


def parse_page(body: bytes) -> ItemPage:
    return inventory_items(body, item_stock)
