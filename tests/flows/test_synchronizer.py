"""The synchronizer's promises, each over both sandboxes through real HTTP: the holes found
when the panel was tried as users and attackers would (issue 10), one test each."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from connector import external_ids
from connector.models import Binding, RefundSyncDirection
from flows.models import FlowCursor
from panel import actions as panel_actions
from tests.factories import make_admin, make_cs
from transactions import actions, tasks
from transactions.errors import RetrieveError
from transactions.models import Kind, Status, Transaction

from .conftest import run_flow

pytestmark = pytest.mark.django_db(transaction=True)


def _row(kind, source_id):
    return Transaction.objects.get(kind=kind, source_id=str(source_id))


def _due_now(txn):
    """Let the clock reach the row's next attempt, then run the sweeper (which posts it)."""
    txn.refresh_from_db()
    assert txn.next_attempt_at is not None
    return actions.sweep_stuck_posts(now=txn.next_attempt_at + timedelta(seconds=1))


# -- 1. never echo ----------------------------------------------------------------------------


def test_a_refund_the_panel_wrote_is_never_offered_back_after_a_direction_switch(
    wired_connector, seed003, shopify_sandbox, netsuite_sandbox
):
    connector = wired_connector(RefundSyncDirection.NETSUITE_TO_SHOPIFY)
    order, _so, _ns_refund = seed003.billed_and_refunded(connector)
    (txn,) = actions.retrieve(None, connector, "netsuite", order["name"]).transactions
    actions.request_post(None, txn)
    txn.refresh_from_db()
    assert txn.status == Status.POSTED, txn.last_error
    assert Binding.objects.filter(kind=Kind.REFUND, origin="netsuite").count() == 1

    panel_actions.update_options(
        make_admin(), connector, {"refund_sync_direction": RefundSyncDirection.SHOPIFY_TO_NETSUITE}
    )
    connector.refresh_from_db()
    with pytest.raises(RetrieveError, match="written there by this connector"):
        actions.retrieve(None, connector, "shopify", order["name"])
    assert not Transaction.objects.filter(kind=Kind.REFUND, source_channel="shopify").exists()
    for refund_type in ("cashRefund", "creditMemo"):
        assert not [
            r
            for r in netsuite_sandbox.control.records(refund_type)
            if (r["externalId"] or "").startswith("shopify-refund-")
        ]


def test_a_refund_row_of_our_own_making_is_refused_at_post_time_too(
    wired_connector, seed003, shopify_sandbox
):
    """Even a row that got in (e.g. retrieved before the binding existed) is not posted back."""
    connector = wired_connector(RefundSyncDirection.NETSUITE_TO_SHOPIFY)
    order, _so, _ = seed003.billed_and_refunded(connector)
    (txn,) = actions.retrieve(None, connector, "netsuite", order["name"]).transactions
    actions.request_post(None, txn)
    txn.refresh_from_db()
    shopify_refund = txn.target_id.rsplit("/", 1)[-1]
    panel_actions.update_options(
        make_admin(), connector, {"refund_sync_direction": RefundSyncDirection.SHOPIFY_TO_NETSUITE}
    )
    echo = Transaction.objects.create(
        connector=connector,
        kind=Kind.REFUND,
        source_channel="shopify",
        source_id=shopify_refund,
        shopify_order_id=txn.shopify_order_id,
        shopify_order_name=txn.shopify_order_name,
        netsuite_sales_order_id=txn.netsuite_sales_order_id,
        amount=txn.amount,
    )
    actions.request_post(None, echo)
    echo.refresh_from_db()
    assert echo.status == Status.ERROR
    assert "written by the connector itself" in echo.last_error


# -- 2. a cancellation seen before the import is kept --------------------------------------


