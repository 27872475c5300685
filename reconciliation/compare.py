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
(amount) and its tax, then line by line (`line_findings`):
  item lines    matched by SKU (a NetSuite line's item -> SKU through the item bindings, else
                the item's name NetSuite sends with the line). Per SKU: none on one side is a
                missing line, more lines in NetSuite than in Shopify a duplicate line; else the
                quantities, amounts (to the cent) and, where both sides carry line tax, the tax
                are compared. NetSuite lines carry no Shopify line item id, so SKU is the key.
  charges       what NetSuite holds as lines of the charge items or body fields (flows/charges.py):
                discount (the discount item's lines), shipping (`shippingCost`) and refund
                adjustments (the adjustment item's lines) are compared as charges, never
                reported as item lines. The tax item's lines are the record's tax (above).
An order or refund whose lines Shopify did not send in full (more than the query asks for) is
compared per record and by its charges only.

What the Shopify side holds is what NetSuite should hold (expected.py): an edited order's
figures are the edit flow's, and on it a line at quantity 0 with no line on the other side
(removed in Shopify; closed at 0 in NetSuite, or never written) is no variance. A refund an
edit absorbed is expected nowhere in NetSuite: no credit is right, one credit or more is a
duplicate (the sales order already took it off).
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
QUANTITY = "quantity"

# what a line finding is about (Finding.line_kind)
ITEM_LINE = "item"
CHARGE = "charge"
DISCOUNT = "discount"
SHIPPING = "shipping"
ADJUSTMENT = "adjustment"
TAX_CHARGE = "tax"
CHARGE_KINDS = (DISCOUNT, SHIPPING, ADJUSTMENT)

ORDER = "order"
REFUND = "refund"

_NOTE = re.compile(r"NetSuite (\w+) (\d+) \[NetSuite connector\]")


def cents(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


@dataclass(frozen=True)
class Line:
    """One item line, or several of one SKU added up (`count` of them)."""

    sku: str
    quantity: Decimal
    amount: Decimal
    tax: Decimal | None = None  # None: this side carries no tax on the line
    count: int = 1


@dataclass(frozen=True)
class NetSuiteLine:
    item: str  # item internal id
    name: str  # the item's name as NetSuite sends it on the line (may be empty)
    quantity: Decimal | None
    amount: Decimal
    tax: Decimal | None = None  # taxAmount / tax1Amt when the account puts tax on lines


@dataclass(frozen=True)
class ShopifyRefund:
    id: str  # legacy id
    total: Decimal
    tax: Decimal
    note: str = ""
    lines: tuple[Line, ...] | None = None  # None: not all read
    # DISCOUNT / SHIPPING / ADJUSTMENT -> Shopify's figure, as NetSuite carries it
    charges: tuple[tuple[str, Decimal], ...] = ()
    # An order edit took it off the sales order (flows/order_edits/absorbed.py): NetSuite
    # should hold no credit for it, and one that does counts it twice.
    absorbed: bool = False

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
    lines: tuple[Line, ...] | None = None  # None: not all read
    charges: tuple[tuple[str, Decimal], ...] = ()
    # Edited in Shopify: the figures above are what the edit flow writes (expected.py), and a
    # line at quantity 0 (removed, closed in NetSuite) matches no line at all.
    edited: bool = False
    # False when Shopify's answer was too short to know the sales order's figures (an edited
    # order whose refunds name lines not read): compared for its existence only.
    figures_known: bool = True
    # The node of an order Shopify says was edited, as it sent it, until expected.py reads it.
    source: dict | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class NetSuiteRecord:
    internal_id: str
    type: str  # salesOrder, cashRefund, creditMemo
    external_id: str
    total: Decimal
    tax: Decimal
    created_from: str = ""
    lines: tuple[NetSuiteLine, ...] = ()
    shipping: Decimal = Decimal("0.00")


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
    line_kind: str = ""  # ITEM_LINE / CHARGE; empty for the whole record
    line: str = ""  # the SKU, or the charge (DISCOUNT, SHIPPING, ADJUSTMENT)
    expected_quantity: Decimal | None = None
    actual_quantity: Decimal | None = None

    @property
    def key(self) -> str:
        """Stable identity across runs: the same variance found again updates one row. The
        line comes first after the kind so that a long list of ids cannot cut it off."""
        parts = [self.kind, self.record]
        if self.line_kind:
            parts += [self.line_kind, self.line[:80]]
        parts += [
            self.shopify_order_id,
            ",".join(self.shopify_ids),
            ",".join(self.netsuite_ids),
        ]
        return ":".join(parts)[:255]


@dataclass
class OrderFacts:
    """One Shopify order and what NetSuite holds for it."""

    order: ShopifyOrder
    sales_orders: list[NetSuiteRecord] = field(default_factory=list)
    refunds: list[NetSuiteRecord] = field(default_factory=list)
    # NetSuite refund internal id -> Shopify refund id, from the refund bindings
    refund_bindings: dict[str, str] = field(default_factory=dict)
    # NetSuite item internal id -> SKU (item bindings), and charge item id -> TAX_CHARGE /
    # DISCOUNT / ADJUSTMENT (connector options), to read NetSuite's lines
    item_skus: dict[str, str] = field(default_factory=dict)
    charge_items: dict[str, str] = field(default_factory=dict)


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
    elif order.figures_known:
        so = sales_orders[0]
        out.extend(_money_findings(ORDER, order, order.id, so, order.total, order.tax))
        out.extend(line_findings(ORDER, order, order.id, so, order.lines, order.charges, facts))

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
        if refund.absorbed:
            if nids:
                out.append(_credited_twice(order, refund, [by_ns_id[n] for n in nids]))
            continue  # the edited sales order carries it: no credit expected
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
                out.extend(
                    line_findings(REFUND, order, sid, ns, refund.lines, refund.charges, facts)
                )
    return out


def _credited_twice(order, refund: ShopifyRefund, records: list[NetSuiteRecord]) -> Finding:
    ids = tuple(r.internal_id for r in records)
    return Finding(
        DUPLICATE,
        REFUND,
        shopify_order_id=order.id,
        shopify_order_name=order.name,
        shopify_ids=(refund.id,),
        netsuite_ids=ids,
        netsuite_type=",".join(sorted({r.type for r in records})),
        expected=cents(0),
        actual=sum((cents(r.total) for r in records), Decimal(0)),
        detail=f"Shopify refund {refund.id} of order {order.name} was taken off the sales order "
        f"by its edit, and NetSuite credits it again ({', '.join(ids)}).",
    )


def _by_id(record: NetSuiteRecord):
    return (len(record.internal_id), record.internal_id)


# -- per line -------------------------------------------------------------------------------


def sum_lines(lines) -> dict[str, Line]:
    """Lines added up per SKU (a SKU on two lines of one side counts 2)."""
    out: dict[str, Line] = {}
    for line in lines:
        seen = out.get(line.sku)
        if seen is None:
            out[line.sku] = line
            continue
        tax = None if seen.tax is None or line.tax is None else seen.tax + line.tax
        out[line.sku] = Line(
            line.sku,
            seen.quantity + line.quantity,
            seen.amount + line.amount,
            tax,
            seen.count + line.count,
        )
    return out


def netsuite_lines(record: NetSuiteRecord, facts: OrderFacts) -> tuple[list[Line], dict]:
    """NetSuite's item lines (by SKU) and its charges, as Shopify's are held."""
    items: list[Line] = []
    charges = {SHIPPING: cents(record.shipping)}
    for line in record.lines:
        charge = facts.charge_items.get(line.item)
        if charge:
            charges[charge] = charges.get(charge, cents(0)) + cents(line.amount)
            continue
        sku = facts.item_skus.get(line.item) or line.name or f"NetSuite item {line.item}"
        items.append(
            Line(
                sku,
                Decimal(str(line.quantity if line.quantity is not None else 0)),
                cents(line.amount),
                None if line.tax is None else cents(line.tax),
            )
        )
    return items, charges


def line_findings(record, order, shopify_id, ns, shopify_lines, shopify_charges, facts):
    found: list[Finding] = []
    base = {
        "record": record,
        "shopify_order_id": order.id,
        "shopify_order_name": order.name,
        "shopify_ids": (shopify_id,),
        "netsuite_ids": (ns.internal_id,),
        "netsuite_type": ns.type,
    }
    what = f"{record} {shopify_id}" if record == REFUND else f"order {order.name}"
    ns_items, ns_charges = netsuite_lines(ns, facts)

    # -- charges: discount, shipping, adjustment (the tax item is the record's tax)
    wanted = dict(shopify_charges)
    for kind in CHARGE_KINDS:
        if record == REFUND and kind == DISCOUNT:
            continue  # a refund's lines are net of discount in Shopify; no discount to match
        expected, actual = cents(wanted.get(kind)), cents(ns_charges.get(kind))
        if expected != actual:
            found.append(
                Finding(
                    AMOUNT,
                    line_kind=CHARGE,
                    line=kind,
                    expected=expected,
                    actual=actual,
                    detail=f"{kind.capitalize()} of {what}: Shopify {expected}, NetSuite {actual}.",
                    **base,
                )
            )

    # -- item lines, by SKU
    if shopify_lines is None:
        return found  # Shopify did not send them all: per record only
    mine, theirs = sum_lines(shopify_lines), sum_lines(ns_items)
    for sku in sorted(mine.keys() | theirs.keys()):
        s, n = mine.get(sku), theirs.get(sku)
        if record == ORDER and order.edited and (s is None or n is None) and _nothing(s or n):
            continue  # removed in Shopify, and closed at 0 in NetSuite or never written
        line = {"line_kind": ITEM_LINE, "line": sku}
        if n is None:
            found.append(
                Finding(
                    MISSING_IN_NETSUITE,
                    expected=s.amount,
                    expected_quantity=s.quantity,
                    detail=f"SKU {sku} ({_qty(s.quantity)} for {s.amount}) of {what} is not "
                    f"on NetSuite {ns.type} {ns.internal_id}.",
                    **line,
                    **base,
                )
            )
        elif s is None:
            found.append(
                Finding(
                    MISSING_IN_SHOPIFY,
                    actual=n.amount,
                    actual_quantity=n.quantity,
                    detail=f"NetSuite {ns.type} {ns.internal_id} has {sku} "
                    f"({_qty(n.quantity)} for {n.amount}), which {what} has not in Shopify.",
                    **line,
                    **base,
                )
            )
        else:
            # Both sides have the SKU: one finding of the first kind that differs, with both
            # sides' quantities and amounts.
            both = {
                "expected": s.amount,
                "actual": n.amount,
                "expected_quantity": s.quantity,
                "actual_quantity": n.quantity,
            }
            if n.count > s.count:
                kind, detail = (
                    DUPLICATE,
                    f"SKU {sku} is on {n.count} lines of NetSuite {ns.type} "
                    f"{ns.internal_id} ({_qty(n.quantity)} for {n.amount}), on {s.count} of "
                    f"{what} in Shopify ({_qty(s.quantity)} for {s.amount}).",
                )
            elif s.quantity != n.quantity:
                kind, detail = (
                    QUANTITY,
                    f"SKU {sku} of {what}: Shopify {_qty(s.quantity)} for {s.amount}, "
                    f"NetSuite {_qty(n.quantity)} for {n.amount}.",
                )
            elif s.amount != n.amount:
                kind, detail = (
                    AMOUNT,
                    f"SKU {sku} of {what} ({_qty(s.quantity)}): Shopify {s.amount}, "
                    f"NetSuite {n.amount}.",
                )
            else:
                kind = detail = None
            if kind is not None:
                found.append(Finding(kind, detail=detail, **both, **line, **base))
        both_taxed = s is not None and n is not None and s.tax is not None and n.tax is not None
        if both_taxed and s.tax != n.tax:
            found.append(
                Finding(
                    TAX,
                    expected=s.tax,
                    actual=n.tax,
                    expected_quantity=s.quantity,
                    actual_quantity=n.quantity,
                    detail=f"Tax on SKU {sku} of {what}: Shopify {s.tax}, NetSuite {n.tax}.",
                    **line,
                    **base,
                )
            )
    return found


def _nothing(line: Line) -> bool:
    return not line.quantity and not line.amount


def _qty(quantity: Decimal) -> str:
    return f"{quantity.normalize():f}"
