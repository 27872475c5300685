"""NetSuite Item Fulfillment → Shopify Fulfillment, on the synchronizer.

What: item fulfillments shipped in NetSuite (`shipStatus` `_shipped`) of sales orders that came
from Shopify become Shopify fulfilments on the order's fulfillment orders (one fulfilment per
Shopify location), with the tracking numbers, carrier and address of all four package lists,
the customer notified per the option "Notify the customer when an order ships". A picked or
packed one waits; one of a sales order not from Shopify is skipped (no row: it is not ours).

Delta: a basic search for item fulfillments with `lastModifiedDate` on or after the cursor less
OVERLAP (NetSuite stamps a record when its save starts; a slow save can commit after a later
one was read), oldest first; the cursor moves to each record's `lastModifiedDate` once it is
handled or due for retry by itself. Records seen again in the overlap are cheap: a row already
posted with the same tracking is not claimed. With no cursor yet, the search starts at the
first order the connector imported (an item fulfillment of an order is never older than it).

Nothing twice: `fulfillmentCreate` has no idempotency key, so every attempt reads the order
before it writes, and treats as ours (and binds, if not bound yet):
  1. the fulfilments bound to this item fulfillment (`connector.bindings`, kind fulfilment,
     netsuite id = the item fulfillment's internal id, `<id>:2`, ... for a second location),
     bound right after each write;
  2. a fulfilment carrying one of its tracking numbers (our write, whose binding was lost
     with a worker that died between the write and the bind);
  3. with no tracking number: an untracked fulfilment made after the item fulfillment, bound to
     no other one, whose lines are within its lines.
Only what those do not cover is written. Two workers never post one row at once (the claim).
Should all three miss (a lost binding and a tracking number changed since, or more than the
20 fulfilments the read returns), Shopify still refuses more than the order has left to
fulfil, which bounds the harm: an order shipped in full gets an Error, not a second fulfilment.

Tracking changed later in NetSuite: the posted row is claimed again (`Synchronizer.reclaim`)
when the numbers differ from the ones it wrote, and our fulfilments get
`fulfillmentTrackingInfoUpdate` (replacing their tracking; safe to repeat).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from connector import bindings, external_ids, gids, items
from connector.netsuite.errors import NetSuiteRecordError
from flows.context import SKIPPED, Job
from flows.positions import from_position as _from_position
from flows.positions import position, walk
from flows.positions import utc as _utc
from flows.sync import NeedsPerson, Skip, Synchronizer, Wait, Written
from transactions.models import Channel, Kind, Status, Transaction

from . import mapping

OVERLAP = timedelta(minutes=10)
RECORD_TYPE = "itemFulfillment"
PREFIX = external_ids.sales_order("")  # "shopify-order-"

NOT_CLAIMED = {
    Status.POSTED: "Already in Shopify.",
    Status.SKIPPED: "Skipped before.",
    Status.IGNORED: "Ignored by a person.",
    Status.POSTING: "Being posted by another worker.",
}


def run(ctx: Job) -> None:
    work = Fulfilments(ctx)
    since = work.since()
    if since is None:
        return  # no order imported yet: no item fulfillment can be of one of ours
    walk(ctx, ctx.netsuite().find_modified_since([RECORD_TYPE], since), work.handle)


def post_one(job: Job, txn: Transaction) -> None:
    """Post one claimed row again (Retry, the retry sweeper): the same path as a run."""
    work = Fulfilments(job)
    work.sync.one(txn, lambda: work.post(work.netsuite.get(RECORD_TYPE, txn.source_id), txn))


class Fulfilments:
    def __init__(self, job: Job):
        self.job = job
        self.sync = Synchronizer(job, kind=Kind.FULFILMENT, source_channel=Channel.NETSUITE)
        self.netsuite = job.netsuite()
        self._orders: dict[str, str | None] = {}  # sales order id -> Shopify order id

    # -- the delta ----------------------------------------------------------------------------
    def since(self) -> datetime | None:
        cursor = self.job.cursor()
        if cursor:
            return _from_position(cursor) - OVERLAP
        first = (
            Transaction.objects.filter(
                connector=self.job.connector, kind=Kind.ORDER, source_channel=Channel.SHOPIFY
            )
            .order_by("created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        return None if first is None else first - OVERLAP

    def handle(self, record) -> tuple[int | None, str, str]:
        so_id = str(record.createdFrom.internalId) if record.createdFrom is not None else ""
        shopify_id = self.shopify_order_id(so_id) if so_id else None
        if shopify_id is None:
            return None, SKIPPED, "Not an order synced from Shopify."
        txn, won = self.sync.record(
            str(record.internalId),
            {
                "source_type": RECORD_TYPE,
                "shopify_order_id": shopify_id,
                "netsuite_sales_order_id": so_id,
                "payload": _payload(record),
            },
            message="Item fulfillment retrieved from NetSuite.",
        )
        if not won and self._tracking_changed(txn, record):
            won = self.sync.reclaim(
                txn, message="Tracking changed in NetSuite: updating the Shopify fulfilment."
            )
        if not won:
            txn.refresh_from_db(fields=["status"])
            return txn.pk, SKIPPED, NOT_CLAIMED.get(txn.status, "Not due yet.")
        return self.sync.one(txn, lambda: self.post(record, txn))

    def shopify_order_id(self, so_id: str) -> str | None:
        """The Shopify order a sales order came from (None: not from Shopify): its binding,
        else its externalId, asked once per run."""
        if so_id not in self._orders:
            bound = bindings.find(self.job.connector, Kind.ORDER, netsuite_id=so_id)
            if bound is not None and bound.shopify_id:
                self._orders[so_id] = bound.shopify_id
            else:
                try:
                    so = self.netsuite.get("salesOrder", so_id)
                except NetSuiteRecordError as exc:
                    if exc.retryable:
                        raise
                    so = None  # e.g. deleted since: nothing to fulfil in Shopify
                external_id = (so.externalId or "") if so is not None else ""
                self._orders[so_id] = (
                    external_id[len(PREFIX) :] if external_id.startswith(PREFIX) else None
                )
        return self._orders[so_id]

    @staticmethod
    def _tracking_changed(txn: Transaction, record) -> bool:
        if txn.status != Status.POSTED or record.shipStatus != "_shipped":
            return False
        written = (txn.payload or {}).get("tracking_written")
        now = sorted(mapping.tracking_numbers(mapping.packages(record)))
        return written is not None and sorted(written) != now

    # -- one item fulfillment -----------------------------------------------------------------
    def post(self, record, txn: Transaction) -> Written:
        label = f"Item fulfillment {getattr(record, 'tranId', None) or record.internalId}"
        status = record.shipStatus or ""
        if status != "_shipped":
            word = mapping.SHIP_STATUS_WORDS.get(status, status or "not shipped")
            raise Wait(f"{label} is {word} in NetSuite, not shipped yet: it goes once shipped.")
        order = self.job.shopify.get_order_fulfilment(gids.order(txn.shopify_order_id))
        if order is None:
            raise NeedsPerson(
                f"Shopify has no order {txn.shopify_order_id} for NetSuite sales order "
                f"{txn.netsuite_sales_order_id} ({label}): check the sales order's externalId, "
                "or Ignore."
            )
        fields = {"shopify_order_name": order.get("name") or ""}
        if order.get("cancelledAt"):
            raise NeedsPerson(
                f"Shopify order {order.get('name')} is cancelled, but NetSuite shipped {label}: "
                "check both orders, then Ignore."
            )
        if (limit := mapping.too_large(order)) is not None:
            raise NeedsPerson(
                f"Shopify order {order.get('name')} has more than {limit}, more than the "
                f"connector reads at once: fulfil {label} in Shopify by hand, then Ignore."
            )
        lines = mapping.fulfilment_lines(record)
        if not lines:
            raise Skip(f"{label} ships nothing.", **fields)
        wanted = mapping.match_lines(
            lines,
            order,
            items.skus_for(
                self.job.connector, {li.item_id for li in lines}, self.netsuite.item_sku
            ),
            {
                ns: gids.gid("Location", shopify)
                for ns, shopify in items.shopify_location_for(self.job.connector).items()
            },
            label=label,
        )
        found = mapping.packages(record)
        numbers = mapping.tracking_numbers(found)
        tracking = mapping.tracking_input(found)
        notify = bool(self.job.options.notify_customer_on_fulfilment)

        # Read before write: what of this item fulfillment is in Shopify already.
        mine = bindings.parts(self.job.connector, Kind.FULFILMENT, record.internalId)
        done = self._ours(record, order, wanted, numbers, mine)
        updated = self._update_tracking(done, numbers, tracking, notify)
        left = mapping.left_to_send(wanted, done)
        created = self._create(record, order, left, tracking, notify, mine, label) if left else []

        ids = [str(f.get("legacyResourceId")) for f in [*done, *created]]
        payload = {**_payload(record), "tracking_written": numbers, "fulfilments": ids}
        return Written(
            target_id=",".join(ids),
            message=_message(created, updated, done, numbers, notify),
            fields={**fields, "payload": payload},
            detail={"fulfilments": ids, "tracking": numbers, "notified": notify},
        )

    def _ours(self, record, order: dict, wanted, numbers, mine: dict[str, str]) -> list[dict]:
        """The order's fulfilments this item fulfillment made (the rules above), bound."""
        fulfilments = list(order.get("fulfillments") or [])
        done = mapping.ours(
            fulfilments,
            bound=set(mine.values()),
            bound_elsewhere=self._bound_elsewhere(fulfilments, set(mine.values())),
            numbers=numbers,
            wanted=wanted,
            created_after=_shopify_time(getattr(record, "createdDate", None)),
        )
        for f in done:
            self._bind(record, f, mine)  # found by its tracking or lines: bound from now on
        return done

    def _update_tracking(self, done: list[dict], numbers, tracking, notify) -> list[dict]:
        """Our fulfilments whose tracking is not the item fulfillment's any more, updated."""
        updated = []
        for f in done:
            if numbers and mapping.fulfilment_numbers(f) != set(numbers):
                self.job.check()
                self.job.shopify.update_fulfillment_tracking(
                    f["id"], tracking, notify_customer=notify
                )
                updated.append(f)
        return updated

    def _create(self, record, order, left, tracking, notify, mine, label) -> list[dict]:
        """One fulfillmentCreate per Shopify location, each bound at once: a retry finds it by
        its binding (else by its tracking or lines)."""
        created = []
        for groups in mapping.allocate(left, order, label=label).values():
            self.job.check()
            made = self.job.shopify.create_fulfillment(
                groups, tracking=tracking, notify_customer=notify
            )
            made["legacyResourceId"] = gids.legacy_id(made["id"])
            self._bind(record, made, mine)
            created.append(made)
        return created

    def _bind(self, record, fulfilment: dict, mine: dict[str, str]) -> None:
        legacy = str(fulfilment.get("legacyResourceId"))
        if legacy in mine.values():
            return
        base, number = str(record.internalId), 1
        netsuite_id = base
        while netsuite_id in mine:  # a second location's fulfilment: <id>:2, <id>:3, ...
            number += 1
            netsuite_id = f"{base}:{number}"
        self.sync.bind(
            Kind.FULFILMENT,
            shopify_id=legacy,
            netsuite_id=netsuite_id,
            netsuite_type=RECORD_TYPE,
            origin=Channel.NETSUITE,
            marker=",".join(mapping.tracking_numbers(mapping.packages(record))),
        )
        mine[netsuite_id] = legacy

    def _bound_elsewhere(self, fulfilments: list[dict], mine: set[str]) -> set[str]:
        others = set()
        for f in fulfilments:
            legacy = str(f.get("legacyResourceId") or "")
            if (
                legacy
                and legacy not in mine
                and bindings.find(self.job.connector, Kind.FULFILMENT, shopify_id=legacy)
            ):
                others.add(legacy)
        return others


