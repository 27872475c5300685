"""Every page, at 1400 px and at 400 px, as an admin and as customer service: axe-core finds no
serious or critical violation; at 400 px nothing scrolls sideways, the navigation is all there
and each transaction keeps its status and its action menu in view. Dialogs take the focus, keep
it, close on Escape and give it back."""

import pytest

from flows.models import FlowRun, RunStatus, Trigger
from tests.e2e.conftest import axe_check, login
from tests.factories import PASSWORD, make_admin, make_connector, make_cs
from tests.transactions.edit_review_world import review_row
from transactions import lifecycle
from transactions.models import Status, Transaction, TransactionEvent

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _data():
    connector = make_connector(name="Demo store")
    for n, status in enumerate([Status.ERROR, Status.POSTED, Status.WAITING, Status.IGNORED]):
        txn, _ = lifecycle.upsert_transaction(
            connector,
            kind="order" if n % 2 else "refund",
            source_channel="shopify" if n % 2 else "netsuite",
            source_id=f"s{n}",
            defaults={
                "shopify_order_name": f"#{1001 + n}",
                "shopify_order_id": str(5551000 + n),
                "source_type": "cashRefund",
                "amount": "12.50",
                "currency": "USD",
            },
        )
        Transaction.objects.filter(pk=txn.pk).update(
            status=status, last_error="SKU ABC-1 on line 1 is not an item in NetSuite."
        )
        lifecycle.record_event(
            txn, TransactionEvent.Type.POSTED, "Posted.", detail={"answer": {"id": "9"}}
        )
    FlowRun.objects.create(
        connector=connector,
        flow="order_import",
        trigger=Trigger.BUTTON,
        status=RunStatus.PARTLY_FAILED,
        posted=3,
        failed=1,
    )
    # The exception queue: one edit waiting, one decided.
    review_row(connector, 50)
    review_row(connector, 51, state="dismissed", resolution="Customer kept the old order")
    return connector, txn


def _no_sideways_scroll(page):
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"{page.url} scrolls sideways by {overflow}px"


def _visit(page, url, name, screenshot_dir=None):
    page.goto(url)
    axe_check(page, name)
    if page.width <= 400:
        _no_sideways_scroll(page)
    if screenshot_dir is not None:
        page.screenshot(path=str(screenshot_dir / f"a11y-{name}-{page.width}.png"), full_page=True)


def test_every_page_as_admin(sized_page, live_server):
    from tests.e2e.conftest import OUTPUT

    OUTPUT.mkdir(exist_ok=True)
    page = sized_page
    connector, txn = _data()
    make_admin(username="ada")
    page.goto(f"{live_server.url}/login/")
    axe_check(page, "login")
    login(page, live_server, "ada", PASSWORD)
    base = live_server.url
    pages = {
        "connectors": "/",
        "new-connector": "/connectors/new/",
        "data-flows": "/flows/",
        "runs": f"/connectors/{connector.pk}/flows/order_import/runs/",
        "transactions": "/transactions/",
        "timeline-page": f"/transactions/{txn.pk}/timeline/",
        "errors": "/transactions/errors/",
        "errors-resolved": "/transactions/errors/?tab=resolved",
        "edits": "/transactions/edits/",
        "edits-decided": "/transactions/edits/?tab=decided",
    }
    for section in ("general", "credentials", "orders", "cancellation", "refunds", "b2b"):
        pages[f"settings-{section}"] = f"/connectors/{connector.pk}/settings/{section}/"
    for name, path in pages.items():
        _visit(page, base + path, name, OUTPUT)

    nav = page.get_by_role("navigation", name="Main")
    for label in ("Connectors", "Data Flows", "Other Transactions", "Errors", "Order edits"):
        assert nav.get_by_role("link", name=label).is_visible()

    # Each row keeps its status and its action menu in view, also at 400 px.
    page.goto(f"{base}/transactions/")
    row = page.locator("tbody tr", has_text="#1001")
    assert row.locator("[data-status]").is_visible()
    assert (
        row.get_by_role("button", name="Actions for").is_visible()
        or row.locator("summary").is_visible()
    )


def test_dialogs_keep_and_return_focus(sized_page, live_server):
    page = sized_page
    _data()
    make_cs(username="cara")
    login(page, live_server, "cara", PASSWORD)
    page.goto(f"{live_server.url}/transactions/")

    opener = page.get_by_role("button", name="Retrieve")
    opener.click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    page.wait_for_function("document.activeElement.closest('[role=dialog]') !== null")
    axe_check(page, "retrieve-dialog")
    for _ in range(8):  # Tab around: the focus never leaves the dialog
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.closest('[role=dialog]') !== null")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate("document.activeElement.closest('[role=dialog]') !== null")
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Retrieve"

    row = page.locator("tbody tr", has_text="#1001")
    row.locator("summary").click()
    row.get_by_role("menuitem", name="View timeline").click()
    page.get_by_role("dialog").wait_for()
    page.wait_for_function("document.activeElement.closest('[role=dialog]') !== null")
    axe_check(page, "timeline-dialog")
    page.get_by_role("dialog").get_by_role("button", name="Close").click()
    page.get_by_role("dialog").wait_for(state="detached")
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
