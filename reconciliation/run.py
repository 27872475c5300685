"""One reconciliation run: stream the window's orders, compare a chunk at a time, upsert.

Memory holds one chunk (≤ `read.CHUNK` orders and their NetSuite records) and the keys found
for it, plus the ids of the orders and NetSuite records compared so far (strings, no records),
so that the second pass over NetSuite's side of the window (`read.netsuite_written_since`)
compares only what the first did not meet: a refund written in the window for an order last
touched before it, or a NetSuite record of a Shopify order that Shopify does not have.
Remote calls happen outside database transactions (the NetSuite budget refuses to run inside
one); each chunk's writes are a few bulk queries.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from connector.clients import netsuite_client, shopify_client
from connector.models import Connector

from . import expected, read
from .compare import MISSING_IN_SHOPIFY, ORDER, Finding, compare_order
from .models import Run, Variance

logger = logging.getLogger(__name__)

DEFAULT_DAYS = 90
UPDATED = (
    "kind",
    "record",
    "shopify_order_id",
    "shopify_order_name",
    "shopify_ids",
    "netsuite_ids",
    "netsuite_type",
    "expected",
    "actual",
    "detail",
    "line_kind",
    "line",
    "expected_quantity",
    "actual_quantity",
    "last_seen",
    "resolved_at",
    "last_run",
)


def reconcile(
    connector: Connector,
    days: int = DEFAULT_DAYS,
    *,
    shopify=None,
    netsuite=None,
    chunk_size: int = read.CHUNK,
    now: dt.datetime | None = None,
) -> Run:
    now = now or timezone.now()
    run = Run.objects.create(connector=connector, window_days=days)
    try:
        shopify_given = shopify is not None
        shopify = shopify or shopify_client(connector)
        netsuite = netsuite or netsuite_client(connector)
        since = now - dt.timedelta(days=days)
        seen_orders: set[str] = set()
        seen_records: set[str] = set()
        if shopify_given:
            orders = read.iter_shopify_orders(shopify, since)
        else:
            orders = read.iter_shopify_orders_sliced(lambda: shopify_client(connector), since)
        for chunk in read.chunks(orders, chunk_size):
            _check(connector, run, netsuite, chunk, [o.id for o in chunk], seen_records)
            seen_orders.update(o.id for o in chunk)
        # NetSuite's side: what it wrote in the window for orders the pass above did not meet
        written = read.netsuite_written_since(connector, netsuite, since, seen_orders, seen_records)
        order_ids = sorted(written, key=lambda i: (len(i), i))
        for start in range(0, len(order_ids), chunk_size):
            batch = order_ids[start : start + chunk_size]
            found = read.shopify_orders_by_id(shopify, batch)
            have = {o.id for o in found}
            extra = [netsuite_only(i, written[i]) for i in batch if i not in have]
            _check(connector, run, netsuite, found, batch, seen_records, extra)
        run.status = Run.Status.DONE
    except Exception as exc:
        logger.exception("reconciliation of connector %s failed", connector.pk)
        run.status = Run.Status.FAILED
        run.error = str(exc)[:2000]
        raise
    finally:
        run.finished_at = timezone.now()
        run.save()
    return run


def _check(connector, run, netsuite, orders, order_ids, seen_records, extra=()):
    orders = expected.for_chunk(connector, orders) if orders else []
    facts = read.netsuite_facts(connector, netsuite, orders) if orders else []
    findings = [f for fact in facts for f in compare_order(fact)] + list(extra)
    for fact in facts:
        seen_records.update(r.internal_id for r in (*fact.sales_orders, *fact.refunds))
    found, resolved = record_chunk(connector, run, order_ids, findings)
    run.orders_checked += len(order_ids)
    run.variances_found += found
    run.variances_resolved += resolved


def netsuite_only(order_id: str, records: dict[str, str]) -> Finding:
    """NetSuite wrote records in the window for a Shopify order that Shopify does not have."""
    ids = tuple(sorted(records, key=lambda i: (len(i), i)))
    types = ",".join(sorted(set(records.values())))
    return Finding(
        MISSING_IN_SHOPIFY,
        ORDER,
        shopify_order_id=order_id,
        shopify_order_name="",
        shopify_ids=(),
        netsuite_ids=ids,
        netsuite_type=types,
        detail=f"NetSuite {types} {', '.join(ids)} name Shopify order {order_id}, which "
        "Shopify does not have.",
    )


def record_chunk(connector, run, order_ids: list[str], findings) -> tuple[int, int]:
    """Upsert the chunk's findings; resolve its orders' open variances not found again."""
    now = timezone.now()
    findings = list({f.key: f for f in findings}.values())
    keys = [f.key for f in findings]
    with transaction.atomic():
        existing = {
            v.key: v
            for v in Variance.objects.select_for_update().filter(connector=connector, key__in=keys)
        }
        new, changed = [], []
        for f in findings:
            values = {
                "kind": f.kind,
                "record": f.record,
                "shopify_order_id": f.shopify_order_id,
                "shopify_order_name": f.shopify_order_name[:40],
                "shopify_ids": ",".join(f.shopify_ids)[:255],
                "netsuite_ids": ",".join(f.netsuite_ids)[:255],
                "netsuite_type": f.netsuite_type[:40],
                "expected": f.expected,
                "actual": f.actual,
                "detail": f.detail[:300],
                "line_kind": f.line_kind,
                "line": f.line[:100],
                "expected_quantity": f.expected_quantity,
                "actual_quantity": f.actual_quantity,
                "last_seen": now,
                "resolved_at": None,
                "last_run": run,
            }
            row = existing.get(f.key)
            if row is None:
                new.append(Variance(connector=connector, key=f.key, first_seen=now, **values))
            else:
                if row.resolved_at is not None:
                    row.first_seen = now  # came back: a new occurrence
                for name, value in values.items():
                    setattr(row, name, value)
                changed.append(row)
        Variance.objects.bulk_create(new)
        if changed:
            Variance.objects.bulk_update(changed, [*UPDATED, "first_seen"])
        resolved = (
            Variance.objects.filter(
                connector=connector, shopify_order_id__in=order_ids, resolved_at__isnull=True
            )
            .filter(~Q(key__in=keys))
            .update(resolved_at=now)
        )
    return len(findings), resolved
