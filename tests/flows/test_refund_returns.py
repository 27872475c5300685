"""Issue 13, returns: a Shopify refund written to NetSuite puts each item back in stock where
Shopify restocked it (the mapped NetSuite location, else the sales order line's), never
restocks what Shopify did not, and with the option on writes a Return Authorization first.
Both sandboxes over real HTTP; the NetSuite sandbox keeps stock per location."""

from datetime import timedelta
from decimal import Decimal

import pytest

from connector import external_ids
from connector.models import Binding, LocationMapping, RefundSyncDirection
from transactions import actions
from transactions.models import Channel, Kind, Status, Transaction

from .conftest import run_flow, set_options

pytestmark = pytest.mark.django_db(transaction=True)

TO_NETSUITE = RefundSyncDirection.SHOPIFY_TO_NETSUITE
SELLABLE, EAST, SPARE, DAMAGED = "5", "7", "8", "9"  # NetSuite locations


class Returns:
    """One order synced to NetSuite with its lines at the SELLABLE location, billed; NetSuite
    stock per location; two Shopify locations (Main, East) and the connector's map."""

    def __init__(self, connector, seed003, shopify_sandbox, netsuite_sandbox, bill_as):
        self.connector = connector
        self.shopify = shopify_sandbox
        self.netsuite = netsuite_sandbox
        inventory = shopify_sandbox.control.request("GET", "inventory")
        self.main = str(inventory["locations"][0]["id"])
        self.east = str(shopify_sandbox.control.request("POST", "locations", name="East")["id"])
        self.order = seed003.order()
        sales_order = seed003.synced(connector, self.order)
        self.sales_order_id = sales_order["internalId"]
        seed003.ns.post(
            f"sales-orders/{self.sales_order_id}/edit-lines",
            {
                "lines": [
                    {"sku": "TSHIRT-BLK-M", "quantity": 2, "rate": 25, "location": SELLABLE},
                    {"sku": "CAP-NAVY", "quantity": 1, "rate": 19.5, "location": SELLABLE},
                ]
            },
        )
        netsuite_sandbox.control.post(
            "inventory-items",
            {
                "items": [
                    {
                        "sku": sku,
                        "locations": [
                            {"location": SELLABLE, "available": 10},
                            {"location": EAST, "available": 3},
                        ],
                    }
                    for sku in ("TSHIRT-BLK-M", "CAP-NAVY")
                ]
            },
        )
        seed003.ns.post(f"sales-orders/{self.sales_order_id}/bill", {"as": bill_as})
        self.refund_type = "cashRefund" if bill_as == "cashSale" else "creditMemo"

    def map(self, **pairs):
        """NetSuite location -> Shopify location (legacy ids)."""
        for netsuite_id, shopify_id in pairs.items():
            LocationMapping.objects.create(
                connector=self.connector,
                netsuite_location_id=netsuite_id.lstrip("_"),
                shopify_location_id=shopify_id,
            )

    def refund(self, *lines, amount="suggested"):
        """Shopify refunds lines: (sku, quantity, restock type, Shopify location or None)."""
        by_sku = {li["sku"]: li for li in self.order["line_items"]}
        self.shopify.control.refund(
            self.order["id"],
            amount=amount,
            lines=[
                {
                    "line_item_id": by_sku[sku]["id"],
                    "quantity": quantity,
                    "restock_type": restock,
                    "location_id": location,
                }
                for sku, quantity, restock, location in lines
            ],
        )

    def stock(self, sku) -> dict[str, Decimal]:
        """NetSuite on-hand quantity per location of the item."""
        (item,) = [
            r
            for r in self.netsuite.control.records("inventoryItem")
            if r["fields"]["itemId"] == sku
        ]
        return {
            row["locationId"]["internalId"]: Decimal(row["quantityOnHand"])
            for row in item["fields"].get("locationsList") or []
        }

    def credit(self, txn) -> dict:
        (record,) = self.netsuite.control.records(
            self.refund_type, externalId=external_ids.refund(txn.source_id)
        )
        return record

    def authorizations(self) -> list[dict]:
        return self.netsuite.control.records("returnAuthorization")


