"""Order edits NetSuite → Shopify over real HTTP (Reverse Order Edit Sync, seed 002): a
quantity changed and a line added in NetSuite reach the Shopify order, both flags, loop
prevention both ways, a fulfilled line reduced goes to the exception queue, a retry after a
failure between the commit and the write-back does not edit Shopify twice, userErrors."""

from decimal import Decimal

import pytest

from connector import bindings, external_ids, gids
from connector.netsuite import records
from flows import engine
from flows.models import RunStatus, Trigger
from flows.order_edits import lines as edit_lines
from tests.factories import make_admin
from transactions import actions, edit_reviews
from transactions.actions import run_post
from transactions.models import EditReview, Kind, Status, Transaction

from .conftest import run_flow, set_options

pytestmark = pytest.mark.django_db(transaction=True)

FLOW = "order_edit_to_shopify"
FORWARD = "order_edit_to_netsuite"
KEY_FIELD = "custcol_shopify_line_id"
EDIT_MUTATIONS = {
    "orderEditBegin",
    "orderEditSetQuantity",
    "orderEditAddVariant",
    "orderEditCommit",
}


@pytest.fixture
def reverse(wired):
    set_options(
        wired, post_order_modifications_to_shopify=True, allow_netsuite_order_corrections=True
    )
    return wired


def _imported(connector, shopify_sandbox, netsuite_sandbox):
    netsuite_sandbox.control.items("SHIRT", "MUG", "CAP")
    created = shopify_sandbox.control.create_order(
        lines=[
            {"sku": "SHIRT", "quantity": 2, "price": "25.00", "title": "Shirt"},
            {"sku": "MUG", "quantity": 1, "price": "12.00", "title": "Mug"},
        ],
        tax_rate="0.10",
        shipping="5.00",
    )
    run = run_flow(connector, "order_import")
    assert run.posted == 1, (run.error, run.skip_reasons)
    return created


def _so(netsuite_sandbox, order_id) -> dict:
    found = netsuite_sandbox.control.records(
        "salesOrder", externalId=external_ids.sales_order(order_id)
    )
    return found[0]


def _so_line(so: dict, key: str) -> dict:
    for line in so["fields"]["itemList"]:
        if key in str(line.get("customFieldList") or ""):
            return line
    raise AssertionError(f"no line with key {key}: {so['fields']['itemList']}")


def _line_id(created, sku) -> str:
    return str(next(li["id"] for li in created["line_items"] if li["sku"] == sku))


def _shopify_line(shopify_sandbox, order_id, sku) -> dict:
    order = shopify_sandbox.control.order(order_id)
    return next(li for li in order["line_items"] if li["sku"] == sku)


def _edit_in_netsuite(netsuite_sandbox, so_id, *, lines=(), adds=()):
    """What a person does in NetSuite: change lines by number, add lines (no line key)."""
    sales = records.factory("sales")
    item_lines = [sales.SalesOrderItem(line=int(n), quantity=q) for n, q in lines]
    item_lines += [
        sales.SalesOrderItem(item=records.ref(item), quantity=q, rate=str(rate))
        for item, q, rate in adds
    ]
    netsuite_sandbox.client().update(
        records.record(
            "SalesOrder",
            internalId=so_id,
            itemList=sales.SalesOrderItemList(replaceAll=False, item=item_lines),
        )
    )


def _edits(shopify_sandbox) -> list[str]:
    return [
        m["mutation"]
        for m in shopify_sandbox.control.mutations()
        if m["mutation"] in EDIT_MUTATIONS
    ]


def _netsuite_writes(netsuite_sandbox) -> int:
    return sum(1 for e in netsuite_sandbox.control.log() if e["operation"] in ("update", "upsert"))


def _row(so_id) -> Transaction:
    return Transaction.objects.get(
        kind=Kind.ORDER_EDIT, source_channel="netsuite", source_id=str(so_id)
    )


def _totals_equal(shopify_sandbox, netsuite_sandbox, order_id):
    so = _so(netsuite_sandbox, order_id)
    shopify_total = Decimal(shopify_sandbox.control.order(order_id)["totals"]["current_total"])
    assert Decimal(so["fields"]["total"]) == shopify_total
    return shopify_total


