"""Settings › Cancellation: the Run button starts the flow and the page shows its progress and
result without a reload. The test plays the worker: once the run is queued it calls the real
task function, as a qcluster worker would."""

import threading

import pytest

from flows import tasks
from flows.models import FlowRun, RunStatus
from tests.e2e.conftest import login
from tests.factories import PASSWORD, make_admin
from tests.flows.conftest import run_flow, set_options
from transactions.models import Kind, Transaction

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_run_button_shows_progress_and_result(
    page,
    live_server,
    screenshot,
    wired,
    shopify_sandbox,
    netsuite_sandbox,
):
    netsuite_sandbox.control.items("SKU-1")
    order = shopify_sandbox.control.create_order(
        lines=[{"sku": "SKU-1", "quantity": 1, "price": "20.00"}], paid=True
    )
    assert run_flow(wired, "order_import").posted == 1
    so_id = Transaction.objects.get(kind=Kind.ORDER, source_id=str(order["id"])).target_id
    set_options(wired, cancel_in_shopify_when_cancelled_in_netsuite=True)
    netsuite_sandbox.control.order(so_id, "cancel")

    make_admin(username="alice")
    login(page, live_server, "alice", PASSWORD)
    page.goto(f"{live_server.url}/connectors/{wired.pk}/settings/cancellation/")
    card = page.locator(".flow-card", has_text="NetSuite Cancellation to Shopify Cancellation Add")
    card.get_by_role("button", name="Run").click()
    status = page.locator("#flow-run-netsuite_cancellation_to_shopify")
    status.get_by_text("Queued").wait_for()

    run = FlowRun.objects.get(connector=wired, flow="netsuite_cancellation_to_shopify")
    worker = threading.Thread(target=tasks.execute_run, args=(run.pk,))
    worker.start()
    worker.join(timeout=30)
    status.get_by_text("Succeeded").wait_for()
    assert "1 posted" in status.inner_text()
    screenshot("flow-run-succeeded")

    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert shopify_sandbox.control.order(order["id"])["cancelled_at"]


def test_run_button_explains_why_a_flow_cannot_run(page, live_server, wired):
    make_admin(username="bob")
    login(page, live_server, "bob", PASSWORD)
    page.goto(f"{live_server.url}/connectors/{wired.pk}/settings/cancellation/")
    card = page.locator(".flow-card", has_text="NetSuite Cancellation to Shopify Cancellation Add")
    card.get_by_role("button", name="Run").click()
    card.locator(".alert-error").wait_for()
    assert "If an order is canceled in NetSuite, cancel it in Shopify" in card.inner_text()
    assert not FlowRun.objects.exists()
