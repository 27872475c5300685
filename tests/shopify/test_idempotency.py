"""Idempotency keys: stable for one piece of work, different for anything else."""

import pytest

from connector.models import Installation
from connector.shopify import idempotency
from connector.shopify.idempotency import idempotency_key

pytestmark = pytest.mark.django_db


def test_same_work_same_key_and_anything_else_another_key():
    key = idempotency_key("refundCreate", "order:1001", "creditMemo:77")
    assert key == idempotency_key("refundCreate", "order:1001", "creditMemo:77")
    assert key != idempotency_key("refundCreate", "order:1001", "creditMemo:78")
    assert key != idempotency_key("refundCreate", "order:1002", "creditMemo:77")
    assert key != idempotency_key("inventorySetQuantities", "order:1001", "creditMemo:77")
    assert idempotency_key("a", "bc") != idempotency_key("ab", "c")
    assert len(key) <= 64


def test_a_new_attempt_after_a_refusal_gets_a_new_key():
    first = idempotency_key("refundCreate", "order:1", "cashRefund:2", generation=0)
    assert first != idempotency_key("refundCreate", "order:1", "cashRefund:2", generation=1)


def test_another_install_never_sends_the_same_key_for_the_same_ids():
    """A second install (or a restored database with another secret) shares no keys."""
    mine = idempotency_key("refundCreate", "order:1", "cashRefund:2")
    idempotency.install_secret.cache_clear()
    try:
        Installation.objects.all().delete()
        Installation.objects.create(secret="another-install")
        assert idempotency_key("refundCreate", "order:1", "cashRefund:2") != mine
    finally:
        idempotency.install_secret.cache_clear()


def test_the_migration_made_one_secret_for_this_install():
    assert Installation.objects.count() == 1
    assert len(Installation.objects.get().secret) == 64
