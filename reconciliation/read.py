"""Reading both sides in bulk, a chunk of orders at a time (never one call per order).

Shopify: the orders updated in the window, paged (`ordersForReconciliation`: lines, refunds
and their lines inline; ~133 points an order, so pages of 7).
NetSuite, per chunk of up to 1,000 orders: one `getList` of the sales orders by externalId
(plus, rarely, one by internal id for orders bound to another sales order), one
`createdFrom` search for what was billed from them and one for the cash refunds and credit
memos created from those bills; searches ask for pages of 1,000 and follow `searchMoreWithId`;
records come whole (bodyFieldsOnly=false), lines included. NetSuite's item ids become SKUs
through the item bindings (one query a chunk). Only the chunk is held in memory.

Then NetSuite's side of the window (`netsuite_written_since`): the sales orders, cash refunds
and credit memos modified in it (body fields only) that the pass over Shopify's window did not
meet lead, through their bills and sales orders (two `getList`s), to Shopify orders outside
the window; those are read by id (`ordersByIdForReconciliation`) and compared like the others.
"""

from __future__ import annotations

import datetime as dt
import queue
import threading
from collections.abc import Iterable, Iterator
from decimal import Decimal

from connector import external_ids, gids, items
from connector.models import Binding, ConnectorOptions
from connector.netsuite import records

from . import soapread
from .compare import (
    ADJUSTMENT,
    DISCOUNT,
    SHIPPING,
    TAX_CHARGE,
    Line,
    NetSuiteRecord,
    OrderFacts,
    ShopifyOrder,
    ShopifyRefund,
    cents,
)

CHUNK = 1000
SHOPIFY_PAGE = 7  # ~133 requested points an order (933 a page); Shopify refuses a query above 1,000
SHOPIFY_IDS = 7  # orders by id, a call
SHOPIFY_SLICES = 4  # order-id ranges of the window read at once
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


def _sku(node: dict | None) -> str:
    return ((node or {}).get("sku") or "").strip() or "(no SKU)"


def _complete(connection) -> bool:
    if isinstance(connection, list):
        return True
    return not (((connection or {}).get("pageInfo")) or {}).get("hasNextPage")


def _order_lines(node: dict) -> tuple[Line, ...] | None:
    connection = node.get("lineItems")
    if not _complete(connection):
        return None
    lines = []
    for li in _nodes(connection):
        quantity = Decimal(str(li.get("quantity") or 0))
        unit = cents(((li.get("originalUnitPriceSet") or {}).get("shopMoney") or {}).get("amount"))
        tax = sum((_amount(t.get("priceSet")) for t in li.get("taxLines") or []), cents(0))
        # NetSuite's line amount is its rate (Shopify's unit price) × quantity
        lines.append(Line(_sku(li), quantity, cents(unit * quantity), tax))
    return tuple(lines)


def _refund(r: dict) -> ShopifyRefund:
    connection = r.get("refundLineItems")
    lines = _nodes(connection)
    tax = sum((_amount(li.get("totalTaxSet")) for li in lines), cents(0))
    shipping_lines = _nodes(r.get("refundShippingLines"))
    tax += sum((_amount(s.get("taxAmountSet")) for s in shipping_lines), cents(0))
    shipping = sum((_amount(s.get("subtotalAmountSet")) for s in shipping_lines), cents(0))
    # as the refund flows write it: Shopify's adjustments, negative in the customer's favour
    adjustment = -sum(
        (
            _amount(a.get("amountSet")) + _amount(a.get("taxAmountSet"))
            for a in _nodes(r.get("orderAdjustments"))
        ),
        cents(0),
    )
    item_lines = None
    if _complete(connection):
        item_lines = tuple(
            Line(
                _sku(li.get("lineItem")),
                Decimal(str(li.get("quantity") or 0)),
                _amount(li.get("subtotalSet")),
                _amount(li.get("totalTaxSet")),
            )
            for li in lines
        )
    return ShopifyRefund(
        id=str(r["legacyResourceId"]),
        total=_amount(r.get("totalRefundedSet")),
        tax=tax,
        note=r.get("note") or "",
        lines=item_lines,
        charges=((SHIPPING, shipping), (ADJUSTMENT, adjustment)),
    )


def shopify_order(node: dict) -> ShopifyOrder:
    """The order as first placed; an edited one keeps its node, which `expected.for_chunk`
    turns into what the edit flow writes (it needs the chunk's absorbed refunds)."""
    return ShopifyOrder(
        id=str(node["legacyResourceId"]),
        name=node.get("name") or "",
        total=_amount(node.get("totalPriceSet")),
        tax=_amount(node.get("totalTaxSet")),
        refunds=tuple(_refund(r) for r in node.get("refunds") or []),
        lines=_order_lines(node),
        charges=(
            (DISCOUNT, -_amount(node.get("totalDiscountsSet"))),
            (SHIPPING, _amount(node.get("totalShippingPriceSet"))),
        ),
        source=node if node.get("edited") else None,
    )


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iter_shopify_orders(client, since: dt.datetime, page_size: int = SHOPIFY_PAGE):
    """The orders updated since `since`, a page at a time, through one client."""
    query = f"updated_at:>='{_iso(since)}'"
    for node in client.iter_pages("ordersForReconciliation", "orders", query, page_size):
        yield shopify_order(node)