def test_cancellation_before_import_waits_and_the_order_is_never_live(
    wired, shopify_sandbox, netsuite_sandbox
):
    netsuite_sandbox.control.items("SKU-1")
    order = shopify_sandbox.control.create_order(lines=[{"sku": "SKU-1", "quantity": 1}])
    shopify_sandbox.control.cancel(order["id"], refund=False)

    run = run_flow(wired, "shopify_cancellation_to_netsuite")
    cancellation = _row(Kind.CANCELLATION, order["id"])
    assert cancellation.status == Status.WAITING, cancellation.last_error
    assert "waits for its import" in cancellation.status_reason
    assert run.failed == 0

    imported = run_flow(wired, "order_import")
    assert imported.posted == 0
    order_row = _row(Kind.ORDER, order["id"])
    assert order_row.status == Status.CANCELED
    assert not netsuite_sandbox.control.records(
        "salesOrder", externalId=external_ids.sales_order(order["id"])
    )

    # The waiting cancellation is checked again by itself and ends, explained.
    assert _due_now(cancellation) == 1
    cancellation.refresh_from_db()
    assert cancellation.status == Status.SKIPPED
    assert "before it was imported" in cancellation.status_reason
    # Later runs do not bring it back.
    run_flow(wired, "shopify_cancellation_to_netsuite")
    assert Transaction.objects.filter(kind=Kind.CANCELLATION).count() == 1


def test_waiting_cancellation_cancels_the_order_once_it_reaches_netsuite(
    wired, shopify_sandbox, netsuite_sandbox
):
    """The import read the order just before it was cancelled and writes it afterwards."""
    (item,) = netsuite_sandbox.control.items("SKU-1")
    order = shopify_sandbox.control.create_order(lines=[{"sku": "SKU-1", "quantity": 1}])
    shopify_sandbox.control.cancel(order["id"], refund=False)
    run_flow(wired, "shopify_cancellation_to_netsuite")
    cancellation = _row(Kind.CANCELLATION, order["id"])
    assert cancellation.status == Status.WAITING

    customer = netsuite_sandbox.control.customer(externalId="late-buyer", firstName="Late")
    so = netsuite_sandbox.control.sales_order(
        customer["internalId"],
        [{"item": item["internalId"], "quantity": 1, "rate": 10}],
        externalId=external_ids.sales_order(order["id"]),
    )
    assert _due_now(cancellation) == 1
    cancellation.refresh_from_db()
    assert cancellation.status == Status.POSTED, cancellation.last_error
    (record,) = netsuite_sandbox.control.records("salesOrder", internalId=so["internalId"])
    assert record["fields"]["orderStatus"] == "_cancelled"


# -- 5. Retry works for every transaction; failed records stay due apart from the cursor ----


def test_a_failed_order_is_posted_by_retry_once_its_cause_is_fixed(
    wired, shopify_sandbox, netsuite_sandbox
):
    netsuite_sandbox.control.items("KNOWN")
    order = shopify_sandbox.control.create_order(
        lines=[{"sku": "KNOWN", "quantity": 1}, {"sku": "SOCKS-3PK", "quantity": 1}]
    )
    run = run_flow(wired, "order_import")
    txn = _row(Kind.ORDER, order["id"])
    assert txn.status == Status.ERROR and "SOCKS-3PK" in txn.last_error
    assert txn.next_attempt_at is None  # a person must act: no retry by itself
    assert FlowCursor.objects.get(connector=wired, flow="order_import").position
    assert run.failed == 1

    netsuite_sandbox.control.items("SOCKS-3PK")
    assert actions.retry(make_cs(), txn) is True
    txn.refresh_from_db()
    assert txn.status == Status.ORDER_POSTED, txn.last_error
    assert txn.last_error == ""
    assert len(netsuite_sandbox.control.records("salesOrder")) == 1
    assert actions.retry(make_cs(), txn) is False


def test_netsuite_unavailable_leaves_orders_due_for_retry_with_backoff(
    wired, shopify_sandbox, netsuite_sandbox
):
    netsuite_sandbox.control.items("SKU-1")
    order = shopify_sandbox.control.create_order(lines=[{"sku": "SKU-1", "quantity": 1}])
    netsuite_sandbox.control.fail_next(count=20, fault="http503", operation="upsertList")
    run_flow(wired, "order_import")
    txn = _row(Kind.ORDER, order["id"])
    assert txn.status == Status.ERROR
    assert txn.next_attempt_at is not None and "trying again by itself" in (
        txn.events.last().message
    )
    netsuite_sandbox.control.post("faults", {"clear": True})
    assert _due_now(txn) == 1
    txn.refresh_from_db()
    assert txn.status == Status.ORDER_POSTED, txn.last_error
    assert len(netsuite_sandbox.control.records("salesOrder")) == 1


