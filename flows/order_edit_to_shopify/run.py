"""NetSuite Sales Order Edit → Shopify Order Edit (Reverse Order Edit Sync, seed 002), on the
synchronizer.

Delta: sales orders modified in NetSuite on or after the cursor less OVERLAP (NetSuite stamps a
save when it starts), searched with their lines (bodyFieldsOnly=false), oldest first; only
orders the connector imported (externalId ``shopify-order-<id>``), others ignored without a
row. The cursor moves past each once it is handled or due for retry by itself.

Per sales order:
1. Echo check first: the binding (kind ``order_edit``, the Shopify order id) keeps the version
   (flows/order_edits/lines.py fingerprint) of the state the connector last wrote in either
   direction; a sales order at that version is our own write coming back: nothing to do, no
   row touched (loop prevention).
2. The plan (mapping.py): quantities and lines added in NetSuite, against Shopify's order
   (``orderForEdit``). Nothing to change: no row. A change Shopify cannot take by itself
   (fewer units than fulfilled, a bundle component) goes to the exception queue, nothing
   written. An order also edited in Shopify since the last sync waits: that edit goes to
   NetSuite first (the forward flow), or a person decides in its exception queue.
3. Write: order edits have no idempotency key, so read before write: the order is read right
   before ``orderEditBegin``; quantities Shopify already has (an earlier attempt committed)
   are not sent again, and a line an earlier attempt added is found by its SKU among the
   Shopify lines no sales order line names. Every mutation's userErrors are an error.
4. Write back: the new Shopify line ids onto the sales order lines that had no key, Shopify's
   unit price as their rate, and Shopify's recomputed tax and discount on the charge lines
   (``replaceAll="false"``, lines by number), so both sides hold the same order. The total
   NetSuite computes must equal Shopify's (``check_total``). Then the binding keeps the new
   version, which is also the forward flow's version of Shopify's order: the orders/edited
   webhook our commit causes is recognised as ours.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connector import bindings, external_ids, gids, items
from connector.netsuite import records
from flows import bundles
from flows.charges import ChargeItems
from flows.context import SKIPPED, Job, RunLeaseLost
from flows.inventory.mapping import search_terms
from flows.order_edits import lines as edit_lines
from flows.order_edits.reviews import close_open, open_review, pending_action
from flows.positions import walk
from flows.sync import (
    NeedsPerson,
    Skip,
    Synchronizer,
    Wait,
    Written,
    check_total,
    message_of,
)
from transactions.models import Channel, EditReview, Kind, Status, Transaction

from . import mapping

BINDING_KIND = "order_edit"
DIRECTION = EditReview.Direction.TO_SHOPIFY
OVERLAP = timedelta(minutes=10)
PREFIX = external_ids.sales_order("")  # "shopify-order-"
RECORD_TYPE = "salesOrder"
DONE = (Status.POSTED, Status.SKIPPED, Status.IGNORED)
ECHO = "The sales order holds the state the connector synced last: nothing to send."


def _sync(job: Job) -> Synchronizer:
    return Synchronizer(job, kind=Kind.ORDER_EDIT, source_channel=Channel.NETSUITE)


# -- the delta ---------------------------------------------------------------------------------


def run(ctx: Job) -> None:
    work = ReverseEdits(ctx)
    if ctx.scope:
        for so_id in ctx.scope:
            ctx.check()
            ctx.add_total(1)
            ctx.record([work.handle(work.netsuite.get(RECORD_TYPE, so_id))])
        return
    since = work.since()
    if since is None:
        return  # nothing imported yet: no sales order can be one of ours
    walk(ctx, work.netsuite.find_modified_since([RECORD_TYPE], since), work.handle)


def post_one(job: Job, txn: Transaction) -> None:
    """Retry, the sweeper, and a person's Apply anyway from the exception queue."""
    work = ReverseEdits(job)
    asked = pending_action(txn)
    try:
        job.check()
        result = work.apply(work.netsuite.get(RECORD_TYPE, txn.source_id), txn)
    except RunLeaseLost:
        raise
    except Exception as exc:  # finished as the row's outcome
        result = exc
    if asked is not None and isinstance(result, Exception) and not isinstance(result, Skip):
        # The person's action failed: the review is theirs to decide on again (and a plain
        # Retry later does not apply it anyway in their name).
        EditReview.objects.filter(transaction=txn, state=EditReview.State.APPLYING).update(
            state=EditReview.State.OPEN,
            resolution=f"Apply failed: {message_of(result)}"[:2000],
        )
        payload = dict(txn.payload or {})
        payload.pop("review_action", None)
        Transaction.objects.filter(pk=txn.pk).update(payload=payload)
    work.sync.finish(txn, result)


