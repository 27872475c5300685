"""Shopify Payments payout → NetSuite deposit, on the synchronizer ("Payout sync").

What: each Shopify Payments payout (polled: Shopify sends no payout webhook; scope
`read_shopify_payments`) becomes one NetSuite deposit into the payout bank account (Settings ›
Payments), externalId `shopify-payout-<id>`, whose lines are
  - paymentList: per charge the order's cash sale, or a customer payment the payment flow
    recorded for the order, of the same amount; per refund the order's cash refund (a
    negative amount);
  - cashBackList: the payout's processing fees, one line to the fee expense account;
  - otherList: adjustments, reserves and every other balance transaction without an order,
    one line each to the adjustment account.
A payout is written only when every charge and refund matched and payments + adjustments - fees
equal the payout's net amount to the cent; otherwise an Error with the variance and the lines
that do not match (seed 004), nothing written. Its total is read back and compared.

Failures stay in Error with the reason; the sweeper announces them to the connector's alert
recipients, once per kind (flows/alerts).

Delta: payouts issued on or after the cursor's day (less a day), or within the B2B window for
the first run; oldest first. A payout not paid yet (scheduled, in transit) waits; a failed or
cancelled one is skipped. Written once: the row is claimed once, and the deposit is an upsert by
externalId (a retry updates the same deposit, never a second one).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone

from connector import bindings, external_ids, gids
from connector.netsuite import records
from flows.context import SKIPPED, Job
from flows.sync import NeedsPerson, Skip, Synchronizer, Wait, Written, check_total
from transactions.models import Channel, Kind, Status, Transaction

from . import mapping

RECORD_TYPE = "deposit"
LABEL = "Shopify Payout to NetSuite Deposit"
NOT_CLAIMED = {
    Status.POSTED: "Already in NetSuite.",
    Status.SKIPPED: "Skipped before.",
    Status.IGNORED: "Ignored by a person.",
    Status.POSTING: "Being posted by another worker.",
}
VARIANCE = "Shopify payout totals do not reconcile with the sum of related NetSuite records"


def run(ctx: Job) -> None:
    work = Payouts(ctx)
    payouts = list(ctx.shopify.iter_payouts(work.since()))
    ctx.add_total(len(payouts))
    for payout in payouts:
        ctx.check()
        outcome = work.handle(payout)
        ctx.record([outcome])
        ctx.advance_cursor(str(payout.get("issuedAt") or ""))


def post_one(job: Job, txn: Transaction) -> None:
    work = Payouts(job)
    payout = next(
        (
            p
            for p in job.shopify.iter_payouts(txn.payload.get("issued_at") or None)
            if str(p.get("legacyResourceId")) == txn.source_id
        ),
        None,
    )

    def again() -> Written:
        if payout is None:
            raise NeedsPerson(f"Shopify has no payout {txn.source_id} any more: Ignore.")
        return work.post(payout)

    work.sync.one(txn, again)


def _payload(payout: dict) -> dict:
    return {"issued_at": payout.get("issuedAt"), "status": payout.get("status")}


class Payouts:
    def __init__(self, job: Job):
        self.job = job
        self.sync = Synchronizer(job, kind=Kind.PAYOUT, source_channel=Channel.SHOPIFY)
        self.netsuite = job.netsuite()
        self.options = job.options

    def since(self) -> datetime:
        cursor = self.job.cursor()
        if cursor:
            moment = datetime.fromisoformat(cursor.replace("Z", "+00:00"))
            return moment.astimezone(UTC) - timedelta(days=1)
        days = int(getattr(self.options, "b2b_sync_window_days", 90) or 90)
        return timezone.now() - timedelta(days=days)

    def handle(self, payout: dict) -> tuple[int | None, str, str]:
        payout_id = str(payout["legacyResourceId"])
        txn, won = self.sync.record(
            payout_id,
            {
                "source_type": "payout",
                "amount": mapping.amount(payout.get("net")),
                "currency": (payout.get("net") or {}).get("currencyCode") or "",
                "payload": _payload(payout),
            },
            message="Payout retrieved from Shopify.",
        )
        if not won:
            txn.refresh_from_db(fields=["status"])
            return txn.pk, SKIPPED, NOT_CLAIMED.get(txn.status, "Not due yet.")
        return self.sync.one(txn, lambda: self.post(payout))

    # -- one payout ---------------------------------------------------------------------------
    def post(self, payout: dict) -> Written:
        payout_id = str(payout["legacyResourceId"])
        net = mapping.amount(payout.get("net"))
        currency = (payout.get("net") or {}).get("currencyCode") or ""
        status = payout.get("status")
        label = f"Shopify payout {payout_id} ({net} {currency}, {payout.get('issuedAt')})"
        if status in ("SCHEDULED", "IN_TRANSIT"):
            raise Wait(f"{label} is {status.lower().replace('_', ' ')}, not paid out yet.")
        if status != "PAID":
            raise Skip(f"{label} is {str(status).lower()}: no money reached the bank.")
        transactions = self.job.shopify.payout_transactions(payout_id)
        plan = mapping.plan(transactions, self.candidates)
        variance = plan.total - net
        if plan.unmatched or variance:
            listed = "; ".join(plan.unmatched) or "every line matched"
            raise NeedsPerson(
                f"{VARIANCE}: {label}: the deposit lines add up to {plan.total} {currency}, "
                f"variance {variance} {currency}. Lines that do not match: {listed}. Nothing "
                "was written to NetSuite; correct the records, then Retry."
            )
        if plan.fees and not self.options.netsuite_payout_fee_account_id:
            raise NeedsPerson(
                f"{label} has {plan.fees} {currency} of processing fees: set the processing "
                "fee account (Settings › Payments), then Retry."
            )
        if plan.adjustments and not self.options.netsuite_payout_adjustment_account_id:
            raise NeedsPerson(
                f"{label} has adjustments: set the payout adjustment account (Settings › "
                "Payments), then Retry."
            )
        self.job.check()
        ref = self.netsuite.upsert(self.deposit(payout, plan, label))
        deposit_id = str(ref.internal_id)
        self.sync.bind(
            Kind.PAYOUT,
            shopify_id=payout_id,
            netsuite_id=deposit_id,
            netsuite_type=RECORD_TYPE,
            origin=Channel.SHOPIFY,
            marker=str(net),
        )
        written = self.netsuite.get(RECORD_TYPE, deposit_id)
        check_total(label, "Shopify", net, "NetSuite", written.total, currency=currency)
        deposit_total = str(mapping.money(written.total))
        return Written(
            target_id=deposit_id,
            message=f"Deposit {deposit_id} in NetSuite: {len(plan.payments)} payment(s), "
            f"fees {plan.fees}, {len(plan.adjustments)} adjustment(s); total {net} {currency}.",
            detail={
                "deposit": deposit_id,
                "payments": [c.internal_id for c, _, _ in plan.payments],
                "fees": str(plan.fees),
                "adjustments": [str(a) for a, _ in plan.adjustments],
                "deposit_total": deposit_total,
            },
            # The payouts view (reconciliation) reads the deposit total back from the row.
            fields={"payload": {**_payload(payout), "deposit_total": deposit_total}},
        )

    def deposit(self, payout: dict, plan: mapping.Plan, label: str):
        bank = records.factory("bank")
        opts = self.options
        fields = {
            "externalId": external_ids.payout(payout["legacyResourceId"]),
            "account": records.ref(opts.netsuite_payout_account_id),
            "tranDate": payout.get("issuedAt"),
            "memo": label[:100],
        }
        if plan.payments:
            fields["paymentList"] = bank.DepositPaymentList(
                depositPayment=[
                    bank.DepositPayment(
                        deposit=True,
                        id=int(c.internal_id),
                        paymentAmount=float(amount),
                        memo=memo[:100],
                    )
                    for c, amount, memo in plan.payments
                ]
            )
        if plan.adjustments:
            fields["otherList"] = bank.DepositOtherList(
                depositOther=[
                    bank.DepositOther(
                        amount=float(amount),
                        account=records.ref(opts.netsuite_payout_adjustment_account_id),
                        memo=memo,
                    )
                    for amount, memo in plan.adjustments
                ]
            )
        if plan.fees:
            fields["cashBackList"] = bank.DepositCashBackList(
                depositCashBack=[
                    bank.DepositCashBack(
                        amount=float(plan.fees),
                        account=records.ref(opts.netsuite_payout_fee_account_id),
                        memo="Shopify Payments processing fees",
                    )
                ]
            )
        return records.record("Deposit", **fields)

    def candidates(self, kind: str, order_id: str) -> list[mapping.Candidate]:
        """The NetSuite records of a Shopify order a charge or refund may deposit."""
        so_id = self._sales_order(order_id)
        found: list[mapping.Candidate] = []
        sales = []
        if so_id:
            sales = self.netsuite.find_created_from([so_id], ["cashSale"])
        if kind == "CHARGE":
            found += [
                mapping.Candidate("cashSale", str(r.internalId), mapping.money(r.total))
                for r in sales
            ]
            paid = Transaction.objects.filter(
                connector=self.job.connector,
                kind=Kind.PAYMENT,
                source_channel=Channel.NETSUITE,
                shopify_order_id=order_id,
                status=Status.POSTED,
            ).values_list("source_id", "amount")
            found += [
                mapping.Candidate("customerPayment", source.partition("/")[0], mapping.money(amt))
                for source, amt in paid
            ]
        elif sales:
            refunds = self.netsuite.find_created_from(
                [str(r.internalId) for r in sales], ["cashRefund"]
            )
            found += [
                mapping.Candidate("cashRefund", str(r.internalId), mapping.money(r.total))
                for r in refunds
            ]
        return found

    def _sales_order(self, order_id: str) -> str | None:
        bound = bindings.find(self.job.connector, Kind.ORDER, shopify_id=order_id)
        if bound is not None and bound.netsuite_id:
            return bound.netsuite_id
        so = self.netsuite.find("salesOrder", external_ids.sales_order(gids.legacy_id(order_id)))
        return str(so.internalId) if so is not None else None