def test_a_record_netsuite_refuses_with_its_own_passing_trouble_is_retried_by_itself(
    wired, shopify_sandbox, netsuite_sandbox
):
    # UNEXPECTED_ERROR in one record's status of a list (the request and the other records
    # succeed): NetSuite's own trouble, not the record's. It is retried with a backoff, not
    # left for a person; the other order of the batch goes on.
    netsuite_sandbox.control.items("SKU-1")
    first, second = (
        shopify_sandbox.control.create_order(lines=[{"sku": "SKU-1", "quantity": 1}])
        for _ in range(2)
    )
    netsuite_sandbox.control.fail_next(count=1, fault="record_unexpected")
    run_flow(wired, "order_import")
    refused, other = _row(Kind.ORDER, first["id"]), _row(Kind.ORDER, second["id"])
    assert other.status == Status.ORDER_POSTED, other.last_error
    assert refused.status == Status.ERROR and "UNEXPECTED_ERROR" in refused.last_error
    assert refused.next_attempt_at is not None  # due again by itself
    assert _due_now(refused) == 1
    refused.refresh_from_db()
    assert refused.status == Status.ORDER_POSTED, refused.last_error
    assert len(netsuite_sandbox.control.records("salesOrder")) == 2


# -- 6. nothing stays Posting -------------------------------------------------------------


def test_an_unexpected_error_ends_in_error_and_stops_retrying_after_n_attempts(
    wired_connector, seed003, shopify_sandbox, settings
):
    settings.SYNC_MAX_ATTEMPTS = 2
    connector = wired_connector(RefundSyncDirection.NETSUITE_TO_SHOPIFY)
    order, _so, _ = seed003.billed_and_refunded(connector)
    (txn,) = actions.retrieve(None, connector, "netsuite", order["name"]).transactions

    def database_fails_on_binding(execute, sql, params, many, context):
        if "connector_binding" in sql and sql.lstrip().upper().startswith("INSERT"):
            raise OperationalError("disk I/O error")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(database_fails_on_binding):
        actions.request_post(None, txn)
        txn.refresh_from_db()
        assert txn.status == Status.ERROR
        assert "Unexpected error (OperationalError)" in txn.last_error
        assert txn.attempts == 1 and txn.next_attempt_at is not None
        assert txn.events.filter(type="error").exists()
        assert _due_now(txn) == 1
    txn.refresh_from_db()
    assert txn.status == Status.ERROR and txn.attempts == 2
    assert txn.next_attempt_at is None
    assert "Stopped trying by itself after 2 attempts" in txn.events.last().message
    # Shopify's key replays the refund the first attempt made: one refund, never two.
    assert actions.retry(None, txn)
    txn.refresh_from_db()
    assert txn.status == Status.POSTED, txn.last_error
    assert len(shopify_sandbox.control.order(order["id"])["refunds"]) == 1


def test_undecryptable_credentials_are_a_clear_message_not_a_server_error(
    wired_connector, seed003, settings
):
    from cryptography.fernet import Fernet

    from connector import crypto

    connector = wired_connector(RefundSyncDirection.NETSUITE_TO_SHOPIFY)
    order, _so, _ = seed003.billed_and_refunded(connector)
    settings.CREDENTIALS_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    crypto._fernet.cache_clear()
    try:
        with pytest.raises(RetrieveError, match="cannot be decrypted") as exc:
            actions.retrieve(None, connector, "netsuite", order["name"])
        assert exc.value.status_code == 409
    finally:
        crypto._fernet.cache_clear()


# -- 8. a deactivated connector does nothing ----------------------------------------------