def _payload(record) -> dict:
    return {
        "ship_status": record.shipStatus,
        "tracking": mapping.tracking_numbers(mapping.packages(record)),
        "lines": [
            {"order_line": li.order_line, "item": li.item_id, "quantity": li.quantity}
            for li in mapping.fulfilment_lines(record)
        ],
        "last_modified": position(record.lastModifiedDate) if record.lastModifiedDate else "",
    }


def _shopify_time(moment: datetime | None) -> str | None:
    """Shopify's timestamp text (whole seconds, UTC) at or before `moment`."""
    return None if moment is None else _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _message(created, updated, done, numbers, notify) -> str:
    tracking = f"tracking {', '.join(numbers)}" if numbers else "no tracking number"
    parts = []
    if created:
        ids = ", ".join(gids.legacy_id(f["id"]) for f in created)
        told = "customer notified" if notify else "customer not notified"
        parts.append(f"Fulfilled in Shopify (fulfilment {ids}; {tracking}; {told}).")
    if updated:
        ids = ", ".join(str(f.get("legacyResourceId")) for f in updated)
        parts.append(f"Tracking of Shopify fulfilment {ids} updated ({tracking}).")
    if not parts:
        ids = ", ".join(str(f.get("legacyResourceId")) for f in done)
        parts.append(f"Already in Shopify as fulfilment {ids}; nothing to change.")
    return " ".join(parts)
