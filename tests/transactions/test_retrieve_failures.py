"""Every way a retrieve fails says what to do, in the dialog's and the API's words."""

import pytest

from connector.models import RefundSyncDirection
from transactions import actions
from transactions.errors import RetrieveError
from transactions.models import Transaction

pytestmark = pytest.mark.django_db(transaction=True)


def _fails(connector, source, order_id) -> RetrieveError:
    with pytest.raises(RetrieveError) as info:
        actions.retrieve(None, connector, source, order_id)
    return info.value


def test_order_never_synced(wired_connector, seed003):
    connector = wired_connector()
    seed003.order()  # exists in Shopify, but the connector never synced it
    error = _fails(connector, "netsuite", "#1001")
    assert error.status_code == 404
    assert "Make sure the order ID is an order the connector has previously synced to NetSuite" in (
        error.message
    )


def test_order_not_billed(wired_connector, seed003):
    connector = wired_connector()
    order = seed003.order()
    seed003.synced(connector, order)
    error = _fails(connector, "netsuite", order["name"])
    assert error.status_code == 400
    assert f"Order {order['name']} is not billed in NetSuite yet" in error.message


def test_billed_but_no_refund_in_netsuite(wired_connector, seed003):
    connector = wired_connector()
    order = seed003.order()
    sales_order = seed003.synced(connector, order)
    seed003.ns.post(f"sales-orders/{sales_order['internalId']}/bill", {"as": "invoice"})
    error = _fails(connector, "netsuite", order["name"])
    assert error.status_code == 404
    assert "has no cash refund or credit memo generated from its billed record (invoice" in (
        error.message
    )


def test_no_refund_in_shopify(wired_connector, seed003):
    connector = wired_connector(RefundSyncDirection.SHOPIFY_TO_NETSUITE)
    order = seed003.order()
    seed003.synced(connector, order)
    error = _fails(connector, "shopify", order["name"])
    assert error.status_code == 404
    assert f"Order {order['name']} has no refund in Shopify" in error.message


@pytest.mark.parametrize(
    ("direction", "source"),
    [
        (RefundSyncDirection.NETSUITE_TO_SHOPIFY, "shopify"),
        (RefundSyncDirection.SHOPIFY_TO_NETSUITE, "netsuite"),
        (RefundSyncDirection.NONE, "netsuite"),
    ],
)
def test_refund_direction_does_not_allow_source(wired_connector, seed003, direction, source):
    connector = wired_connector(direction)
    order = seed003.order()
    seed003.synced(connector, order)
    error = _fails(connector, source, order["name"])
    assert error.status_code == 400
    assert "refund sync direction is" in error.message
    assert "cannot be retrieved from" in error.message
    assert not Transaction.objects.filter(kind="refund").exists()
