"""Shopify Order Edit → NetSuite Sales Order Update, on the synchronizer (seed 004).

An order edited in Shopify (orders/edited webhook; a delta over edited orders as the safety
net) is compared with its NetSuite sales order line by line (flows/order_edits/lines.py) and
the difference is written in one update with ``replaceAll="false"``: lines addressed by
number, new lines added with their Shopify line key, removed lines set to 0 and closed,
Shopify's current discount and tax on the charge-item lines, Shopify's shipping. Then the
total NetSuite computed is read back and must equal Shopify's to the cent.

The fulfilment lock: past the cut-off status of Settings › Order edits, or once any unit is
on an item fulfillment, nothing is written by itself. The edit goes to the exception queue
(transactions.EditReview) with what changed in Shopify and what NetSuite holds; a person
applies it anyway, dismisses it with a reason, or has a credit memo made for what it removed.

Order and repeats: the flow writes the order's *current* state, never a delta, so edits
arriving late, twice or out of order cannot undo one another; the version applied (a
fingerprint of the line state) is kept on the row and in the binding, so a repeated webhook
finds nothing to do and an edit the reverse flow made in Shopify is not sent back.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from connector import external_ids, gids, items
from connector.models import Binding
from connector.netsuite import records
from flows import addresses, bundles
from flows.charges import ChargeItems
from flows.context import SKIPPED, Job, RunLeaseLost
from flows.order_edits import lines as edit_lines
from flows.order_edits.lock import lock_reason
from flows.order_edits.reviews import close_open, open_review, pending_action
from flows.sync import NeedsPerson, Skip, Synchronizer, Wait, Written, check_total, message_of
from transactions.models import Channel, EditReview, Kind, Status, Transaction

BINDING_KIND = "order_edit"
DIRECTION = EditReview.Direction.TO_NETSUITE
# Rows whose order may be edited again after they finished.
DONE = (Status.POSTED, Status.SKIPPED, Status.IGNORED)
# Rows that hold a decision about a version (applied, skipped, dismissed, waiting for review).
HANDLED = (*DONE, Status.REVIEW)


def _sync(job: Job) -> Synchronizer:
    return Synchronizer(job, kind=Kind.ORDER_EDIT, source_channel=Channel.SHOPIFY)


BATCH_SIZE = 20  # orders per getList / updateList / read-back
BEING_POSTED = "Being posted by another worker."
# How long a run waits for another worker posting the same order (a batch takes ~3 NetSuite
# calls); past that the order is left to its next webhook, the delta or the retry sweeper.
POSTING_WAIT_STEPS, POSTING_WAIT_SECONDS = 40, 0.5


@dataclass
class Pending:
    """An edit decided and ready to write: the update and what the row shows after it."""

    txn: Transaction
    order: dict
    update: object
    held: edit_lines.Held
    wanted: edit_lines.Wanted
    plan: edit_lines.Plan
    version: str
    fields: dict
    forced: bool


def run(ctx: Job) -> None:
    sync = _sync(ctx)
    batch: list[str] = []
    last_seen = None
    for summary in _orders(ctx):
        ctx.check()
        if summary.get("edited"):
            batch.append(summary["id"])
        last_seen = summary.get("updatedAt")
        if len(batch) >= BATCH_SIZE:
            _run_batch(ctx, sync, batch)
            batch = []
            if not ctx.scope and last_seen:
                ctx.advance_cursor(last_seen)
    if batch:
        _run_batch(ctx, sync, batch)
    if not ctx.scope and last_seen:
        # Every edited order up to here is handled or due for retry by itself.
        ctx.advance_cursor(last_seen)


def _orders(ctx: Job) -> Iterator[dict]:
    if ctx.scope:
        for order_id in ctx.scope:
            yield {"id": gids.order(order_id), "edited": True}
        return
    yield from ctx.shopify.iter_orders_edited_since(updated_since=ctx.cursor())


def read_order(job: Job, order_gid: str) -> dict | None:
    return job.shopify.get_order_for_edit(order_gid)


@dataclass
class Known:
    """What a run already has about its orders, read once per batch (not once per order):
    their edit rows, the versions the connector last wrote, the bundles among their SKUs."""

    txns: dict[str, Transaction]
    markers: dict[str, str]
    components: dict

    @classmethod
    def load(cls, job: Job, orders: list[dict]) -> Known:
        ids = [gids.legacy_id(o["id"]) for o in orders]
        txns = {
            t.source_id: t
            for t in Transaction.objects.filter(
                connector=job.connector,
                kind=Kind.ORDER_EDIT,
                source_channel=Channel.SHOPIFY,
                source_id__in=ids,
            )
        }
        markers = dict(
            Binding.objects.filter(
                connector=job.connector, kind=BINDING_KIND, shopify_id__in=ids
            ).values_list("shopify_id", "marker")
        )
        skus = {
            (n.get("sku") or "").strip()
            for o in orders
            for n in edit_lines._nodes(o.get("lineItems"))
        } - {""}
        return cls(txns, markers, bundles.components_for(job.connector, skus))


def _run_batch(ctx: Job, sync: Synchronizer, order_gids: list[str]) -> None:
    """One batch: the orders read ten a call, their rows found, made and claimed in one
    query each, then apply_batch."""
    ctx.add_total(len(order_gids))
    outcomes, work = [], []
    orders = ctx.shopify.get_orders_for_edit(order_gids)
    known = Known.load(ctx, [o for o in orders.values() if o is not None])
    candidates: dict[str, dict] = {}
    for order_gid in order_gids:
        order = orders.get(order_gid)
        if order is None:
            outcomes.append((None, SKIPPED, f"Shopify has no order {gids.legacy_id(order_gid)}."))
            continue
        skipped = _screen(ctx, order, known)
        if skipped is not None:
            outcomes.append(skipped)
        else:
            candidates[gids.legacy_id(order_gid)] = order
    missing = {oid: _row_fields(o) for oid, o in candidates.items() if oid not in known.txns}
    if missing:
        known.txns.update(sync.records(missing, message="Order edit retrieved from Shopify."))
    rows = [known.txns[oid] for oid in candidates]
    won = sync.reclaim_many(
        [t for t in rows if t.status in DONE],
        message="Order edited in Shopify.",
        from_statuses=DONE,
    )
    won |= sync.claim([t for t in rows if t.status not in DONE], message="Order edited in Shopify.")
    for oid, order in candidates.items():
        txn = known.txns[oid]
        if txn.pk in won:
            work.append((txn, order))
            continue
        # Not won: another worker is posting it (wait for it, then read it again), or it is
        # an error whose next attempt is not due.
        outcome, claimed = _claim(ctx, sync, order["id"])
        if claimed is None:
            outcomes.append(outcome)
        else:
            work.append(claimed)
    results = apply_batch(ctx, sync, work)
    outcomes += sync.finish_many(results.items())
    ctx.record(outcomes)


def _row_fields(order: dict) -> dict:
    return {
        "shopify_order_id": gids.legacy_id(order["id"]),
        "shopify_order_name": order.get("name", ""),
        "source_type": "order_edit",
    }


def _screen(job: Job, order: dict, known: Known):
    """The outcome of an order with nothing to do (this version handled already, or the
    connector's own write coming back), or None when its row should be claimed."""
    order_id = gids.legacy_id(order["id"])
    txn = known.txns.get(order_id)
    payload = (txn.payload if txn else None) or {}
    version = _wanted(
        job, order, payload.get("absorbed_refunds", ()), components=known.components
    ).version()
    if txn is not None and payload.get("version") == version and txn.status in HANDLED:
        return (txn.pk, SKIPPED, "Already handled: this version of the order was seen.")
    if known.markers.get(order_id) == version and (txn is None or txn.status in HANDLED):
        # The state the connector itself wrote (the reverse flow's edit coming back): no
        # row, nothing written.
        return (txn.pk if txn else None, SKIPPED, "The connector made this edit.")
    return None


def _claim(job: Job, sync: Synchronizer, order_gid: str, *, sleep=time.sleep):
    """One order read and claimed by itself (Retry paths, and an order another worker is
    posting). Edits of one order go one at a time: when another worker is posting it (it
    read the order before this edit), wait for it to finish, then read the order again, so
    the newer state is not skipped as "being posted"."""
    for _ in range(POSTING_WAIT_STEPS):
        order = read_order(job, order_gid)
        if order is None:
            return (None, SKIPPED, f"Shopify has no order {gids.legacy_id(order_gid)}."), None
        known = Known.load(job, [order])
        skipped = _screen(job, order, known)
        if skipped is not None:
            return skipped, None
        order_id = gids.legacy_id(order_gid)
        txn = (
            known.txns.get(order_id)
            or sync.records(
                {order_id: _row_fields(order)}, message="Order edit retrieved from Shopify."
            )[order_id]
        )
        if txn.status in DONE:
            won = sync.reclaim(txn, message="Order edited in Shopify.", from_statuses=DONE)
        else:
            won = bool(sync.claim([txn], message="Order edited in Shopify."))
        if won:
            return None, (txn, order)
        status = Transaction.objects.filter(pk=txn.pk).values_list("status", flat=True).first()
        if status != Status.POSTING:
            return (txn.pk, SKIPPED, "Not due yet: it is retried by itself."), None
        job.check()
        sleep(POSTING_WAIT_SECONDS)
    return (txn.pk, SKIPPED, BEING_POSTED), None


def post_one(job: Job, txn: Transaction) -> None:
    """Retry, the sweeper, and a person's Apply anyway / Create adjustment."""
    sync = _sync(job)
    try:
        order = read_order(job, gids.order(txn.source_id))
    except Exception as exc:  # finished as the row's outcome
        sync.finish(txn, exc)
        return
    if order is None:
        sync.finish(txn, Skip("Shopify has no such order any more."))
        return
    asked = pending_action(txn)
    results = apply_batch(job, sync, [(txn, order)])
    outcome = results[txn.pk]
    if asked is not None and isinstance(outcome, Exception) and not isinstance(outcome, Skip):
        # The person's action failed: the review is theirs to decide on again.
        EditReview.objects.filter(transaction=txn, state=EditReview.State.APPLYING).update(
            state=EditReview.State.OPEN,
            resolution=f"{'Apply' if asked[0] == 'apply' else 'Credit memo'} failed: "
            f"{message_of(outcome)}"[:2000],
        )
    sync.finish_many(results.items())


def apply_batch(job: Job, sync: Synchronizer, work: list[tuple[Transaction, dict]]) -> dict:
    """Claimed rows → their outcomes: one getList of the sales orders, the decisions, one
    updateList, one getList reading the totals back."""
    results: dict[int, Written | BaseException] = {}
    if not work:
        return results
    try:
        job.check()
        netsuite = job.netsuite()
        refs = [
            records.ref(
                external_id=external_ids.sales_order(gids.legacy_id(o["id"])),
                record_type="salesOrder",
            )
            for _t, o in work
        ]
        sales_orders = netsuite.get_list(refs)
    except RunLeaseLost:
        raise
    except Exception as exc:  # NetSuite unavailable: every row retries
        return {txn.pk: exc for txn, _o in work}
    pending: list[Pending] = []
    try:
        # The batch's bundles and NetSuite items, read once for all its orders.
        components = bundles.components_for(
            job.connector,
            {
                (n.get("sku") or "").strip()
                for _t, o in work
                for n in edit_lines._nodes(o.get("lineItems"))
            }
            - {""},
        )
        item_ids = _item_ids(job, netsuite, _skus(job, work, components))
    except RunLeaseLost:
        raise
    except Exception as exc:  # an item lookup NetSuite could not answer: every row retries
        return {txn.pk: exc for txn, _o in work}
    for (txn, order), so in zip(work, sales_orders, strict=True):
        try:
            decided = _decide(job, sync, txn, order, so, components, item_ids)
        except RunLeaseLost:
            raise
        except Exception as exc:  # the row's outcome
            results[txn.pk] = exc
            continue
        if isinstance(decided, Pending):
            pending.append(decided)
        else:
            results[txn.pk] = decided
    if not pending:
        return results
    try:
        job.check()
        written = netsuite.update_list_outcomes([p.update for p in pending])
    except RunLeaseLost:
        raise
    except Exception as exc:  # ambiguous or refused: re-read and re-plan later
        results.update({p.txn.pk: exc for p in pending})
        return results
    done = []
    for p, outcome in zip(pending, written, strict=True):
        if isinstance(outcome, Exception):
            results[p.txn.pk] = outcome
        else:
            done.append(p)
    try:
        after = netsuite.get_list(
            [records.ref(p.held.internal_id, record_type="salesOrder") for p in done]
        )
    except Exception as exc:  # written, not verified: checked on the retry
        results.update({p.txn.pk: exc for p in done})
        return results
    for p, so in zip(done, after, strict=True):
        results[p.txn.pk] = _verified(job, sync, p, so)
    return results


def _verified(job: Job, sync: Synchronizer, p: Pending, so) -> Written | BaseException:
    order_id = gids.legacy_id(p.order["id"])
    name = p.order.get("name") or order_id
    _bind(sync, order_id, p.held.internal_id, p.version)
    try:
        check_total(
            f"Order {name} after its edit",
            "Shopify",
            p.wanted.total,
            "NetSuite",
            getattr(so, "total", None) if so is not None else None,
            currency=p.wanted.currency,
        )
    except NeedsPerson as exc:
        return exc
    close_open(
        job.connector,
        DIRECTION,
        order_id,
        EditReview.State.APPLIED if p.forced else EditReview.State.SUPERSEDED,
        "Applied anyway by a person." if p.forced else "Applied: the order was unlocked again.",
    )
    summary = "; ".join(c["summary"] for c in p.plan.changes[:6])
    extra = _payment_note(p.order, p.held.total, p.wanted.total, p.wanted.currency)
    return Written(
        target_id=p.held.internal_id,
        message=(
            f"Sales order {p.held.internal_id} updated{' past the lock' if p.forced else ''}: "
            f"{summary}. Total {p.held.total} → {p.wanted.total} {p.wanted.currency}, equal "
            f"to Shopify's.{extra}"
        ),
        fields=p.fields,
        detail={"changes": p.plan.changes, "netsuite_total_before": str(p.held.total)},
    )


def _wanted(job: Job, order: dict, absorbed, components=None) -> edit_lines.Wanted:
    if components is None:
        skus = {(n.get("sku") or "").strip() for n in edit_lines._nodes(order.get("lineItems"))}
        components = bundles.components_for(job.connector, skus - {""})
    return edit_lines.wanted_from_order(
        order, absorbed_refunds=absorbed, components=components, explode=bundles.explode
    )


def _skus(job: Job, work, components) -> set[str]:
    """The SKUs the batch's sales orders need (a bundle's replaced by its components'); an
    order that cannot be mapped is left to its own outcome in _decide."""
    skus: set[str] = set()
    for _txn, order in work:
        try:
            skus |= {line.sku for line in _wanted(job, order, (), components).lines}
        except NeedsPerson:
            continue
    return skus


def _item_ids(job: Job, netsuite, skus: set[str]) -> dict[str, str]:
    def lookup(sku: str) -> str | None:
        item = netsuite.find_item_by_sku(sku)
        return item.internalId if item is not None else None

    return items.item_ids(job.connector, skus, lookup)


def _unposted_refunds(job: Job, order: dict) -> set[str]:
    """Refunds of the order the refunds flow has not credited in NetSuite: an edit applied
    before the order is billed takes them off the sales order instead (absorbs them)."""
    ids = {gids.legacy_id(r["id"]) for r in order.get("refunds") or []}
    if not ids:
        return set()
    posted = set(
        Transaction.objects.filter(
            connector=job.connector,
            kind=Kind.REFUND,
            source_channel=Channel.SHOPIFY,
            source_id__in=ids,
            status__in=(Status.POSTED, Status.POSTING),
        ).values_list("source_id", flat=True)
    )
    return ids - posted


def _decide(job: Job, sync, txn: Transaction, order: dict, so, components, item_ids):
    """What to do with one claimed edit: a Pending update, or the row's outcome."""
    order_id = gids.legacy_id(order["id"])
    name = order.get("name") or order_id
    if order.get("cancelledAt"):
        raise Skip("The order was cancelled in Shopify: the cancellation flow handles it.")
    if ((order.get("lineItems") or {}).get("pageInfo") or {}).get("hasNextPage"):
        raise NeedsPerson(f"Order {name} has more than 100 lines: edit it in NetSuite by hand.")
    options = job.options
    charges = ChargeItems.of(options)
    key_field = options.netsuite_line_key_field_id.strip()
    if so is None:
        raise Wait(f"Order {name} is not in NetSuite yet: the edit waits for its import.")
    held = edit_lines.held_from_sales_order(so, key_field=key_field, charges=charges)
    fulfilled = sum(line.fulfilled for line in held.item_lines)
    lock = lock_reason(held.status, options.order_edit_lock_status, fulfilled)
    payload = dict(txn.payload or {})
    asked = pending_action(txn)
    payload.pop("review_action", None)
    absorbed = set(payload.get("absorbed_refunds") or ())
    if lock is None:
        absorbed |= _unposted_refunds(job, order)
    wanted = _wanted(job, order, absorbed, components)
    version = wanted.version()
    wanted = edit_lines.with_items(wanted, item_ids)
    plan = edit_lines.plan(wanted, held, charges=charges)
    payload.update(
        {
            "version": version,
            "absorbed_refunds": sorted(absorbed),
            "shopify_total": str(wanted.total),
            "changes": plan.changes,
        }
    )
    fields = {
        "status_reason": "",  # a "waits in the exception queue" reason is history now
        "payload": payload,
        "netsuite_sales_order_id": held.internal_id,
        "shopify_order_name": name,
        "amount": wanted.total,
        "currency": wanted.currency,
    }
    if asked is not None and asked[1] != version:
        asked = None  # the order changed since the person decided: they decide again
    if plan.empty:
        _bind(sync, order_id, held.internal_id, version)
        close_open(
            job.connector,
            DIRECTION,
            order_id,
            EditReview.State.SUPERSEDED,
            "The sales order already matches Shopify's order.",
        )
        return Written(
            target_id=held.internal_id,
            message=f"NetSuite sales order {held.internal_id} already matches Shopify's order.",
            fields=fields,
        )
    if asked is not None and asked[0] == "adjust":
        return _adjust(job, sync, order, so, held, wanted, version, fields)
    if lock is not None and asked is None:
        open_review(
            txn,
            netsuite_sales_order_id=held.internal_id,
            direction=DIRECTION,
            version=version,
            reason=lock,
            changes=plan.changes,
            source_state=_shopify_state(wanted),
            target_state=held.state(),
        )
        raise Skip(
            f"Not applied by itself: {lock} The edit waits in the exception queue.",
            status=Status.REVIEW,
            **fields,
        )
    return Pending(
        txn=txn,
        order=order,
        update=_update_record(held.internal_id, plan, key_field),
        held=held,
        wanted=wanted,
        plan=plan,
        version=version,
        fields=fields,
        forced=asked is not None,
    )


def _payment_note(order: dict, before: Decimal, after: Decimal, currency: str) -> str:
    """What the edit means for the customer's money, as Shopify records it."""
    if after > before:
        outstanding = edit_lines.money(order.get("totalOutstandingSet"))
        captured = (after - before) - outstanding
        return (
            f" The edit added {after - before} {currency}: Shopify has captured "
            f"{max(captured, Decimal(0))} of it, {outstanding} outstanding."
        )
    if after < before:
        return (
            f" The edit took {before - after} {currency} off the order: a Shopify refund of "
            "it is absorbed by this sales order, not credited again."
        )
    return ""


def _bind(sync: Synchronizer, order_id: str, so_id: str, version: str) -> None:
    sync.bind(
        BINDING_KIND,
        shopify_id=order_id,
        netsuite_id=so_id,
        netsuite_type="salesOrder",
        origin=Channel.SHOPIFY,
        marker=version,
    )


def _update_record(internal_id: str, plan: edit_lines.Plan, key_field: str):
    sales = records.factory("sales")
    item_lines = []
    for update in plan.updates:
        item_lines.append(
            sales.SalesOrderItem(
                line=int(update["line"]),
                quantity=update.get("quantity"),
                rate=None if update.get("rate") is None else str(update["rate"]),
                amount=None if update.get("amount") is None else float(update["amount"]),
                isClosed=True if update.get("closed") else None,
                customFieldList=records.string_fields({key_field: update["key"]})
                if key_field and update.get("key")
                else None,
            )
        )
    for add in plan.adds:
        item_lines.append(
            sales.SalesOrderItem(
                item=records.ref(add["item_id"]),
                quantity=add.get("quantity"),
                rate=None if add.get("rate") is None else str(add["rate"]),
                amount=float(add["amount"]),
                description=add.get("description"),
                customFieldList=records.string_fields({key_field: add["key"]})
                if key_field and add.get("key")
                else None,
            )
        )
    return records.record(
        "SalesOrder",
        internalId=internal_id,
        itemList=sales.SalesOrderItemList(replaceAll=False, item=item_lines)
        if item_lines
        else None,
        shippingCost=None if plan.shipping is None else float(plan.shipping),
        shippingAddress=addresses.to_record(plan.address) if plan.address else None,
    )


def _shopify_state(wanted: edit_lines.Wanted) -> dict:
    return {
        "lines": [
            {
                "key": w.key,
                "sku": w.sku,
                "title": w.description,
                "quantity": w.quantity,
                "amount": str(w.amount),
            }
            for w in wanted.lines
        ],
        "discount": str(wanted.discount),
        "tax": str(wanted.tax),
        "shipping": str(wanted.shipping),
        "total": str(wanted.total),
        "currency": wanted.currency,
    }


def _adjust(job, sync, order, so, held, wanted, version, fields) -> Written:
    """A credit memo for what the edit removed (seed 004's prevention rule past the lock):
    removed units at the sales order's rates, the tax and shipping Shopify no longer
    charges; its total, read back, must be what Shopify's total went down by."""
    netsuite = job.netsuite()
    order_id = gids.legacy_id(order["id"])
    name = order.get("name") or order_id
    charges = ChargeItems.of(job.options)
    owed = held.total - wanted.total
    if owed <= 0:
        raise NeedsPerson(
            f"The edit of order {name} does not lower its total ({held.total} → "
            f"{wanted.total}): there is nothing to credit. Apply it or dismiss it."
        )
    external_id = f"{external_ids.sales_order(order_id)}-edit-{version[:12]}"
    memo = netsuite.find("creditMemo", external_id)
    if memo is None:
        memo_lines = []
        by_key = {w.key: w for w in wanted.lines}
        for line in held.item_lines:
            want = by_key.get(line.key)
            if want is None or want.quantity >= line.quantity:
                continue
            units = line.quantity - want.quantity
            rate = line.rate if line.rate is not None else Decimal(0)
            memo_lines.append(
                {
                    "item": records.ref(line.item_id),
                    "quantity": units,
                    "rate": rate,
                    "amount": float(rate * units),
                    "description": f"Removed in Shopify: {want.sku}",
                }
            )
        for kind, wanted_amount in (("tax", wanted.tax), ("discount", -wanted.discount)):
            line = held.charge_line(kind)
            held_amount = line.amount if line else Decimal(0)
            if held_amount > wanted_amount:
                item = charges.tax if kind == "tax" else charges.discount
                if not item:
                    raise NeedsPerson(
                        f"Set the NetSuite {kind} item in Settings › Orders, then try again."
                    )
                memo_lines.append(
                    {
                        "item": records.ref(item),
                        "quantity": None,
                        "rate": None,
                        "amount": float(held_amount - wanted_amount),
                        "description": f"Shopify {kind} no longer charged",
                    }
                )
        ns = records.factory(records.RECORD_TYPES["CreditMemo"][0])
        credit = records.record(
            "CreditMemo",
            externalId=external_id,
            entity=records.ref(getattr(getattr(so, "entity", None), "internalId", None)),
            memo=f"Order edit of Shopify order {name} after the fulfilment lock",
            otherRefNum=name,
            itemList=ns.CreditMemoItemList(
                item=[
                    ns.CreditMemoItem(
                        item=m["item"],
                        quantity=m["quantity"],
                        rate=None if m["rate"] is None else str(m["rate"]),
                        amount=m["amount"],
                        description=m["description"],
                    )
                    for m in memo_lines
                ]
            ),
        )
        shipping_cut = held.shipping - wanted.shipping
        if shipping_cut > 0:
            credit.shippingCost = float(shipping_cut)
        job.check()
        ref = netsuite.add(credit)
        memo = netsuite.get("creditMemo", internal_id=ref.internal_id)
    memo_id = str(memo.internalId)
    _bind(sync, order_id, held.internal_id, version)
    check_total(
        f"Credit memo for the edit of order {name}",
        "Shopify",
        owed,
        "NetSuite",
        getattr(memo, "total", None),
        currency=wanted.currency,
    )
    EditReview.objects.filter(
        connector=job.connector,
        direction=DIRECTION,
        shopify_order_id=order_id,
        state__in=(EditReview.State.OPEN, EditReview.State.APPLYING),
    ).update(
        state=EditReview.State.ADJUSTED,
        resolved_at=timezone.now(),
        adjustment_id=memo_id,
        resolution=f"Credit memo {memo_id} for {owed} {wanted.currency}.",
    )
    return Written(
        target_id=memo_id,
        message=(
            f"Credit memo {memo_id} created for what the edit removed ({owed} "
            f"{wanted.currency}); the sales order was left as it is."
        ),
        fields=fields,
    )
