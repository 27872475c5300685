"""Every flow the panel knows, declared by its own package (`flows/<flow>/__init__.py`).

Adding a flow is one package and one line here: models keep the flow's API name as plain
text (no choices, no migration), and webhook topics come from the declarations.
"""

from __future__ import annotations

from . import (
    company_to_netsuite,
    fulfilment,
    inventory,
    netsuite_cancellation,
    order_edit_to_netsuite,
    order_edit_to_shopify,
    order_import,
    payment_to_shopify,
    payout_to_netsuite,
    product_to_shopify,
    refunds,
    shopify_cancellation,
)
from .base import DIRECTION_LABELS, Flow

FLOWS: dict[str, Flow] = {
    flow.name: flow
    for flow in [
        order_import.FLOW,
        netsuite_cancellation.FLOW,
        shopify_cancellation.FLOW,
        order_edit_to_netsuite.FLOW,
        order_edit_to_shopify.FLOW,
        refunds.TO_SHOPIFY,
        refunds.TO_NETSUITE,
        fulfilment.FLOW,
        inventory.FLOW,
        product_to_shopify.FLOW,
        payment_to_shopify.FLOW,
        payout_to_netsuite.FLOW,
        company_to_netsuite.FLOW,
    ]
}

# The channel a flow reads from, by its direction.
SOURCE_OF = {"shopify_to_netsuite": "shopify", "netsuite_to_shopify": "netsuite"}


def flows_in_section(section: str) -> list[Flow]:
    return [flow for flow in FLOWS.values() if flow.settings_section == section]


def flow_for(kind: str, source_channel: str) -> Flow | None:
    """The flow that posts a transaction of this kind from this channel."""
    for flow in FLOWS.values():
        if flow.kind == kind and SOURCE_OF[flow.direction] == source_channel and flow.post_one:
            return flow
    return None


def topics() -> dict[str, list[Flow]]:
    """Shopify webhook topic -> the flows it starts."""
    out: dict[str, list[Flow]] = {}
    for flow in FLOWS.values():
        for topic in flow.webhook_topics:
            out.setdefault(topic, []).append(flow)
    return out


__all__ = ["DIRECTION_LABELS", "FLOWS", "Flow", "flow_for", "flows_in_section", "topics"]
