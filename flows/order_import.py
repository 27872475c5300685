"""Order import: Shopify orders → NetSuite customers and sales orders.

The main thread reads orders from Shopify (paced by the client) and cuts them into batches of
up to 100; a thread pool as large as the connector's NetSuite concurrency limit posts the
batches, each with one upsertList of customers and one of sales orders, every call holding a
slot of the account's shared budget. So up to `limit` lists of 100 records are in flight at
once, which is what NetSuite's concurrency governance allows.

Nothing twice: every record is upserted by an externalId derived from its Shopify id, and an
order whose transaction is already posted is skipped. Nothing lost: the delta cursor only
moves past a batch once it and every batch before it have been handled.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from django.db import close_old_connections

from connector import external_ids
from connector.netsuite import records
from connector.netsuite.errors import NetSuiteError
from transactions.lifecycle import claim_many, finish_many, upsert_transactions
from transactions.models import POSTABLE, Channel, Kind, Status

from . import mappers
from .engine import FAILED, POSTED, SKIPPED, RunContext

logger = logging.getLogger(__name__)

FLOW = "order_import"
BATCH_SIZE = 100  # NetSuite's upsertList maximum


def run(ctx: RunContext) -> None:
    importer = OrderImporter(ctx)
    if ctx.scope:
        orders = importer.scoped_orders(ctx.scope)
        importer.import_all(orders, move_cursor=False)
    else:
        orders = ctx.shopify.iter_orders_for_import(updated_since=ctx.cursor())
        importer.import_all(orders, move_cursor=True)


class OrderImporter:
    def __init__(self, ctx: RunContext):
        self.ctx = ctx
        self.workers = max(1, ctx.connector.netsuite_concurrency_limit)
        self._local = threading.local()
        self._items: dict[str, str | None] = {}
        self._items_lock = threading.Lock()

    # -- reading ----------------------------------------------------------------------------
    def scoped_orders(self, order_ids: Iterable[str]) -> Iterator[dict]:
        for order_id in order_ids:
            order = self.ctx.shopify.get_order_for_import(f"gid://shopify/Order/{order_id}")
            if order is not None:
                yield order

    def _complete(self, order: dict) -> dict:
        # The list query reads 10 lines per order to stay cheap; read the rest when needed.
        if mappers.has_more_lines(order):
            return self.ctx.shopify.get_order_for_import(order["id"]) or order
        return order

    # -- the pipeline -----------------------------------------------------------------------
    def import_all(self, orders: Iterable[dict], *, move_cursor: bool) -> None:
        pending: dict[Future, int] = {}
        done: set[int] = set()
        positions: dict[int, str] = {}
        next_to_commit = 0
        index = 0
        with ThreadPoolExecutor(self.workers, thread_name_prefix="order-import") as pool:
            try:
                for batch in _batches(orders, BATCH_SIZE):
                    self.ctx.check()
                    batch = [self._complete(o) for o in batch]
                    self.ctx.add_total(len(batch))
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
                self.ctx.advance_cursor(positions[next_to_commit])
            next_to_commit += 1
        return next_to_commit

    def _netsuite(self):
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = self.ctx.netsuite()
        return client

    def _post_batch(self, orders: list[dict]) -> None:
        try:
            self._post(orders)
        finally:
            close_old_connections()

    def _post(self, orders: list[dict]) -> None:
        ctx = self.ctx
        by_id = {external_ids.legacy_id(o["id"]): o for o in orders}
        txns = upsert_transactions(
            ctx.connector,
            kind=Kind.ORDER,
            source_channel=Channel.SHOPIFY,
            records={oid: _transaction_fields(o) for oid, o in by_id.items()},
            status=Status.SCHEDULED,
            flow=FLOW,
            flow_run_id=ctx.run_id,
            message="Order retrieved from Shopify.",
        )
        # Runs of a flow never overlap, so a row left `posting` was a run that died mid-post:
        # take it over (the upsert by externalId makes posting it again safe).
        won = claim_many(
            [t.pk for t in txns.values()],
            from_statuses=(*POSTABLE, Status.POSTING),
            flow_run_id=ctx.run_id,
        )
        outcomes: list[tuple[int | None, str, str]] = []
        finishes: list[dict] = []
        work: dict[str, tuple] = {}  # order id -> (txn, order, plan)
        for oid, order in by_id.items():
            txn = txns[oid]
            if txn.pk not in won:
                reason = "Already posted to NetSuite."
                outcomes.append((txn.pk, SKIPPED, reason))
                continue
            try:
                plan = mappers.customers_for_order(order, b2b_sync=ctx.options.b2b_sync_enabled)
            except mappers.MappingError as exc:
                finishes.append(_error(txn.pk, str(exc)))
                outcomes.append((txn.pk, FAILED, ""))
                continue
            work[oid] = (txn, order, plan)

        entity_ids = self._upsert_customers(work, finishes, outcomes)
        item_ids = self._item_ids(set().union(*(mappers.skus_of(o) for _t, o, _p in work.values())))

        sales_orders, posting = [], []
        for oid, (txn, order, _plan) in work.items():
            if oid not in entity_ids:
                continue
            try:
                fields = mappers.sales_order_for_order(order, item_ids)
            except mappers.MappingError as exc:
                finishes.append(_error(txn.pk, str(exc)))
                outcomes.append((txn.pk, FAILED, ""))
                continue
            sales_orders.append(_sales_order_record(fields, entity_ids[oid]))
            posting.append(txn)
        if sales_orders:
            results = self._upsert(sales_orders)
            for txn, result in zip(posting, results, strict=True):
                if isinstance(result, Exception):
                    finishes.append(_error(txn.pk, _netsuite_message(result)))
                    outcomes.append((txn.pk, FAILED, ""))
                else:
                    finishes.append(
                        {
                            "txn_id": txn.pk,
                            "status": Status.ORDER_POSTED,
                            "target_id": result.internal_id,
                            "netsuite_sales_order_id": result.internal_id,
                            "message": f"Posted to NetSuite as sales order {result.internal_id}.",
                        }
                    )
                    outcomes.append((txn.pk, POSTED, ""))
        finish_many(finishes, flow_run_id=ctx.run_id)
        ctx.record(outcomes)

    def _upsert(self, recs: list) -> list:
        """Outcomes per record. A refused call counts against every record; one that may work
        later (NetSuite unavailable) ends the run so the cursor stays before this batch."""
        try:
            return self._netsuite().upsert_list_outcomes(recs)
        except NetSuiteError as exc:
            if exc.retryable:
                raise
            return [exc] * len(recs)

    def _upsert_customers(self, work, finishes, outcomes) -> dict[str, str]:
        """Upsert parents, then customers; returns order id -> entity internal id."""
        failed: dict[str, str] = {}  # customer externalId -> message
        internal: dict[str, str] = {}
        for wave in ("parents", "customers"):
            unique: dict[str, mappers.CustomerFields] = {}
            for _txn, _order, plan in work.values():
                for c in getattr(plan, wave):
                    unique.setdefault(c.external_id, c)
            recs = [_customer_record(c) for c in unique.values() if c.external_id not in failed]
            for rec, result in zip(recs, self._upsert(recs) if recs else [], strict=True):
                if isinstance(result, Exception):
                    failed[rec.externalId] = _netsuite_message(result)
                else:
                    internal[rec.externalId] = result.internal_id
            if wave == "parents":
                # A sub-customer whose parent failed cannot be written: fail it the same way.
                for c in [c for _t, _o, p in work.values() for c in p.customers]:
                    if c.parent_external_id in failed:
                        failed[c.external_id] = failed[c.parent_external_id]
        entity_ids = {}
        for oid, (txn, _order, plan) in work.items():
            entity = plan.entity_external_id
            if entity in internal:
                entity_ids[oid] = internal[entity]
            else:
                message = failed.get(entity, "The customer could not be written to NetSuite.")
                finishes.append(_error(txn.pk, f"Customer {entity}: {message}"))
                outcomes.append((txn.pk, FAILED, ""))
        return entity_ids

    def _item_ids(self, skus: set[str]) -> dict[str, str]:
        """SKU -> NetSuite item internal id, looked up once per SKU per run."""
        with self._items_lock:
            unknown = [s for s in sorted(skus) if s not in self._items]
        for sku in unknown:
            item = self._netsuite().find_item_by_sku(sku)
            with self._items_lock:
                self._items[sku] = item.internalId if item is not None else None
        with self._items_lock:
            return {s: self._items[s] for s in skus if self._items.get(s)}


def _batches(items: Iterable[dict], size: int) -> Iterator[list[dict]]:
    batch: list[dict] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _transaction_fields(order: dict) -> dict:
    total = mappers.money(order.get("totalPriceSet"))
    currency = ((order.get("totalPriceSet") or {}).get("shopMoney") or {}).get("currencyCode")
    oid = external_ids.legacy_id(order["id"])
    return {
        "shopify_order_id": oid,
        "shopify_order_name": order.get("name", ""),
        "amount": total,
        "currency": currency or "",
        "source_type": "order",
    }


def _error(txn_id: int, message: str) -> dict:
    return {"txn_id": txn_id, "status": Status.ERROR, "error": message}


def _netsuite_message(exc: Exception) -> str:
    return getattr(exc, "message", None) or str(exc)


def _customer_record(c: mappers.CustomerFields):
    return records.customer(
        c.external_id,
        company_name=c.company_name,
        first_name=c.first_name,
        last_name=c.last_name,
        email=c.email,
        is_person=c.is_person,
        parent_external_id=c.parent_external_id,
    )


def _sales_order_record(fields: mappers.SalesOrderFields, entity_internal_id: str):
    so = records.sales_order(
        fields.external_id,
        customer=records.ref(entity_internal_id, record_type="customer"),
        lines=[
            {
                "item": records.ref(line["item_internal_id"]),
                "quantity": line["quantity"],
                "rate": line["rate"],
                "description": line["description"],
            }
            for line in fields.lines
        ],
        memo=fields.memo,
        other_ref_num=fields.other_ref_num,
    )
    # Shopify's figures, copied (seed 004): NetSuite must not recompute tax or shipping.
    if fields.shipping_cost is not None:
        so.shippingCost = float(fields.shipping_cost)
    if fields.tax_total is not None:
        so.taxTotal = float(fields.tax_total)
    if fields.discount:
        so.discountRate = f"-{fields.discount}"
    return so
