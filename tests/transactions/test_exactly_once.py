"""Exactly once: double clicks, many staff, duplicated tasks, a killed worker and an answer lost
after the remote write all end with one refund on the target side and the row Posted."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from connector import external_ids
from connector.clients import shopify_client
from connector.models import RefundSyncDirection
from flows import sweeper
from flows.refunds import shopify as shopify_refunds
from tests.conftest import require_service
from tests.factories import make_cs
from transactions import actions, lifecycle, tasks
from transactions.models import Status, Transaction

pytestmark = pytest.mark.django_db(transaction=True)


def _retrieved(wired_connector, seed003, direction=RefundSyncDirection.NETSUITE_TO_SHOPIFY):
    connector = wired_connector(direction)
    order, _, _ = seed003.billed_and_refunded(connector)
    (txn,) = actions.retrieve(None, connector, "netsuite", order["name"]).transactions
    return connector, order, txn


def _together(n, fn):
    barrier, results = threading.Barrier(n), []

    def run():
        barrier.wait()
        try:
            results.append(fn())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_twenty_posts_of_one_row_at_once_make_one_refund(wired_connector, seed003, shopify_sandbox):
    require_service(
        "postgres", connection.vendor == "postgresql", "concurrent posts need PostgreSQL"
    )
    _, order, txn = _retrieved(wired_connector, seed003)
    users = [make_cs() for _ in range(20)]
    it = iter(users)
    lock = threading.Lock()

    def click():
        with lock:
            user = next(it)
        return actions.request_post(user, txn.pk)

    results = _together(20, click)
    assert results.count(True) == 1
    txn.refresh_from_db()
    assert txn.status == Status.POSTED and txn.attempts == 1
    assert len(shopify_sandbox.control.order(order["id"])["refunds"]) == 1


def test_duplicated_tasks_post_once(wired_connector, seed003, shopify_sandbox, settings):
    require_service(
        "postgres", connection.vendor == "postgresql", "concurrent tasks need PostgreSQL"
    )
    settings.TRANSACTIONS_POST_SYNC = False  # queue only; the "workers" below run the task
    _, order, txn = _retrieved(wired_connector, seed003)
    assert actions.request_post(None, txn)
    results = _together(10, lambda: tasks.post_transaction(txn.pk))
    assert results.count("posted") == 1
    assert len(shopify_sandbox.control.order(order["id"])["refunds"]) == 1


def test_double_click_and_retried_task(wired_connector, seed003, shopify_sandbox):
    _, order, txn = _retrieved(wired_connector, seed003)
    user = make_cs()
    assert actions.request_post(user, txn) is True
    assert actions.request_post(user, txn) is False
    assert tasks.post_transaction(txn.pk) == "not claimed"  # a redelivered task message
    txn.refresh_from_db()
    assert txn.status == Status.POSTED
    assert len(shopify_sandbox.control.order(order["id"])["refunds"]) == 1


def test_worker_killed_after_shopify_refund_is_recovered_by_the_sweeper(
    wired_connector, seed003, shopify_sandbox, settings
):
    connector, order, txn = _retrieved(wired_connector, seed003)
    settings.TRANSACTIONS_POST_SYNC = False
    assert actions.request_post(None, txn)
    # The worker claims the row, Shopify applies the refund... and the worker dies.
    assert lifecycle.claim(txn.pk, from_statuses=[Status.SCHEDULED])
    first = shopify_refunds.post_netsuite_refund(shopify_client(connector), txn).target_id
    Transaction.objects.filter(pk=txn.pk).update(
        posting_started_at=timezone.now() - timedelta(hours=1)
    )
    settings.TRANSACTIONS_POST_SYNC = True
    # The one periodic sweeper (schedule `flows-sweeper`) finds it.
    assert sweeper.sweep()["posts"] == 1
    txn.refresh_from_db()
    assert txn.status == Status.POSTED and txn.target_id == first  # Shopify replayed the key
    assert len(shopify_sandbox.control.order(order["id"])["refunds"]) == 1
    assert txn.events.filter(message__contains="longer than its lease").exists()


def test_sweeper_leaves_fresh_posts_alone(wired_connector, seed003, settings):
    settings.TRANSACTIONS_POST_SYNC = False
    _, _, txn = _retrieved(wired_connector, seed003)
    actions.request_post(None, txn)
    assert lifecycle.claim(txn.pk, from_statuses=[Status.SCHEDULED])
    assert actions.sweep_stuck_posts(timedelta(minutes=15)) == 0
    txn.refresh_from_db()
    assert txn.status == Status.POSTING


def test_netsuite_answer_lost_after_commit(
    wired_connector, seed003, shopify_sandbox, netsuite_sandbox
):
    connector = wired_connector(RefundSyncDirection.SHOPIFY_TO_NETSUITE)
    order = seed003.order()
    sales_order = seed003.synced(connector, order)
    seed003.ns.post(f"sales-orders/{sales_order['internalId']}/bill", {"as": "cashSale"})
    line = order["line_items"][0]
    shopify_sandbox.control.refund(
        order["id"], amount="25.00", lines=[{"line_item_id": line["id"], "quantity": 1}]
    )
    (txn,) = actions.retrieve(None, connector, "shopify", order["name"]).transactions
    # NetSuite commits the cash refund and the connection drops before the answer.
    netsuite_sandbox.control.timeout_after_commit(count=1, mode="drop")
    actions.request_post(None, txn)
    txn.refresh_from_db()
    assert txn.status == Status.POSTED, txn.last_error
    found = netsuite_sandbox.control.records(
        "cashRefund", externalId=external_ids.refund(txn.source_id)
    )
    assert len(found) == 1 and found[0]["internalId"] == txn.target_id