@pytest.fixture(params=["cashSale", "invoice"])
def returns(request, wired_connector, seed003, shopify_sandbox, netsuite_sandbox):
    connector = wired_connector(TO_NETSUITE)
    return Returns(connector, seed003, shopify_sandbox, netsuite_sandbox, request.param)


def _row() -> Transaction:
    return Transaction.objects.get(kind=Kind.REFUND, source_channel=Channel.SHOPIFY)


def _posted(returns) -> Transaction:
    run = run_flow(returns.connector, "refund_to_netsuite")
    assert run.posted == 1, (run.error, run.skip_reasons)
    txn = _row()
    assert txn.status == Status.POSTED
    return txn


def _item_lines(record) -> list[dict]:
    return [li for li in record["fields"]["itemList"] if li.get("quantity")]


def _timeline(txn) -> str:
    return " ".join(txn.events.values_list("message", flat=True))


# -- restock at the mapped location ------------------------------------------------------------


def test_returned_item_goes_back_at_the_location_mapped_from_shopifys(returns):
    returns.map(_5=returns.main, _7=returns.east)
    returns.refund(("CAP-NAVY", 1, "RETURN", returns.east))
    txn = _posted(returns)

    record = returns.credit(txn)
    (line,) = _item_lines(record)
    assert line["location"]["internalId"] == EAST
    assert Decimal(record["fields"]["total"]) == Decimal("19.50") == txn.amount
    # NetSuite put the cap back at East only.
    assert returns.stock("CAP-NAVY") == {SELLABLE: 10, EAST: 4}
    assert returns.stock("TSHIRT-BLK-M") == {SELLABLE: 10, EAST: 3}
    assert f"mapped to NetSuite location {EAST}" in _timeline(txn)
    assert txn.payload["lines"][0]["location_id"] == returns.east


def test_several_netsuite_locations_on_one_shopify_location_prefer_the_order_lines(returns):
    returns.map(_8=returns.main, _5=returns.main)
    returns.refund(("TSHIRT-BLK-M", 2, "CANCEL", returns.main))
    txn = _posted(returns)
    (line,) = _item_lines(returns.credit(txn))
    assert line["location"]["internalId"] == SELLABLE
    assert returns.stock("TSHIRT-BLK-M")[SELLABLE] == 12
    assert "the sales order line's, one of those mapped" in _timeline(txn)


def test_unmapped_shopify_location_falls_back_to_the_sales_order_line(returns):
    returns.map(_7=returns.east)  # Main is not mapped
    returns.refund(("CAP-NAVY", 1, "RETURN", returns.main))
    txn = _posted(returns)
    (line,) = _item_lines(returns.credit(txn))
    assert line["location"]["internalId"] == SELLABLE
    assert returns.stock("CAP-NAVY") == {SELLABLE: 11, EAST: 3}
    timeline = _timeline(txn)
    assert f"Shopify location {returns.main} is not mapped" in timeline
    assert f"sales order line's NetSuite location {SELLABLE}" in timeline


# -- not restocked -------------------------------------------------------------------------------


def test_no_restock_moves_no_stock_and_copies_the_money(returns):
    returns.map(_5=returns.main)
    returns.refund(("CAP-NAVY", 1, "RETURN", returns.main), ("TSHIRT-BLK-M", 1, "NO_RESTOCK", None))
    txn = _posted(returns)
    record = returns.credit(txn)
    assert Decimal(record["fields"]["total"]) == Decimal("44.50") == txn.amount
    (restocked,) = _item_lines(record)
    assert restocked["location"]["internalId"] == SELLABLE
    (adjustment,) = [
        li for li in record["fields"]["itemList"] if "not restocked" in li.get("description", "")
    ]
    assert Decimal(adjustment["amount"]) == Decimal("25.00")
    assert adjustment["description"].startswith("TSHIRT-BLK-M ×1")
    assert returns.stock("TSHIRT-BLK-M") == {SELLABLE: 10, EAST: 3}  # not put back
    assert returns.stock("CAP-NAVY") == {SELLABLE: 11, EAST: 3}
    assert "no stock goes back" in _timeline(txn)


