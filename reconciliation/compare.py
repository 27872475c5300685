"""The comparison: pure functions over one order's facts from both sides.

No I/O here. `read.py` streams the facts a chunk of orders at a time; `run.py` upserts what
`compare_order` finds. Money is compared to the cent.

Matching, per Shopify order:
  sales order   externalId `shopify-order-<id>`, or the order's binding
  refunds       a NetSuite cash refund / credit memo names its Shopify refund by externalId
                (`shopify-refund-<id>`, Shopify → NetSuite) or by its refund binding
                (NetSuite → Shopify); a Shopify refund the panel made names its NetSuite
                refund in its note (`NetSuite cashRefund 1234 [NetSuite connector]`).
A Shopify record with no NetSuite match is missing in NetSuite, and the other way round; one
matched by two or more on the other side is a duplicate; a 1:1 pair is compared for its total
(amount) and its tax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

CENT = Decimal("0.01")

MISSING_IN_NETSUITE = "missing_in_netsuite"
MISSING_IN_SHOPIFY = "missing_in_shopify"
DUPLICATE = "duplicate"
AMOUNT = "amount"
TAX = "tax"

ORDER = "order"
REFUND = "refund"

_NOTE = re.compile(r"NetSuite (\w+) (\d+) \[NetSuite connector\]")


def cents(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


@dataclass(frozen=True)
class ShopifyRefund:
    id: str  # legacy id
    total: Decimal
    tax: Decimal
    note: str = ""

    @property
    def netsuite_id_in_note(self) -> str | None:
        match = _NOTE.search(self.note or "")
        return match.group(2) if match else None


@dataclass(frozen=True)
class ShopifyOrder:
    id: str  # legacy id
    name: str
    total: Decimal
    tax: Decimal
    refunds: tuple[ShopifyRefund, ...] = ()


@dataclass(frozen=True)
class NetSuiteRecord:
    internal_id: str
    type: str  # salesOrder, cashRefund, creditMemo
    external_id: str
    total: Decimal
    tax: Decimal
    created_from: str = ""


@dataclass(frozen=True)
class Finding:
    kind: str
    record: str  # order / refund
    shopify_order_id: str
    shopify_order_name: str
    shopify_ids: tuple[str, ...]
    netsuite_ids: tuple[str, ...]
    netsuite_type: str = ""
    expected: Decimal | None = None  # Shopify's figure
    actual: Decimal | None = None  # NetSuite's figure
    detail: str = ""

    @property
    def key(self) -> str:
        """Stable identity across runs: the same variance found again updates one row."""
        return ":".join(
            (
                self.kind,
                self.record,
                self.shopify_order_id,
                ",".join(self.shopify_ids),
                ",".join(self.netsuite_ids),
            )
        )[:255]


@dataclass
class OrderFacts:
    """One Shopify order and what NetSuite holds for it."""

    order: ShopifyOrder
    sales_orders: list[NetSuiteRecord] = field(default_factory=list)
    refunds: list[NetSuiteRecord] = field(default_factory=list)
    # NetSuite refund internal id -> Shopify refund id, from the refund bindings
    refund_bindings: dict[str, str] = field(default_factory=dict)


def refund_external_id_target(external_id: str) -> str | None:
    prefix = "shopify-refund-"
    if external_id and external_id.startswith(prefix):
        return external_id[len(prefix) :]
    return None


def _money_findings(record, order, shopify_id, ns, expected_total, expected_tax):
    found = []
    base = {
        "record": record,
        "shopify_order_id": order.id,
        "shopify_order_name": order.name,
        "shopify_ids": (shopify_id,),
        "netsuite_ids": (ns.internal_id,),
        "netsuite_type": ns.type,
    }
    if cents(expected_total) != cents(ns.total):
        found.append(
            Finding(
                AMOUNT,
                expected=cents(expected_total),
                actual=cents(ns.total),
                detail=f"{record.capitalize()} total: Shopify {cents(expected_total)}, "
                f"NetSuite {cents(ns.total)}.",
                **base,
            )
        )
    if cents(expected_tax) != cents(ns.tax):
        found.append(
            Finding(
                TAX,
                expected=cents(expected_tax),
                actual=cents(ns.tax),
                detail=f"{record.capitalize()} tax: Shopify {cents(expected_tax)}, "
                f"NetSuite {cents(ns.tax)}.",
                **base,
            )
        )
    return found


def compare_order(facts: OrderFacts) -> list[Finding]:
    order = facts.order
    out: list[Finding] = []
    base = {"shopify_order_id": order.id, "shopify_order_name": order.name}

    # -- the order and its sales order(s)
    sales_orders = sorted({r.internal_id: r for r in facts.sales_orders}.values(), key=_by_id)
    if not sales_orders:
        out.append(
            Finding(
                MISSING_IN_NETSUITE,
                ORDER,
                shopify_ids=(order.id,),
                netsuite_ids=(),
                netsuite_type="salesOrder",
                expected=cents(order.total),
                detail=f"Order {order.name} has no sales order in NetSuite.",
                **base,
            )
        )
    elif len(sales_orders) > 1:
        out.append(
            Finding(
                DUPLICATE,
                ORDER,
                shopify_ids=(order.id,),
                netsuite_ids=tuple(r.internal_id for r in sales_orders),
                netsuite_type="salesOrder",
                expected=cents(order.total),
                actual=sum((cents(r.total) for r in sales_orders), Decimal(0)),
                detail=f"Order {order.name} has {len(sales_orders)} sales orders in NetSuite.",
                **base,
            )
        )
    else:
        out.extend(_money_findings(ORDER, order, order.id, sales_orders[0], order.total, order.tax))

    # -- refunds: match both ways, then judge each side's records
    ns_refunds = sorted({r.internal_id: r for r in facts.refunds}.values(), key=_by_id)
    shopify_refunds = {r.id: r for r in order.refunds}
    ns_for: dict[str, set[str]] = {sid: set() for sid in shopify_refunds}
    shopify_for: dict[str, set[str]] = {r.internal_id: set() for r in ns_refunds}
    for ns in ns_refunds:
        targets = {
            refund_external_id_target(ns.external_id),
            facts.refund_bindings.get(ns.internal_id),
        }
        for sid in targets:
            if sid and sid in shopify_refunds:
                ns_for[sid].add(ns.internal_id)
                shopify_for[ns.internal_id].add(sid)
    for sid, refund in shopify_refunds.items():
        named = refund.netsuite_id_in_note
        if named and named in shopify_for:
            ns_for[sid].add(named)
            shopify_for[named].add(sid)
    by_ns_id = {r.internal_id: r for r in ns_refunds}

    reported: set[str] = set()
    for ns in ns_refunds:
        sids = sorted(shopify_for[ns.internal_id])
        if len(sids) > 1:
            reported.update(sids)
            out.append(
                Finding(
                    DUPLICATE,
                    REFUND,
                    shopify_ids=tuple(sids),
                    netsuite_ids=(ns.internal_id,),
                    netsuite_type=ns.type,
                    expected=cents(ns.total),
                    actual=sum((cents(shopify_refunds[s].total) for s in sids), Decimal(0)),
                    detail=f"NetSuite {ns.type} {ns.internal_id} was refunded "
                    f"{len(sids)} times in Shopify (order {order.name}).",
                    **base,
                )
            )
        elif not sids:
            out.append(
                Finding(
                    MISSING_IN_SHOPIFY,
                    REFUND,
                    shopify_ids=(),
                    netsuite_ids=(ns.internal_id,),
                    netsuite_type=ns.type,
                    actual=cents(ns.total),
                    detail=f"NetSuite {ns.type} {ns.internal_id} of order {order.name} has no "
                    "refund in Shopify.",
                    **base,
                )
            )
    for sid, refund in shopify_refunds.items():
        if sid in reported:
            continue
        nids = sorted(ns_for[sid])
        if not nids:
            out.append(
                Finding(
                    MISSING_IN_NETSUITE,
                    REFUND,
                    shopify_ids=(sid,),
                    netsuite_ids=(),
                    expected=cents(refund.total),
                    detail=f"Shopify refund {sid} of order {order.name} has no cash refund or "
                    "credit memo in NetSuite.",
                    **base,
                )
            )
        elif len(nids) > 1:
            records = [by_ns_id[n] for n in nids]
            out.append(
                Finding(
                    DUPLICATE,
                    REFUND,
                    shopify_ids=(sid,),
                    netsuite_ids=tuple(nids),
                    netsuite_type=",".join(sorted({r.type for r in records})),
                    expected=cents(refund.total),
                    actual=sum((cents(r.total) for r in records), Decimal(0)),
                    detail=f"Shopify refund {sid} of order {order.name} is in NetSuite "
                    f"{len(nids)} times.",
                    **base,
                )
            )
        else:
            ns = by_ns_id[nids[0]]
            if len(shopify_for[ns.internal_id]) == 1:
                out.extend(_money_findings(REFUND, order, sid, ns, refund.total, refund.tax))
    return out


def _by_id(record: NetSuiteRecord):
    return (len(record.internal_id), record.internal_id)
