"""The Shopify client against the sandbox store over real HTTP: no mocks of our own code."""

import pytest
import requests

from connector.shopify.errors import (
    ShopifyAuthError,
    ShopifyGraphQLError,
    ShopifyNotFound,
    ShopifyServerError,
    ShopifyUserError,
)
from connector.shopify.pacing import CostBudget

LINES = [
    {"sku": "TSHIRT-BLK-M", "quantity": 2, "price": "25.00"},
    {"sku": "MUG-LOGO", "quantity": 1, "price": "12.00"},
]


def fast_client(sandbox, **kw):
    """Real sleeps, but short back-off so fault tests take milliseconds."""
    kw.setdefault("backoff_base", 0.01)
    kw.setdefault("backoff_cap", 0.05)
    return sandbox.client(**kw)


def refund_transaction(order, amount):
    return [{"orderId": order["id"], "amount": amount, "kind": "REFUND", "gateway": "bogus"}]


def test_shop_answers_test_connection(shopify_sandbox):
    shop = shopify_sandbox.client().shop()
    assert shop["myshopifyDomain"] == shopify_sandbox.shop_domain


def test_find_order_by_name_returns_lines_money_and_buyer(shopify_sandbox):
    shopify_sandbox.control.create_order(lines=LINES, tax="6.20", shipping="5.00")
    order = _by_name(shopify_sandbox.client(), "#1001")
    assert order["name"] == "#1001"
    assert order["displayFinancialStatus"] == "PAID"
    assert [li["sku"] for li in order["lineItems"]["nodes"]] == ["TSHIRT-BLK-M", "MUG-LOGO"]
    assert order["totalPriceSet"]["shopMoney"]["amount"] == "73.20"
    assert order["transactions"][0]["kind"] == "SALE"
    assert order["fulfillmentOrders"]["nodes"][0]["lineItems"]["nodes"][0]["remainingQuantity"] == 2
    assert order["purchasingEntity"]["__typename"] == "Customer"
    assert _by_name(shopify_sandbox.client(), "#9999") is None


def test_b2b_order_has_a_purchasing_company(shopify_sandbox):
    company = shopify_sandbox.control.create_company(name="Acme", external_id="ACME-1")
    created = shopify_sandbox.control.create_order(lines=LINES, company_id=company["id"])
    order = shopify_sandbox.client().get_order(created["admin_graphql_api_id"])
    entity = order["purchasingEntity"]
    assert entity["__typename"] == "PurchasingCompany"
    assert entity["company"]["externalId"] == "ACME-1"
    assert entity["location"]["name"] == "Acme HQ"
    companies = list(shopify_sandbox.client().iter_pages("companies", "companies", None, 10))
    assert [c["name"] for c in companies] == ["Acme"]


def test_pagination_over_600_orders_sees_each_once(shopify_sandbox):
    # Plus-sized bucket: this test is about cursors, not about waiting for points.
    shopify_sandbox.control.set_throttle(maximum_available=20000, restore_rate=2000)
    shopify_sandbox.control.create_orders(
        620, lines=LINES[:1], created_at="2026-05-01T10:00:00Z", updated_at="2026-05-01T10:00:00Z"
    )
    shopify_sandbox.control.create_orders(
        5, lines=LINES[:1], created_at="2026-01-01T10:00:00Z", updated_at="2026-01-01T10:00:00Z"
    )
    client = shopify_sandbox.client()
    since = "updated_at:>'2026-04-01T00:00:00Z'"
    names = [o["name"] for o in client.iter_pages("ordersUpdatedSince", "orders", since, 50)]
    assert len(names) == 620
    assert len(set(names)) == 620
    assert len(list(client.iter_pages("ordersUpdatedSince", "orders", None, 100))) == 625


