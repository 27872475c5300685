"""NetSuite Customer Payment → Shopify payment, on the synchronizer ("Reverse Payment Sync").

What: a customer payment recorded in NetSuite applies amounts to invoices (`applyList`); an
invoice billed from a sales order that came from Shopify (its order binding, else its
`shopify-order-` externalId) means that Shopify order got paid. One Transaction per payment
and invoice (source id `<payment id>/<invoice id>`, kind payment). Invoices of other sales
orders are skipped without a row (not ours).

Window (Settings › B2B › "B2B order sync window", 90 days by default): the search reads
payments modified on or after the later of the cursor less OVERLAP and now less the window; a
payment dated (`tranDate`) before the window is skipped without a row.

Writing: the amount applied equals the order's outstanding balance → `orderMarkAsPaid`; less →
`orderCreateManualPayment` with the amount, which Shopify allows on Shopify Plus only (on
another plan: an Error naming the plan limit, nothing written); more → an Error with both
figures, nothing written.

Nothing twice: neither mutation has an idempotency key and neither takes a note, so every
attempt reads the order first (`totalOutstandingSet` and its transactions) and counts the
payment as already recorded when
  1. a binding (kind payment, NetSuite id `<payment>/<invoice>`) names a Shopify transaction
     (bound right after each write), or
  2. a successful manual payment (gateway "manual", or "NetSuite": the payment method name
     our orderCreateManualPayment gives) of exactly this amount, processed at or after the NetSuite
     payment was created and bound to no other payment, is on the order (our write whose
     binding was lost with a worker that died between the write and the bind): it is bound.
Otherwise an order with nothing outstanding is Skipped ("already paid in Shopify"): nothing is
written. A re-run finds the row Posted and claims nothing. The write's answer is verified: the
balance Shopify reports afterwards must be the balance before less the amount, to the cent.

Failures: every failed row stays in Error with its reason; the sweeper announces them to the
connector's alert recipients, once per kind (flows/alerts).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from connector import bindings, external_ids, gids
from connector.netsuite.errors import NetSuiteRecordError
from flows.context import SKIPPED, Job
from flows.positions import from_position as _from_position
from flows.positions import oldest_first, position
from flows.positions import utc as _utc
from flows.sync import NeedsPerson, Skip, Synchronizer, Written, check_total
from transactions.models import Channel, Kind, Status, Transaction

from . import mapping

OVERLAP = timedelta(minutes=10)
RECORD_TYPE = "customerPayment"
PREFIX = external_ids.sales_order("")  # "shopify-order-"
LABEL = "NetSuite Customer Payment to Shopify Payment"

NOT_CLAIMED = {
    Status.POSTED: "Already in Shopify.",
    Status.SKIPPED: "Skipped before.",
    Status.IGNORED: "Ignored by a person.",
    Status.POSTING: "Being posted by another worker.",
}


def run(ctx: Job) -> None:
    work = Payments(ctx)
    found = ctx.netsuite().find_modified_since([RECORD_TYPE], work.since())
    found = oldest_first(found)
    for record in found:
        ctx.check()
        outcomes = work.handle(record)
        ctx.add_total(len(outcomes))
        ctx.record(outcomes)
        # Handled, or due for retry by itself: the cursor may move past it.
        ctx.advance_cursor(position(record.lastModifiedDate))


def post_one(job: Job, txn: Transaction) -> None:
    """Post one claimed row again (Retry, the retry sweeper): the same path as a run."""
    work = Payments(job)
    payment_id, _, invoice_id = txn.source_id.partition("/")

    def again() -> Written:
        payment = work.netsuite.get(RECORD_TYPE, payment_id)
        for app in mapping.applications(payment):
            if app.invoice_id == invoice_id:
                return work.post(payment, app, txn)
        raise NeedsPerson(
            f"NetSuite customer payment {payment_id} no longer pays invoice {invoice_id}: "
            "check the payment in NetSuite, then Ignore."
        )

    work.sync.one(txn, again)


def _shopify_time(moment: datetime | None) -> str | None:
    """Shopify's timestamp text (whole seconds, UTC) at or before `moment`."""
    return None if moment is None else _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


