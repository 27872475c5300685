"""What a NetSuite sales order asks of its Shopify order, line by line. Pure functions: no I/O.

The sales order's item lines carry line keys (flows/order_edits/lines.py): the Shopify line
item id, or ``<id>:<component SKU>`` for a bundle's component. Quantities are compared with
the *wanted* order (Shopify's current quantities plus refunds the sales order still carries,
as the forward flow counts them), so a refunded unit is not mistaken for a NetSuite edit:

- a keyed line whose quantity differs: Shopify's current quantity moves by the difference
  (``orderEditSetQuantity``);
- a line without a key (added in NetSuite) is first matched to a Shopify line no key names,
  of the same SKU (an order imported before lines carried keys, or a line an earlier attempt
  added whose key never reached NetSuite): then it is that line and only gets its key;
  otherwise it is added (``orderEditAddVariant``);
- what Shopify cannot take by itself is *blocked* (the exception queue): fewer units than
  Shopify has fulfilled, a bundle component changed (Shopify sells the bundle as one line).

Lines of the charge items (tax, discount, adjustment) are money, not items: never sent.
Shopify lines with no sales order line are left alone (an edit still on its way to NetSuite).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from connector import gids
from flows.charges import ChargeItems
from flows.order_edits import lines as edit_lines


@dataclass(frozen=True)
class ShopifyLine:
    line_id: str  # legacy id
    sku: str
    title: str
    current: int
    unfulfilled: int
    variant_id: str  # gid, "" if the product was deleted
    rate: object  # Decimal unit price

    @property
    def fulfilled(self) -> int:
        return max(0, self.current - self.unfulfilled)


@dataclass
class Plan:
    set_quantities: list[dict] = field(default_factory=list)  # line_id, sku, title, quantity
    adds: list[dict] = field(default_factory=list)  # so_line, item_id, sku, quantity, title
    keys: dict[str, str] = field(default_factory=dict)  # SO line number -> Shopify line id
    # Why a person must decide; the set_quantities above then include the blocked ones,
    # sent only when a person applies the edit anyway.
    blocked: list[str] = field(default_factory=list)
    bundles: bool = False  # a bundle component changed: nothing Shopify can take
    changes: list[dict] = field(default_factory=list)  # as the exception queue shows them

    @property
    def edits_shopify(self) -> bool:
        return bool(self.set_quantities or self.adds)


def shopify_lines(order: dict) -> dict[str, ShopifyLine]:
    out = {}
    for node in edit_lines._nodes(order.get("lineItems")):
        current = int(node.get("currentQuantity", node.get("quantity", 0)) or 0)
        out[gids.legacy_id(node["id"])] = ShopifyLine(
            line_id=gids.legacy_id(node["id"]),
            sku=(node.get("sku") or "").strip(),
            title=node.get("title") or "",
            current=current,
            unfulfilled=int(node.get("unfulfilledQuantity", current) or 0),
            variant_id=((node.get("variant") or {}).get("id") or ""),
            rate=edit_lines.money(node.get("originalUnitPriceSet")),
        )
    return out


def _charge_ids(charges: ChargeItems) -> set[str]:
    return {i for i in (charges.tax, charges.discount, charges.adjustment) if i}


def plan(
    held: edit_lines.Held,
    wanted: edit_lines.Wanted,
    order: dict,
    *,
    charges: ChargeItems,
    skus: Mapping[str, str],
) -> Plan:
    """`skus`: NetSuite item id -> SKU, for the lines without a key."""
    out = Plan()
    shopify = shopify_lines(order)
    want = wanted.quantities
    charge_ids = _charge_ids(charges)
    lines = [
        line
        for line in held.item_lines
        if line.item_id not in charge_ids and not (line.closed and not line.quantity)
    ]
    keyed: dict[str, int] = {}
    for line in lines:
        if line.key:
            keyed[line.key] = keyed.get(line.key, 0) + line.quantity
    claimed = {key.split(":", 1)[0] for key in keyed}
    for key, quantity in keyed.items():
        if ":" in key:
            if quantity != want.get(key, 0):
                sku = key.split(":", 1)[1]
                out.blocked.append(
                    f"Bundle component {sku} changed in NetSuite ({want.get(key, 0)} → "
                    f"{quantity}): Shopify sells the bundle as one line, so a person decides."
                )
                out.changes.append(_change(key, sku, sku, "bundle", want.get(key, 0), quantity))
                out.bundles = True
            continue
        if key in shopify:
            _compare(out, shopify[key], want.get(key, 0), quantity)
    for line in lines:
        if line.key or line.quantity <= 0:
            continue
        sku = skus.get(line.item_id, "")
        match = next(
            (
                s
                for s in shopify.values()
                if s.line_id not in claimed and sku and s.sku == sku and s.current > 0
            ),
            None,
        )
        if match is not None:
            claimed.add(match.line_id)
            out.keys[line.line] = match.line_id
            _compare(out, match, want.get(match.line_id, 0), line.quantity)
            continue
        title = line.description or sku or f"item {line.item_id}"
        out.adds.append(
            {
                "so_line": line.line,
                "item_id": line.item_id,
                "sku": sku,
                "quantity": line.quantity,
                "title": title,
            }
        )
        out.changes.append(
            _change(
                "",
                sku,
                title,
                "added",
                0,
                line.quantity,
                summary=f"Added in NetSuite: {line.quantity} × {sku or title}",
            )
        )
    return out


def _compare(out: Plan, line: ShopifyLine, wanted: int, held: int) -> None:
    """One Shopify line against the units the sales order holds for it. `wanted` counts
    Shopify's current units plus refunded ones the sales order still carries."""
    if held == wanted:
        return
    target = line.current + (held - wanted)
    change = _change(
        line.line_id,
        line.sku,
        line.title,
        "quantity",
        line.current,
        target,
        fulfilled=line.fulfilled,
        summary=f"Quantity changed in NetSuite: {line.sku or line.title} {line.current} → "
        f"{max(target, 0)}",
    )
    out.changes.append(change)
    # Shopify edits only unfulfilled lines (DOMAIN.md): a line with units fulfilled cannot
    # lose units by an edit, even down to its fulfilled count.
    shrinks_fulfilled = line.fulfilled > 0 and target < line.current
    if shrinks_fulfilled or target < 0:
        # Sent only when a person applies it anyway (Shopify then says why it refuses).
        out.set_quantities.append(
            {
                "line_id": line.line_id,
                "sku": line.sku,
                "title": line.title,
                "quantity": max(target, 0),
            }
        )
    if shrinks_fulfilled:
        out.blocked.append(
            f"Fulfilled lines cannot be reduced in Shopify: {line.sku or line.title} has "
            f"{line.fulfilled} unit(s) fulfilled, and NetSuite asks for {max(target, 0)}."
        )
        return
    if target < 0:
        out.blocked.append(
            f"NetSuite holds fewer units of {line.sku or line.title} than Shopify has "
            "refunded: a person decides."
        )
        return
    out.set_quantities.append(
        {"line_id": line.line_id, "sku": line.sku, "title": line.title, "quantity": target}
    )


def _change(key, sku, title, change, shopify_qty, netsuite_qty, *, fulfilled=0, summary=""):
    """One change as the exception queue lists it: the source is NetSuite here, the target
    Shopify."""
    return {
        "key": key,
        "sku": sku,
        "title": title,
        "change": change,
        "source_quantity": netsuite_qty,
        "target_quantity": shopify_qty,
        "fulfilled": fulfilled,
        "source_amount": None,
        "target_amount": None,
        "summary": summary or f"Changed in NetSuite: {sku} {shopify_qty} → {netsuite_qty}",
    }
