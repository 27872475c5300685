"""Products: NetSuite → Shopify. NetSuite is the source of truth for what the panel manages.

A run reads the inventory items NetSuite changed since the cursor (a full resync: all of them)
with their prices, matrix options and product fields, in pages of 1,000, and the matrix
parents of changed children it did not read. Then, for each product (mapping.products_of):

1. Bindings (kinds "product" and "variant", marker = fingerprint of what was written) say
   which Shopify product and variants it is. SKUs not bound are looked up in Shopify
   (`productVariants` by `sku:`) before anything is created: no product mutation has an
   idempotency key, so this read is what keeps a lost answer or a hand-made product from
   becoming a second product.
2. A product Shopify does not have is created whole with `productSet` (only ever for new
   products: productSet deletes the variants it is not sent). Of an existing product, only
   what changed is written: product fields with `productUpdate`, variants with
   `productVariantsBulkUpdate` (new matrix children: `productVariantsBulkCreate`), never the
   fields the merchant keeps in Shopify (Settings › Products).
3. Above the bulk threshold the updates go as one bulk operation each (JSONL upload, polled),
   outside the API's rate limit; creations always go one by one, each after its read.
4. Mapped price levels become fixed prices on the B2B catalogs' price lists
   (`priceListFixedPricesAdd`, which adds or replaces: a resend writes nothing twice).

Counts go to the FlowRun and its summary; only items that failed get a Transaction (Error,
retried by the sweeper or a person through `post_one`), as in the inventory flow. The cursor
moves to the newest `lastModifiedDate` read once the run is done.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings

from connector import bindings, gids
from connector.errors import RemoteError
from connector.items import bind_items
from connector.models import Binding, PriceLevelMapping
from connector.netsuite.catalogue import ItemProduct
from connector.shopify import bulk
from connector.shopify.errors import ShopifyUserError
from flows import positions
from flows.context import POSTED, SKIPPED, Job
from flows.sync import NeedsPerson, Skip, Synchronizer, Written
from transactions.models import Channel, Kind, Transaction

from . import mapping
from .mapping import Product, Variant

logger = logging.getLogger(__name__)

FULL = "full"
PRODUCT = "product"
VARIANT = "variant"
PAGE_SIZE = 1000
SKUS_PER_LOOKUP = 80  # productVariantsBySku costs 2 + 3 a variant: 242 points a read
LIST_CAP = 200

UNCHANGED = "Unchanged since the last sync."
NO_PARENT = "Its matrix parent could not be read from NetSuite."
SEE_VARIANTS = "Its variants could not be written; their rows say why."


def overlap() -> timedelta:
    return timedelta(seconds=getattr(settings, "PRODUCT_CURSOR_OVERLAP_SECONDS", 300))


def price_list_kind(list_id: str) -> str:
    """The binding kind of a variant's fixed price on one price list (marker = the price)."""
    return f"price:{list_id}"


@dataclass
class Plan:
    """What one batch writes."""

    creates: list[Product] = field(default_factory=list)
    product_updates: list[tuple[Product, str]] = field(default_factory=list)  # (product, id)
    # product id -> [(variant, variant id)]
    variant_updates: dict[str, list[tuple[Variant, str]]] = field(default_factory=dict)
    variant_creates: dict[str, list[Variant]] = field(default_factory=dict)