def test_a_post_queued_before_deactivation_writes_nothing(
    wired_connector, seed003, shopify_sandbox, settings
):
    settings.TRANSACTIONS_POST_SYNC = False
    connector = wired_connector(RefundSyncDirection.NETSUITE_TO_SHOPIFY)
    order, _so, _ = seed003.billed_and_refunded(connector)
    (txn,) = actions.retrieve(None, connector, "netsuite", order["name"]).transactions
    assert actions.request_post(None, txn)
    panel_actions.update_connector(make_admin(), connector, {"is_active": False})
    assert tasks.post_transaction(txn.pk) == Status.ERROR
    txn.refresh_from_db()
    assert "is inactive" in txn.last_error
    assert shopify_sandbox.control.order(order["id"])["refunds"] == []
    # The retry sweeper leaves an inactive connector's rows alone.
    assert actions.sweep_stuck_posts(now=timezone.now() + timedelta(days=1)) == 0


# -- 10. idempotency keys ---------------------------------------------------------------------


def test_a_new_attempt_after_a_refusal_sends_a_new_key_a_retry_after_a_timeout_the_same(
    wired_connector, seed003, shopify_sandbox
):
    connector = wired_connector(RefundSyncDirection.NETSUITE_TO_SHOPIFY)
    order, _, _ = seed003.billed_and_refunded(connector)
    (txn,) = actions.retrieve(None, connector, "netsuite", order["name"]).transactions
    shopify_sandbox.control.refund(order["id"], full=True)  # nothing left to refund
    actions.request_post(None, txn)
    txn.refresh_from_db()
    assert txn.status == Status.ERROR and txn.key_generation == 1
    actions.retry(None, txn)
    keys = [
        m["idempotency_key"]
        for m in shopify_sandbox.control.mutations()
        if m["mutation"] == "refundCreate" and m["idempotency_key"]
    ]
    refused_keys = [k for k in keys]
    assert len(refused_keys) == 2 and len(set(refused_keys)) == 2
    assert not any(m.get("replayed") for m in shopify_sandbox.control.mutations())


def test_keys_name_the_order_and_the_netsuite_refund_not_our_row_id(wired_connector, seed003):
    from flows.refunds.shopify import post_key

    connector = wired_connector(RefundSyncDirection.NETSUITE_TO_SHOPIFY)
    order, _, _ = seed003.billed_and_refunded(connector)
    (txn,) = actions.retrieve(None, connector, "netsuite", order["name"]).transactions
    same_work_other_row = Transaction(
        pk=txn.pk + 1000,
        source_id=txn.source_id,
        source_type=txn.source_type,
        shopify_order_id=txn.shopify_order_id,
    )
    assert post_key(txn) == post_key(same_work_other_row)
    restored_other_record = Transaction(
        pk=txn.pk,
        source_id=str(int(txn.source_id) + 1),
        source_type=txn.source_type,
        shopify_order_id=txn.shopify_order_id,
    )
    assert post_key(txn) != post_key(restored_other_record)


def test_money_check_compares_to_the_cent():
    from flows.sync import Mismatch, check_total

    check_total("x", "Shopify", "21.06", "NetSuite", 21.06)
    check_total("x", "Shopify", Decimal("21.060"), "NetSuite", "21.06")
    with pytest.raises(
        Mismatch, match=r"Shopify total 21.06, but NetSuite computed 19.50 \(difference -1.56\)"
    ):
        check_total("Refund 1", "Shopify", "21.06", "NetSuite", 19.5)
    with pytest.raises(Mismatch, match="did not report a total"):
        check_total("Refund 1", "Shopify", "21.06", "NetSuite", None)


# -- 3. money copied, never recomputed, and checked -----------------------------------------


def _taxed_order(seed003, shopify_sandbox):
    return shopify_sandbox.control.create_order(
        lines=[
            {"sku": "TSHIRT-BLK-M", "quantity": 2, "price": "25.00"},
            {"sku": "CAP-NAVY", "quantity": 1, "price": "19.50"},
        ],
        paid=True,
        tax_rate="0.08",
        shipping="0.00",
    )


