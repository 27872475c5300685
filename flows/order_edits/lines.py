"""An order's lines as Shopify wants them and as the NetSuite sales order holds them, and the
plan between the two. Pure functions: no I/O.

Every sales order line the connector writes carries a *line key* in a transaction column
field (Settings › Order edits): the Shopify line item's id, or ``<id>:<component SKU>`` for a
bundle's component. Edits address lines by NetSuite's ``line`` number with
``replaceAll="false"`` (DOMAIN.md: the default would delete every line not sent), so a line
the warehouse or a person added in NetSuite stays untouched. A line removed in Shopify is set
to quantity 0 and closed (NetSuite keeps the line; the warehouse no longer picks it).

Money is copied from Shopify: item lines at Shopify's unit price, the discount and tax as lines
of the connector's charge items with Shopify's current figures, shipping as ``shippingCost``.
Refunds are the refunds flow's business unless an edit absorbed them (a refund made before the
order was billed, taken off the sales order instead of credited): the units and money of every
other refund are added back, so the sales order keeps them and the refund's credit memo
carries them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from connector import gids
from flows import addresses
from flows.charges import ChargeItems
from flows.order_edits.lock import status_label
from flows.sync import NeedsPerson

CENT = Decimal("0.01")


def money(bag) -> Decimal:
    if not bag:
        return Decimal(0)
    if isinstance(bag, dict):
        bag = (bag.get("shopMoney") or {}).get("amount", "0")
    if isinstance(bag, float):
        bag = repr(bag)
    return Decimal(str(bag)).quantize(CENT)


@dataclass(frozen=True)
class WantedLine:
    key: str
    sku: str
    quantity: int
    rate: Decimal  # Shopify's unit price, before discounts
    amount: Decimal  # rate × quantity, or a bundle component's allocated share
    description: str
    item_id: str = ""  # the NetSuite item (filled once SKUs are resolved)
    fulfilled: int = 0


@dataclass(frozen=True)
class Wanted:
    """The sales order as Shopify's order says it should be now."""

    lines: tuple[WantedLine, ...]
    discount: Decimal  # positive; written as a negative line
    tax: Decimal
    shipping: Decimal
    total: Decimal  # Shopify's total after edits (refunds not absorbed added back)
    currency: str
    absorbed_refunds: tuple[str, ...] = ()
    address: dict | None = None  # flows.addresses' shape

    @property
    def quantities(self) -> dict[str, int]:
        return {line.key: line.quantity for line in self.lines}

    def version(self) -> str:
        return fingerprint(
            self.quantities, self.discount, self.tax, self.shipping, address=self.address
        )


@dataclass(frozen=True)
class HeldLine:
    line: str  # NetSuite's line number
    key: str  # our line key ("" for a line added in NetSuite)
    item_id: str
    quantity: int
    rate: Decimal | None
    amount: Decimal
    fulfilled: int = 0
    closed: bool = False
    charge: str = ""  # "tax" / "discount": a line of a charge item
    description: str = ""


@dataclass(frozen=True)
class Held:
    """The sales order as NetSuite holds it."""

    internal_id: str
    status: str
    lines: tuple[HeldLine, ...]
    shipping: Decimal
    total: Decimal
    address: dict | None = None

    @property
    def item_lines(self) -> list[HeldLine]:
        return [line for line in self.lines if not line.charge]

    def charge_line(self, kind: str) -> HeldLine | None:
        return next((line for line in self.lines if line.charge == kind), None)

    @property
    def quantities(self) -> dict[str, int]:
        """Line key -> quantity (a line without a key counts by its NetSuite line)."""
        out: dict[str, int] = {}
        for line in self.item_lines:
            if line.closed and not line.quantity:
                continue
            key = line.key or f"ns-line:{line.line}:{line.item_id}"
            out[key] = out.get(key, 0) + line.quantity
        return out

    def state(self) -> dict:
        """What the exception queue shows of the sales order."""
        return {
            "status": status_label(self.status),
            "lines": [
                {
                    "line": h.line,
                    "key": h.key,
                    "item": h.item_id,
                    "title": h.description,
                    "quantity": h.quantity,
                    "fulfilled": h.fulfilled,
                    "amount": str(h.amount),
                    "charge": h.charge,
                    "closed": h.closed,
                }
                for h in self.lines
            ],
            "shipping": str(self.shipping),
            "total": str(self.total),
        }

    def version(self) -> str:
        tax = self.charge_line("tax")
        discount = self.charge_line("discount")
        return fingerprint(
            self.quantities,
            -(discount.amount if discount else Decimal(0)),
            tax.amount if tax else Decimal(0),
            self.shipping,
            address=self.address,
        )


