from connector.shopify.idempotency import idempotency_key


def test_same_parts_same_key_and_different_parts_different_keys():
    assert idempotency_key("transaction", 42, "post") == idempotency_key("transaction", 42, "post")
    assert idempotency_key("transaction", 42, "post") != idempotency_key("transaction", 43, "post")
    assert idempotency_key("a", "bc") != idempotency_key("ab", "c")
    assert len(idempotency_key("transaction", 42)) <= 64