def test_a_refund_carries_shopifys_tax_and_is_posted_only_when_totals_agree(
    wired_connector, seed003, shopify_sandbox, netsuite_sandbox
):
    connector = wired_connector(RefundSyncDirection.SHOPIFY_TO_NETSUITE)
    order = _taxed_order(seed003, shopify_sandbox)
    sales_order = seed003.synced(connector, order)
    seed003.ns.post(f"sales-orders/{sales_order['internalId']}/bill", {"as": "cashSale"})
    cap = next(li for li in order["line_items"] if li["sku"] == "CAP-NAVY")
    shopify_sandbox.control.refund(
        order["id"], amount="suggested", lines=[{"line_item_id": cap["id"], "quantity": 1}]
    )
    (txn,) = actions.retrieve(None, connector, "shopify", order["name"]).transactions
    assert txn.amount == Decimal("21.06")  # 19.50 + 8 % tax, as Shopify refunded it
    actions.request_post(None, txn)
    txn.refresh_from_db()
    assert txn.status == Status.POSTED, txn.last_error
    (record,) = netsuite_sandbox.control.records(
        "cashRefund", externalId=external_ids.refund(txn.source_id)
    )
    assert Decimal(record["fields"]["total"]) == Decimal("21.06")
    amounts = sorted(Decimal(line["amount"]) for line in record["fields"]["itemList"])
    assert amounts == [Decimal("1.56"), Decimal("19.50")]
    assert "totals agree" in txn.events.get(type="posted").message


def test_a_total_netsuite_computes_differently_is_an_error_with_both_figures(
    wired, shopify_sandbox, netsuite_sandbox
):
    """An account that still applies its own tax codes doubles the tax: never Posted."""
    netsuite_sandbox.control.items("CAP-NAVY")
    order = shopify_sandbox.control.create_order(
        lines=[{"sku": "CAP-NAVY", "quantity": 1, "price": "19.50"}], tax_rate="0.08"
    )
    netsuite_sandbox.control.config(tax_rate=0.08)
    run = run_flow(wired, "order_import")
    assert run.failed == 1
    txn = _row(Kind.ORDER, order["id"])
    assert txn.status == Status.ERROR
    assert "Shopify total 21.06 USD, but NetSuite computed 22.62 USD" in txn.last_error
    assert txn.next_attempt_at is None  # a person must look
    # The record exists in NetSuite and is bound, so fixing it and Retry updates the same one.
    assert Binding.objects.filter(kind=Kind.ORDER, shopify_id=str(order["id"])).exists()
    netsuite_sandbox.control.config(tax_rate=0)
    assert actions.retry(None, txn)
    txn.refresh_from_db()
    assert txn.status == Status.ORDER_POSTED, txn.last_error
    assert len(netsuite_sandbox.control.records("salesOrder")) == 1


# -- 4. amount-only refunds ---------------------------------------------------------------------


def test_an_amount_only_refund_posts_with_the_adjustment_item(
    wired_connector, seed003, shopify_sandbox, netsuite_sandbox
):
    connector = wired_connector(RefundSyncDirection.SHOPIFY_TO_NETSUITE)
    order = seed003.order()
    sales_order = seed003.synced(connector, order)
    seed003.ns.post(f"sales-orders/{sales_order['internalId']}/bill", {"as": "invoice"})
    shopify_sandbox.control.refund(order["id"], amount="7.25")  # goodwill, no lines
    (txn,) = actions.retrieve(None, connector, "shopify", order["name"]).transactions
    actions.request_post(None, txn)
    txn.refresh_from_db()
    assert txn.status == Status.POSTED, txn.last_error
    (memo,) = netsuite_sandbox.control.records(
        "creditMemo", externalId=external_ids.refund(txn.source_id)
    )
    (line,) = memo["fields"]["itemList"]
    assert line["item"]["internalId"] == connector.options.netsuite_adjustment_item_id
    assert Decimal(line["amount"]) == Decimal("7.25") == Decimal(memo["fields"]["total"])