def test_quantity_changed_in_netsuite_edits_the_shopify_order_once(
    reverse, shopify_sandbox, netsuite_sandbox
):
    created = _imported(reverse, shopify_sandbox, netsuite_sandbox)
    order_id = created["id"]
    so = _so(netsuite_sandbox, order_id)
    shirt = _line_id(created, "SHIRT")
    _edit_in_netsuite(netsuite_sandbox, so["internalId"], lines=[(_so_line(so, shirt)["line"], 3)])

    run = run_flow(reverse, FLOW)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.posted == 1, run.skip_reasons
    assert _shopify_line(shopify_sandbox, order_id, "SHIRT")["current_quantity"] == 3
    assert _edits(shopify_sandbox) == [
        "orderEditBegin",
        "orderEditSetQuantity",
        "orderEditCommit",
    ]
    total = _totals_equal(shopify_sandbox, netsuite_sandbox, order_id)
    txn = _row(so["internalId"])
    assert txn.status == Status.POSTED
    assert "equal to NetSuite sales order" in txn.events.get(type="posted").message
    assert txn.amount == total
    bound = bindings.find(reverse, "order_edit", shopify_id=str(order_id))
    assert bound is not None and bound.marker == txn.payload["version"]
    # The version kept is also the forward flow's version of Shopify's order now, so the
    # orders/edited webhook our commit caused is recognised as ours.
    order = shopify_sandbox.client().execute("orderForEdit", {"id": gids.order(order_id)})
    assert edit_lines.wanted_from_order(order["order"]).version() == bound.marker

    # Loop prevention: our own NetSuite write-back (it stamped the sales order) comes back
    # to this flow, and the orders/edited our commit caused comes to the forward flow.
    writes = _netsuite_writes(netsuite_sandbox)
    again = run_flow(reverse, FLOW)
    assert again.posted == 0 and again.failed == 0
    forward = run_flow(reverse, FORWARD, scope=[str(order_id)])
    assert forward.failed == 0, forward.error
    assert _netsuite_writes(netsuite_sandbox) == writes
    assert len(_edits(shopify_sandbox)) == 3
    assert _row(so["internalId"]).events.count() == txn.events.count()


def test_line_added_in_netsuite_is_added_in_shopify_and_keyed_back(
    reverse, shopify_sandbox, netsuite_sandbox
):
    created = _imported(reverse, shopify_sandbox, netsuite_sandbox)
    order_id = created["id"]
    shopify_sandbox.control.request(
        "POST", "inventory/items", items=[{"sku": "CAP", "price": "8.00", "title": "Cap"}]
    )
    so = _so(netsuite_sandbox, order_id)
    cap = netsuite_sandbox.control.items("CAP")[0]
    _edit_in_netsuite(netsuite_sandbox, so["internalId"], adds=[(cap["internalId"], 2, "7.00")])

    run = run_flow(reverse, FLOW)
    assert run.posted == 1, (run.error, run.skip_reasons, run.failed)
    cap_line = _shopify_line(shopify_sandbox, order_id, "CAP")
    assert cap_line["current_quantity"] == 2
    so = _so(netsuite_sandbox, order_id)
    keyed = _so_line(so, str(cap_line["id"]))
    # Shopify's unit price is the rate: both sides hold the same order, to the cent.
    assert Decimal(keyed["rate"]) == Decimal("8.00")
    _totals_equal(shopify_sandbox, netsuite_sandbox, order_id)
    bound = bindings.find(reverse, "order_edit", shopify_id=str(order_id))
    order = shopify_sandbox.client().execute("orderForEdit", {"id": gids.order(order_id)})
    assert edit_lines.wanted_from_order(order["order"]).version() == bound.marker
    writes = _netsuite_writes(netsuite_sandbox)
    assert run_flow(reverse, FLOW).posted == 0
    assert run_flow(reverse, FORWARD, scope=[str(order_id)]).failed == 0
    assert _netsuite_writes(netsuite_sandbox) == writes
    assert len(_edits(shopify_sandbox)) == 3