def fingerprint(quantities: Mapping[str, int], discount, tax, shipping, address=None) -> str:
    """A short, stable digest of an order's line state: the version both directions keep
    (bindings) to recognise an edit they applied themselves when it comes back."""
    body = json.dumps(
        {
            "lines": sorted((k, int(q)) for k, q in quantities.items() if int(q)),
            "discount": str(Decimal(discount).quantize(CENT)),
            "tax": str(Decimal(tax).quantize(CENT)),
            "shipping": str(Decimal(shipping).quantize(CENT)),
            "address": sorted((address or {}).items()),
        },
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()[:32]


# -- Shopify: the order as it should be ------------------------------------------------------


def _nodes(conn) -> list[dict]:
    return list((conn or {}).get("nodes") or [])


def wanted_from_order(
    order: dict,
    *,
    absorbed_refunds: Iterable[str] = (),
    components: Mapping[str, tuple] | None = None,
    explode=None,
) -> Wanted:
    """The sales order a Shopify order (orderForEdit) asks for. Refunds not in
    `absorbed_refunds` are added back (their credit is the refunds flow's); `components` maps
    a bundle SKU to its components, `explode` (flows.bundles.explode) splits such a line."""
    absorbed = {str(r) for r in absorbed_refunds}
    added_qty: dict[str, int] = {}
    added_discount = Decimal(0)
    added_tax = Decimal(0)
    added_shipping = Decimal(0)
    added_total = Decimal(0)
    included = bool(order.get("taxesIncluded"))
    lines = _nodes(order.get("lineItems"))
    by_id = {line["id"]: line for line in lines}
    for refund in order.get("refunds") or []:
        if gids.legacy_id(refund["id"]) in absorbed:
            continue
        for part in _nodes(refund.get("refundLineItems")):
            line = by_id.get((part.get("lineItem") or {}).get("id"))
            if line is None:
                continue
            qty = int(part["quantity"])
            added_qty[line["id"]] = added_qty.get(line["id"], 0) + qty
            subtotal = money(part.get("subtotalSet"))
            tax = money(part.get("totalTaxSet"))
            gross = money(line.get("originalUnitPriceSet")) * qty
            added_discount += gross - subtotal
            added_tax += tax
            added_total += subtotal + (Decimal(0) if included else tax)
        for part in _nodes(refund.get("refundShippingLines")):
            ship, tax = money(part.get("subtotalAmountSet")), money(part.get("taxAmountSet"))
            added_shipping += ship
            added_tax += tax
            added_total += ship + (Decimal(0) if included else tax)
    wanted: list[WantedLine] = []
    name = order.get("name") or order.get("id")
    for number, line in enumerate(lines, start=1):
        sku = (line.get("sku") or "").strip()
        title = line.get("title") or ""
        quantity = int(line.get("currentQuantity", line.get("quantity", 0))) + added_qty.get(
            line["id"], 0
        )
        if not sku:
            if quantity == 0:
                continue
            raise NeedsPerson(
                f"Line {number} of order {name} (“{title}”) has no SKU in Shopify: give the "
                "product variant a SKU that exists in NetSuite, then Retry."
            )
        rate = money(line.get("originalUnitPriceSet"))
        key = gids.legacy_id(line["id"])
        parts = (components or {}).get(sku)
        if parts and explode is not None:
            for part in explode(
                {
                    "key": key,
                    "sku": sku,
                    "quantity": quantity,
                    "amount": rate * quantity,
                    "tax": Decimal(0),
                    "description": title,
                },
                parts,
            ):
                qty = int(part["quantity"])
                amount = Decimal(part["amount"]).quantize(CENT)
                wanted.append(
                    WantedLine(
                        key=part["key"],
                        sku=part["sku"],
                        quantity=qty,
                        rate=(amount / qty).quantize(Decimal("0.0001")) if qty else Decimal(0),
                        amount=amount,
                        description=part["description"],
                    )
                )
            continue
        wanted.append(
            WantedLine(
                key=key,
                sku=sku,
                quantity=quantity,
                rate=rate,
                amount=(rate * quantity).quantize(CENT),
                description=title,
            )
        )
    currency = ((order.get("currentTotalPriceSet") or {}).get("shopMoney") or {}).get(
        "currencyCode", ""
    ) or order.get("currencyCode", "")
    return Wanted(
        lines=tuple(wanted),
        discount=money(order.get("currentTotalDiscountsSet")) + added_discount,
        tax=Decimal(0) if included else money(order.get("currentTotalTaxSet")) + added_tax,
        shipping=money(order.get("currentShippingPriceSet")) + added_shipping,
        total=money(order.get("currentTotalPriceSet")) + added_total,
        currency=currency,
        absorbed_refunds=tuple(sorted(absorbed)),
        address=addresses.from_shopify(order.get("shippingAddress")),
    )


def with_items(wanted: Wanted, item_ids: Mapping[str, str]) -> Wanted:
    """The wanted lines with their NetSuite items; a SKU NetSuite does not know needs a
    person (the sales order cannot carry it)."""
    lines = []
    for line in wanted.lines:
        item = item_ids.get(line.sku)
        if not item:
            if line.quantity == 0:
                continue
            raise NeedsPerson(
                f"SKU {line.sku} is not an item in NetSuite: create it or map it, then Retry."
            )
        lines.append(WantedLine(**{**line.__dict__, "item_id": item}))
    return Wanted(**{**wanted.__dict__, "lines": tuple(lines)})


# -- NetSuite: the order as it is ----------------------------------------------------------------


def _custom_value(line, script_id: str) -> str:
    fields = getattr(getattr(line, "customFieldList", None), "customField", None) or []
    for custom in fields:
        if getattr(custom, "scriptId", None) == script_id:
            return str(getattr(custom, "value", "") or "")
    return ""


def _int(value) -> int:
    if value in (None, ""):
        return 0
    return int(Decimal(str(value)))


def held_from_sales_order(so, *, key_field: str, charges: ChargeItems) -> Held:
    out = []
    item_list = getattr(getattr(so, "itemList", None), "item", None) or []
    for line in item_list:
        item_id = str(getattr(getattr(line, "item", None), "internalId", "") or "")
        charge = ""
        if charges.tax and item_id == charges.tax:
            charge = "tax"
        elif charges.discount and item_id == charges.discount:
            charge = "discount"
        rate = getattr(line, "rate", None)
        out.append(
            HeldLine(
                line=str(getattr(line, "line", "") or ""),
                key=_custom_value(line, key_field),
                item_id=item_id,
                quantity=_int(getattr(line, "quantity", None)),
                rate=None if rate in (None, "") else money(rate),
                amount=money(getattr(line, "amount", None)),
                fulfilled=_int(getattr(line, "quantityFulfilled", None)),
                closed=bool(getattr(line, "isClosed", False)),
                charge=charge,
                description=str(getattr(line, "description", "") or ""),
            )
        )
    return Held(
        internal_id=str(so.internalId),
        status=str(getattr(so, "orderStatus", "") or ""),
        lines=tuple(out),
        shipping=money(getattr(so, "shippingCost", None)),
        total=money(getattr(so, "total", None)),
        address=addresses.from_netsuite(getattr(so, "shippingAddress", None)),
    )


# -- the plan ------------------------------------------------------------------------------------


@dataclass
class Plan:
    """What to send (lines by number, new lines, charges, shipping) and what it changes, in
    words a person reads in the exception queue."""

    updates: list[dict] = field(default_factory=list)  # {"line", "quantity", "rate", "amount", ...}
    adds: list[dict] = field(default_factory=list)  # {"key", "item_id", "quantity", "rate", ...}
    shipping: Decimal | None = None
    address: dict | None = None
    changes: list[dict] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.updates or self.adds or self.shipping is not None or self.address)