def test_a_retry_after_a_refund_was_made_finds_it_whatever_its_key(
    wired_connector, seed003, shopify_sandbox
):
    """Even if the row lost track of its write (e.g. a new key generation after an error that
    came after the write), the next attempt finds the refund it made and makes no second."""
    connector = wired_connector(RefundSyncDirection.NETSUITE_TO_SHOPIFY)
    order, _, _ = seed003.billed_and_refunded(connector)
    (txn,) = actions.retrieve(None, connector, "netsuite", order["name"]).transactions
    actions.request_post(None, txn)
    txn.refresh_from_db()
    first = txn.target_id
    Transaction.objects.filter(pk=txn.pk).update(status=Status.ERROR, key_generation=5)
    assert actions.retry(None, txn)
    txn.refresh_from_db()
    assert txn.status == Status.POSTED and txn.target_id == first
    assert len(shopify_sandbox.control.order(order["id"])["refunds"]) == 1


def test_a_post_of_a_flow_whose_option_is_off_writes_nothing(
    wired_connector, shopify_sandbox, netsuite_sandbox
):
    connector = wired_connector()
    txn = Transaction.objects.create(
        connector=connector,
        kind=Kind.CANCELLATION,
        source_channel="netsuite",
        source_id="1234",
        shopify_order_id="1",
        status=Status.ERROR,
    )
    assert actions.retry(None, txn)
    txn.refresh_from_db()
    assert txn.status == Status.ERROR and "needs the option" in txn.last_error
    assert not [m for m in shopify_sandbox.control.mutations() if m["mutation"] == "orderCancel"]


# -- a stalled worker taken over must not overwrite the outcome of the one that took over ----


def test_a_worker_taken_over_after_its_lease_cannot_overwrite_the_new_outcome(wired):
    from flows.context import Job
    from flows.registry import FLOWS
    from flows.sync import TAKEN_OVER, NeedsPerson, Synchronizer, Written

    flow = FLOWS["order_import"]
    stalled = Synchronizer(Job(wired, flow), kind=Kind.ORDER, source_channel="shopify")
    txn, won = stalled.record("9001", {"shopify_order_name": "#9001"})
    assert won
    # The stalled worker's lease runs out; another worker takes the row over and posts it.
    later = lambda: timezone.now() + timedelta(hours=1)  # noqa: E731
    taker = Synchronizer(Job(wired, flow), kind=Kind.ORDER, source_channel="shopify", clock=later)
    assert taker.claim([txn]) == {txn.pk}
    assert taker.finish(txn, Written("SO-1", "Posted by the worker that took over."))[1] == "posted"
    # The stalled worker wakes up with a failure: it is told, and the row keeps Posted.
    outcome = stalled.finish(txn.pk, NeedsPerson("stale failure"))
    assert outcome == (txn.pk, "skipped", TAKEN_OVER)
    txn.refresh_from_db()
    assert (txn.status, txn.target_id, txn.last_error) == (Status.POSTED, "SO-1", "")
    assert not txn.events.filter(type="error").exists()


def test_a_run_leaves_an_error_row_to_its_backoff_until_it_is_due(wired):
    from flows.context import Job
    from flows.registry import FLOWS
    from flows.sync import Synchronizer

    now = timezone.now()
    sync = Synchronizer(
        Job(wired, FLOWS["order_import"]), kind=Kind.ORDER, source_channel="shopify"
    )
    txn, _ = sync.record("9002", {"shopify_order_name": "#9002"})
    Transaction.objects.filter(pk=txn.pk).update(
        status=Status.ERROR, next_attempt_at=now + timedelta(minutes=4)
    )
    assert sync.claim([txn]) == set()  # seen again by a run: not hammered
    later = Synchronizer(
        Job(wired, FLOWS["order_import"]),
        kind=Kind.ORDER,
        source_channel="shopify",
        clock=lambda: now + timedelta(minutes=5),
    )
    assert later.claim([txn]) == {txn.pk}  # due: taken
    # An Error waiting for a person (no next attempt) is taken by the next run, as before.
    Transaction.objects.filter(pk=txn.pk).update(status=Status.ERROR, next_attempt_at=None)
    assert sync.claim([txn]) == {txn.pk}
