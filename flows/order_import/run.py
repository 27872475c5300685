"""Order import: Shopify orders → NetSuite customers and sales orders, on the synchronizer.

The main thread reads orders from Shopify (paced by the client) and cuts them into batches of
up to 100; a thread pool as large as the connector's NetSuite concurrency limit posts the
batches. Each batch is claim → map → write (one upsertList of customers, one of sales orders)
→ bind → verify (one getList reading back the totals NetSuite computed) → finish, every
NetSuite call holding a slot of the account's shared budget.

Nothing twice: every record is upserted by an externalId derived from its Shopify id, and a
row already posted is not claimed again. Nothing lost: the delta cursor only moves past a
batch once it and every batch before it have been handled; a record that failed is not left
behind the cursor, it stays due for retry by itself (the synchronizer's policy) or by Retry.
An order already cancelled in Shopify is never imported as a live order.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from django.db import close_old_connections

from connector import bindings, gids, items
from connector.netsuite import records
from connector.netsuite.errors import NetSuiteError
from connector.shopify.errors import ShopifyError
from flows import addresses, bundles
from flows.context import SKIPPED, Job
from flows.sync import NeedsPerson, Skip, Synchronizer, Written, check_total, money
from transactions.models import Channel, Kind, Status, Transaction

from . import mapping

logger = logging.getLogger(__name__)

BATCH_SIZE = 100  # NetSuite's upsertList maximum

NOT_CLAIMED = {
    Status.POSTED: "Already posted to NetSuite.",
    Status.ORDER_POSTED: "Already posted to NetSuite.",
    Status.COMPLETE: "Already posted to NetSuite.",
    Status.CANCELED: "Cancelled.",
    Status.IGNORED: "Ignored by a person.",
    Status.POSTING: "Being posted by another worker.",
}


def run(ctx: Job) -> None:
    importer = OrderImporter(ctx)
    if ctx.scope:
        importer.import_all(importer.scoped_orders(ctx.scope), move_cursor=False)
    else:
        since = ctx.cursor()
        expected = _count(ctx, since)
        orders = ctx.shopify.iter_orders_for_import(updated_since=since)
        importer.import_all(orders, move_cursor=True, expected=expected)


def _count(ctx: Job, since) -> int | None:
    """Count first, then work: the run shows done / total from its start. The count is a
    courtesy: if Shopify cannot give it, the total grows batch by batch instead."""
    try:
        return ctx.shopify.count_orders_for_import(updated_since=since)
    except ShopifyError as exc:
        logger.info("Order count unavailable (%s); counting while importing", exc)
        return None


def post_one(job: Job, txn: Transaction) -> None:
    """Post one claimed order row again (Retry, the retry sweeper): same path as a batch."""
    importer = OrderImporter(job)
    order = job.shopify.get_order_for_import(gids.order(txn.source_id))
    if order is None:
        importer.sync.finish(
            txn, NeedsPerson(f"Shopify has no order {txn.source_id} any more: Ignore it.")
        )
        return
    importer.post([order], claimed=txn)


class OrderImporter:
    def __init__(self, job: Job):
        self.job = job
        self.sync = Synchronizer(job, kind=Kind.ORDER, source_channel=Channel.SHOPIFY)
        self.charges = mapping.ChargeItems.of(job.options)
        self.workers = max(1, job.connector.netsuite_concurrency_limit)
        self._local = threading.local()
        self._items: dict[str, str | None] = {}
        self._items_lock = threading.Lock()

    # -- reading ----------------------------------------------------------------------------
    def scoped_orders(self, order_ids: Iterable[str]) -> Iterator[dict]:
        """The orders webhooks named, read 20 a call (an id Shopify no longer has is left out:
        nothing to import)."""
        yield from self.job.shopify.get_orders_for_import([gids.order(i) for i in order_ids])

    def _complete(self, order: dict) -> dict:
        # The list query reads 10 lines per order to stay cheap; read the rest when needed.
        if mapping.has_more_lines(order):
            return self.job.shopify.get_order_for_import(order["id"]) or order
        return order

    # -- the pipeline -----------------------------------------------------------------------
    def import_all(
        self, orders: Iterable[dict], *, move_cursor: bool, expected: int | None = None
    ) -> None:
        """Import in batches. `expected` (counted before) is the run's total from the start;
        orders arriving meanwhile raise it, so done never passes total."""
        counted = expected
        if counted is not None:
            self.job.add_total(counted)
        read = 0
        pending: dict[Future, int] = {}
        done: set[int] = set()
        positions: dict[int, str] = {}
        next_to_commit = 0
        index = 0
        with ThreadPoolExecutor(self.workers, thread_name_prefix="order-import") as pool:
            try:
                for batch in _batches(orders, BATCH_SIZE):
                    self.job.check()
                    batch = [self._complete(o) for o in batch]
                    read += len(batch)
                    if counted is None:
                        self.job.add_total(len(batch))
                    elif read > counted:
                        self.job.add_total(read - counted)
                        counted = read
                    positions[index] = max(o["updatedAt"] for o in batch)
                    pending[pool.submit(self._post_batch, batch)] = index
                    index += 1
                    # Read ahead at most one batch per worker: bounded memory, full pipeline.
                    while len(pending) >= self.workers * 2:
                        next_to_commit = self._collect(
                            pending, done, positions, next_to_commit, move_cursor
                        )
                while pending:
                    next_to_commit = self._collect(
                        pending, done, positions, next_to_commit, move_cursor
                    )
            finally:
                for future in pending:
                    future.cancel()

    def _collect(self, pending, done, positions, next_to_commit, move_cursor) -> int:
        finished, _ = wait(list(pending), return_when=FIRST_COMPLETED)
        for future in finished:
            index = pending.pop(future)
            future.result()  # a batch that raised ends the run (the cursor stays before it)
            done.add(index)
        while next_to_commit in done:
            if move_cursor:
                self.job.advance_cursor(positions[next_to_commit])
            next_to_commit += 1
        return next_to_commit

    def _netsuite(self):
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = self.job.netsuite()
        return client

    def _post_batch(self, orders: list[dict]) -> None:
        try:
            self.post(orders)
        finally:
            close_old_connections()

    def post(self, orders: list[dict], *, claimed: Transaction | None = None) -> None:
        """Claim, write, bind, verify and finish a batch (or the one row already claimed)."""
        by_id = {gids.legacy_id(o["id"]): o for o in orders}
        if claimed is not None:
            txns, won = {claimed.source_id: claimed}, {claimed.pk}
        else:
            txns = self.sync.records(
                {oid: _transaction_fields(o) for oid, o in by_id.items()},
                message="Order retrieved from Shopify.",
            )
            won = self.sync.claim(txns.values())
        lost = [t.pk for t in txns.values() if t.pk not in won]
        statuses = dict(Transaction.objects.filter(pk__in=lost).values_list("pk", "status"))
        outcomes = [(pk, SKIPPED, NOT_CLAIMED.get(statuses.get(pk), "Not due.")) for pk in lost]
        work = {oid: (txns[oid], order) for oid, order in by_id.items() if txns[oid].pk in won}
        results: dict[int, Written | BaseException] = {}
        try:
            self._write(work, results)
        except Exception as exc:
            # No claimed row stays Posting: the rows not yet decided share this outcome (due
            # for retry if NetSuite was unavailable). The run ends; the cursor stays before it.
            for txn, _order in work.values():
                results.setdefault(txn.pk, exc)
            self.job.record(outcomes + self.sync.finish_many(results.items()))
            raise
        outcomes += self.sync.finish_many(results.items())
        self.job.record(outcomes)

    def _write(self, work: dict, results: dict) -> None:
        plans = {}
        for oid, (txn, order) in work.items():
            if order.get("cancelledAt"):
                # Cancelled before it was imported: never a live order in NetSuite. A
                # cancellation waiting for this order then finds nothing to cancel.
                results[txn.pk] = Skip(
                    "Cancelled in Shopify before it was imported: not posted to NetSuite.",
                    status=Status.CANCELED,
                )
                continue
            if self.job.options.b2b_only and not mapping.is_b2b(order):
                results[txn.pk] = Skip(
                    "A B2C order: this connector syncs B2B orders only (Settings › B2B)."
                )
                continue
            try:
                plans[oid] = mapping.customers_for_order(
                    order, b2b_sync=self.job.options.b2b_sync_enabled
                )
            except NeedsPerson as exc:
                results[txn.pk] = exc
        entity_ids = self._upsert_customers(work, plans, results)
        ordered = set().union(*(mapping.skus_of(work[oid][1]) for oid in entity_ids))
        components = bundles.components_for(self.job.connector, ordered)
        skus = set().union(*(mapping.skus_of(work[oid][1], components) for oid in entity_ids))
        item_ids = self._item_ids(skus)

        sales_orders, posting = [], []
        for oid, entity in entity_ids.items():
            txn, order = work[oid]
            try:
                fields = mapping.sales_order_for_order(order, item_ids, self.charges, components)
            except NeedsPerson as exc:
                results[txn.pk] = exc
                continue
            sales_orders.append(
                _sales_order_record(
                    fields, entity, self.job.options.netsuite_line_key_field_id.strip()
                )
            )
            posting.append((oid, txn, order))
        if not sales_orders:
            return
        self.job.check()
        written = {}
        for (oid, txn, order), result in zip(posting, self._upsert(sales_orders), strict=True):
            if isinstance(result, Exception):
                results[txn.pk] = result
                continue
            written[oid] = (txn, order, result.internal_id)
        self.sync.bind_many(
            {oid: so_id for oid, (_t, _o, so_id) in written.items()},
            netsuite_type="salesOrder",
            origin=Channel.SHOPIFY,
            markers={oid: order.get("updatedAt", "") for oid, (_t, order, _s) in written.items()},
        )
        self._verify(written, results)

    def _verify(self, written: dict, results: dict) -> None:
        """Read back the totals NetSuite computed and compare them with Shopify's."""
        if not written:
            return
        refs = [records.ref(so_id, record_type="salesOrder") for _t, _o, so_id in written.values()]
        found = self._netsuite().get_list(refs)
        for (txn, order, so_id), so in zip(written.values(), found, strict=True):
            source_total = mapping.money(order.get("totalPriceSet"))
            try:
                check_total(
                    f"Order {order.get('name')}",
                    "Shopify",
                    source_total,
                    "NetSuite",
                    getattr(so, "total", None) if so is not None else None,
                    currency=_currency(order),
                )
            except NeedsPerson as exc:
                results[txn.pk] = exc
                continue
            results[txn.pk] = Written(
                target_id=so_id,
                status=Status.ORDER_POSTED,
                message=f"Posted to NetSuite as sales order {so_id}; totals agree "
                f"({money(source_total)} {_currency(order)}).",
                fields={"netsuite_sales_order_id": so_id},
                detail={"netsuite_total": str(money(getattr(so, "total", None)))},
            )

    def _upsert(self, recs: list) -> list:
        """Outcomes per record. A refused call counts against every record; one that may work
        later (NetSuite unavailable) ends the batch (its rows are due for retry)."""
        try:
            return self._netsuite().upsert_list_outcomes(recs)
        except NetSuiteError as exc:
            if exc.retryable:
                raise
            return [exc] * len(recs)

    def _upsert_customers(self, work, plans, results) -> dict[str, str]:
        """Order id -> entity internal id. A B2B order whose company location the company
        sync has bound goes to that customer as it is; the other customers are upserted,
        parents first."""
        located = {p.location_shopify_id for p in plans.values() if p.location_shopify_id}
        bound = bindings.netsuite_ids(self.job.connector, bindings.COMPANY_LOCATION, located)
        entity_ids = {
            oid: bound[plan.location_shopify_id]
            for oid, plan in plans.items()
            if plan.location_shopify_id in bound
        }
        unbound = {oid: plan for oid, plan in plans.items() if oid not in entity_ids}
        return {**entity_ids, **self._write_customers(work, unbound, results)}

    def _write_customers(self, work, plans, results) -> dict[str, str]:
        """Upsert parents, then customers; returns order id -> entity internal id."""
        failed: dict[str, Exception] = {}  # customer externalId -> why it was not written
        internal: dict[str, str] = {}
        for wave in ("parents", "customers"):
            unique: dict[str, mapping.CustomerFields] = {}
            for plan in plans.values():
                for c in getattr(plan, wave):
                    unique.setdefault(c.external_id, c)
            recs = [_customer_record(c) for c in unique.values() if c.external_id not in failed]
            if recs:
                self.job.check()
            for rec, result in zip(recs, self._upsert(recs) if recs else [], strict=True):
                if isinstance(result, Exception):
                    failed[rec.externalId] = result
                else:
                    internal[rec.externalId] = result.internal_id
            if wave == "parents":
                # A sub-customer whose parent failed cannot be written: fail it the same way.
                for c in [c for p in plans.values() for c in p.customers]:
                    if c.parent_external_id in failed:
                        failed[c.external_id] = failed[c.parent_external_id]
        entity_ids = {}
        for oid, plan in plans.items():
            entity = plan.entity_external_id
            if entity in internal:
                entity_ids[oid] = internal[entity]
            else:
                why = failed.get(entity)
                if isinstance(why, NetSuiteError) and why.retryable:
                    # NetSuite's passing trouble, not the customer's: due again by itself.
                    results[work[oid][0].pk] = why
                    continue
                message = (
                    _netsuite_message(why)
                    if why is not None
                    else "The customer could not be written to NetSuite."
                )
                results[work[oid][0].pk] = NeedsPerson(f"Customer {entity}: {message}")
        return entity_ids

    def _item_ids(self, skus: set[str]) -> dict[str, str]:
        """SKU -> NetSuite item internal id: from the stored bindings, and a SKU not bound
        yet looked up in NetSuite once per run (a miss is not asked again in this run)."""
        with self._items_lock:
            unknown = {s for s in skus if s not in self._items}
        if unknown:
            found = items.item_ids(self.job.connector, unknown, self._find_item)
            with self._items_lock:
                self._items.update({s: found.get(s) for s in unknown})
        with self._items_lock:
            return {s: self._items[s] for s in skus if self._items.get(s)}

    def _find_item(self, sku: str) -> str | None:
        item = self._netsuite().find_item_by_sku(sku)
        return item.internalId if item is not None else None


