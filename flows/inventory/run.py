"""Inventory: NetSuite → Shopify. NetSuite is the source of truth for stock.

A run reads the inventory items NetSuite changed since the cursor (a full resync: all of
them) with their `quantityAvailable` per location, in pages of 1,000 (the first page on the
run's thread, the others in parallel, at the BULK priority of the NetSuite budget and leaving
one slot of the connector's limit to other work). For each page:

1. NetSuite locations → Shopify locations by the connector's location map (several summed
   into one; unmapped ones ignored and counted in the run summary).
2. SKU → Shopify inventory item from the ItemBindings (one query); SKUs not bound yet, and
   levels we never read, are read from Shopify in as few queries as its cost limit allows
   (`inventoryItems` by `sku:`/`id:` terms) and bound in bulk.
3. Quantities that differ from the last `available` we read from Shopify (KnownShopifyLevel)
   are set with `inventorySetQuantities`, up to 250 a call, each with `changeFromQuantity` =
   that value and an `@idempotent` key (install secret, connector, run, digest of the batch).
   Shopify refuses a whole call on any userError: items whose compare is stale
   (CHANGE_FROM_QUANTITY_STALE) are read again and retried on their own, and the rest of the
   batch is sent again without them.
4. Counts go to the FlowRun (posted = SKUs changed, skipped with reasons), the details to its
   `summary` (unknown SKUs listed once, unmapped locations, ...). Only SKUs that failed get a
   Transaction (Error, retried by the sweeper or a person through `post_one`).

The cursor moves to the newest `lastModifiedDate` seen once every page is handled; searches
start at the cursor less an overlap, `onOrAfter`, so items changed in the cursor's second (or
committed late) are read again and compared, never skipped.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from connector import gids
from connector.errors import RemoteError
from connector.items import bind_items, shopify_location_for
from connector.models import ItemBinding
from connector.netsuite.inventory import ItemStock
from connector.shopify.errors import ShopifyUserError
from connector.shopify.idempotency import idempotency_key
from flows.context import POSTED, SKIPPED, Job
from flows.models import KnownShopifyLevel
from flows.sync import NeedsPerson, Skip, Synchronizer, Written
from transactions.models import Channel, Kind, Transaction

from . import mapping

logger = logging.getLogger(__name__)

FULL = "full"  # the scope of a full resync run
STALE = "CHANGE_FROM_QUANTITY_STALE"
STALE_ROUNDS = 3  # re-reads of an item whose quantity keeps moving under us
LIST_CAP = 200  # SKUs listed in the summary per kind of finding
PAGE_SIZE = 1000

UNKNOWN = "No Shopify variant with this SKU."
UNCHANGED = "Unchanged."
NOT_STOCKED = "Not stocked at the mapped Shopify location."
NO_MAPPED_STOCK = "No stock at a mapped location."


def overlap() -> timedelta:
    return timedelta(seconds=getattr(settings, "INVENTORY_CURSOR_OVERLAP_SECONDS", 300))


class NoLocationMap(Exception):
    pass


@dataclass
class Change:
    sku: str
    item: ItemStock
    inventory_item_id: str
    location_id: str
    quantity: int
    change_from: int

    def as_input(self) -> dict:
        return {
            "inventoryItemId": gids.gid("InventoryItem", self.inventory_item_id),
            "locationId": gids.gid("Location", self.location_id),
            "quantity": self.quantity,
            "changeFromQuantity": self.change_from,
        }


class Inventory:
    def __init__(self, job: Job, *, full: bool = False, key_scope: str = ""):
        self.job = job
        # Part of every idempotency key: the run (a resend within it replays), or for a
        # Retry the row and its claim (a new attempt must not be answered with an old
        # refusal).
        self.key_scope = key_scope or f"run:{job.run_id}"
        self.connector = job.connector
        self.full = full
        self.location_map = shopify_location_for(self.connector)
        self.sync = Synchronizer(job, kind=Kind.INVENTORY, source_channel=Channel.NETSUITE)
        self._levels: int | None = None
        self._shop_locations: set[str] = set()
        self.newest_seen = None  # the newest lastModifiedDate read (a datetime)
        self.netsuite_skus: set[str] = set()
        self.shopify_skus: set[str] | None = None
        self.counts = {
            "items_read": 0,
            "skus_changed": 0,
            "quantities_written": 0,
            "unchanged": 0,
            "calls": 0,
            "stale_rereads": 0,
            "shopify_reads": 0,
            "failed": 0,
        }
        self.unknown: list[str] = []
        self.unknown_count = 0
        self.not_stocked: list[str] = []
        self.not_stocked_count = 0
        self.unmapped: dict[str, int] = {}
        self.failed_skus: list[str] = []

    # -- the run ---------------------------------------------------------------------------
    def run(self, start_from) -> None:
        job = self.job
        if not self.location_map:
            raise NoLocationMap(
                "No NetSuite location is mapped to a Shopify location: set the location map "
                "in Settings › Inventory."
            )
        if self.full:
            self._read_whole_catalogue()
        netsuite = job.netsuite()
        first = netsuite.item_stock(start_from, page_size=PAGE_SIZE)
        job.add_total(first.total_records)
        self.handle_page(first.items)
        if first.total_pages > 1:
            limit = self.connector.netsuite_concurrency_limit or 1
            # One slot of the connector's limit stays free for urgent work; the budget's
            # priority queue does the rest.
            workers = max(1, min(limit - 1, first.total_pages - 1))
            local = threading.local()

            def fetch(index: int):
                try:
                    if not hasattr(local, "client"):
                        local.client = job.netsuite()
                    job.check()
                    return local.client.item_stock_page(first.search_id, index)
                finally:
                    close_old_connections()

            with ThreadPoolExecutor(workers, thread_name_prefix="inventory") as pool:
                futures = [pool.submit(fetch, i) for i in range(2, first.total_pages + 1)]
                try:
                    for future in as_completed(futures):
                        self.handle_page(future.result().items)
                except BaseException:
                    for f in futures:
                        f.cancel()
                    raise
        self.publish(final=True)

    # -- one page --------------------------------------------------------------------------
    def handle_page(self, stock: list[ItemStock]) -> None:
        self.job.check()
        results = self.handle(stock)
        outcomes = []
        failures: dict[str, tuple[ItemStock, BaseException]] = {}
        changed: list[ItemStock] = []
        by_sku = {s.sku: s for s in stock}
        for sku, result in results.items():
            if isinstance(result, Written):
                outcomes.append((None, POSTED, ""))
                changed.append(by_sku[sku])
            elif isinstance(result, Skip):
                outcomes.append((None, SKIPPED, result.reason))
            else:
                failures[sku] = (by_sku[sku], result)
        txn_outcomes = self._record_failures(failures)
        self.sync.close_fixed(
            [s.internal_id for s in changed], message="Quantities set in Shopify."
        )
        self.job.record([*outcomes, *txn_outcomes])
        self.publish()

    def handle(self, stock: list[ItemStock]) -> dict[str, Written | Skip | BaseException]:
        """What happened to each SKU of these items: Written, Skip or the error."""
        wanted: dict[str, tuple[ItemStock, dict[str, int]]] = {}
        results: dict[str, Written | Skip | BaseException] = {}
        for item in stock:
            if item.last_modified:
                # Compared as instants: NetSuite writes them with the account's offset.
                moment = mapping.parse_cursor(item.last_modified)
                if self.newest_seen is None or moment > self.newest_seen:
                    self.newest_seen = moment
            if not item.sku:
                continue
            self.counts["items_read"] += 1
            self.netsuite_skus.add(item.sku)
            per, unmapped = mapping.per_shopify_location(item.available or {}, self.location_map)
            for location in unmapped:
                self.unmapped[location] = self.unmapped.get(location, 0) + 1
            if not per:
                results[item.sku] = Skip(NO_MAPPED_STOCK)
                continue
            wanted[item.sku] = (item, per)
        if not wanted:
            return results

        bindings = {
            b.sku: b
            for b in ItemBinding.objects.filter(
                connector=self.connector, sku__in=list(wanted)
            ).only("sku", "netsuite_item_id", "shopify_inventory_item_id", "source")
        }
        inventory_of = {
            sku: b.shopify_inventory_item_id
            for sku, b in bindings.items()
            if b.shopify_inventory_item_id
        }
        known = self._known(inventory_of.values())
        # A full resync has read the whole catalogue: a SKU it did not find is not in Shopify.
        catalogue_read = self.shopify_skus is not None
        to_find = [] if catalogue_read else [sku for sku in wanted if sku not in inventory_of]
        to_read = sorted(
            {
                inventory_of[sku]
                for sku, (_item, per) in wanted.items()
                if sku in inventory_of
                and not catalogue_read
                and any((inventory_of[sku], loc) not in known for loc in per)
            }
        )
        if to_find or to_read:
            found = self._read_shopify(skus=to_find, item_ids=to_read)
            for sku, (inventory_item_id, levels) in found.items():
                if sku in wanted:
                    inventory_of[sku] = inventory_item_id
                for location, available in levels.items():
                    known[(inventory_item_id, location)] = available
        # What NetSuite calls the item, where we do not know it yet.
        bind_items(
            self.connector,
            {
                sku: {"netsuite_item_id": item.internal_id}
                for sku, (item, _per) in wanted.items()
                if bindings.get(sku) is None or not bindings[sku].netsuite_item_id
            },
        )

        changes: list[Change] = []
        for sku, (item, per) in wanted.items():
            inventory_item_id = inventory_of.get(sku)
            if inventory_item_id is None:
                self.unknown_count += 1
                if len(self.unknown) < LIST_CAP:
                    self.unknown.append(sku)
                results[sku] = Skip(UNKNOWN)
                continue
            mine = []
            stocked = False
            for location, quantity in per.items():
                current = known.get((inventory_item_id, location))
                if current is None:
                    self.not_stocked_count += 1
                    if len(self.not_stocked) < LIST_CAP:
                        self.not_stocked.append(f"{sku} at Shopify location {location}")
                    continue
                stocked = True
                if current != quantity:
                    mine.append(Change(sku, item, inventory_item_id, location, quantity, current))
            if mine:
                changes.extend(mine)
            elif stocked:
                self.counts["unchanged"] += 1
                results[sku] = Skip(UNCHANGED)
            else:
                results[sku] = Skip(NOT_STOCKED)
        if changes:
            failed = self._write(changes)
            for change in changes:
                if change.sku in failed:
                    results[change.sku] = failed[change.sku]
                elif change.sku not in results:
                    results[change.sku] = Written(
                        target_id=change.inventory_item_id,
                        message="Quantities set in Shopify.",
                    )
        self.counts["skus_changed"] += sum(isinstance(r, Written) for r in results.values())
        return results

    # -- Shopify reads -----------------------------------------------------------------------
    def _shopify_levels(self) -> int:
        """How many levels an inventory item can have: the shop's locations."""
        if self._levels is None:
            locations = self.job.shopify.locations()
            self._shop_locations = {str(loc["legacyResourceId"]) for loc in locations}
            self._levels = max(1, min(250, len(locations)))
        return self._levels

    def _read_shopify(
        self, *, skus=(), item_ids=(), everything: bool = False
    ) -> dict[str, tuple[str, dict[str, int]]]:
        """sku -> (inventory item id, {location id: available}) for these SKUs / items (or
        the whole catalogue), bound and remembered as we go."""
        levels = self._shopify_levels()
        size = mapping.items_page_size(levels)
        queries: list[str | None]
        if everything:
            queries = [None]
        else:
            terms = [("sku", s) for s in skus] + [("id", i) for i in item_ids]
            queries = [
                mapping.search_terms(
                    [v for k, v in chunk if k == "sku"], [v for k, v in chunk if k == "id"]
                )
                for chunk in mapping.chunks(terms, size)
            ]
        found: dict[str, tuple[str, dict[str, int]]] = {}
        bind: dict[str, dict[str, str]] = {}
        for query in queries:
            for node in self.job.shopify.iter_inventory_items(query, levels=levels, page_size=size):
                sku = (node.get("sku") or "").strip()
                if not sku or sku in found:  # two variants with one SKU: the first wins
                    continue
                inventory_item_id = gids.legacy_id(node["id"])
                levels_of = {
                    gids.legacy_id(level["location"]["id"]): int(level["quantities"][0]["quantity"])
                    for level in node["inventoryLevels"]["nodes"]
                    if level["quantities"]
                }
                found[sku] = (inventory_item_id, levels_of)
                bind[sku] = {
                    "shopify_inventory_item_id": inventory_item_id,
                    "shopify_variant_id": gids.legacy_id((node.get("variant") or {}).get("id", "")),
                }
            self.counts["shopify_reads"] += 1
        bind_items(self.connector, bind)
        self._remember(
            [(inv, loc, qty) for inv, levels_of in found.values() for loc, qty in levels_of.items()]
        )
        return found

    def _read_whole_catalogue(self) -> None:
        found = self._read_shopify(everything=True)
        self.shopify_skus = set(found)

    def _known(self, inventory_item_ids) -> dict[tuple[str, str], int]:
        ids = list(inventory_item_ids)
        if not ids:
            return {}
        return {
            (inv, loc): available
            for inv, loc, available in KnownShopifyLevel.objects.filter(
                connector=self.connector, inventory_item_id__in=ids
            ).values_list("inventory_item_id", "location_id", "available")
        }

    def _remember(self, levels: list[tuple[str, str, int]]) -> None:
        """Upsert what we now know of these levels: one statement for many rows (an ORM
        bulk_create compiles each batch, which cost more than the rest of a page)."""
        if not levels:
            return
        table = KnownShopifyLevel._meta.db_table
        now = timezone.now()
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {table} "  # noqa: S608 (our own table name, values are parameters)
                "(connector_id, inventory_item_id, location_id, available, seen_at) "
                "VALUES (%s, %s, %s, %s, %s) "
                "ON CONFLICT (connector_id, inventory_item_id, location_id) DO UPDATE SET "
                "available = excluded.available, seen_at = excluded.seen_at",
                [(self.connector.pk, inv, loc, qty, now) for inv, loc, qty in levels],
            )

    # -- Shopify writes ----------------------------------------------------------------------
    def _write(self, changes: list[Change]) -> dict[str, BaseException]:
        failed: dict[str, BaseException] = {}
        retry: list[Change] = []
        for batch in mapping.chunks(changes, mapping.MAX_QUANTITIES_PER_CALL):
            self._send(batch, failed, retry)
        for _round in range(STALE_ROUNDS):
            if not retry:
                break
            again, retry = retry, []
            for batch in mapping.chunks(again, mapping.MAX_QUANTITIES_PER_CALL):
                self._send(batch, failed, retry)
        for change in retry:
            failed.setdefault(
                change.sku,
                RemoteError(
                    f"Shopify's quantity of {change.sku} at location {change.location_id} kept "
                    f"changing while we set it ({STALE_ROUNDS + 1} tries); tried again later.",
                    retryable=True,
                    code=STALE,
                ),
            )
        return failed

    def _send(self, batch: list[Change], failed: dict, retry: list[Change]) -> None:
        """One inventorySetQuantities call for the batch; stale items are read again and put
        in `retry`, refused ones in `failed`, and the rest is sent again without them."""
        while batch:
            quantities = [c.as_input() for c in batch]
            key = idempotency_key(
                "inventorySetQuantities",
                f"connector:{self.connector.pk}",
                self.key_scope,
                mapping.batch_identity(quantities),
            )
            self.job.check()
            try:
                self.job.shopify.set_inventory_quantities(quantities, idempotency_key=key)
            except ShopifyUserError as exc:
                self.counts["calls"] += 1
                refused = _refused_positions(exc, len(batch))
                if not refused:
                    for change in batch:
                        failed[change.sku] = exc
                    return
                stale = [batch[i] for i, (code, _m) in refused.items() if code == STALE]
                for i, (code, message) in refused.items():
                    if code != STALE:
                        change = batch[i]
                        failed[change.sku] = NeedsPerson(
                            f"Shopify refused the quantity of {change.sku} at location "
                            f"{change.location_id}: {message}"
                        )
                batch = [c for i, c in enumerate(batch) if i not in refused]
                if stale:
                    self.counts["stale_rereads"] += len(stale)
                    retry.extend(self._reread(stale, failed))
                continue
            except RemoteError as exc:
                for change in batch:
                    failed[change.sku] = exc
                return
            self.counts["calls"] += 1
            self.counts["quantities_written"] += len(batch)
            self._remember([(c.inventory_item_id, c.location_id, c.quantity) for c in batch])
            return

    def _reread(self, stale: list[Change], failed: dict) -> list[Change]:
        found = self._read_shopify(item_ids=sorted({c.inventory_item_id for c in stale}))
        levels = {inv: levels_of for inv, levels_of in found.values()}
        out = []
        for change in stale:
            current = levels.get(change.inventory_item_id, {}).get(change.location_id)
            if current is None:
                failed[change.sku] = NeedsPerson(
                    f"{change.sku} is no longer stocked at Shopify location {change.location_id}."
                )
            elif current != change.quantity:
                change.change_from = current
                out.append(change)
        return out

    # -- records -------------------------------------------------------------------------------
    def _record_failures(self, failures: dict[str, tuple[ItemStock, BaseException]]):
        """A Transaction per failed SKU (Error, with the synchronizer's retry policy)."""
        self.counts["failed"] += len(failures)
        for sku in failures:
            if len(self.failed_skus) < LIST_CAP:
                self.failed_skus.append(sku)
        return self.sync.record_failures(
            {
                item.internal_id: (
                    {"source_type": "inventoryItem", "payload": _payload(item)},
                    exc,
                )
                for item, exc in failures.values()
            },
            message="Inventory change read from NetSuite.",
        )

    def summary(self) -> dict:
        out = {
            "mode": "full" if self.full else "delta",
            **self.counts,
            "unknown_skus": {"count": self.unknown_count, "skus": self.unknown},
            "not_stocked": {"count": self.not_stocked_count, "levels": self.not_stocked},
            "unmapped_netsuite_locations": self.unmapped,
            "failed_skus": self.failed_skus,
        }
        if self.shopify_skus is not None:
            missing = sorted(self.shopify_skus - self.netsuite_skus)
            out["not_in_netsuite"] = {"count": len(missing), "skus": missing[:LIST_CAP]}
        if self._shop_locations:
            absent = sorted(set(self.location_map.values()) - self._shop_locations)
            if absent:
                out["unknown_shopify_locations"] = absent
        return out

    def publish(self, final: bool = False) -> None:
        summary = self.summary()
        if final:
            summary["finished"] = True
        self.job.set_summary(summary)


