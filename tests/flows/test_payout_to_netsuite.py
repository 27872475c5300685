"""Shopify Payments payouts → NetSuite deposits, against both sandboxes over real HTTP."""

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from connector import actions as connector_actions
from connector import bindings
from flows.models import RunStatus
from flows.registry import FLOWS
from flows.sweeper import sweep
from tests.factories import UserFactory, make_admin, make_cs
from transactions.models import Channel, Kind, Status, Transaction

from .conftest import run_flow, set_options

pytestmark = pytest.mark.django_db(transaction=True)

FLOW = "payout_to_netsuite"
ACCOUNTS = {
    "netsuite_payout_account_id": "101",
    "netsuite_payout_fee_account_id": "601",
    "netsuite_payout_adjustment_account_id": "602",
}


def _sold(seed003, connector):
    """A paid Shopify order (69.50) synced to NetSuite and billed as a cash sale."""
    order = seed003.order()
    sales_order = seed003.synced(connector, order)
    cash_sale = seed003.netsuite.control.order(
        sales_order["internalId"], "bill", **{"as": "cashSale"}
    )
    return order, sales_order["internalId"], cash_sale


def _payout(shopify_sandbox, **body):
    return shopify_sandbox.control.request("POST", "/payouts", **body)


def _deposits(netsuite_sandbox) -> list[dict]:
    return netsuite_sandbox.control.records("deposit")


def _txn(payout) -> Transaction:
    return Transaction.objects.get(
        kind=Kind.PAYOUT, source_channel=Channel.SHOPIFY, source_id=str(payout["id"])
    )


def test_the_flow_is_declared_on_the_payments_tab():
    flow = FLOWS[FLOW]
    assert (flow.settings_section, flow.direction, flow.kind) == (
        "payments",
        "shopify_to_netsuite",
        Kind.PAYOUT,
    )
    assert flow.default_interval_minutes == 60 and flow.schedulable


def test_a_balanced_payout_becomes_one_deposit_with_fees_and_adjustments_on_their_lines(
    wired, seed003, shopify_sandbox, netsuite_sandbox
):
    set_options(wired, **ACCOUNTS)
    first, _, sale_1 = _sold(seed003, wired)
    second, _, sale_2 = _sold(seed003, wired)
    payout = _payout(
        shopify_sandbox,
        transactions=[
            {"type": "CHARGE", "order_id": first["id"], "fee": "2.32"},
            {"type": "CHARGE", "order_id": second["id"], "fee": "2.32"},
            {"type": "ADJUSTMENT", "amount": "-5.00", "reason": "chargeback fee"},
            {"type": "RESERVED_FUNDS", "amount": "-10.00"},
        ],
    )
    assert payout["net"] == "119.36"  # 139.00 - 4.64 - 15.00
    run = run_flow(wired, FLOW)
    assert run.status == RunStatus.SUCCEEDED, (run.error, run.skip_reasons)
    assert run.posted == 1
    (deposit,) = _deposits(netsuite_sandbox)
    fields = deposit["fields"]
    assert deposit["externalId"] == f"shopify-payout-{payout['id']}"
    assert fields["account"]["internalId"] == "101"
    assert Decimal(fields["total"]) == Decimal("119.36")
    payments = fields["paymentList"]
    assert {p["id"] for p in payments} == {sale_1["internalId"], sale_2["internalId"]}
    cash_back = fields["cashBackList"]
    assert [(Decimal(c["amount"]), c["account"]["internalId"]) for c in cash_back] == [
        (Decimal("4.64"), "601")
    ]
    other = fields["otherList"]
    assert sorted((Decimal(o["amount"]), o["account"]["internalId"]) for o in other) == [
        (Decimal("-10.00"), "602"),
        (Decimal("-5.00"), "602"),
    ]
    txn = _txn(payout)
    assert txn.status == Status.POSTED and txn.target_id == deposit["internalId"]
    assert (
        bindings.find(wired, Kind.PAYOUT, shopify_id=str(payout["id"])).netsuite_id
        == (deposit["internalId"])
    )

    again = run_flow(wired, FLOW)
    assert (again.posted, again.failed) == (0, 0)
    assert again.skip_reasons == {"Already in NetSuite.": 1}
    assert len(_deposits(netsuite_sandbox)) == 1