def _batches(items: Iterable[dict], size: int) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _currency(order: dict) -> str:
    return ((order.get("totalPriceSet") or {}).get("shopMoney") or {}).get("currencyCode") or ""


def _transaction_fields(order: dict) -> dict:
    return {
        "shopify_order_id": gids.legacy_id(order["id"]),
        "shopify_order_name": order.get("name", ""),
        "amount": mapping.money(order.get("totalPriceSet")),
        "currency": _currency(order),
        "source_type": "order",
    }


def _netsuite_message(exc: Exception) -> str:
    return getattr(exc, "message", None) or str(exc)


def _customer_record(c: mapping.CustomerFields):
    return records.customer(
        c.external_id,
        company_name=c.company_name,
        first_name=c.first_name,
        last_name=c.last_name,
        email=c.email,
        is_person=c.is_person,
        parent_external_id=c.parent_external_id,
    )


def _sales_order_record(fields: mapping.SalesOrderFields, entity_internal_id: str, key_field=""):
    so = records.sales_order(
        fields.external_id,
        customer=records.ref(entity_internal_id, record_type="customer"),
        lines=[
            {
                "item": records.ref(line["item_internal_id"]),
                "quantity": line["quantity"],
                "rate": line["rate"],
                "amount": None if line.get("amount") is None else float(line["amount"]),
                "description": line["description"],
                "custom": {key_field: line["key"]} if key_field and line.get("key") else None,
            }
            for line in fields.lines
        ],
        memo=fields.memo,
        other_ref_num=fields.other_ref_num,
    )
    if fields.ship_address:
        so.shippingAddress = addresses.to_record(fields.ship_address)
    # Shopify's shipping, copied; tax and discounts travel as lines (see mapping).
    if fields.shipping_cost is not None:
        so.shippingCost = float(fields.shipping_cost)
    return so
