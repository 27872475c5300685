"""Error workbench over both sandboxes: a real order import meets a SKU NetSuite does not know
(Error), an admin binds the SKU to a NetSuite item on the workbench, the rows it blocked are
retried and post, once, with that item; the timeline says who resolved it and how."""

from decimal import Decimal

import pytest

from connector import external_ids
from connector.models import ItemBinding
from flows.models import RunStatus
from tests.factories import make_admin
from transactions import workbench
from transactions.models import Kind, Status, Transaction

from .conftest import run_flow

pytestmark = pytest.mark.django_db(transaction=True)


def _txn(order):
    return Transaction.objects.get(kind=Kind.ORDER, source_id=str(order["id"]))


def test_bind_an_unknown_sku_and_retry_posts_the_orders_it_blocked(
    client, wired, shopify_sandbox, netsuite_sandbox
):
    netsuite_sandbox.control.items("KNOWN", "TSHIRT-BLK-M")
    shirt = netsuite_sandbox.control.records("inventoryItem", itemId="TSHIRT-BLK-M")[0]
    # The shop sells it as OLD-SHIRT; NetSuite knows no such SKU.
    blocked = [
        shopify_sandbox.control.create_order(
            lines=[{"sku": "KNOWN", "quantity": 1}, {"sku": "OLD-SHIRT", "quantity": 2}]
        )
        for _ in range(2)
    ]
    other = shopify_sandbox.control.create_order(lines=[{"sku": "OLD-SHIRT-2", "quantity": 1}])
    run = run_flow(wired, "order_import")
    assert run.status == RunStatus.FAILED and run.failed == 3
    assert {_txn(o).status for o in [*blocked, other]} == {Status.ERROR}
    group = workbench.groups(wired.pk)
    assert [(g.count, g.unknown_sku) for g in group] == [(3, True)]

    admin = make_admin(username="adam")
    client.force_login(admin)
    # A wrong id is refused before anything is bound or retried.
    bad = client.post(
        "/transactions/errors/bind-sku/",
        {"connector": wired.pk, "sku": "OLD-SHIRT", "netsuite_item_id": "shirt"},
        follow=True,
    )
    assert "a number" in str(next(iter(bad.context["messages"])))
    assert not ItemBinding.objects.filter(sku="OLD-SHIRT").exists()

    response = client.post(
        "/transactions/errors/bind-sku/",
        {"connector": wired.pk, "sku": "OLD-SHIRT", "netsuite_item_id": shirt["internalId"]},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == [
        f"SKU OLD-SHIRT bound to NetSuite item {shirt['internalId']}. 2 errors retried."
    ]
    binding = ItemBinding.objects.get(connector=wired, sku="OLD-SHIRT")
    assert binding.source == ItemBinding.Source.ADMIN
    assert binding.netsuite_item_id == shirt["internalId"]

    for order in blocked:
        txn = _txn(order)
        assert txn.status == Status.ORDER_POSTED, txn.last_error
        so = netsuite_sandbox.control.records(
            "salesOrder", externalId=external_ids.sales_order(order["id"])
        )
        assert len(so) == 1
        lines = so[0]["fields"]["itemList"]
        assert [line["item"]["internalId"] for line in lines][1] == shirt["internalId"]
        assert Decimal(so[0]["fields"]["total"]) == txn.amount
        resolved = txn.events.get(type="resolved")
        assert resolved.actor == admin and resolved.detail["how"] == "retry"
        assert "after binding SKU OLD-SHIRT" in resolved.detail["request"]
        assert "OLD-SHIRT" in resolved.detail["error"]
    # The other SKU's order is untouched, still waiting for its own binding.
    assert _txn(other).status == Status.ERROR
    assert [g.count for g in workbench.groups(wired.pk)] == [1]
    resolved_tab = client.get("/transactions/errors/?tab=resolved").content.decode()
    assert resolved_tab.count("after adam&#x27;s retry") == 2

    # The next run finds nothing to do twice: still two sales orders for the two orders.
    run_flow(wired, "order_import")
    assert len(netsuite_sandbox.control.records("salesOrder")) == 2