@pytest.mark.parametrize(
    "off, label",
    [
        ("post_order_modifications_to_shopify", "PostOrderModificationsToShopify"),
        ("allow_netsuite_order_corrections", "AllowNetSuiteOrderCorrections"),
    ],
)
def test_either_flag_off_stops_the_flow_and_the_card_says_why(reverse, client, off, label):
    set_options(reverse, **{off: False})
    with pytest.raises(engine.FlowNotRunnable, match=f"needs the option “{label}” switched on"):
        engine.request_run(reverse, FLOW, Trigger.BUTTON)
    client.force_login(make_admin())
    page = client.get(f"/connectors/{reverse.pk}/settings/order-edits/")
    assert page.status_code == 200
    assert (
        f"Does not run: “NetSuite Sales Order Edit to Shopify Order Edit” needs the option "
        f"“{label}” switched on."
    ) in page.content.decode()
    # Both on: the card shows no such warning and a run starts.
    set_options(reverse, **{off: True})
    page = client.get(f"/connectors/{reverse.pk}/settings/order-edits/")
    assert "Does not run:" not in page.content.decode()
    assert run_flow(reverse, FLOW).status == RunStatus.SUCCEEDED


def test_an_edit_made_in_shopify_and_applied_to_netsuite_does_not_come_back(
    reverse, shopify_sandbox, netsuite_sandbox
):
    created = _imported(reverse, shopify_sandbox, netsuite_sandbox)
    order_id = created["id"]
    shopify_sandbox.control.edit(order_id, line_item_id=_line_id(created, "MUG"), quantity=3)
    forward = run_flow(reverse, FORWARD)
    assert forward.posted == 1, (forward.error, forward.skip_reasons)
    before = len(shopify_sandbox.control.mutations())

    run = run_flow(reverse, FLOW)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.posted == 0 and run.failed == 0
    assert len(shopify_sandbox.control.mutations()) == before
    assert not Transaction.objects.filter(kind=Kind.ORDER_EDIT, source_channel="netsuite")


def test_an_order_also_edited_in_shopify_waits_for_that_edit_to_reach_netsuite(
    reverse, shopify_sandbox, netsuite_sandbox
):
    created = _imported(reverse, shopify_sandbox, netsuite_sandbox)
    order_id = created["id"]
    so = _so(netsuite_sandbox, order_id)
    shopify_sandbox.control.edit(order_id, line_item_id=_line_id(created, "MUG"), quantity=3)
    shirt = _so_line(so, _line_id(created, "SHIRT"))["line"]
    _edit_in_netsuite(netsuite_sandbox, so["internalId"], lines=[(shirt, 3)])

    run_flow(reverse, FLOW)
    txn = _row(so["internalId"])
    assert txn.status == Status.WAITING
    assert "also edited in Shopify" in txn.last_error or "also edited in Shopify" in str(
        txn.events.last().message
    )
    assert _edits(shopify_sandbox) == []
    # Shopify's quantity is not put back to the sales order's.
    assert _shopify_line(shopify_sandbox, order_id, "MUG")["current_quantity"] == 3

    # Shopify's order reaches NetSuite (Shopify's state wins there); the waiting row, checked
    # again, finds the state the connector synced: nothing goes back to Shopify.
    assert run_flow(reverse, FORWARD).failed == 0
    actions.retry(make_admin(), txn.pk)
    run_post(txn.pk)
    txn.refresh_from_db()
    assert txn.status == Status.SKIPPED, txn.last_error
    assert _edits(shopify_sandbox) == []