def _shopify_id(so) -> str | None:
    external_id = getattr(so, "externalId", None) or ""
    return external_id[len(PREFIX) :] if external_id.startswith(PREFIX) else None


class ReverseEdits:
    def __init__(self, job: Job):
        self.job = job
        self.sync = _sync(job)
        self.netsuite = job.netsuite()
        self.options = job.options
        self.charges = ChargeItems.of(job.options)
        self.key_field = job.options.netsuite_line_key_field_id.strip()

    def since(self) -> datetime | None:
        cursor = self.job.cursor()
        if cursor:
            return datetime.strptime(cursor, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC) - OVERLAP
        first = (
            Transaction.objects.filter(
                connector=self.job.connector, kind=Kind.ORDER, source_channel=Channel.SHOPIFY
            )
            .order_by("created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        return None if first is None else first - OVERLAP

    # -- one sales order ----------------------------------------------------------------------
    def held(self, so) -> edit_lines.Held:
        return edit_lines.held_from_sales_order(so, key_field=self.key_field, charges=self.charges)

    def marker(self, order_id: str) -> str:
        bound = bindings.find(self.job.connector, BINDING_KIND, shopify_id=order_id)
        return bound.marker if bound is not None else ""

    def handle(self, so) -> tuple[int | None, str, str]:
        order_id = _shopify_id(so)
        if order_id is None:
            return None, SKIPPED, "Not an order synced from Shopify."
        if getattr(so, "orderStatus", None) in ("_cancelled", "_closed"):
            return None, SKIPPED, "Cancelled or closed: the cancellation flows handle it."
        held = self.held(so)
        if self.marker(order_id) == held.version():
            in_review = self._row(so, status=Status.REVIEW)
            if in_review is None:
                return None, SKIPPED, ECHO
            # Back at the synced state while a person was to decide: the review is moot.
            if not self.sync.reclaim(
                in_review, message="Sales order edited again.", from_statuses=(Status.REVIEW,)
            ):
                return in_review.pk, SKIPPED, "Being posted by another worker."
            return self.sync.one(in_review, lambda: self.apply(so, in_review))
        order = self.read_order(order_id)
        if order is None:
            return None, SKIPPED, f"Shopify has no order {order_id}."
        wanted = self.wanted(order)
        plan = self.plan(held, wanted, order)
        if not (plan.edits_shopify or plan.blocked or plan.keys):
            if held.version() == wanted.version():
                # Both sides hold the same state: remember it, so this order's next change
                # on either side is told apart (and the overlap re-reads nothing).
                self._bind(order_id, held.internal_id, held.version())
            return None, SKIPPED, "Shopify's order already has the sales order's items."
        txn = self.sync.records(
            {
                str(so.internalId): {
                    "source_type": "sales_order_edit",
                    "shopify_order_id": order_id,
                    "shopify_order_name": order.get("name") or "",
                    "netsuite_sales_order_id": str(so.internalId),
                }
            },
            message="Sales order edited in NetSuite.",
        )[str(so.internalId)]
        payload = txn.payload or {}
        if payload.get("version") == held.version() and txn.status in (*DONE, Status.REVIEW):
            return txn.pk, SKIPPED, "Already handled: this version of the sales order was seen."
        if txn.status in DONE:
            won = self.sync.reclaim(txn, message="Sales order edited again.", from_statuses=DONE)
        elif txn.status == Status.REVIEW:
            won = self.sync.reclaim(
                txn, message="Sales order edited again.", from_statuses=(Status.REVIEW,)
            )
        else:
            won = bool(self.sync.claim([txn], message="Sales order edited in NetSuite."))
        if not won:
            return txn.pk, SKIPPED, "Being posted by another worker, or not due yet."
        return self.sync.one(txn, lambda: self.apply(so, txn))

    def _row(self, so, **filters) -> Transaction | None:
        return Transaction.objects.filter(
            connector=self.job.connector,
            kind=Kind.ORDER_EDIT,
            source_channel=Channel.NETSUITE,
            source_id=str(so.internalId),
            **filters,
        ).first()

    def read_order(self, order_id: str) -> dict | None:
        return self.job.shopify.execute("orderForEdit", {"id": gids.order(order_id)})["order"]

    def wanted(self, order: dict) -> edit_lines.Wanted:
        """Shopify's order as the forward flow counts it (the same refunds added back), so
        both directions compute the same version of the same state."""
        absorbed = (
            Transaction.objects.filter(
                connector=self.job.connector,
                kind=Kind.ORDER_EDIT,
                source_channel=Channel.SHOPIFY,
                source_id=gids.legacy_id(order["id"]),
            )
            .values_list("payload", flat=True)
            .first()
            or {}
        ).get("absorbed_refunds") or ()
        skus = {(n.get("sku") or "").strip() for n in edit_lines._nodes(order.get("lineItems"))}
        components = bundles.components_for(self.job.connector, skus - {""})
        return edit_lines.wanted_from_order(
            order, absorbed_refunds=absorbed, components=components, explode=bundles.explode
        )

    def plan(self, held, wanted, order) -> mapping.Plan:
        charges = {self.charges.tax, self.charges.discount, self.charges.adjustment}
        unkeyed = {
            line.item_id
            for line in held.item_lines
            if not line.key and line.quantity > 0 and line.item_id not in charges
        }
        skus = (
            items.skus_for(self.job.connector, unkeyed, self.netsuite.item_sku) if unkeyed else {}
        )
        return mapping.plan(held, wanted, order, charges=self.charges, skus=skus)

    # -- apply ----------------------------------------------------------------------------------
    def apply(self, so, txn: Transaction) -> Written:
        order_id = txn.shopify_order_id or _shopify_id(so) or ""
        if not self.key_field:
            # Without line keys a line cannot be told from another: nothing safe to edit.
            raise NeedsPerson(
                "Set the Shopify line id field (a NetSuite line custom field) in Settings › "
                "Order edits, then Retry."
            )
        held = self.held(so)
        version = held.version()
        payload = dict(txn.payload or {})
        asked = pending_action(txn)
        payload.pop("review_action", None)
        if asked is not None and asked[1] != version:
            asked = None  # the sales order changed since the person decided: decide again
        if asked is not None and asked[0] == "adjust":
            raise NeedsPerson(
                "A NetSuite edit Shopify cannot take has no adjustment to create: apply it "
                "anyway or dismiss it."
            )
        marker = self.marker(order_id)
        if marker == version:
            self._superseded(order_id, "The sales order is back at the state the connector synced.")
            raise Skip(ECHO, payload={**payload, "version": version})
        # Read before write: the order as Shopify has it right now.
        order = self.read_order(order_id)
        if order is None:
            raise NeedsPerson(
                f"Shopify has no order {order_id} for NetSuite sales order {held.internal_id}: "
                "check the sales order's externalId, or Ignore."
            )
        name = order.get("name") or order_id
        if order.get("cancelledAt"):
            raise Skip("The order is cancelled in Shopify: it takes no edits.")
        if ((order.get("lineItems") or {}).get("pageInfo") or {}).get("hasNextPage"):
            raise NeedsPerson(f"Order {name} has more than 100 lines: edit it in Shopify by hand.")
        wanted = self.wanted(order)
        plan = self.plan(held, wanted, order)
        payload.update({"version": version, "changes": plan.changes})
        fields = {
            "payload": payload,
            "shopify_order_name": name,
            "netsuite_sales_order_id": held.internal_id,
            "currency": wanted.currency,
        }
        if plan.edits_shopify and asked is None:
            shopify_version = wanted.version()
            edited_in_shopify = shopify_version != marker if marker else bool(order.get("edited"))
            if edited_in_shopify and shopify_version != version:
                raise Wait(
                    f"Order {name} was also edited in Shopify, and that edit is not in NetSuite "
                    "yet: Shopify's order goes to NetSuite first (the Shopify Order Edit flow, "
                    "or its exception queue). If it replaces this NetSuite change, make the "
                    "change again in NetSuite if it is still wanted."
                )
        if plan.blocked and asked is None:
            reason = " ".join(plan.blocked)
            open_review(
                txn,
                direction=DIRECTION,
                version=version,
                reason=reason,
                changes=plan.changes,
                source_state=held.state(),
                target_state=_shopify_state(order),
            )
            raise Skip(
                f"Not applied by itself: {reason} The edit waits in the exception queue.",
                status=Status.REVIEW,
                **fields,
            )
        if plan.bundles:
            raise NeedsPerson(
                "A bundle's component was changed in NetSuite: Shopify sells the bundle as one "
                "line and cannot take it. Change the order in Shopify by hand, or dismiss."
            )
        edited = ""
        if plan.edits_shopify:
            edited = self.edit_shopify(order, plan, held)
            order = self.read_order(order_id)
            wanted = self.wanted(order)
            plan = self.plan(held, wanted, order)
            if plan.edits_shopify or plan.blocked:
                raise NeedsPerson(
                    f"Order {name} still differs from NetSuite sales order {held.internal_id} "
                    f"after its edit ({'; '.join(c['summary'] for c in plan.changes[:4])}): "
                    "check both orders, then Retry."
                )
        wrote_back = self.write_back(held, plan, wanted, order)
        after = self.netsuite.get(RECORD_TYPE, internal_id=held.internal_id) if wrote_back else so
        held_after = self.held(after)
        self._bind(order_id, held.internal_id, held_after.version())
        check_total(
            f"Order {name} after the NetSuite edit",
            "Shopify",
            wanted.total,
            "NetSuite",
            getattr(after, "total", None),
            currency=wanted.currency,
        )
        forced = asked is not None
        close_open(
            self.job.connector,
            DIRECTION,
            order_id,
            EditReview.State.APPLIED if forced else EditReview.State.SUPERSEDED,
            "Applied anyway by a person." if forced else "Applied: Shopify could take it now.",
        )
        payload["version"] = held_after.version()
        if not edited and not wrote_back:
            raise Skip(
                f"Shopify's order {name} already has the sales order's items.",
                **{**fields, "amount": wanted.total},
            )
        if edited:
            what = f"Shopify order {name} edited{' anyway' if forced else ''}: {edited}."
        else:
            # An earlier attempt committed the edit and stopped before the write-back.
            what = (
                f"Shopify order {name} already had the edit (an earlier attempt committed it); "
                "its line ids, tax and discount were written to NetSuite."
            )
        return Written(
            target_id=order_id,
            message=(
                f"{what} Total {wanted.total} {wanted.currency}, equal to NetSuite sales order "
                f"{held.internal_id}'s."
            ),
            fields={**fields, "amount": wanted.total},
            detail={"changes": plan.changes},
        )

    def edit_shopify(self, order: dict, plan: mapping.Plan, held) -> str:
        """orderEditBegin → set quantities / add variants → orderEditCommit."""
        variants = self._variants(plan)
        self.job.check()
        shopify = self.job.shopify
        begun = shopify.mutate("orderEditBegin", {"id": order["id"]})
        calc = begun["calculatedOrder"]
        calc_lines = {n["id"] for n in edit_lines._nodes(calc.get("lineItems"))}
        done = []
        for change in plan.set_quantities:
            line_id = gids.gid("CalculatedLineItem", change["line_id"])
            if calc_lines and len(calc_lines) < 50 and line_id not in calc_lines:
                raise NeedsPerson(
                    f"Shopify's edit of order {order.get('name')} has no line "
                    f"{change['sku'] or change['title']}: check the order, then Retry."
                )
            shopify.mutate(
                "orderEditSetQuantity",
                {
                    "id": calc["id"],
                    "lineItemId": line_id,
                    "quantity": change["quantity"],
                    # NetSuite keeps the stock (inventory flow): Shopify does not restock.
                    "restock": False,
                },
            )
            done.append(f"{change['sku'] or change['title']} → {change['quantity']}")
        for add in plan.adds:
            shopify.mutate(
                "orderEditAddVariant",
                {"id": calc["id"], "variantId": variants[add["sku"]], "quantity": add["quantity"]},
            )
            done.append(f"added {add['quantity']} × {add['sku']}")
        shopify.mutate(
            "orderEditCommit",
            {
                "id": calc["id"],
                "notifyCustomer": False,
                "staffNote": f"Edited in NetSuite (sales order {held.internal_id}); "
                "synced by the NetSuite connector.",
            },
        )
        return "; ".join(done)

    def _variants(self, plan: mapping.Plan) -> dict[str, str]:
        """SKU -> Shopify variant gid for the lines to add: ItemBinding first, else looked up
        in Shopify by SKU (and bound)."""
        skus = {add["sku"] for add in plan.adds}
        for add in plan.adds:
            if not add["sku"]:
                raise NeedsPerson(
                    f"NetSuite item {add['item_id']} (“{add['title']}”) added to the sales order "
                    "has no SKU the connector knows: bind it to a SKU, then Retry."
                )
        if not skus:
            return {}
        from connector.models import ItemBinding

        known = dict(
            ItemBinding.objects.filter(connector=self.job.connector, sku__in=skus)
            .exclude(shopify_variant_id="")
            .values_list("sku", "shopify_variant_id")
        )
        missing = sorted(skus - known.keys())
        if missing:
            query = search_terms(missing)
            for node in self.job.shopify.iter_inventory_items(query, levels=1, page_size=10):
                sku = (node.get("sku") or "").strip()
                variant = (node.get("variant") or {}).get("id")
                if sku in missing and variant and sku not in known:
                    items.bind_item(
                        self.job.connector,
                        sku,
                        shopify_variant_id=gids.legacy_id(variant),
                        shopify_inventory_item_id=gids.legacy_id(node["id"]),
                    )
                    known[sku] = gids.legacy_id(variant)
        for sku in sorted(skus):
            if sku not in known:
                raise NeedsPerson(
                    f"SKU {sku} was added to the sales order in NetSuite, but Shopify has no "
                    "product variant with that SKU: create it in Shopify (or fix the SKU), "
                    "then Retry."
                )
        return {sku: gids.gid("ProductVariant", known[sku]) for sku in skus}

    def write_back(self, held, plan: mapping.Plan, wanted, order) -> bool:
        """Shopify line ids onto the lines that had none (with Shopify's unit price), and
        Shopify's current tax and discount on the charge lines. Returns whether it wrote."""
        sales = records.factory("sales")
        shopify = mapping.shopify_lines(order)
        by_number = {line.line: line for line in held.lines}
        item_lines = []
        for so_line, line_id in plan.keys.items():
            rate = shopify[line_id].rate
            quantity = by_number[so_line].quantity
            item_lines.append(
                sales.SalesOrderItem(
                    line=int(so_line),
                    rate=str(rate),
                    amount=float(rate * quantity),
                    customFieldList=records.string_fields({self.key_field: line_id}),
                )
            )
        for kind, amount in (("discount", -wanted.discount), ("tax", wanted.tax)):
            line = held.charge_line(kind)
            if (line.amount if line else 0) == amount:
                continue
            item = self.charges.discount if kind == "discount" else self.charges.tax
            if line is not None:
                item_lines.append(sales.SalesOrderItem(line=int(line.line), amount=float(amount)))
            elif not item:
                raise NeedsPerson(
                    f"Shopify's order now has a {kind} of {abs(amount)} that cannot be written "
                    f"to NetSuite: set the NetSuite {kind} item in Settings › Orders, then Retry."
                )
            else:
                item_lines.append(
                    sales.SalesOrderItem(
                        item=records.ref(item), amount=float(amount), description=f"Shopify {kind}"
                    )
                )
        if not item_lines:
            return False
        self.job.check()
        self.netsuite.update(
            records.record(
                "SalesOrder",
                internalId=held.internal_id,
                itemList=sales.SalesOrderItemList(replaceAll=False, item=item_lines),
            )
        )
        return True

    def _bind(self, order_id: str, so_id: str, version: str) -> None:
        self.sync.bind(
            BINDING_KIND,
            shopify_id=order_id,
            netsuite_id=so_id,
            netsuite_type="salesOrder",
            origin=Channel.NETSUITE,
            marker=version,
        )

    def _superseded(self, order_id: str, resolution: str) -> None:
        close_open(self.job.connector, DIRECTION, order_id, EditReview.State.SUPERSEDED, resolution)


def _shopify_state(order: dict) -> dict:
    return {
        "lines": [
            {
                "key": line.line_id,
                "sku": line.sku,
                "title": line.title,
                "quantity": line.current,
                "fulfilled": line.fulfilled,
            }
            for line in mapping.shopify_lines(order).values()
        ],
        "total": str(edit_lines.money(order.get("currentTotalPriceSet"))),
    }