def _refused_positions(exc: ShopifyUserError, size: int) -> dict[int, tuple[str, str]]:
    """Batch position -> (code, message) of each userError that names a quantity."""
    out = {}
    for error in exc.user_errors or []:
        field = [str(f) for f in (error.get("field") or [])]
        if len(field) >= 3 and field[1] == "quantities" and field[2].isdigit():
            index = int(field[2])
            if index < size:
                out[index] = (error.get("code") or "", error.get("message") or "")
    return out


def _payload(item: ItemStock) -> dict:
    return {
        "sku": item.sku,
        "netsuite_item_id": item.internal_id,
        "lastModifiedDate": item.last_modified,
        "available": item.available,
    }


def run(ctx: Job) -> None:
    full = FULL in ctx.scope
    start_from = None if full else mapping.search_from(ctx.cursor(), overlap())
    inventory = Inventory(ctx, full=full)
    try:
        inventory.run(start_from)
    except NoLocationMap:
        ctx.set_summary({**inventory.summary(), "error": "no location map"})
        raise
    if inventory.newest_seen is not None:
        ctx.advance_cursor(mapping.format_cursor(inventory.newest_seen))


def post_one(job: Job, txn: Transaction) -> None:
    """Retry (a person or the sweeper) of one SKU that failed: read the item again from
    NetSuite and set its quantities in Shopify."""
    sync = Synchronizer(job, kind=Kind.INVENTORY, source_channel=Channel.NETSUITE)

    def work() -> Written:
        record = job.netsuite().get("inventoryItem", internal_id=txn.source_id)
        item = stock_of(record)
        # The claim's token names this attempt: setting a quantity is absolute (repeating it
        # is harmless), and a new attempt must not be answered with an old refusal.
        claimed = txn.posting_started_at.isoformat() if txn.posting_started_at else txn.attempts
        inventory = Inventory(job, key_scope=f"txn:{txn.pk}:{claimed}")
        if not inventory.location_map:
            raise NeedsPerson("No NetSuite location is mapped to a Shopify location.")
        result = inventory.handle([item]).get(item.sku)
        if result is None:
            raise Skip("The item has no SKU in NetSuite.")
        if isinstance(result, BaseException):
            raise result
        return result

    sync.one(txn, work)


def stock_of(record) -> ItemStock:
    """An ItemStock from a zeep InventoryItem (the one-record path)."""
    available = {}
    for row in getattr(getattr(record, "locationsList", None), "locations", None) or []:
        ref = getattr(row, "locationId", None)
        if ref is not None and ref.internalId:
            available[str(ref.internalId)] = float(row.quantityAvailable or 0)
    modified = record.lastModifiedDate
    return ItemStock(
        internal_id=str(record.internalId),
        sku=(record.itemId or "").strip(),
        last_modified=mapping.format_cursor(modified) if modified else "",
        available=available,
    )


__all__ = ["FULL", "Inventory", "post_one", "run"]