def _match(wanted: Wanted, held: Held) -> dict[str, HeldLine]:
    """Wanted key -> the held line it edits: by line key, else (an order imported before
    lines carried keys) the first unkeyed line of the same item, in order."""
    matched: dict[str, HeldLine] = {}
    keyed = {line.key: line for line in held.item_lines if line.key}
    unkeyed = [line for line in held.item_lines if not line.key]
    for want in wanted.lines:
        if want.key in keyed:
            matched[want.key] = keyed[want.key]
            continue
        for line in unkeyed:
            if line.item_id == want.item_id:
                matched[want.key] = line
                unkeyed.remove(line)
                break
    return matched


def plan(wanted: Wanted, held: Held, *, charges: ChargeItems) -> Plan:
    out = Plan()
    matched = _match(wanted, held)
    wanted_keys = {w.key for w in wanted.lines}
    for want in wanted.lines:
        line = matched.get(want.key)
        if line is None:
            if want.quantity == 0:
                continue
            out.adds.append(
                {
                    "key": want.key,
                    "item_id": want.item_id,
                    "quantity": want.quantity,
                    "rate": want.rate,
                    "amount": want.amount,
                    "description": want.description,
                }
            )
            out.changes.append(
                _change(want, None, "added", f"Added in Shopify: {want.quantity} × {want.sku}")
            )
            continue
        if (
            line.quantity == want.quantity
            and line.amount == want.amount
            and not (line.closed and want.quantity)
        ):
            if not line.key:
                # Same line, but written before lines carried keys: give it its key now.
                out.updates.append({"line": line.line, "key": want.key})
            continue
        update = {
            "line": line.line,
            "key": want.key,
            "quantity": want.quantity,
            "rate": want.rate,
            "amount": want.amount,
            "closed": want.quantity == 0,
        }
        out.updates.append(update)
        verb = "Removed in Shopify" if want.quantity == 0 else "Quantity changed in Shopify"
        out.changes.append(
            _change(
                want,
                line,
                "removed" if want.quantity == 0 else "quantity",
                f"{verb}: {want.sku} {line.quantity} → {want.quantity}",
            )
        )
    # Keyed lines Shopify no longer has at all (a bundle component dropped from the mapping,
    # a line from another source): left alone. Our keys are Shopify line ids, and Shopify
    # never deletes a line item (a removed line keeps quantity 0), so this is rare.
    del wanted_keys
    for kind, amount in (("discount", -wanted.discount), ("tax", wanted.tax)):
        line = held.charge_line(kind)
        held_amount = line.amount if line else Decimal(0)
        if held_amount == amount:
            continue
        item = charges.discount if kind == "discount" else charges.tax
        if line is None:
            if not item:
                raise NeedsPerson(
                    f"The edit brings a Shopify {kind} of {abs(amount)} that cannot be written: "
                    f"set the NetSuite {kind} item in Settings › Orders, then Retry."
                )
            out.adds.append(
                {
                    "key": "",
                    "item_id": item,
                    "quantity": None,
                    "rate": None,
                    "amount": amount,
                    "description": f"Shopify {kind}",
                }
            )
        else:
            out.updates.append({"line": line.line, "amount": amount, "rate": None})
        out.changes.append(
            {
                "key": kind,
                "sku": "",
                "title": f"Shopify {kind}",
                "change": "charge",
                "source_quantity": None,
                "target_quantity": None,
                "fulfilled": 0,
                "source_amount": str(amount),
                "target_amount": str(held_amount),
                "summary": f"{kind.capitalize()} {held_amount} → {amount}",
            }
        )
    if held.shipping != wanted.shipping:
        out.shipping = wanted.shipping
        out.changes.append(
            {
                "key": "shipping",
                "sku": "",
                "title": "Shipping",
                "change": "shipping",
                "source_quantity": None,
                "target_quantity": None,
                "fulfilled": 0,
                "source_amount": str(wanted.shipping),
                "target_amount": str(held.shipping),
                "summary": f"Shipping {held.shipping} → {wanted.shipping}",
            }
        )
    if addresses.differs(wanted.address, held.address):
        out.address = wanted.address
        out.changes.append(
            {
                "key": "address",
                "sku": "",
                "title": "Shipping address",
                "change": "address",
                "source_quantity": None,
                "target_quantity": None,
                "fulfilled": 0,
                "source_amount": None,
                "target_amount": None,
                "summary": f"Shipping address {addresses.one_line(held.address)} → "
                f"{addresses.one_line(wanted.address)}",
            }
        )
    return out


def _change(want: WantedLine, line: HeldLine | None, change: str, summary: str) -> dict:
    return {
        "key": want.key,
        "sku": want.sku,
        "title": want.description,
        "change": change,
        "source_quantity": want.quantity,
        "target_quantity": line.quantity if line else None,
        "fulfilled": line.fulfilled if line else 0,
        "source_amount": str(want.amount),
        "target_amount": str(line.amount) if line else None,
        "summary": summary,
    }
