"""Webhooks start flows for the record they name: the sandbox store delivers a signed
webhook over real HTTP to our endpoint, the task processes the stored delivery, and the flow
run it queued does the work."""

import pytest

from connector.shopify.models import WebhookDelivery
from connector.shopify.tasks import process_delivery
from flows import engine
from flows.models import FlowRun, Lane, Trigger
from transactions.models import Kind, Transaction

from .conftest import run_flow

pytestmark = pytest.mark.django_db(transaction=True)


def _deliver(shopify_sandbox, live_server, connector, topic, order_id):
    url = f"{live_server.url}/webhooks/shopify/{connector.pk}/"
    answer = shopify_sandbox.control.deliver_webhook(topic=topic, order_id=order_id, url=url)
    assert answer["status"] == 200
    delivery = WebhookDelivery.objects.filter(topic=topic).latest("received_at")
    process_delivery(delivery.pk)
    delivery.refresh_from_db()
    return delivery


def _enable(connector, flow):
    from panel import actions
    from tests.factories import make_admin

    actions.update_flow_schedule(make_admin(), connector, flow, {"enabled": True})


def test_orders_create_imports_that_order(wired, shopify_sandbox, netsuite_sandbox, live_server):
    _enable(wired, "order_import")
    netsuite_sandbox.control.items("SKU-1")
    order = shopify_sandbox.control.create_order(
        lines=[{"sku": "SKU-1", "quantity": 2, "price": "15.00"}]
    )
    delivery = _deliver(shopify_sandbox, live_server, wired, "orders/create", order["id"])
    assert delivery.status == WebhookDelivery.Status.PROCESSED, delivery.status_detail

    run = FlowRun.objects.get(flow="order_import")
    assert (run.trigger, run.scope) == (Trigger.WEBHOOK, [str(order["id"])])
    engine.execute(run.pk)
    run.refresh_from_db()
    assert run.posted == 1, run.error
    txn = Transaction.objects.get(kind=Kind.ORDER, source_id=str(order["id"]))
    assert netsuite_sandbox.control.records("salesOrder", internalId=txn.target_id)


def test_orders_cancelled_cancels_in_netsuite(
    wired, shopify_sandbox, netsuite_sandbox, live_server
):
    netsuite_sandbox.control.items("SKU-1")
    order = shopify_sandbox.control.create_order(
        lines=[{"sku": "SKU-1", "quantity": 1, "price": "20.00"}]
    )
    assert run_flow(wired, "order_import").posted == 1
    _enable(wired, "shopify_cancellation_to_netsuite")
    shopify_sandbox.control.cancel(order["id"])
    delivery = _deliver(shopify_sandbox, live_server, wired, "orders/cancelled", order["id"])
    assert delivery.status == WebhookDelivery.Status.PROCESSED, delivery.status_detail

    run = FlowRun.objects.get(flow="shopify_cancellation_to_netsuite")
    engine.execute(run.pk)
    run.refresh_from_db()
    assert run.posted == 1, (run.error, run.skip_reasons)
    so_id = Transaction.objects.get(kind=Kind.ORDER, source_id=str(order["id"])).target_id
    status = netsuite_sandbox.control.records("salesOrder", internalId=so_id)[0]["fields"]
    assert status["orderStatus"] in ("_cancelled", "_closed")


def test_switched_off_flow_keeps_the_reason_on_the_delivery(wired, shopify_sandbox, live_server):
    order = shopify_sandbox.control.create_order()
    delivery = _deliver(shopify_sandbox, live_server, wired, "orders/create", order["id"])
    assert delivery.status == WebhookDelivery.Status.IGNORED
    assert delivery.status_detail == "“Shopify Order to NetSuite Order Add” is switched off."
    assert not FlowRun.objects.exists()


def test_a_delivery_during_a_delta_run_gets_its_own_run_not_a_follow_up(
    wired, shopify_sandbox, netsuite_sandbox, live_server
):
    _enable(wired, "order_import")
    netsuite_sandbox.control.items("SKU-1")
    delta, _ = engine.request_run(wired, "order_import", Trigger.SCHEDULE)
    FlowRun.objects.filter(pk=delta.pk).update(status="running")  # a long delta is under way
    order = shopify_sandbox.control.create_order(lines=[{"sku": "SKU-1", "quantity": 1}])

    _deliver(shopify_sandbox, live_server, wired, "orders/create", order["id"])

    delta.refresh_from_db()
    assert delta.run_again is False  # the record does not wait for the delta to end
    records = FlowRun.objects.get(lane=Lane.RECORDS)
    assert (records.status, records.scope) == ("queued", [str(order["id"])])
    engine.execute(records.pk)
    records.refresh_from_db()
    assert records.posted == 1, records.error
    txn = Transaction.objects.get(kind=Kind.ORDER, source_id=str(order["id"]))
    assert txn.status == "order_posted"


