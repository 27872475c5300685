"""The home page's dashboard in Chromium: the charts are drawn (vendored uPlot, no network),
axe finds nothing serious, nothing scrolls sideways at 400 px, and the figures update by
themselves (htmx polling) without the page reloading."""

from datetime import timedelta

import pytest
from django.utils import timezone

from flows.actions import update_flow_schedule
from flows.models import FlowRun, RunStatus, ShopifyPoints, Trigger
from tests.e2e.conftest import OUTPUT, axe_check, login
from tests.factories import PASSWORD, make_admin, make_connector
from transactions import lifecycle, outcomes
from transactions.models import Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_dashboard_draws_charts_and_updates_without_reload(sized_page, live_server, settings):
    settings.DASHBOARD_POLL_SECONDS = 1  # the interval is a setting; the wait below is a bound
    page = sized_page
    admin = make_admin(username="dash")
    connector = make_connector(admin, name="Dashboard store")
    update_flow_schedule(admin, connector, "order_import", {"enabled": True})
    txn, _ = lifecycle.upsert_transaction(
        connector, kind="order", source_channel="shopify", source_id="o1", flow="order_import"
    )
    now = timezone.now()
    for hours, status in [(1, Status.ORDER_POSTED), (1, Status.ORDER_POSTED), (30, Status.ERROR)]:
        outcomes.record(txn.pk, status, now - timedelta(hours=hours))
    FlowRun.objects.create(
        connector=connector,
        flow="order_import",
        trigger=Trigger.SCHEDULE,
        status=RunStatus.SUCCEEDED,
        posted=2,
        finished_at=now - timedelta(minutes=5),
    )

    login(page, live_server, "dash", PASSWORD)
    page.goto(f"{live_server.url}/")
    card = page.locator(f'[data-connector="{connector.pk}"]')
    # Two charts for the flow that is switched on, each a uPlot canvas.
    page.wait_for_function("document.querySelectorAll('.chart-canvas canvas').length === 2")
    assert card.locator("figcaption").first.inner_text().endswith("2 synced, 0 failed")
    axe_check(page, f"dashboard-{page.width}")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the dashboard scrolls sideways by {overflow}px"
    assert "Succeeded" in card.locator('tr[data-flow="order_import"] [data-last-run]').inner_text()
    assert "not reported yet" in card.locator("[data-points]").inner_text()
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"dashboard-{page.width}.png"), full_page=True)

    # Things happen while the page is open: a run fails, a record fails, Shopify reports points.
    page.evaluate("window.__sameDocument = true")
    outcomes.record(txn.pk, Status.ERROR, timezone.now())
    ShopifyPoints.objects.create(
        connector=connector, available=640, maximum=1000, restore_rate=0, seen_at=timezone.now()
    )
    # Last: once the page shows this run, it shows what was written before it.
    FlowRun.objects.create(
        connector=connector,
        flow="order_import",
        trigger=Trigger.BUTTON,
        status=RunStatus.FAILED,
        finished_at=timezone.now(),
        error="NetSuite refused the login.",
    )
    card.locator('tr[data-flow="order_import"] [data-last-run] .badge.run-failed').wait_for(
        timeout=15_000
    )
    assert "≈ 640 of 1000" in card.locator("[data-points]").inner_text()
    assert page.evaluate("window.__sameDocument === true"), "the page reloaded"
    page.wait_for_function("document.querySelectorAll('.chart-canvas canvas').length === 2")
    assert card.locator("figcaption").first.inner_text().endswith("2 synced, 1 failed")
    page.screenshot(path=str(OUTPUT / f"dashboard-updated-{page.width}.png"), full_page=True)

    # The session ends: the next poll is answered by the login page, which is shown as a page,
    # not swapped into the dashboard.
    page.context.clear_cookies()
    page.wait_for_url("**/login/**", timeout=15_000)
    assert page.locator("#id_username").is_visible()