def iter_shopify_orders_sliced(
    new_client,
    since: dt.datetime,
    slices: int = SHOPIFY_SLICES,
    page_size: int = SHOPIFY_PAGE,
) -> Iterator[ShopifyOrder]:
    """The same orders, read as `slices` order-id ranges at once, one client each
    (`new_client()`): a page costs a round trip whatever its size, and a page holds only 7
    orders, so one cursor at a time is bound by latency. Ranges of ids, not of time: ids never
    change while the run reads (an order updated meanwhile stays in its range) and follow
    creation, so the ranges hold similar numbers of orders. An order met twice is yielded once.
    Pages pass through a bounded queue (about one chunk): memory stays flat however large the
    window."""
    window = f"updated_at:>='{_iso(since)}'"
    answer = new_client().execute("orderIdRange", {"query": window})
    ends = [(answer.get(k) or {}).get("nodes") or [] for k in ("lowest", "highest")]
    if not all(ends):
        return
    low, high = (int(nodes[0]["legacyResourceId"]) for nodes in ends)
    step = max(1, -(-(high - low + 1) // slices))
    starts = list(range(low, high + 1, step))
    bounds = [*starts, None]  # the last range is open: an order made meanwhile is met
    # Room for about one chunk: Shopify keeps reading while the chunk before is compared
    # with NetSuite, and memory still holds at most two chunks.
    pages: queue.Queue = queue.Queue(maxsize=-(-CHUNK // page_size))
    stop = threading.Event()
    done = object()

    def read(start: int, end: int | None) -> None:
        try:
            query = f"{window} id:>={start}" + (f" id:<{end}" if end is not None else "")
            client, batch = new_client(), []
            for node in client.iter_pages("ordersForReconciliation", "orders", query, page_size):
                batch.append(node)
                if len(batch) >= page_size:
                    if not _put(pages, batch, stop):
                        return
                    batch = []
            if batch:
                _put(pages, batch, stop)
            _put(pages, done, stop)
        except BaseException as exc:  # the reader below raises it
            _put(pages, exc, stop)
        finally:
            from django.db import connection

            connection.close()

    threads = [
        threading.Thread(target=read, args=(bounds[i], bounds[i + 1]), daemon=True)
        for i in range(len(starts))
    ]
    for thread in threads:
        thread.start()
    seen: set[str] = set()
    running = len(threads)
    try:
        while running:
            item = pages.get()
            if item is done:
                running -= 1
            elif isinstance(item, BaseException):
                raise item
            else:
                for node in item:
                    order = shopify_order(node)
                    if order.id not in seen:
                        seen.add(order.id)
                        yield order
    finally:
        stop.set()


def _put(pages: queue.Queue, item, stop: threading.Event) -> bool:
    """Hand a page to the reader, unless it stopped (an error, a generator closed)."""
    while not stop.is_set():
        try:
            pages.put(item, timeout=0.5)
            return True
        except queue.Full:
            continue
    return False


def shopify_orders_by_id(client, order_ids: Iterable[str]) -> list[ShopifyOrder]:
    """The orders of these legacy ids that Shopify has, `SHOPIFY_IDS` a call."""
    ids = list(order_ids)
    out = []
    for start in range(0, len(ids), SHOPIFY_IDS):
        batch = [gids.order(i) for i in ids[start : start + SHOPIFY_IDS]]
        data = client.execute("ordersByIdForReconciliation", {"ids": batch})
        out.extend(
            shopify_order(node)
            for node in data.get("nodes") or []
            if node and node.get("__typename") == "Order"
        )
    return out


def chunks(orders, size: int = CHUNK) -> Iterator[list[ShopifyOrder]]:
    chunk = []
    for order in orders:
        chunk.append(order)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def get_list(client, refs, tax_item: str, with_lines: bool = True) -> list[NetSuiteRecord | None]:
    refs = list(refs)
    out: list[NetSuiteRecord | None] = []
    reader = soapread.get_list_reader(tax_item, with_lines)
    for start in range(0, len(refs), GET_LIST_MAX):
        out.extend(client._call("getList", baseRef=refs[start : start + GET_LIST_MAX], _raw=reader))
    return out


def search_created_from(
    client, internal_ids, record_types, tax_item: str, with_lines: bool = True
) -> Iterator:
    """Records created from these, a page of `NETSUITE_PAGE` at a time (searchMoreWithId)."""
    internal_ids = sorted({str(i) for i in internal_ids if i})
    if not internal_ids:
        return
    reader = soapread.search_reader(tax_item, with_lines)
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
    charge_items = charge_items_of(connector)
    tax_item = next((i for i, kind in charge_items.items() if kind == TAX_CHARGE), "")
    facts = {o.id: OrderFacts(order=o, charge_items=charge_items) for o in orders}
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
    for bill in search_created_from(client, so_of, BILL_TYPES + RETURN_TYPES, "", with_lines=False):
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

    # NetSuite's items -> SKUs, from the bindings the flows keep (one query for the chunk)
    item_ids = {
        line.item
        for fact in facts.values()
        for r in (*fact.sales_orders, *fact.refunds)
        for line in r.lines
        if line.item and line.item not in charge_items
    }
    skus = items.skus_for(connector, item_ids)
    for fact in facts.values():
        fact.item_skus = skus
    return list(facts.values())


def charge_items_of(connector) -> dict[str, str]:
    """Charge item internal id -> what it carries (connector options, read fresh, not from a
    relation cached before the options were last saved)."""
    row = (
        ConnectorOptions.objects.filter(connector=connector)
        .values_list(
            "netsuite_tax_item_id", "netsuite_discount_item_id", "netsuite_adjustment_item_id"
        )
        .first()
    )
    if not row:
        return {}
    return {
        str(item_id): kind
        for item_id, kind in zip(row, (TAX_CHARGE, DISCOUNT, ADJUSTMENT), strict=True)
        if item_id
    }


def _legacy(shopify_id: str) -> str:
    return str(shopify_id).rsplit("/", 1)[-1]


# -- NetSuite's side of the window ------------------------------------------------------------

WRITTEN_TYPES = ("salesOrder", "cashRefund", "creditMemo")
BILL_OF = {"cashRefund": "cashSale", "creditMemo": "invoice"}


def search_modified_since(client, since: dt.datetime) -> Iterator[NetSuiteRecord]:
    """Sales orders, cash refunds and credit memos modified at or after `since`: body fields
    only (ids, externalId, createdFrom), a page of `NETSUITE_PAGE` at a time."""
    reader = soapread.search_reader("", with_lines=False)
    prefs = client.search_preferences(NETSUITE_PAGE)
    prefs.bodyFieldsOnly = True
    search_record = records.modified_since_search(WRITTEN_TYPES, since)
    page = client._call("search", searchRecord=search_record, _search_prefs=prefs, _raw=reader)
    yield from page.records
    for page_index in range(2, page.total_pages + 1):
        more = client._call(
            "searchMoreWithId", searchId=page.search_id, pageIndex=page_index, _raw=reader
        )
        yield from more.records


def netsuite_written_since(
    connector, client, since: dt.datetime, seen_orders: set[str], seen_records: set[str]
) -> dict[str, dict[str, str]]:
    """Shopify order id -> {NetSuite internal id: type} for the records NetSuite wrote in the
    window that belong to Shopify orders the pass over Shopify's window did not meet (the
    order was last updated before it, or Shopify has no such order): a credit memo written
    today for an order of last year is compared all the same.

    A sales order names its Shopify order by externalId or its order binding; a refund through
    the bill it was created from (one `getList` of bills, one of their sales orders)."""
    orders_of_so: dict[str, str] = {}  # sales order id -> externalId, still to name an order
    refunds_of_bill: dict[str, list[tuple[str, str]]] = {}
    bill_types: dict[str, str] = {}
    for rec in search_modified_since(client, since):
        if rec.internal_id in seen_records:
            continue
        if rec.type == "salesOrder":
            orders_of_so[rec.internal_id] = rec.external_id
        elif rec.created_from and rec.type in BILL_OF:
            refunds_of_bill.setdefault(rec.created_from, []).append((rec.internal_id, rec.type))
            bill_types[rec.created_from] = BILL_OF[rec.type]

    # refunds -> their bills -> sales orders
    refunds_of_so: dict[str, list[tuple[str, str]]] = {}
    bill_ids = sorted(refunds_of_bill)
    refs = (records.ref(i, record_type=bill_types[i]) for i in bill_ids)
    for bill_id, bill in zip(bill_ids, get_list(client, refs, "", False), strict=True):
        if bill is not None and bill.created_from:
            refunds_of_so.setdefault(bill.created_from, []).extend(refunds_of_bill[bill_id])
    unknown = sorted(set(refunds_of_so) - set(orders_of_so))
    if unknown:
        refs = (records.ref(i, record_type="salesOrder") for i in unknown)
        for so_id, so in zip(unknown, get_list(client, refs, "", False), strict=True):
            if so is not None:
                orders_of_so[so_id] = so.external_id

    bound = dict(
        Binding.objects.filter(connector=connector, kind="order", netsuite_id__in=orders_of_so)
        .exclude(shopify_id="")
        .values_list("netsuite_id", "shopify_id")
    )
    out: dict[str, dict[str, str]] = {}
    for so_id, external_id in orders_of_so.items():
        order_id = _order_of(external_id) or (_legacy(bound[so_id]) if so_id in bound else None)
        if not order_id or order_id in seen_orders:
            continue  # not a Shopify order's, or already compared in this run
        named = out.setdefault(order_id, {})
        if so_id not in seen_records:
            named[so_id] = "salesOrder"
        for refund_id, refund_type in refunds_of_so.get(so_id, ()):
            named[refund_id] = refund_type
    return out


def _order_of(external_id: str) -> str | None:
    prefix = external_ids.sales_order("")
    if external_id and external_id.startswith(prefix) and external_id[len(prefix) :]:
        return external_id[len(prefix) :]
    return None