def test_no_restock_at_the_not_restocked_location(returns):
    set_options(returns.connector, netsuite_no_restock_location_id=DAMAGED)
    returns.refund(("TSHIRT-BLK-M", 2, "NO_RESTOCK", None))
    txn = _posted(returns)
    (line,) = _item_lines(returns.credit(txn))
    assert line["location"]["internalId"] == DAMAGED
    assert Decimal(line["quantity"]) == 2
    assert returns.stock("TSHIRT-BLK-M") == {SELLABLE: 10, EAST: 3, DAMAGED: 2}
    assert f"“not restocked” NetSuite location {DAMAGED}" in _timeline(txn)


def test_not_restocked_location_mapped_to_shopify_is_refused_and_nothing_written(returns):
    returns.map(_9=returns.east)
    set_options(returns.connector, netsuite_no_restock_location_id=DAMAGED)
    returns.refund(("TSHIRT-BLK-M", 1, "NO_RESTOCK", None))
    run = run_flow(returns.connector, "refund_to_netsuite")
    assert run.posted == 0
    txn = _row()
    assert txn.status == Status.ERROR and txn.next_attempt_at is None
    assert f"mapped to Shopify location {returns.east}" in txn.last_error
    assert returns.netsuite.control.records(returns.refund_type) == []


def test_no_restock_without_adjustment_item_or_location_asks_a_person(returns):
    set_options(returns.connector, netsuite_adjustment_item_id="")
    returns.refund(("CAP-NAVY", 1, "NO_RESTOCK", None))
    run_flow(returns.connector, "refund_to_netsuite")
    txn = _row()
    assert txn.status == Status.ERROR
    assert "set the “not restocked” location" in txn.last_error
    assert returns.netsuite.control.records(returns.refund_type) == []


# -- Return Authorization ------------------------------------------------------------------------


def test_return_authorization_is_off_by_default(returns):
    returns.map(_5=returns.main)
    returns.refund(("CAP-NAVY", 1, "RETURN", returns.main))
    txn = _posted(returns)
    assert returns.authorizations() == []
    record = returns.credit(txn)
    bill_type = "CashSale" if returns.refund_type == "cashRefund" else "Invoice"
    (bill,) = [
        r
        for r in returns.netsuite.control.records(bill_type[0].lower() + bill_type[1:])
        if r["fields"]["createdFrom"]["internalId"] == returns.sales_order_id
    ]
    assert record["fields"]["createdFrom"]["internalId"] == bill["internalId"]


def test_return_authorization_first_then_the_credit_from_it(returns):
    set_options(returns.connector, create_return_authorization=True)
    returns.map(_7=returns.east)
    returns.refund(("TSHIRT-BLK-M", 2, "RETURN", returns.east))
    txn = _posted(returns)

    (ra,) = returns.authorizations()
    assert ra["externalId"] == external_ids.return_authorization(txn.source_id)
    assert ra["fields"]["createdFrom"]["internalId"] == returns.sales_order_id
    assert ra["fields"]["orderStatus"] == "_pendingReceipt"
    (ra_line,) = _item_lines(ra)
    assert Decimal(ra_line["quantity"]) == 2 and Decimal(ra_line["amount"]) == Decimal("50.00")
    assert ra_line["location"]["internalId"] == EAST

    record = returns.credit(txn)
    assert record["fields"]["createdFrom"]["internalId"] == ra["internalId"]
    assert Decimal(record["fields"]["total"]) == Decimal("50.00") == txn.amount
    # The RA moves no stock; the credit made from it puts the two shirts back once, at East.
    assert returns.stock("TSHIRT-BLK-M") == {SELLABLE: 10, EAST: 5}
    bound = Binding.objects.get(connector=returns.connector, kind="return_authorization")
    assert (bound.shopify_id, bound.netsuite_id) == (txn.source_id, ra["internalId"])
    assert f"Return authorization {ra['internalId']} written first." in _timeline(txn)

    # Run again: nothing new in NetSuite.
    assert run_flow(returns.connector, "refund_to_netsuite").posted == 0
    assert len(returns.authorizations()) == 1
    assert len(returns.netsuite.control.records(returns.refund_type)) == 1


