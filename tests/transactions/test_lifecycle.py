import threading

import pytest
from django.db import connection

from tests.conftest import require_service
from tests.factories import make_connector
from transactions import lifecycle
from transactions.models import Status, Transaction, TransactionEvent


def _txn(connector, source_id="r1"):
    txn, created = lifecycle.upsert_transaction(
        connector,
        kind="refund",
        source_channel="netsuite",
        source_id=source_id,
        defaults={"shopify_order_name": "#1001", "amount": "10.00", "currency": "USD"},
    )
    return txn, created


@pytest.mark.django_db
def test_upsert_is_idempotent_and_keeps_status():
    connector = make_connector()
    txn, created = _txn(connector)
    assert created and txn.status == Status.RETRIEVED
    assert lifecycle.claim(txn.pk)
    again, created_again = _txn(connector)
    assert not created_again and again.pk == txn.pk
    assert again.status == Status.POSTING
    assert Transaction.objects.count() == 1


@pytest.mark.django_db
def test_claim_once_then_finish_records_the_timeline():
    connector = make_connector()
    txn, _ = _txn(connector)
    assert lifecycle.claim(txn.pk) is True
    assert lifecycle.claim(txn.pk) is False  # already posting
    assert lifecycle.finish(txn.pk, Status.POSTED, target_id="gid://shopify/Refund/9")
    assert lifecycle.finish(txn.pk, Status.ERROR, error="late") is False  # not posting anymore
    txn.refresh_from_db()
    assert (txn.status, txn.target_id, txn.attempts) == (Status.POSTED, "gid://shopify/Refund/9", 1)
    types = list(txn.events.values_list("type", flat=True))
    assert types == [
        TransactionEvent.Type.RETRIEVED,
        TransactionEvent.Type.STATUS,
        TransactionEvent.Type.POSTED,
    ]


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_claims_one_winner():
    require_service(
        "postgres", connection.vendor == "postgresql", "concurrent claims need PostgreSQL"
    )
    connector = make_connector()
    txn, _ = _txn(connector)
    results, barrier = [], threading.Barrier(20)

    def worker():
        barrier.wait()
        try:
            results.append(lifecycle.claim(txn.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1
    txn.refresh_from_db()
    assert txn.attempts == 1