def test_a_payout_that_does_not_reconcile_is_an_error_with_the_variance_and_lines(
    wired, seed003, shopify_sandbox, netsuite_sandbox
):
    set_options(wired, **ACCOUNTS)
    connector_actions.update_alert_settings(
        make_admin(), wired, {"emails": ["finance@example.com"]}
    )
    first, _, _ = _sold(seed003, wired)
    second = seed003.order()  # paid in Shopify, never synced to NetSuite
    payout = _payout(
        shopify_sandbox,
        transactions=[
            {"type": "CHARGE", "order_id": first["id"], "amount": "70.00", "fee": "2.33"},
            {"type": "CHARGE", "order_id": second["id"], "fee": "2.32"},
        ],
    )
    run = run_flow(wired, FLOW)
    assert run.failed == 1
    txn = _txn(payout)
    assert txn.status == Status.ERROR
    assert "Shopify payout totals do not reconcile" in txn.last_error
    assert "variance" in txn.last_error
    assert f"CHARGE of order {first['name']} 70.00" in txn.last_error
    assert f"CHARGE of order {second['name']} 69.50" in txn.last_error
    assert _deposits(netsuite_sandbox) == []
    sweep()  # the sweeper announces the failure, once per kind
    (email,) = mail.outbox
    assert email.to == ["finance@example.com"] and "do not reconcile" in email.body


def test_a_payout_not_paid_out_yet_waits(wired, seed003, shopify_sandbox, netsuite_sandbox):
    set_options(wired, **ACCOUNTS)
    first, _, _ = _sold(seed003, wired)
    payout = _payout(
        shopify_sandbox,
        status="IN_TRANSIT",
        transactions=[{"type": "CHARGE", "order_id": first["id"]}],
    )
    run = run_flow(wired, FLOW)
    assert (run.posted, run.failed) == (0, 0)
    assert _txn(payout).status == Status.WAITING
    assert _deposits(netsuite_sandbox) == []


def test_the_payouts_view_shows_net_against_the_deposit_per_payout(
    client, wired, seed003, shopify_sandbox, netsuite_sandbox, django_assert_max_num_queries
):
    set_options(wired, **ACCOUNTS)
    first, _, _ = _sold(seed003, wired)
    second, _, _ = _sold(seed003, wired)
    balanced = _payout(
        shopify_sandbox,
        transactions=[{"type": "CHARGE", "order_id": first["id"], "fee": "2.32"}],
    )
    unbalanced = _payout(
        shopify_sandbox,
        transactions=[
            {"type": "CHARGE", "order_id": second["id"], "amount": "70.00", "fee": "2.33"}
        ],
    )
    waiting = _payout(
        shopify_sandbox,
        status="IN_TRANSIT",
        transactions=[{"type": "CHARGE", "order_id": first["id"]}],
    )
    run = run_flow(wired, FLOW)
    assert (run.posted, run.failed) == (1, 1), (run.error, run.skip_reasons)
    (deposit,) = _deposits(netsuite_sandbox)
    posted, failed = _txn(balanced), _txn(unbalanced)
    assert posted.payload["deposit_total"] == "67.18"  # 69.50 - 2.32, read back
    assert failed.status == Status.ERROR and _txn(waiting).status == Status.WAITING

    url = reverse("reconciliation:payouts")
    client.force_login(make_cs())
    with django_assert_max_num_queries(8):
        page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert page.context["page"].paginator.count == 3
    rows = {r.source_id: r for r in page.context["rows"]}
    row = rows[str(balanced["id"])]
    assert (row.amount, row.deposit_total, row.difference) == (
        Decimal("67.18"),
        Decimal("67.18"),
        Decimal("0.00"),
    )
    assert row.state_label == "Posted" and row.target_id == deposit["internalId"]
    assert f"transaction.nl?id={deposit['internalId']}" in html
    assert reverse("transactions:timeline", args=[posted.pk]) in html
    row = rows[str(unbalanced["id"])]
    assert row.state_label == "Error" and row.deposit_total is None and row.difference is None
    assert "do not reconcile" in row.state_reason and "do not reconcile" in html
    assert rows[str(waiting["id"])].state_label == "Waiting"

    def shown(**params):
        response = client.get(url, params)
        return [r.source_id for r in response.context["rows"]]

    assert shown(state="balanced") == [str(balanced["id"])]
    assert shown(state="unbalanced") == [str(unbalanced["id"])]
    assert shown(state="waiting") == [str(waiting["id"])]
    assert len(shown(connector=wired.pk)) == 3
    variances = client.get(reverse("reconciliation:list")).content.decode()
    assert url in variances  # the Payouts tab


def test_the_payouts_view_needs_the_variance_permission(client, wired):
    url = reverse("reconciliation:payouts")
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403