def test_a_fulfilled_line_reduced_in_netsuite_goes_to_the_exception_queue(
    reverse, shopify_sandbox, netsuite_sandbox
):
    created = _imported(reverse, shopify_sandbox, netsuite_sandbox)
    order_id = created["id"]
    shirt = _line_id(created, "SHIRT")
    shopify_sandbox.control.fulfil(order_id, lines=[{"line_item_id": shirt, "quantity": 2}])
    so = _so(netsuite_sandbox, order_id)
    _edit_in_netsuite(netsuite_sandbox, so["internalId"], lines=[(_so_line(so, shirt)["line"], 1)])

    run = run_flow(reverse, FLOW)
    assert run.failed == 0, run.error
    txn = _row(so["internalId"])
    assert txn.status == Status.REVIEW
    review = EditReview.objects.get(transaction=txn)
    assert review.direction == EditReview.Direction.TO_SHOPIFY
    assert review.state == EditReview.State.OPEN
    assert review.reason.startswith("Fulfilled lines cannot be reduced in Shopify: SHIRT")
    assert review.changes[0]["source_quantity"] == 1
    assert review.changes[0]["target_quantity"] == 2
    assert _edits(shopify_sandbox) == []
    assert _shopify_line(shopify_sandbox, order_id, "SHIRT")["current_quantity"] == 2
    # Seen again (a later delta run): the same review, nothing written.
    run_flow(reverse, FLOW)
    assert EditReview.objects.filter(transaction=txn).count() == 1
    assert _edits(shopify_sandbox) == []

    # Apply anyway: Shopify refuses (its userErrors), and the row says so.
    edit_reviews.apply_anyway(make_admin(), review.pk)
    run_post(txn.pk)
    txn.refresh_from_db()
    assert txn.status == Status.ERROR
    assert "Shopify refused orderEditSetQuantity" in txn.last_error
    assert "Fulfilled line items cannot be edited" in txn.last_error
    assert "orderEditCommit" not in _edits(shopify_sandbox)
    # The review is the person's to decide on again, with what went wrong.
    review.refresh_from_db()
    assert review.state == EditReview.State.OPEN
    assert review.resolution.startswith("Apply failed: Shopify refused orderEditSetQuantity")


def test_a_fulfilled_line_dismissed_stays_as_it_is(reverse, shopify_sandbox, netsuite_sandbox):
    created = _imported(reverse, shopify_sandbox, netsuite_sandbox)
    order_id = created["id"]
    shirt = _line_id(created, "SHIRT")
    shopify_sandbox.control.fulfil(order_id, lines=[{"line_item_id": shirt, "quantity": 2}])
    so = _so(netsuite_sandbox, order_id)
    _edit_in_netsuite(netsuite_sandbox, so["internalId"], lines=[(_so_line(so, shirt)["line"], 0)])
    run_flow(reverse, FLOW)
    review = EditReview.objects.get(direction=EditReview.Direction.TO_SHOPIFY)
    edit_reviews.dismiss(make_admin(), review.pk, "The customer keeps the shirts.")
    assert _row(so["internalId"]).status == Status.IGNORED
    run_flow(reverse, FLOW)  # seen again: the person decided on this version
    assert _row(so["internalId"]).status == Status.IGNORED
    assert _edits(shopify_sandbox) == []


def test_a_partly_fulfilled_line_reduced_goes_to_the_queue_not_to_shopify(
    reverse, shopify_sandbox, netsuite_sandbox
):
    created = _imported(reverse, shopify_sandbox, netsuite_sandbox)
    order_id = created["id"]
    shirt = _line_id(created, "SHIRT")
    # One of two shirts shipped: NetSuite asks for 1 (no fewer than fulfilled), but Shopify
    # edits only unfulfilled lines: a person decides (applying it anyway shows Shopify's
    # userErrors as the row's error, see the test above).
    shopify_sandbox.control.fulfil(order_id, lines=[{"line_item_id": shirt, "quantity": 1}])
    so = _so(netsuite_sandbox, order_id)
    _edit_in_netsuite(netsuite_sandbox, so["internalId"], lines=[(_so_line(so, shirt)["line"], 1)])

    run = run_flow(reverse, FLOW)
    assert run.failed == 0, run.error
    txn = _row(so["internalId"])
    assert txn.status == Status.REVIEW
    review = EditReview.objects.get(transaction=txn)
    assert "SHIRT has 1 unit(s) fulfilled" in review.reason
    assert _edits(shopify_sandbox) == []


