"""Every GraphQL document the client sends validates against the published 2026-10 schema."""

import pytest
from django.conf import settings
from graphql import parse, validate

from connector.shopify.documents import load_operation, operation_names
from sandbox.shopify.schema import load_schema


@pytest.fixture(scope="module")
def admin_schema():
    return load_schema("2026-10", str(settings.CONTRACTS_DIR))


def test_there_is_an_operation_for_every_flow():
    expected = {
        "shop",
        "ordersUpdatedSince",
        "ordersCancelledSince",
        "order",
        "orderByName",
        "orderCancel",
        "refundCreate",
        "fulfillmentCreate",
        "inventorySetQuantities",
        "orderEditBegin",
        "orderEditSetQuantity",
        "orderEditAddVariant",
        "orderEditCommit",
        "orderMarkAsPaid",
        "companies",
        "webhookSubscriptionCreate",
    }
    assert expected <= set(operation_names())


@pytest.mark.parametrize("name", operation_names())
def test_operation_validates_against_the_real_schema(admin_schema, name):
    errors = validate(admin_schema, parse(load_operation(name).text))
    assert errors == [], [e.message for e in errors]


def test_refund_and_inventory_documents_carry_the_idempotency_key():
    assert load_operation("refundCreate").idempotent
    assert load_operation("inventorySetQuantities").idempotent
    assert load_operation("refundCreate").is_mutation
    assert not load_operation("order").is_mutation
    assert not load_operation("orderCancel").idempotent


def test_a_wrong_document_is_caught_by_the_same_validation(admin_schema):
    errors = validate(
        admin_schema, parse("mutation { orderCancel(orderId: 1, reason: OTHER) { job { id } } }")
    )
    assert any("restock" in e.message for e in errors)