class Payments:
    def __init__(self, job: Job):
        self.job = job
        self.sync = Synchronizer(job, kind=Kind.PAYMENT, source_channel=Channel.NETSUITE)
        self.netsuite = job.netsuite()
        self._orders: dict[str, tuple[str, str] | None] = {}  # invoice -> (SO id, order id)
        self._plan: dict | None = None

    # -- the delta and the window --------------------------------------------------------------
    def window_start(self) -> datetime:
        days = int(getattr(self.job.options, "b2b_sync_window_days", 90) or 90)
        return timezone.now() - timedelta(days=days)

    def since(self) -> datetime:
        start = self.window_start()
        cursor = self.job.cursor()
        if cursor:
            return max(start, _from_position(cursor) - OVERLAP)
        return start

    def handle(self, payment) -> list[tuple[int | None, str, str]]:
        dated = getattr(payment, "tranDate", None)
        if dated is not None and _utc(dated) < self.window_start():
            return []  # before the window: not ours to look at (counted nowhere)
        outcomes = []
        for app in mapping.applications(payment):
            found = self.order_of(app.invoice_id)
            if found is None:
                outcomes.append((None, SKIPPED, "Not an invoice of an order from Shopify."))
                continue
            so_id, shopify_id = found
            txn, won = self.sync.record(
                app.key,
                {
                    "source_type": RECORD_TYPE,
                    "shopify_order_id": shopify_id,
                    "netsuite_sales_order_id": so_id,
                    "amount": app.amount,
                    "payload": _payload(payment, app),
                },
                message="Customer payment retrieved from NetSuite.",
            )
            if not won:
                txn.refresh_from_db(fields=["status"])
                outcomes.append((txn.pk, SKIPPED, NOT_CLAIMED.get(txn.status, "Not due yet.")))
                continue
            outcomes.append(
                self.sync.one(txn, lambda app=app, txn=txn: self.post(payment, app, txn))
            )
        return outcomes

    def order_of(self, invoice_id: str) -> tuple[str, str] | None:
        """(sales order id, Shopify order id) of an invoice, None when not from Shopify; asked
        once per run."""
        if invoice_id not in self._orders:
            self._orders[invoice_id] = self._lookup(invoice_id)
        return self._orders[invoice_id]

    def _lookup(self, invoice_id: str) -> tuple[str, str] | None:
        try:
            invoice = self.netsuite.get("invoice", invoice_id)
        except NetSuiteRecordError as exc:
            if exc.retryable:
                raise
            return None
        created_from = getattr(invoice, "createdFrom", None)
        so_id = str(created_from.internalId) if created_from is not None else ""
        if not so_id:
            return None
        bound = bindings.find(self.job.connector, Kind.ORDER, netsuite_id=so_id)
        if bound is not None and bound.shopify_id:
            return so_id, bound.shopify_id
        try:
            so = self.netsuite.get("salesOrder", so_id)
        except NetSuiteRecordError as exc:
            if exc.retryable:
                raise
            return None
        external_id = so.externalId or ""
        return (so_id, external_id[len(PREFIX) :]) if external_id.startswith(PREFIX) else None

    def plan(self) -> dict:
        if self._plan is None:
            self._plan = (self.job.shopify.shop() or {}).get("plan") or {}
        return self._plan

    # -- one payment of one invoice -----------------------------------------------------------
    def post(self, payment, app: mapping.Application, txn: Transaction) -> Written:
        label = f"NetSuite customer payment {getattr(payment, 'tranId', None) or app.payment_id}"
        order_gid = gids.order(txn.shopify_order_id)
        order = self.job.shopify.get_order_payments(order_gid)
        if order is None:
            raise NeedsPerson(
                f"Shopify has no order {txn.shopify_order_id} for NetSuite sales order "
                f"{txn.netsuite_sales_order_id} ({label}): check the sales order's externalId, "
                "or Ignore."
            )
        name = order.get("name") or txn.shopify_order_id
        fields = {"shopify_order_name": name, "currency": order.get("currencyCode") or ""}
        currency = fields["currency"]
        outstanding = mapping.amount_of(order.get("totalOutstandingSet"))
        what = f"{label} of {app.amount} {currency} on invoice {app.invoice_id}"

        # Read before write (the rules in the module's docstring).
        mine = bindings.find(self.job.connector, Kind.PAYMENT, netsuite_id=app.key)
        if mine is not None and mine.shopify_id:
            return self._written(app, mine.shopify_id, fields, already=True, name=name)
        bound = {gids.gid("OrderTransaction", b) for b in self._bound_elsewhere(order)}
        lost = mapping.found_unbound(
            order, app.amount, bound, _shopify_time(getattr(payment, "createdDate", None))
        )
        if lost is not None:
            self._bind(app, lost)
            return self._written(app, gids.legacy_id(lost["id"]), fields, already=True, name=name)
        if order.get("cancelledAt"):
            raise NeedsPerson(
                f"Shopify order {name} is cancelled, but {what} was recorded in NetSuite: "
                "check both, then Ignore."
            )
        if outstanding <= 0:
            raise Skip(
                f"Shopify order {name} has nothing outstanding: already paid in Shopify; "
                f"{what} was not recorded again.",
                **fields,
            )
        if app.amount > outstanding:
            raise NeedsPerson(
                f"{what} is more than the {outstanding} {currency} outstanding on Shopify order "
                f"{name}: nothing was recorded in Shopify. Check the invoice and the order "
                "(refunds, edits), then Retry or Ignore."
            )
        self.job.check()
        if app.amount == outstanding:
            after = self.job.shopify.mark_order_paid(order_gid)
            how = "marked paid (orderMarkAsPaid)"
        else:
            plan = self.plan()
            if not plan.get("shopifyPlus"):
                raise NeedsPerson(
                    f"{what} is a part of the {outstanding} {currency} outstanding on Shopify "
                    f"order {name}; Shopify records partial payments "
                    "(orderCreateManualPayment) on the Shopify Plus plan only, and this store "
                    f"is on {plan.get('displayName') or 'another plan'}. Record the payment in "
                    "Shopify by hand, then Ignore."
                )
            after = self.job.shopify.create_manual_payment(
                order_gid, app.amount, currency, mapping.PAYMENT_METHOD
            )
            how = "partial payment recorded (orderCreateManualPayment)"
        made = mapping.new_sale(order, after or {})
        if made is not None:
            self._bind(app, made)
        # Verify: Shopify's balance afterwards is the balance before less the amount.
        check_total(
            f"Shopify order {name} after {label}",
            "NetSuite",
            outstanding - app.amount,
            "Shopify",
            mapping.amount_of((after or {}).get("totalOutstandingSet")),
            currency=currency,
        )
        if made is None:
            raise NeedsPerson(
                f"Shopify order {name} was paid ({how}) but its answer showed no new "
                "payment to bind: check the order's payments, then Ignore."
            )
        legacy = gids.legacy_id(made["id"])
        left = mapping.amount_of(after.get("totalOutstandingSet"))
        return Written(
            target_id=legacy,
            message=f"Shopify order {name} {how}: {app.amount} {currency} "
            f"(transaction {legacy}); {left} {currency} left outstanding.",
            fields=fields,
            detail={"transaction": legacy, "amount": str(app.amount), "outstanding": str(left)},
        )

    def _written(self, app, legacy: str, fields: dict, *, already: bool, name: str) -> Written:
        return Written(
            target_id=str(legacy),
            message=f"Already in Shopify on order {name} as transaction {legacy}; "
            "nothing recorded again.",
            fields=fields,
            detail={"transaction": str(legacy), "amount": str(app.amount), "found": already},
        )

    def _bind(self, app: mapping.Application, transaction: dict) -> None:
        self.sync.bind(
            Kind.PAYMENT,
            shopify_id=gids.legacy_id(transaction["id"]),
            netsuite_id=app.key,
            netsuite_type=RECORD_TYPE,
            origin=Channel.NETSUITE,
            marker=str(app.amount),
        )

    def _bound_elsewhere(self, order: dict) -> set[str]:
        ids = [gids.legacy_id(t["id"]) for t in mapping.sales(order)]
        return set(
            bindings.Binding.objects.filter(
                connector=self.job.connector, kind=Kind.PAYMENT, shopify_id__in=ids
            ).values_list("shopify_id", flat=True)
        )


def _payload(payment, app: mapping.Application) -> dict:
    dated = getattr(payment, "tranDate", None)
    return {
        "payment": app.payment_id,
        "invoice": app.invoice_id,
        "amount": str(app.amount),
        "tran_date": position(dated) if dated else "",
        "last_modified": position(payment.lastModifiedDate) if payment.lastModifiedDate else "",
    }