def test_a_retry_after_a_failed_write_back_does_not_edit_shopify_twice(
    reverse, shopify_sandbox, netsuite_sandbox
):
    created = _imported(reverse, shopify_sandbox, netsuite_sandbox)
    order_id = created["id"]
    shopify_sandbox.control.request(
        "POST", "inventory/items", items=[{"sku": "CAP", "price": "8.00", "title": "Cap"}]
    )
    cap = netsuite_sandbox.control.items("CAP")[0]
    so = _so(netsuite_sandbox, order_id)
    shirt = _so_line(so, _line_id(created, "SHIRT"))["line"]
    _edit_in_netsuite(
        netsuite_sandbox, so["internalId"], lines=[(shirt, 3)], adds=[(cap["internalId"], 1, "8")]
    )
    # Shopify commits; then NetSuite refuses the write-back of the keys, tax and discount.
    netsuite_sandbox.control.fail_next(1, "auth", operation="update")

    run = run_flow(reverse, FLOW)
    assert run.failed == 1
    txn = _row(so["internalId"])
    assert txn.status == Status.ERROR
    committed = _edits(shopify_sandbox)
    assert committed.count("orderEditCommit") == 1
    assert _shopify_line(shopify_sandbox, order_id, "SHIRT")["current_quantity"] == 3

    actions.retry(make_admin(), txn.pk)
    run_post(txn.pk)
    txn.refresh_from_db()
    assert txn.status == Status.POSTED, txn.last_error
    assert _edits(shopify_sandbox) == committed  # read before write: no second edit
    lines = shopify_sandbox.control.order(order_id)["line_items"]
    assert [li["sku"] for li in lines].count("CAP") == 1
    cap_line = _shopify_line(shopify_sandbox, order_id, "CAP")
    _so_line(_so(netsuite_sandbox, order_id), str(cap_line["id"]))  # keyed now
    _totals_equal(shopify_sandbox, netsuite_sandbox, order_id)
    # And the next delta run finds its own write: nothing more.
    assert run_flow(reverse, FLOW).posted == 0
    assert _edits(shopify_sandbox) == committed


def test_a_review_is_superseded_when_netsuite_goes_back_to_the_synced_state(
    reverse, shopify_sandbox, netsuite_sandbox
):
    created = _imported(reverse, shopify_sandbox, netsuite_sandbox)
    order_id = created["id"]
    assert run_flow(reverse, FLOW).posted == 0  # in sync: the state is remembered
    shirt = _line_id(created, "SHIRT")
    shopify_sandbox.control.fulfil(order_id, lines=[{"line_item_id": shirt, "quantity": 2}])
    so = _so(netsuite_sandbox, order_id)
    line = _so_line(so, shirt)["line"]
    _edit_in_netsuite(netsuite_sandbox, so["internalId"], lines=[(line, 1)])
    run_flow(reverse, FLOW)
    review = EditReview.objects.get(direction=EditReview.Direction.TO_SHOPIFY)
    assert review.state == EditReview.State.OPEN

    _edit_in_netsuite(netsuite_sandbox, so["internalId"], lines=[(line, 2)])
    run_flow(reverse, FLOW)
    review.refresh_from_db()
    assert review.state == EditReview.State.SUPERSEDED
    txn = _row(so["internalId"])
    assert txn.status == Status.SKIPPED
    assert _edits(shopify_sandbox) == []


def test_an_item_shopify_does_not_sell_needs_a_person(reverse, shopify_sandbox, netsuite_sandbox):
    created = _imported(reverse, shopify_sandbox, netsuite_sandbox)
    order_id = created["id"]
    hat = netsuite_sandbox.control.items("HAT-NOT-IN-SHOPIFY")[0]
    so = _so(netsuite_sandbox, order_id)
    _edit_in_netsuite(netsuite_sandbox, so["internalId"], adds=[(hat["internalId"], 1, "9")])

    run = run_flow(reverse, FLOW)
    assert run.failed == 1
    txn = _row(so["internalId"])
    assert txn.status == Status.ERROR
    assert "SKU HAT-NOT-IN-SHOPIFY was added to the sales order in NetSuite" in txn.last_error
    assert _edits(shopify_sandbox) == []


def test_sales_orders_not_from_shopify_are_ignored_without_a_row(
    reverse, shopify_sandbox, netsuite_sandbox
):
    _imported(reverse, shopify_sandbox, netsuite_sandbox)
    customer = netsuite_sandbox.control.customer(companyName="Walk-in", email="w@example.com")
    netsuite_sandbox.control.sales_order(customer["internalId"], [{"sku": "MUG", "quantity": 4}])

    run = run_flow(reverse, FLOW)
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.skip_reasons.get("Not an order synced from Shopify.") == 1
    assert not Transaction.objects.filter(kind=Kind.ORDER_EDIT, source_channel="netsuite")
    assert _edits(shopify_sandbox) == []