def test_return_authorization_is_not_written_twice_when_the_credit_fails(returns):
    """The RA is written, the credit is refused (no adjustment item for the line not
    restocked); after the person fixes the setting, Retry uses the same RA."""
    set_options(returns.connector, create_return_authorization=True, netsuite_adjustment_item_id="")
    returns.refund(("CAP-NAVY", 1, "RETURN", None), ("TSHIRT-BLK-M", 1, "NO_RESTOCK", None))
    run_flow(returns.connector, "refund_to_netsuite")
    txn = _row()
    assert txn.status == Status.ERROR, txn.status_reason
    (ra,) = returns.authorizations()
    assert returns.netsuite.control.records(returns.refund_type) == []

    set_options(returns.connector, netsuite_no_restock_location_id=DAMAGED)
    actions.retry(None, txn)
    txn.refresh_from_db()
    assert txn.status == Status.POSTED, txn.last_error
    assert [r["internalId"] for r in returns.authorizations()] == [ra["internalId"]]
    record = returns.credit(txn)
    assert record["fields"]["createdFrom"]["internalId"] == ra["internalId"]
    assert Decimal(record["fields"]["total"]) == Decimal("44.50") == txn.amount
    assert "written by an earlier attempt" in _timeline(txn)


def test_return_authorization_answer_lost_is_not_written_twice(returns):
    set_options(returns.connector, create_return_authorization=True)
    returns.refund(("CAP-NAVY", 1, "RETURN", None))
    # NetSuite commits the RA and the connection drops before the answer.
    returns.netsuite.control.timeout_after_commit(count=1, mode="drop")
    run_flow(returns.connector, "refund_to_netsuite")
    txn = _row()
    if txn.status != Status.POSTED:  # an Error due for retry: the sweeper posts it
        assert txn.next_attempt_at is not None, txn.last_error
        actions.sweep_stuck_posts(now=txn.next_attempt_at + timedelta(seconds=1))
        txn.refresh_from_db()
    assert txn.status == Status.POSTED, txn.last_error
    assert len(returns.authorizations()) == 1
    assert len(returns.netsuite.control.records(returns.refund_type)) == 1


def test_refund_that_is_not_a_return_writes_no_return_authorization(returns):
    set_options(returns.connector, create_return_authorization=True)
    returns.refund(("CAP-NAVY", 1, "NO_RESTOCK", None), ("TSHIRT-BLK-M", 1, "CANCEL", None))
    txn = _posted(returns)
    assert returns.authorizations() == []
    assert Decimal(returns.credit(txn)["fields"]["total"]) == Decimal("44.50")


def test_reconciliation_counts_the_credit_made_from_a_return_authorization_once(returns):
    from reconciliation.models import Variance
    from reconciliation.run import reconcile

    set_options(returns.connector, create_return_authorization=True)
    returns.refund(("CAP-NAVY", 1, "RETURN", None))
    _posted(returns)
    assert len(returns.authorizations()) == 1
    run = reconcile(returns.connector, 90)
    assert run.orders_checked == 1
    # Found (no "missing in NetSuite"), and the RA is not a second refund (no "duplicate").
    assert list(Variance.objects.values_list("kind", "record")) == []