class Products:
    def __init__(self, job: Job, *, full: bool = False):
        self.job = job
        self.connector = job.connector
        self.full = full
        options = self.connector.options
        self.pricing = mapping.Pricing(
            price_level=options.product_price_level_id or "1",
            compare_at_level=""
            if options.shopify_keeps_compare_at_price
            else options.product_compare_at_price_level_id,
        )
        self.kept_product = frozenset(
            f for f in mapping.PRODUCT_FIELDS if getattr(options, f"shopify_keeps_{f}")
        )
        self.kept_variant = frozenset(
            f for f in mapping.VARIANT_FIELDS if getattr(options, f"shopify_keeps_{f}")
        )
        self.threshold = options.product_bulk_threshold or 500
        self.price_lists = dict(
            PriceLevelMapping.objects.filter(connector=self.connector).values_list(
                "shopify_price_list_id", "netsuite_price_level_id"
            )
        )
        self._currencies: dict[str, str] | None = None
        self.sync = Synchronizer(job, kind=Kind.PRODUCT, source_channel=Channel.NETSUITE)
        self.newest_seen: datetime | None = None
        self.counts = {
            "items_read": 0,
            "products_created": 0,
            "products_updated": 0,
            "variants_updated": 0,
            "variants_created": 0,
            "prices_written": 0,
            "unchanged": 0,
            "found_by_sku": 0,
            "calls": 0,
            "bulk_operations": 0,
            "failed": 0,
        }
        self.failed_skus: list[str] = []

    # -- the run ---------------------------------------------------------------------------
    def run(self, start_from) -> None:
        netsuite = self.job.netsuite()
        first = netsuite.item_catalogue(start_from, page_size=PAGE_SIZE)
        items: list[ItemProduct] = list(first.items)
        for index in range(2, first.total_pages + 1):
            self.job.check()
            items.extend(netsuite.item_catalogue_page(first.search_id, index).items)
        self.job.add_total(len(items))
        self.handle_items(items)
        self.publish(final=True)

    def handle_items(self, items: list[ItemProduct]) -> None:
        self.job.check()
        results = self.handle(items)
        by_id = {i.internal_id: i for i in items}
        outcomes, failures, written = [], {}, []
        for item_id, result in results.items():
            if isinstance(result, Written):
                outcomes.append((None, POSTED, ""))
                written.append(item_id)
            elif isinstance(result, Skip):
                outcomes.append((None, SKIPPED, result.reason))
            elif item_id in by_id:
                failures[item_id] = (by_id[item_id], result)
        outcomes += self._record_failures(failures)
        self.sync.close_fixed(written, message="Written to Shopify.")
        self.job.record(outcomes)
        self.publish()

    def handle(self, items: list[ItemProduct]) -> dict[str, Written | Skip | BaseException]:
        """What happened to each item (by NetSuite internal id): Written, Skip or the error."""
        results: dict[str, Written | Skip | BaseException] = {}
        for item in items:
            if item.last_modified:
                moment = positions.utc(datetime.fromisoformat(item.last_modified))
                if self.newest_seen is None or moment > self.newest_seen:
                    self.newest_seen = moment
        self.counts["items_read"] += len(items)
        known = {i.internal_id for i in items}
        missing = {i.parent_id for i in items if i.is_child and i.parent_id not in known}
        parents = {i.internal_id: i for i in items if i.is_parent}
        if missing:
            parents.update({p.internal_id: p for p in self.job.netsuite().items_by_id(missing)})
        products, orphans = mapping.products_of(items, parents, self.pricing)
        for orphan in orphans:
            results[orphan.internal_id] = NeedsPerson(f"{orphan.sku}: {NO_PARENT}")
        if not products:
            return results
        plan = self.plan(products, results)
        self.write(plan, results)
        self.write_prices(products, results)
        for product in products:
            for variant in product.variants:
                results.setdefault(variant.item.internal_id, Skip(UNCHANGED))
            if product.head is not None and product.head.is_parent and product.key in known:
                failed = any(_failed(results.get(v.item.internal_id)) for v in product.variants)
                results.setdefault(product.key, Skip(SEE_VARIANTS if failed else UNCHANGED))
        self.counts["unchanged"] += sum(
            isinstance(r, Skip) and r.reason == UNCHANGED for r in results.values()
        )
        return results

    # -- planning ----------------------------------------------------------------------------
    def plan(self, products: list[Product], results: dict) -> Plan:
        connector = self.connector
        product_rows = {
            b.netsuite_id: b
            for b in Binding.objects.filter(
                connector=connector, kind=PRODUCT, netsuite_id__in=[p.key for p in products]
            ).only("shopify_id", "netsuite_id", "marker")
        }
        item_ids = [v.item.internal_id for p in products for v in p.variants]
        variant_rows = {
            b.netsuite_id: b
            for b in Binding.objects.filter(
                connector=connector, kind=VARIANT, netsuite_id__in=item_ids
            ).only("shopify_id", "netsuite_id", "marker")
        }
        unbound = [
            v.sku for p in products for v in p.variants if v.item.internal_id not in variant_rows
        ]
        found = self._find_by_sku(unbound) if unbound else {}
        plan = Plan()
        new_bindings: list[tuple[str, str, str, str]] = []  # (kind, shopify id, netsuite id)
        for product in products:
            product_id = product_rows[product.key].shopify_id if product.key in product_rows else ""
            product_marker = product_rows[product.key].marker if product.key in product_rows else ""
            variant_ids: dict[str, tuple[str, str]] = {}  # item id -> (variant id, marker)
            for variant in product.variants:
                row = variant_rows.get(variant.item.internal_id)
                if row is not None:
                    variant_ids[variant.item.internal_id] = (row.shopify_id, row.marker)
                    continue
                node = found.get(variant.sku)
                if node is None:
                    continue
                variant_id = gids.legacy_id(node["id"])
                owner = gids.legacy_id(node["product"]["id"])
                if product_id and owner != product_id:
                    results[variant.item.internal_id] = NeedsPerson(
                        f"{variant.sku} is a variant of Shopify product {owner}, not of "
                        f"product {product_id} that NetSuite item {product.key} is bound to."
                    )
                    continue
                product_id = product_id or owner
                variant_ids[variant.item.internal_id] = (variant_id, "")
                new_bindings.append((VARIANT, variant_id, variant.item.internal_id))
                self.counts["found_by_sku"] += 1
            if product_id and product.key not in product_rows:
                new_bindings.append((PRODUCT, product_id, product.key))
            if not product_id:
                if product.variants:
                    if len(product.variants) > mapping.MAX_VARIANTS_PER_CALL:
                        self._fail_product(
                            product,
                            results,
                            NeedsPerson(
                                f"{product.title} has {len(product.variants)} variants; the "
                                f"panel creates products of up to "
                                f"{mapping.MAX_VARIANTS_PER_CALL}."
                            ),
                        )
                    else:
                        plan.creates.append(product)
                continue
            if (
                product.head is not None
                and product.fingerprint(self.kept_product) != product_marker
            ):
                plan.product_updates.append((product, product_id))
            for variant in product.variants:
                item_id = variant.item.internal_id
                if item_id in results:
                    continue
                if item_id in variant_ids:
                    variant_id, marker = variant_ids[item_id]
                    if variant.fingerprint(self.kept_variant) != marker:
                        plan.variant_updates.setdefault(product_id, []).append(
                            (variant, variant_id)
                        )
                else:
                    plan.variant_creates.setdefault(product_id, []).append(variant)
        self._bind(new_bindings)
        return plan

    def _find_by_sku(self, skus: list[str]) -> dict[str, dict]:
        """SKU -> variant node, for SKUs Shopify has (the first variant of a SKU wins)."""
        found: dict[str, dict] = {}
        shopify = self.job.shopify
        for chunk in _chunks(sorted(set(skus)), SKUS_PER_LOOKUP):
            self.job.check()
            query = " OR ".join(f"sku:{_quote(s)}" for s in chunk)
            data = shopify.execute("productVariantsBySku", {"first": len(chunk), "query": query})
            self.counts["calls"] += 1
            for node in data["productVariants"]["nodes"]:
                sku = (node.get("sku") or "").strip()
                if sku in chunk and sku not in found:
                    found[sku] = node
        if found:
            bind_items(
                self.connector,
                {
                    sku: {
                        "shopify_variant_id": gids.legacy_id(node["id"]),
                        "shopify_inventory_item_id": gids.legacy_id(node["inventoryItem"]["id"]),
                    }
                    for sku, node in found.items()
                },
            )
        return found

    # -- writing -------------------------------------------------------------------------------
    def write(self, plan: Plan, results: dict) -> None:
        for product in plan.creates:
            self.job.check()
            self._create(product, results)
        self._update_products(plan.product_updates, results)
        self._update_variants(plan.variant_updates, results)
        for product_id, variants in plan.variant_creates.items():
            self.job.check()
            self._create_variants(product_id, variants, results)

    def _calls(self, operation: str, lines: list[dict]) -> list[dict | BaseException]:
        """Each call's payload or error: one call each, or one bulk operation above the
        threshold (only for updates, which are safe to repeat)."""
        if len(lines) > self.threshold:
            self.counts["bulk_operations"] += 1
            self.counts["calls"] += 3
            try:
                return bulk.run_mutation(
                    self.job.shopify,
                    operation,
                    lines,
                    client_identifier=f"run:{self.job.run_id}",
                    poll_seconds=getattr(settings, "SHOPIFY_BULK_POLL_SECONDS", 1.0),
                    check=self.job.check,
                )
            except RemoteError as exc:
                return [exc] * len(lines)
        out: list[dict | BaseException] = []
        for variables in lines:
            self.job.check()
            try:
                out.append(self.job.shopify.execute(operation, variables)[operation] or {})
            except RemoteError as exc:
                out.append(exc)
            self.counts["calls"] += 1
        return out

    def _create(self, product: Product, results: dict) -> None:
        variables = {"input": product.set_input(), "variants": max(1, len(product.variants))}
        try:
            payload = self.job.shopify.mutate("productSet", variables)
        except (RemoteError, ShopifyUserError) as exc:
            self.counts["calls"] += 1
            self._fail_product(
                product, results, _refusal(exc, f"create {product.title}"), creating=True
            )
            return
        self.counts["calls"] += 1
        created = payload.get("product") or {}
        product_id = gids.legacy_id(created["id"])
        self._bind([(PRODUCT, product_id, product.key, product.fingerprint(self.kept_product))])
        self._bind_created(
            product.variants,
            created["variants"]["nodes"],
            results,
            written=f"Created in Shopify as product {product_id}.",
            missing=f"Shopify created product {product_id} without it.",
        )
        if product.head is not None and product.head.is_parent:
            results.setdefault(
                product.key, Written(target_id=product_id, message="Product created in Shopify.")
            )
        self.counts["products_created"] += 1

    def _update_products(self, updates: list[tuple[Product, str]], results: dict) -> None:
        if not updates:
            return
        lines = [
            {"product": {"id": gids.gid("Product", pid), **p.fields(self.kept_product)}}
            for p, pid in updates
        ]
        pairs = []
        for (product, product_id), outcome in zip(
            updates, self._calls("productUpdate", lines), strict=True
        ):
            error = _error_of(outcome, f"update {product.title}")
            if error is not None:
                self._fail_product(product, results, error)
                continue
            pairs.append((PRODUCT, product_id, product.key, product.fingerprint(self.kept_product)))
            self.counts["products_updated"] += 1
            # The parent's row (or a standalone item's, until its variant's own outcome).
            results[product.key] = Written(
                target_id=product_id, message="Product fields updated in Shopify."
            )
        self._bind(pairs)

    def _update_variants(self, updates: dict[str, list[tuple[Variant, str]]], results: dict):
        calls: list[tuple[str, list[tuple[Variant, str]]]] = []
        for product_id, variants in updates.items():
            for chunk in _chunks(variants, mapping.MAX_VARIANTS_PER_CALL):
                calls.append((product_id, chunk))
        if not calls:
            return
        lines = [
            {
                "productId": gids.gid("Product", product_id),
                "variants": [
                    {"id": gids.gid("ProductVariant", vid), **v.fields(self.kept_variant)}
                    for v, vid in chunk
                ],
            }
            for product_id, chunk in calls
        ]
        pairs = []
        for (product_id, chunk), outcome in zip(
            calls, self._calls("productVariantsBulkUpdate", lines), strict=True
        ):
            if isinstance(outcome, BaseException):
                for variant, _vid in chunk:
                    results[variant.item.internal_id] = outcome
                continue
            refused = mapping.refused_indexes(outcome.get("userErrors") or [], len(chunk))
            for index, (variant, variant_id) in enumerate(chunk):
                message = refused.get(index) or refused.get(-1)
                if message:
                    results[variant.item.internal_id] = NeedsPerson(
                        f"Shopify refused the update of {variant.sku} (product {product_id}): "
                        f"{message}"
                    )
                    continue
                pairs.append(
                    (
                        VARIANT,
                        variant_id,
                        variant.item.internal_id,
                        variant.fingerprint(self.kept_variant),
                    )
                )
                results[variant.item.internal_id] = Written(
                    target_id=variant_id, message="Updated in Shopify."
                )
                self.counts["variants_updated"] += 1
        self._bind(pairs)

    def _create_variants(self, product_id: str, variants: list[Variant], results: dict) -> None:
        for chunk in _chunks(variants, mapping.MAX_VARIANTS_PER_CALL):
            variables = {
                "productId": gids.gid("Product", product_id),
                "variants": [v.create_input() for v in chunk],
            }
            self.counts["calls"] += 1
            try:
                payload = self.job.shopify.execute("productVariantsBulkCreate", variables)
                payload = payload["productVariantsBulkCreate"] or {}
            except RemoteError as exc:
                for variant in chunk:
                    results[variant.item.internal_id] = exc
                continue
            refused = mapping.refused_indexes(payload.get("userErrors") or [], len(chunk))
            self.counts["variants_created"] += self._bind_created(
                chunk,
                payload.get("productVariants") or [],
                results,
                written=f"Added to Shopify product {product_id}.",
                missing=f"Shopify refused it on product {product_id}",
                refused=refused,
            )

    def _bind_created(
        self, variants, nodes, results, *, written: str, missing: str, refused=None
    ) -> int:
        """Bind the variants Shopify made (found in `nodes` by SKU) and say so on each item;
        one it did not make is an error: `missing`, with Shopify's refusal of it if any.
        Returns how many were made."""
        refused = refused or {}
        by_sku = {(n.get("sku") or "").strip(): n for n in nodes}
        pairs, items = [], {}
        for index, variant in enumerate(variants):
            node = by_sku.get(variant.sku)
            if node is None:
                why = refused.get(index) or refused.get(-1)
                results[variant.item.internal_id] = NeedsPerson(
                    f"{variant.sku}: {missing}" + (f": {why}" if why else ".")
                )
                continue
            variant_id = gids.legacy_id(node["id"])
            fingerprint = variant.fingerprint(self.kept_variant)
            pairs.append((VARIANT, variant_id, variant.item.internal_id, fingerprint))
            items[variant.sku] = {
                "netsuite_item_id": variant.item.internal_id,
                "shopify_variant_id": variant_id,
                "shopify_inventory_item_id": gids.legacy_id(node["inventoryItem"]["id"]),
            }
            results[variant.item.internal_id] = Written(target_id=variant_id, message=written)
        self._bind(pairs)
        bind_items(self.connector, items)
        return len(pairs)

    # -- B2B price lists -------------------------------------------------------------------------
    def currencies(self) -> dict[str, str]:
        """Shopify price list legacy id -> its currency (read once a run)."""
        if self._currencies is None:
            self._currencies = {}
            for node in self.job.shopify.iter_pages("priceLists", "priceLists", None, 50):
                self._currencies[gids.legacy_id(node["id"])] = node["currency"]
        return self._currencies

    def write_prices(self, products: list[Product], results: dict) -> None:
        if not self.price_lists:
            return
        variants = [v for p in products for v in p.variants]
        rows = {
            b.netsuite_id: b.shopify_id
            for b in Binding.objects.filter(
                connector=self.connector,
                kind=VARIANT,
                netsuite_id__in=[v.item.internal_id for v in variants],
            ).only("shopify_id", "netsuite_id")
        }
        for list_id, level in sorted(self.price_lists.items()):
            currency = self.currencies().get(list_id)
            kind = price_list_kind(list_id)
            markers = dict(
                Binding.objects.filter(
                    connector=self.connector, kind=kind, shopify_id__in=list(rows.values())
                ).values_list("shopify_id", "marker")
            )
            wanted = []
            for variant in variants:
                item_id = variant.item.internal_id
                price = variant.item.price(level)
                variant_id = rows.get(item_id)
                if price is None or variant_id is None or _failed(results.get(item_id)):
                    continue
                if currency is None:
                    results[item_id] = NeedsPerson(
                        f"Shopify price list {list_id} (mapped to NetSuite price level {level}) "
                        "does not exist."
                    )
                    continue
                if markers.get(variant_id) != f"{price}:{currency}":
                    wanted.append((variant, variant_id, price))
            for chunk in _chunks(wanted, mapping.MAX_PRICES_PER_CALL):
                self._add_prices(list_id, currency, kind, chunk, results)

    def _add_prices(self, list_id, currency, kind, chunk, results) -> None:
        variables = {
            "priceListId": gids.gid("PriceList", list_id),
            "prices": [
                {
                    "variantId": gids.gid("ProductVariant", variant_id),
                    "price": {"amount": str(price), "currencyCode": currency},
                }
                for _v, variant_id, price in chunk
            ],
        }
        self.counts["calls"] += 1
        try:
            payload = self.job.shopify.execute("priceListFixedPricesAdd", variables)
            payload = payload["priceListFixedPricesAdd"] or {}
        except RemoteError as exc:
            for variant, _vid, _p in chunk:
                results[variant.item.internal_id] = exc
            return
        refused = _refused_prices(payload.get("userErrors") or [], len(chunk))
        pairs = []
        for index, (variant, variant_id, price) in enumerate(chunk):
            message = refused.get(index) or refused.get(-1)
            item_id = variant.item.internal_id
            if message:
                results[item_id] = NeedsPerson(
                    f"Shopify refused the price of {variant.sku} on price list {list_id}: {message}"
                )
                continue
            pairs.append((kind, variant_id, "", f"{price}:{currency}"))
            self.counts["prices_written"] += 1
            if not isinstance(results.get(item_id), Written):
                results[item_id] = Written(
                    target_id=variant_id, message=f"Price set on Shopify price list {list_id}."
                )
        self._bind(pairs)

    # -- bindings and records ----------------------------------------------------------------------
    def _bind(self, pairs) -> None:
        """Bindings written or found, (kind, shopify id, netsuite id[, marker]): a few queries
        a kind, whatever their number."""
        by_kind: dict[str, tuple[dict[str, str], dict[str, str]]] = {}
        for entry in pairs:
            kind, shopify_id, netsuite_id = entry[0], str(entry[1]), str(entry[2])
            ids, markers = by_kind.setdefault(kind, ({}, {}))
            ids[shopify_id] = netsuite_id
            markers[shopify_id] = entry[3] if len(entry) > 3 else ""
        for kind, (ids, markers) in by_kind.items():
            bindings.bind_many(
                self.connector,
                kind,
                ids,
                netsuite_type="" if kind.startswith("price:") else "inventoryItem",
                origin=Binding.Origin.NETSUITE,
                markers=markers,
            )

    def _fail_product(
        self, product: Product, results: dict, error: BaseException, *, creating: bool = False
    ) -> None:
        """The error on each variant's item; on the parent's too unless the product was being
        created: its children's rows carry that (a Retry of one reads its parent and creates
        the product; the parent alone has no variants to create it with)."""
        for variant in product.variants:
            results[variant.item.internal_id] = error
        if product.head is not None and product.head.is_parent and not creating:
            results[product.key] = error

    def _record_failures(self, failures: dict[str, tuple[ItemProduct, BaseException]]):
        self.counts["failed"] += len(failures)
        for item, _exc in failures.values():
            if len(self.failed_skus) < LIST_CAP:
                self.failed_skus.append(item.sku)
        return self.sync.record_failures(
            {
                item_id: (
                    {
                        "source_type": "inventoryItem",
                        "payload": {"sku": item.sku, "netsuite_item_id": item_id},
                    },
                    exc,
                )
                for item_id, (item, exc) in failures.items()
            },
            message="Item read from NetSuite.",
        )

    def summary(self) -> dict:
        return {
            "mode": "full" if self.full else "delta",
            **self.counts,
            "failed_skus": self.failed_skus,
        }

    def publish(self, final: bool = False) -> None:
        summary = self.summary()
        if final:
            summary["finished"] = True
        self.job.set_summary(summary)


