"""Webhooks start flows for the record they name: the sandbox store delivers a signed
webhook over real HTTP to our endpoint, the task processes the stored delivery, and the flow
run it queued does the work."""

import pytest

from connector.shopify.models import WebhookDelivery
from connector.shopify.tasks import process_delivery
from flows import engine
from flows.models import FlowRun, Trigger
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
