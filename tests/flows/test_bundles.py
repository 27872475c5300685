"""Bundles become their components: the lookup from the admins' table, and the allocation of
the bundle line's amount and tax across the components (to the cent, always adding up)."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from connector.models import BundleComponent
from flows.bundles import Component, allocate, components_for, explode
from tests.factories import make_admin, make_connector

D = Decimal


def bundle_line(**overrides):
    line = {
        "key": "1001",
        "sku": "GIFT-BOX",
        "quantity": 1,
        "amount": D("10.00"),
        "tax": D("0.80"),
        "description": "Gift box",
    }
    line.update(overrides)
    return line


THREE_EQUAL = (Component("A", 1, D(1)), Component("B", 1, D(1)), Component("C", 1, D(1)))


# -- explode: the allocation -----------------------------------------------------------------
def test_three_equal_components_share_an_odd_cent_amount_and_add_up_exactly():
    lines = explode(bundle_line(amount=D("10.00"), tax=D("0.80")), THREE_EQUAL)
    assert [line["amount"] for line in lines] == [D("3.34"), D("3.33"), D("3.33")]
    assert [line["tax"] for line in lines] == [D("0.27"), D("0.27"), D("0.26")]
    assert sum(line["amount"] for line in lines) == D("10.00")
    assert sum(line["tax"] for line in lines) == D("0.80")


def test_unequal_weights_and_quantities_share_by_weight_times_quantity():
    components = (
        Component("CAP-NAVY", 1, D("20")),  # 20 of 50
        Component("SOCKS-3PK", 3, D("10")),  # 30 of 50
    )
    lines = explode(bundle_line(quantity=2, amount=D("45.01"), tax=D("3.61")), components)
    assert [(line["sku"], line["quantity"]) for line in lines] == [
        ("CAP-NAVY", 2),
        ("SOCKS-3PK", 6),
    ]
    # 45.01 × 0.4 = 18.004, × 0.6 = 27.006: the left-over cent goes to the larger remainder.
    assert [line["amount"] for line in lines] == [D("18.00"), D("27.01")]
    # 3.61 × 0.4 = 1.444, × 0.6 = 2.166
    assert [line["tax"] for line in lines] == [D("1.44"), D("2.17")]


def test_one_cent_over_three_components_goes_to_the_first_on_a_tie():
    lines = explode(bundle_line(amount=D("0.01"), tax=D("0.02")), THREE_EQUAL)
    assert [line["amount"] for line in lines] == [D("0.01"), D("0.00"), D("0.00")]
    assert [line["tax"] for line in lines] == [D("0.01"), D("0.01"), D("0.00")]


def test_lines_carry_keys_skus_and_descriptions_that_name_the_bundle():
    lines = explode(bundle_line(key="9001", location="7"), THREE_EQUAL)
    assert [line["key"] for line in lines] == ["9001:A", "9001:B", "9001:C"]
    assert [line["description"] for line in lines] == [
        "A (bundle GIFT-BOX)",
        "B (bundle GIFT-BOX)",
        "C (bundle GIFT-BOX)",
    ]
    assert all(line["location"] == "7" for line in lines)  # other keys pass through
    assert set(lines[0]) == {"key", "sku", "quantity", "amount", "tax", "description", "location"}


def test_quantity_zero_gives_zero_components_to_update_the_lines_written_before():
    lines = explode(bundle_line(quantity=0, amount=D("0.00"), tax=D("0.00")), THREE_EQUAL)
    assert [(line["key"], line["quantity"], line["amount"], line["tax"]) for line in lines] == [
        ("1001:A", 0, D("0.00"), D("0.00")),
        ("1001:B", 0, D("0.00"), D("0.00")),
        ("1001:C", 0, D("0.00"), D("0.00")),
    ]


def test_a_zero_amount_bundle_gives_zero_amounts_not_negative_ones():
    lines = explode(bundle_line(amount=D("0"), tax=D("0")), THREE_EQUAL)
    assert [line["amount"] for line in lines] == [D("0.00")] * 3


@pytest.mark.parametrize(
    ("total", "weights"),
    [
        ("0.07", ["1", "1", "1"]),
        ("99.99", ["3", "0.0001", "7.5"]),
        ("1234.56", ["0.3333", "0.3333", "0.3334"]),
        ("0.01", ["1", "1000000"]),
        ("10.00", ["1", "1", "1", "1", "1", "1", "1"]),
    ],
)
def test_parts_always_add_up_and_are_never_negative(total, weights):
    parts = allocate(D(total), [D(w) for w in weights])
    assert sum(parts) == D(total)
    assert all(part >= 0 for part in parts)
    assert all(part == part.quantize(D("0.01")) for part in parts)


def test_a_negative_total_keeps_its_sign_in_every_part():
    parts = allocate(D("-0.05"), [D(1), D(2)])
    assert parts == [D("-0.02"), D("-0.03")]


def test_the_allocation_is_deterministic():
    components = (Component("A", 2, D("3.3")), Component("B", 1, D("6.6")))
    first = explode(bundle_line(amount=D("10.01")), components)
    assert all(explode(bundle_line(amount=D("10.01")), components) == first for _ in range(5))


def test_a_currency_with_other_minor_units_is_split_in_its_own_units():
    parts = allocate(D("1.001"), [D(1), D(1)], unit=D("0.001"))
    assert parts == [D("0.501"), D("0.500")]
    assert allocate(D("1000"), [D(1)] * 3, unit=D(1)) == [D(334), D(333), D(333)]


def test_amounts_finer_than_the_unit_are_refused_not_rounded():
    with pytest.raises(ValueError, match="not a whole number"):
        explode(bundle_line(amount=D("10.005")), THREE_EQUAL)


@pytest.mark.parametrize("quantity", [-1, 1.5, True])
def test_a_bundle_quantity_must_be_a_whole_number_not_below_zero(quantity):
    with pytest.raises(ValueError, match="quantity"):
        explode(bundle_line(quantity=quantity), THREE_EQUAL)


def test_a_bundle_without_components_is_refused():
    with pytest.raises(ValueError, match="no components"):
        explode(bundle_line(), ())


@pytest.mark.parametrize(
    ("sku", "quantity", "weight"),
    [("", 1, D(1)), ("A", 0, D(1)), ("A", -2, D(1)), ("A", 1, D(0)), ("A", 1, D("-1"))],
)
def test_components_must_have_a_sku_a_positive_quantity_and_weight(sku, quantity, weight):
    with pytest.raises(ValueError):
        Component(sku, quantity, weight)


# -- components_for: the lookup --------------------------------------------------------------
@pytest.mark.django_db
def test_components_for_names_only_the_bundles_in_one_query():
    connector = make_connector(make_admin())
    other = make_connector(make_admin())
    for bundle, component, quantity, weight in (
        ("GIFT-BOX", "MUG-LOGO", 1, "12.00"),
        ("GIFT-BOX", "CAP-NAVY", 2, "19.50"),
        ("SOCK-SET", "SOCKS-3PK", 3, "1"),
    ):
        BundleComponent.objects.create(
            connector=connector,
            bundle_sku=bundle,
            component_sku=component,
            quantity=quantity,
            price_weight=D(weight),
        )
    BundleComponent.objects.create(connector=other, bundle_sku="TSHIRT-BLK-M", component_sku="X")

    with CaptureQueriesContext(connection) as queries:
        found = components_for(connector, {"GIFT-BOX", "TSHIRT-BLK-M", "SOCK-SET", ""})
    assert len(queries.captured_queries) == 1
    assert found == {
        "GIFT-BOX": (
            Component("CAP-NAVY", 2, D("19.5")),  # in SKU order, whatever order they were added
            Component("MUG-LOGO", 1, D("12")),
        ),
        "SOCK-SET": (Component("SOCKS-3PK", 3, D(1)),),
    }


@pytest.mark.django_db
def test_components_for_nothing_asks_nothing():
    connector = make_connector(make_admin())
    with CaptureQueriesContext(connection) as queries:
        assert components_for(connector, set()) == {}
        assert components_for(connector, {"NOT-A-BUNDLE"}) == {}
    assert len(queries.captured_queries) == 1