def _chunks(values: list, size: int):
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _quote(value: str) -> str:
    if value.replace("-", "").replace("_", "").replace(".", "").isalnum():
        return value
    return '"' + value.replace('"', "") + '"'


def _failed(result) -> bool:
    return result is not None and not isinstance(result, Written | Skip)


def _refusal(exc: BaseException, what: str) -> BaseException:
    if isinstance(exc, ShopifyUserError):
        return NeedsPerson(f"Shopify refused to {what}: {exc}")
    return exc


def _error_of(outcome, what: str) -> BaseException | None:
    if isinstance(outcome, BaseException):
        return outcome
    errors = outcome.get("userErrors") or []
    if errors:
        messages = "; ".join(str(e.get("message")) for e in errors)
        return NeedsPerson(f"Shopify refused to {what}: {messages}")
    return None


def _refused_prices(user_errors, size: int) -> dict[int, str]:
    """priceListFixedPricesAdd names a price as ["prices", "<n>", ...]."""
    out: dict[int, str] = {}
    for error in user_errors:
        path = [str(p) for p in (error.get("field") or [])]
        message = str(error.get("message") or error.get("code") or "refused")
        if len(path) >= 2 and path[0] == "prices" and path[1].isdigit() and int(path[1]) < size:
            out[int(path[1])] = message
        else:
            out[-1] = message
    return out


def run(ctx: Job) -> None:
    full = FULL in ctx.scope
    cursor = ctx.cursor()
    start_from = None if full or not cursor else positions.from_position(cursor) - overlap()
    products = Products(ctx, full=full)
    products.run(start_from)
    if products.newest_seen is not None:
        ctx.advance_cursor(positions.position(products.newest_seen))


def post_one(job: Job, txn: Transaction) -> None:
    """Retry (a person or the sweeper) of one item that failed: read it again from NetSuite
    (with its matrix parent) and write its product and variant."""
    sync = Synchronizer(job, kind=Kind.PRODUCT, source_channel=Channel.NETSUITE)

    def work() -> Written:
        items = job.netsuite().items_by_id([txn.source_id])
        if not items:
            raise NeedsPerson(f"NetSuite item {txn.source_id} no longer exists.")
        result = Products(job).handle(items).get(txn.source_id)
        if result is None:
            raise Skip("The item has no SKU in NetSuite.")
        if isinstance(result, BaseException):
            raise result
        return result

    sync.one(txn, work)


__all__ = ["FULL", "Products", "post_one", "run"]
