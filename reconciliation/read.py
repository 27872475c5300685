"""Reading both sides in bulk, a chunk of orders at a time (never one call per order).

Shopify: the orders updated in the window, paged (`ordersForReconciliation`, refunds inline).
NetSuite, per chunk of up to 1,000 orders: one `getList` of the sales orders by externalId
(plus, rarely, one by internal id for orders bound to another sales order), one
`createdFrom` search for what was billed from them and one for the cash refunds and credit
memos created from those bills; searches ask for pages of 1,000 and follow `searchMoreWithId`.
Only the chunk is held in memory.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

from connector import external_ids
from connector.models import Binding, ConnectorOptions
from connector.netsuite import records

from . import soapread
from .compare import NetSuiteRecord, OrderFacts, ShopifyOrder, ShopifyRefund, cents

CHUNK = 1000
SHOPIFY_PAGE = 25
NETSUITE_PAGE = 1000
GET_LIST_MAX = 1000
BILL_TYPES = ("cashSale", "invoice")
REFUND_TYPES = ("cashRefund", "creditMemo")
RETURN_TYPES = ("returnAuthorization",)


def _amount(money_set) -> Decimal:
    return cents(((money_set or {}).get("shopMoney") or {}).get("amount"))


def _nodes(connection) -> list:
    if isinstance(connection, list):
        return connection
    return (connection or {}).get("nodes") or []


def shopify_order(node: dict) -> ShopifyOrder:
    refunds = []
    for r in node.get("refunds") or []:
        lines = _nodes(r.get("refundLineItems"))
        tax = sum((_amount(li.get("totalTaxSet")) for li in lines), cents(0))
        tax += sum(
            (_amount(s.get("taxAmountSet")) for s in _nodes(r.get("refundShippingLines"))),
            cents(0),
        )
        refunds.append(
            ShopifyRefund(
                id=str(r["legacyResourceId"]),
                total=_amount(r.get("totalRefundedSet")),
                tax=tax,
                note=r.get("note") or "",
            )
        )
    return ShopifyOrder(
        id=str(node["legacyResourceId"]),
        name=node.get("name") or "",
        total=_amount(node.get("totalPriceSet")),
        tax=_amount(node.get("totalTaxSet")),
        refunds=tuple(refunds),
    )


def iter_shopify_orders(client, since: dt.datetime, page_size: int = SHOPIFY_PAGE):
    query = f"updated_at:>='{since.astimezone(dt.UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}'"
    for node in client.iter_pages("ordersForReconciliation", "orders", query, page_size):
        yield shopify_order(node)


def chunks(orders, size: int = CHUNK) -> Iterator[list[ShopifyOrder]]:
    chunk = []
    for order in orders:
        chunk.append(order)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def get_list(client, refs, tax_item: str) -> list[NetSuiteRecord | None]:
    refs = list(refs)
    out: list[NetSuiteRecord | None] = []
    reader = soapread.get_list_reader(tax_item)
    for start in range(0, len(refs), GET_LIST_MAX):
        out.extend(client._call("getList", baseRef=refs[start : start + GET_LIST_MAX], _raw=reader))
    return out


def search_created_from(client, internal_ids, record_types, tax_item: str) -> Iterator:
    """Records created from these, a page of `NETSUITE_PAGE` at a time (searchMoreWithId)."""
    internal_ids = sorted({str(i) for i in internal_ids if i})
    if not internal_ids:
        return
    reader = soapread.search_reader(tax_item)
    search_record = records.created_from_search(internal_ids, record_types)
    prefs = client.search_preferences(NETSUITE_PAGE)
    page = client._call("search", searchRecord=search_record, _search_prefs=prefs, _raw=reader)
    yield from page.records
    for page_index in range(2, page.total_pages + 1):
        more = client._call(
            "searchMoreWithId", searchId=page.search_id, pageIndex=page_index, _raw=reader
        )
        yield from more.records


def netsuite_facts(connector, client, orders: list[ShopifyOrder]) -> list[OrderFacts]:
    """What NetSuite holds for a chunk of orders, in a handful of calls and three queries."""
    # Read fresh, not from a relation cached before the options were last saved.
    tax_item = (
        ConnectorOptions.objects.filter(connector=connector)
        .values_list("netsuite_tax_item_id", flat=True)
        .first()
        or ""
    )
    facts = {o.id: OrderFacts(order=o) for o in orders}
    ids = list(facts)

    # sales orders: by externalId, and by the order binding where it names another record
    by_external = get_list(
        client,
        (
            records.ref(external_id=external_ids.sales_order(i), record_type="salesOrder")
            for i in ids
        ),
        tax_item,
    )
    so_of: dict[str, str] = {}  # sales order internal id -> shopify order id
    for order_id, found in zip(ids, by_external, strict=True):
        if found is not None:
            facts[order_id].sales_orders.append(found)
            so_of[found.internal_id] = order_id
    bound = dict(
        Binding.objects.filter(connector=connector, kind="order", shopify_id__in=ids)
        .exclude(netsuite_id="")
        .values_list("netsuite_id", "shopify_id")
    )
    extra = [ns_id for ns_id in bound if ns_id not in so_of]
    if extra:
        refs = (records.ref(i, record_type="salesOrder") for i in extra)
        for found in get_list(client, refs, tax_item):
            if found is not None and found.internal_id in bound:
                facts[bound[found.internal_id]].sales_orders.append(found)
                so_of[found.internal_id] = bound[found.internal_id]

    # bills and return authorizations, then the refunds created from them (a credit made
    # from a Return Authorization names the RA, not the bill). An RA is only a parent here,
    # never counted as money refunded: its credit memo / cash refund is.
    order_of_bill = {}
    for bill in search_created_from(client, so_of, BILL_TYPES + RETURN_TYPES, ""):
        if bill.created_from in so_of:
            order_of_bill[bill.internal_id] = so_of[bill.created_from]
    refund_ids = []
    for found in search_created_from(client, order_of_bill, REFUND_TYPES, tax_item):
        order_id = order_of_bill.get(found.created_from)
        if order_id:
            facts[order_id].refunds.append(found)
            refund_ids.append(found.internal_id)
    if refund_ids:
        refund_bindings = dict(
            Binding.objects.filter(connector=connector, kind="refund", netsuite_id__in=refund_ids)
            .exclude(shopify_id="")
            .values_list("netsuite_id", "shopify_id")
        )
        for fact in facts.values():
            for r in fact.refunds:
                if r.internal_id in refund_bindings:
                    fact.refund_bindings[r.internal_id] = _legacy(refund_bindings[r.internal_id])
    return list(facts.values())


def _legacy(shopify_id: str) -> str:
    return str(shopify_id).rsplit("/", 1)[-1]
