"""The fulfilment flow's pure rules: tracking from the four package lists, line matching,
which fulfilments are ours, and allocation to fulfillment orders."""

from types import SimpleNamespace as NS

import pytest

from flows.fulfilment import mapping
from flows.sync import NeedsPerson


def _record(**lists):
    return NS(shipMethod=None, **lists)


def test_packages_from_all_four_lists_without_repeats():
    record = _record(
        packageList=NS(package=[NS(packageTrackingNumber="G1"), NS(packageTrackingNumber="")]),
        packageUpsList=NS(packageUps=[NS(packageTrackingNumberUps="U1")]),
        packageFedExList=NS(packageFedEx=[NS(packageTrackingNumberFedEx="U1")]),
        packageUspsList=None,
    )
    found = mapping.packages(record)
    assert [(p.number, p.company) for p in found] == [("G1", None), ("U1", "UPS")]
    # One package has no address: no urls at all, the first carrier named.
    assert mapping.tracking_input(found) == {"numbers": ["G1", "U1"], "company": "UPS"}
    assert mapping.tracking_input([]) is None


def _order(*skus):
    return {
        "name": "#1001",
        "lineItems": {"nodes": [{"id": f"L{i}", "sku": s} for i, s in enumerate(skus, 1)]},
    }


def test_line_matching_prefers_the_order_line_position_among_same_sku_lines():
    order = _order("A", "B", "A")
    lines = [mapping.FulfilmentLine(3, "10", 1, "5"), mapping.FulfilmentLine(9, "10", 1, None)]
    wanted = mapping.match_lines(
        lines, order, {"10": "A"}, {"5": "gid://shopify/Location/1"}, label="IF"
    )
    assert [(w.line_item_id, w.location_id) for w in wanted] == [
        ("L3", "gid://shopify/Location/1"),
        ("L1", None),
    ]
    with pytest.raises(NeedsPerson, match=r"SKU C .* is not a line of Shopify order #1001"):
        mapping.match_lines(
            [mapping.FulfilmentLine(1, "11", 1, None)], order, {"11": "C"}, {}, label="IF"
        )
    with pytest.raises(NeedsPerson, match="has no SKU the connector knows"):
        mapping.match_lines([mapping.FulfilmentLine(1, "12", 1, None)], order, {}, {}, label="IF")


def _fulfilment(legacy, numbers=(), lines=(), created="2026-01-01T00:00:05Z"):
    return {
        "legacyResourceId": legacy,
        "status": "SUCCESS",
        "createdAt": created,
        "trackingInfo": [{"number": n} for n in numbers],
        "fulfillmentLineItems": {
            "nodes": [{"quantity": q, "lineItem": {"id": line}} for line, q in lines]
        },
    }


def test_ours_by_binding_tracking_or_untracked_lines_made_after():
    wanted = [mapping.Wanted("L1", "A", 2, None)]
    fulfilments = [
        _fulfilment("1", lines=[("L1", 1)]),  # bound to us
        _fulfilment("2", numbers=["Z"], lines=[("L1", 1)]),  # our tracking number
        _fulfilment("3", lines=[("L1", 1)], created="2025-12-31T00:00:00Z"),  # before the IF
        _fulfilment("4", lines=[("L1", 1)]),  # bound to another item fulfillment
    ]
    found = mapping.ours(
        fulfilments,
        bound={"1"},
        bound_elsewhere={"4"},
        numbers=["Z"],
        wanted=wanted,
        created_after="2026-01-01T00:00:00Z",
    )
    assert [f["legacyResourceId"] for f in found] == ["1", "2"]
    untracked = mapping.ours(
        [*fulfilments[2:], _fulfilment("5", lines=[("L1", 2)])],
        bound=set(),
        bound_elsewhere={"4"},
        numbers=[],
        wanted=wanted,
        created_after="2026-01-01T00:00:00Z",
    )
    assert [f["legacyResourceId"] for f in untracked] == ["5"]
    assert mapping.left_to_send(wanted, untracked) == []
    assert mapping.left_to_send(wanted, found[:1]) == [mapping.Wanted("L1", "A", 1, None)]


def _fo(fo_id, location, status="OPEN", **remaining):
    return {
        "id": fo_id,
        "status": status,
        "assignedLocation": {"location": {"id": location}},
        "fulfillmentHolds": [{"displayReason": "Incorrect address"}] if status == "ON_HOLD" else [],
        "lineItems": {
            "nodes": [
                {"id": f"{fo_id}-{line}", "remainingQuantity": q, "lineItem": {"id": line}}
                for line, q in remaining.items()
            ]
        },
    }


def test_allocation_prefers_the_mapped_location_and_groups_per_location():
    order = {
        "name": "#1",
        "fulfillmentOrders": {"nodes": [_fo("F1", "LOC1", L1=1), _fo("F2", "LOC2", L1=2, L2=1)]},
    }
    plan = mapping.allocate(
        [mapping.Wanted("L1", "A", 2, "LOC2"), mapping.Wanted("L2", "B", 1, None)],
        order,
        label="IF",
    )
    assert plan == {
        "LOC2": [
            {
                "fulfillmentOrderId": "F2",
                "fulfillmentOrderLineItems": [
                    {"id": "F2-L1", "quantity": 2},
                    {"id": "F2-L2", "quantity": 1},
                ],
            }
        ]
    }


def test_allocation_errors_name_the_hold_or_the_quantity_left():
    held = {"name": "#1", "fulfillmentOrders": {"nodes": [_fo("F1", "LOC1", "ON_HOLD", L1=2)]}}
    with pytest.raises(NeedsPerson, match=r"on hold \(Incorrect address\): release the hold"):
        mapping.allocate([mapping.Wanted("L1", "A", 1, None)], held, label="IF")
    short = {"name": "#1", "fulfillmentOrders": {"nodes": [_fo("F1", "LOC1", L1=1)]}}
    with pytest.raises(NeedsPerson, match=r"IF ships 3 of SKU A, but .* only 1 left"):
        mapping.allocate([mapping.Wanted("L1", "A", 3, None)], short, label="IF")


def test_an_order_larger_than_one_read_is_named():
    assert mapping.too_large({"lineItems": {"pageInfo": {"hasNextPage": False}}}) is None
    assert mapping.too_large({"lineItems": {"pageInfo": {"hasNextPage": True}}}) == "50 lines"
    assert (
        mapping.too_large({"fulfillmentOrders": {"pageInfo": {"hasNextPage": True}}})
        == "10 fulfillment orders"
    )