def test_cancelled_orders_since(shopify_sandbox):
    first = shopify_sandbox.control.create_order(lines=LINES)
    shopify_sandbox.control.create_order(lines=LINES)
    shopify_sandbox.control.cancel(first["id"], refund=False)
    cancelled = list(shopify_sandbox.client().iter_cancelled_orders("2020-01-01T00:00:00Z"))
    assert [o["name"] for o in cancelled] == [first["name"]]
    assert cancelled[0]["cancelReason"] == "OTHER"


class ManualClock:
    """Time that moves only when someone sleeps: the client's `sleep` advances the clock the
    sandbox's bucket refills by, so pacing is tested without depending on wall-clock speed."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_burst_of_200_calls_paces_itself_and_never_overdraws(shopify_sandbox):
    # 200 calls of 9 points need 1,800 points from a 50-point bucket restoring 100/s: the
    # client must wait about (1800 - 50) / 100 = 17.5 s of bucket time, from throttleStatus
    # alone. The bucket and the client share a manual clock; no real second passes.
    clock = ManualClock()
    shopify_sandbox.server.clock = clock
    shopify_sandbox.control.create_orders(5, lines=LINES[:1])
    shopify_sandbox.control.set_throttle(maximum_available=50, restore_rate=100)
    client = shopify_sandbox.client(sleep=clock.sleep, clock=clock)
    for _ in range(200):
        data = client.execute("ordersUpdatedSince", {"first": 1, "after": None, "query": None})
        assert len(data["orders"]["nodes"]) == 1
    stats = shopify_sandbox.control.stats()
    assert stats["min_available"] >= 0
    assert stats["throttled_count"] == 0
    assert stats["min_available"] < 20  # the bucket really was drawn down: pacing did the work
    waited = sum(clock.slept)
    cost = client.budget._expected["ordersUpdatedSince"]
    needed = (200 * cost - 50) / 100
    assert needed <= waited <= needed * 1.1 + 1, (waited, needed)


def test_pacing_arithmetic():
    clock = ManualClock()
    budget = CostBudget(clock=clock)
    assert budget.wait_before("q") == 0.0  # nothing known yet: assume room
    status = {"maximumAvailable": 100, "currentlyAvailable": 10, "restoreRate": 50}
    budget.record("q", {"requestedQueryCost": 30, "throttleStatus": status})
    assert budget.wait_before("q") == pytest.approx((31 - 10) / 50)
    clock.sleep(0.2)  # 10 points restored
    assert budget.available_now() == pytest.approx(20)
    assert budget.wait_before("q") == pytest.approx((31 - 20) / 50)
    clock.sleep(100)  # never more than the bucket holds
    assert budget.available_now() == 100
    assert budget.wait_before("q") == 0.0


def test_throttled_answers_are_waited_out_and_retried(shopify_sandbox):
    shopify_sandbox.control.fail_next(3, "throttled")
    assert fast_client(shopify_sandbox).shop()["myshopifyDomain"] == shopify_sandbox.shop_domain
    assert shopify_sandbox.control.stats()["faults_injected"] == 3


def test_an_empty_bucket_answers_throttled_and_the_client_recovers(shopify_sandbox):
    created = shopify_sandbox.control.create_order(lines=LINES)
    gid = created["admin_graphql_api_id"]
    # The order query costs ~860 points of 900. Two workers share the shop's bucket; the
    # second has seen no throttleStatus yet, so it is THROTTLED once and must wait it out.
    shopify_sandbox.control.set_throttle(maximum_available=900, restore_rate=2000)
    first, second = shopify_sandbox.client(), shopify_sandbox.client()
    assert first.get_order(gid)["id"] == gid
    assert second.get_order(gid)["id"] == gid
    stats = shopify_sandbox.control.stats()
    assert stats["throttled_count"] >= 1
    assert stats["min_available"] >= 0


def test_refund_survives_5xx_and_throttling_without_duplicates(shopify_sandbox):
    created = shopify_sandbox.control.create_order(lines=LINES)
    client = fast_client(shopify_sandbox)
    order = client.get_order(created["admin_graphql_api_id"])
    key = "test-key-refund-42"
    shopify_sandbox.control.set_faults(
        next=[{"kind": "error", "status": 503, "count": 2}, {"kind": "throttled"}]
    )
    result = client.create_refund(
        order["id"], idempotency_key=key, transactions=refund_transaction(order, "10.00")
    )
    assert result["refund"]["totalRefundedSet"]["shopMoney"]["amount"] == "10.00"
    # The same work retried later (a new task run) sends the same key: still one refund.
    again = client.create_refund(
        order["id"], idempotency_key=key, transactions=refund_transaction(order, "10.00")
    )
    assert again["refund"]["id"] == result["refund"]["id"]
    state = shopify_sandbox.control.order(created["id"])
    assert len(state["refunds"]) == 1
    assert state["totals"]["refunded"] == "10.00"
    log = [m for m in shopify_sandbox.control.mutations() if m["mutation"] == "refundCreate"]
    assert [m["replayed"] for m in log] == [False, True]
    assert {m["idempotency_key"] for m in log} == {key}


def test_refund_applied_but_answer_lost_is_retried_safely_with_its_key(shopify_sandbox):
    created = shopify_sandbox.control.create_order(lines=LINES)
    # A time-out well above a normal answer even on a loaded machine, below the hang.
    client = fast_client(shopify_sandbox, read_timeout=1.5)
    order = client.get_order(created["admin_graphql_api_id"])
    shopify_sandbox.control.fail_next(1, "apply_then_hang", seconds=4)
    result = client.create_refund(
        order["id"],
        idempotency_key="test-key-refund-7",
        transactions=refund_transaction(order, "62.00"),
    )
    assert result["order"]["displayFinancialStatus"] == "REFUNDED"
    assert len(shopify_sandbox.control.order(created["id"])["refunds"]) == 1


def test_unkeyed_mutation_is_not_resent_after_an_ambiguous_timeout(shopify_sandbox):
    created = shopify_sandbox.control.create_order(lines=LINES)
    # A time-out well above a normal answer even on a loaded machine, below the hang.
    client = fast_client(shopify_sandbox, read_timeout=1.5)
    shopify_sandbox.control.fail_next(1, "apply_then_hang", seconds=4)
    with pytest.raises(ShopifyServerError) as caught:
        client.cancel_order(created["admin_graphql_api_id"], refund=False)
    assert caught.value.retryable
    assert [m["mutation"] for m in shopify_sandbox.control.mutations()] == ["orderCancel"]
    # Read-before-write is the caller's job: the order is in fact cancelled.
    assert shopify_sandbox.control.order(created["id"])["cancelled_at"]


def test_refund_over_the_paid_amount_is_a_user_error(shopify_sandbox):
    created = shopify_sandbox.control.create_order(lines=LINES)
    client = shopify_sandbox.client()
    order = client.get_order(created["admin_graphql_api_id"])
    with pytest.raises(ShopifyUserError) as caught:
        client.create_refund(
            order["id"],
            idempotency_key="test-key-t-1",
            transactions=refund_transaction(order, "62.01"),
        )
    assert caught.value.permanent
    assert "refundable amount" in caught.value.message
    assert caught.value.user_errors[0]["field"] == ["transactions"]


def test_refund_without_idempotency_key_is_refused_by_the_sandbox(shopify_sandbox):
    created = shopify_sandbox.control.create_order(lines=LINES)
    body = {
        "query": "mutation r($input: RefundInput!) { refundCreate(input: $input) "
        "{ refund { id } userErrors { field message } } }",
        "variables": {"input": {"orderId": created["admin_graphql_api_id"]}},
    }
    response = requests.post(
        f"{shopify_sandbox.url}/admin/api/2026-10/graphql.json",
        json=body,
        headers={"X-Shopify-Access-Token": shopify_sandbox.access_token},
        timeout=5,
    )
    assert response.status_code == 200
    assert "@idempotent" in response.json()["errors"][0]["message"]
    assert shopify_sandbox.control.order(created["id"])["refunds"] == []


def test_cancel_twice_is_a_user_error(shopify_sandbox):
    created = shopify_sandbox.control.create_order(lines=LINES)
    client = shopify_sandbox.client()
    client.cancel_order(created["admin_graphql_api_id"], reason="CUSTOMER")
    with pytest.raises(ShopifyUserError) as caught:
        client.cancel_order(created["admin_graphql_api_id"], reason="CUSTOMER")
    assert "already been cancelled" in caught.value.message
    assert caught.value.code == "INVALID"


def test_cancel_without_refund_leaves_the_order_paid(shopify_sandbox):
    created = shopify_sandbox.control.create_order(lines=LINES)
    client = shopify_sandbox.client()
    client.cancel_order(created["admin_graphql_api_id"], refund=False)
    order = client.get_order(created["admin_graphql_api_id"])
    assert order["cancelledAt"]
    assert order["displayFinancialStatus"] == "PAID"
    assert order["refunds"] == []


def test_cancel_with_refund_refunds_the_paid_amount(shopify_sandbox):
    created = shopify_sandbox.control.create_order(lines=LINES)
    client = shopify_sandbox.client()
    client.cancel_order(created["admin_graphql_api_id"], refund=True)
    order = client.get_order(created["admin_graphql_api_id"])
    assert order["displayFinancialStatus"] == "REFUNDED"
    assert order["totalRefundedSet"]["shopMoney"]["amount"] == "62.00"


def test_mark_as_paid_fulfil_and_edit(shopify_sandbox):
    created = shopify_sandbox.control.create_order(lines=LINES, paid=False)
    client = shopify_sandbox.client()
    gid = created["admin_graphql_api_id"]
    paid = client.mutate("orderMarkAsPaid", {"input": {"id": gid}})
    assert paid["order"]["displayFinancialStatus"] == "PAID"

    order = client.get_order(gid)
    fo = order["fulfillmentOrders"]["nodes"][0]
    mug = next(li for li in fo["lineItems"]["nodes"] if li["sku"] == "MUG-LOGO")
    fulfilment = client.mutate(
        "fulfillmentCreate",
        {
            "fulfillment": {
                "lineItemsByFulfillmentOrder": [
                    {
                        "fulfillmentOrderId": fo["id"],
                        "fulfillmentOrderLineItems": [{"id": mug["id"], "quantity": 1}],
                    }
                ],
                "notifyCustomer": False,
                "trackingInfo": {"number": "1Z999", "company": "UPS"},
            }
        },
    )
    assert fulfilment["fulfillment"]["trackingInfo"][0]["number"] == "1Z999"

    calc = client.mutate("orderEditBegin", {"id": gid})["calculatedOrder"]
    lines = {li["sku"]: li for li in calc["lineItems"]["nodes"]}
    with pytest.raises(ShopifyUserError):  # the mug was fulfilled: its line is locked
        _set_quantity(client, calc["id"], lines["MUG-LOGO"]["id"], 0)
    _set_quantity(client, calc["id"], lines["TSHIRT-BLK-M"]["id"], 1)
    variant = shopify_sandbox.control.request("POST", "products", sku="CAP-NAVY", price="19.50")
    client.mutate(
        "orderEditAddVariant",
        {"id": calc["id"], "variantId": variant["admin_graphql_api_id"], "quantity": 2},
    )
    committed = client.mutate("orderEditCommit", {"id": calc["id"], "notifyCustomer": False})
    assert committed["order"]["currentTotalPriceSet"]["shopMoney"]["amount"] == "76.00"
    state = shopify_sandbox.control.order(created["id"])
    assert state["fulfillment_status"] == "PARTIALLY_FULFILLED"


def test_inventory_compare_and_set(shopify_sandbox):
    variant = shopify_sandbox.control.request("POST", "products", sku="SOCKS", price="5")
    location = shopify_sandbox.control.request("GET", "inventory")["locations"][0]["id"]
    client = shopify_sandbox.client()
    quantity = {
        "inventoryItemId": variant["inventory_item_gid"],
        "locationId": f"gid://shopify/Location/{location}",
        "quantity": 42,
        "changeFromQuantity": 100,
    }
    result = _set_inventory(client, quantity, "inv-1")
    assert result["inventoryAdjustmentGroup"]["changes"][0]["quantityAfterChange"] == 42
    with pytest.raises(ShopifyUserError) as caught:
        _set_inventory(client, quantity, "inv-2")
    assert caught.value.code == "CHANGE_FROM_QUANTITY_STALE"


def test_wrong_token_is_a_permanent_auth_error_with_a_clear_message(shopify_sandbox):
    with pytest.raises(ShopifyAuthError) as caught:
        shopify_sandbox.client(access_token="shpat_wrong").shop()
    error = caught.value
    assert not error.retryable
    assert f"Shopify rejected the access token for {shopify_sandbox.shop_domain}" in str(error)
    assert "HTTP 401" in str(error)
    assert "shpat_wrong" not in str(error)


def test_unknown_shop_is_not_found(shopify_sandbox):
    with pytest.raises(ShopifyNotFound) as caught:
        shopify_sandbox.client(shop_domain="nobody.myshopify.com").shop()
    assert not caught.value.retryable
    assert "nobody.myshopify.com" in str(caught.value)


def test_invalid_document_gets_a_graphql_error_from_the_sandbox(shopify_sandbox):
    response = requests.post(
        f"{shopify_sandbox.url}/admin/api/2026-10/graphql.json",
        json={"query": "{ shop { noSuchField } }"},
        headers={"X-Shopify-Access-Token": shopify_sandbox.access_token},
        timeout=5,
    )
    error = response.json()["errors"][0]
    assert response.status_code == 200
    assert "noSuchField" in error["message"]
    assert error["locations"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_graphql_error_is_permanent(shopify_sandbox):
    with pytest.raises(ShopifyGraphQLError) as caught:
        shopify_sandbox.client().execute("order", {"id": None})
    assert caught.value.permanent


def test_read_timeout_becomes_a_retryable_error_in_bounded_time(shopify_sandbox):
    # Bounded by attempts and back-off, not measured on the wall clock: three attempts of one
    # read time-out each, and back-off sleeps within the cap.
    shopify_sandbox.control.fail_next(10, "hang", seconds=3)
    clock = ManualClock()
    client = fast_client(shopify_sandbox, read_timeout=0.2, max_retries=2, sleep=clock.sleep)
    with pytest.raises(ShopifyServerError) as caught:
        client.shop()
    assert caught.value.retryable
    assert caught.value.code == "TIMEOUT"
    assert shopify_sandbox.control.stats()["requests"] == 3
    assert len(clock.slept) == 2 and all(0 <= s <= 0.05 for s in clock.slept)


def test_persistent_5xx_becomes_a_retryable_error_after_bounded_attempts(shopify_sandbox):
    shopify_sandbox.control.set_faults(error_rate=1.0, error_status=502)
    with pytest.raises(ShopifyServerError) as caught:
        fast_client(shopify_sandbox, max_retries=3).shop()
    assert caught.value.retryable
    assert shopify_sandbox.control.stats()["requests"] == 4


# The flows that will call these operations are still to come: the tests call them by name.
def _by_name(client, name):
    nodes = client.execute("orderByName", {"query": f"name:{name}"})["orders"]["nodes"]
    return next((n for n in nodes if n["name"] == name), None)


def _set_quantity(client, calculated_order_id, line_item_id, quantity):
    variables = {"id": calculated_order_id, "lineItemId": line_item_id, "quantity": quantity}
    return client.mutate("orderEditSetQuantity", {**variables, "restock": True})


def _set_inventory(client, quantity, key):
    set_input = {"name": "available", "reason": "correction", "quantities": [quantity]}
    return client.mutate("inventorySetQuantities", {"input": set_input, "idempotencyKey": key})