def test_a_burst_joins_the_queued_records_run_and_a_claimed_run_is_not_joined(
    wired, shopify_sandbox, netsuite_sandbox, live_server
):
    _enable(wired, "order_import")
    netsuite_sandbox.control.items("SKU-1")
    orders = [
        shopify_sandbox.control.create_order(lines=[{"sku": "SKU-1", "quantity": 1}])
        for _ in range(4)
    ]
    for order in orders[:3]:
        _deliver(shopify_sandbox, live_server, wired, "orders/create", order["id"])
    # The same delivery twice (Shopify retries) adds nothing.
    _deliver(shopify_sandbox, live_server, wired, "orders/create", orders[0]["id"])
    first = FlowRun.objects.get()
    assert first.scope == [str(o["id"]) for o in orders[:3]]

    FlowRun.objects.filter(pk=first.pk).update(status="running")  # a worker took it
    _deliver(shopify_sandbox, live_server, wired, "orders/create", orders[3]["id"])
    second = FlowRun.objects.exclude(pk=first.pk).get()
    assert (second.lane, second.scope) == (Lane.RECORDS, [str(orders[3]["id"])])

    FlowRun.objects.filter(pk=first.pk).update(status="queued")
    engine.execute(first.pk)
    engine.execute(second.pk)
    # One NetSuite sales order per Shopify order, written in one list for the burst.
    assert FlowRun.objects.get(pk=first.pk).posted == 3
    assert FlowRun.objects.get(pk=second.pk).posted == 1
    assert len(netsuite_sandbox.control.records("salesOrder")) == 4


def test_a_record_done_by_its_webhook_run_is_not_written_again_by_the_delta(
    wired, shopify_sandbox, netsuite_sandbox, live_server
):
    _enable(wired, "order_import")
    netsuite_sandbox.control.items("SKU-1")
    order = shopify_sandbox.control.create_order(lines=[{"sku": "SKU-1", "quantity": 1}])
    _deliver(shopify_sandbox, live_server, wired, "orders/create", order["id"])
    engine.execute(FlowRun.objects.get(lane=Lane.RECORDS).pk)

    delta = run_flow(wired, "order_import", Trigger.SCHEDULE)

    assert delta.posted == 0
    assert len(netsuite_sandbox.control.records("salesOrder")) == 1


def test_a_records_run_is_capped_and_the_rest_of_a_burst_starts_the_next(wired):
    from flows.registry import FLOWS

    _enable(wired, "order_import")
    limit = FLOWS["order_import"].records_per_run
    ids = [str(n) for n in range(limit + 3)]
    for order_id in ids:
        engine.request_run(wired, "order_import", Trigger.WEBHOOK, scope=[order_id])
    runs = list(FlowRun.objects.order_by("pk"))
    assert [len(r.scope) for r in runs] == [limit, 3]
    assert [s for r in runs for s in r.scope] == ids


def test_a_records_run_whose_broker_message_was_lost_is_nudged_by_the_sweeper(wired, settings):
    from datetime import timedelta

    from django.utils import timezone

    from flows import sweeper

    _enable(wired, "order_import")
    run, _ = engine.request_run(wired, "order_import", Trigger.WEBHOOK, scope=["42"])
    FlowRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert sweeper.sweep()["runs_nudged"] == 1


def test_a_records_run_goes_ahead_of_its_delta_in_the_netsuite_budget(wired):
    from connector.netsuite.budget import Priority
    from flows.context import RunContext
    from flows.registry import FLOWS

    _enable(wired, "order_import")
    records, _ = engine.request_run(wired, "order_import", Trigger.WEBHOOK, scope=["42"])
    delta, _ = engine.request_run(wired, "order_import", Trigger.SCHEDULE)
    flow = FLOWS["order_import"]
    assert RunContext(delta, flow).priority == flow.priority == Priority.NORMAL
    assert RunContext(records, flow).priority == Priority.URGENT


def test_an_order_edit_delivery_names_its_order_inside_the_edit(
    shopify_sandbox, live_server, wired
):
    # orders/edited wraps the edit ({"order_edit": {..., "order_id": ...}}): the sandbox sends
    # it as Shopify does, the receiver keys its replay guard on the edit, and a flow declaring
    # webhook_order_key="order_edit.order_id" finds the order.
    import json

    from flows.webhooks import order_key

    order = shopify_sandbox.control.create_order(lines=[{"sku": "SKU-1", "quantity": 1}])
    line = order["line_items"][0]
    shopify_sandbox.control.edit(order["id"], line_item_id=line["id"], quantity=3)
    url = f"{live_server.url}/webhooks/shopify/{wired.pk}/"
    answer = shopify_sandbox.control.deliver_webhook(
        topic="orders/edited", order_id=order["id"], url=url
    )
    assert answer["status"] == 200
    delivery = WebhookDelivery.objects.get(topic="orders/edited")
    body = json.loads(delivery.body)
    edit = body["order_edit"]
    assert edit["line_items"] == {"additions": [{"id": line["id"], "delta": 2}], "removals": []}
    assert order_key(body, "order_edit.order_id") == order["id"]
    assert delivery.resource_id == f"order_edit:{edit['id']}"
    assert delivery.resource_updated_at == edit["committed_at"]


def test_a_records_run_reads_its_orders_in_one_call_and_skips_ids_shopify_lacks(
    wired, shopify_sandbox, netsuite_sandbox
):
    _enable(wired, "order_import")
    netsuite_sandbox.control.items("SKU-1")
    orders = [
        shopify_sandbox.control.create_order(lines=[{"sku": "SKU-1", "quantity": 1}])
        for _ in range(3)
    ]
    for order_id in [*(o["id"] for o in orders), 999999]:
        engine.request_run(wired, "order_import", Trigger.WEBHOOK, scope=[str(order_id)])
    run = FlowRun.objects.get()
    engine.execute(run.pk)
    run.refresh_from_db()
    assert (run.posted, run.failed) == (3, 0), run.error
    assert not Transaction.objects.filter(source_id="999999").exists()
