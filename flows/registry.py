"""The flows the panel knows: how users name them, which way they go, their defaults, and the
function that runs each one (`run(ctx)`, ctx being a flows.engine.RunContext).

A flow without `run` answers "not available yet" to its Run button.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.module_loading import import_string

from connector.netsuite.budget import Priority


def _lazy(path: str) -> Callable:
    """The flow modules import the engine, which imports this registry: resolve on call."""

    def run(ctx):
        return import_string(path)(ctx)

    run.__qualname__ = path
    return run


@dataclass(frozen=True)
class Flow:
    api_name: str
    label: str
    direction: str  # "shopify_to_netsuite" or "netsuite_to_shopify"
    settings_section: str
    default_interval_minutes: int
    # Connector options (ConnectorOptions field names) that must all be on for the flow to run.
    required_options: tuple[str, ...] = ()
    run: Callable | None = field(default=None, compare=False)
    # Place in the NetSuite budget queue: cancellations go ahead of imports.
    priority: Priority = Priority.NORMAL

    @property
    def direction_label(self) -> str:
        return DIRECTION_LABELS[self.direction]

    @property
    def available(self) -> bool:
        return self.run is not None


DIRECTION_LABELS = {
    "shopify_to_netsuite": "Shopify → NetSuite",
    "netsuite_to_shopify": "NetSuite → Shopify",
}

FLOWS: dict[str, Flow] = {
    flow.api_name: flow
    for flow in [
        Flow(
            api_name="order_import",
            label="Shopify Order to NetSuite Order Add",
            direction="shopify_to_netsuite",
            settings_section="orders",
            default_interval_minutes=20,
            run=_lazy("flows.order_import.run"),
        ),
        Flow(
            api_name="netsuite_cancellation_to_shopify",
            label="NetSuite Cancellation to Shopify Cancellation Add",
            direction="netsuite_to_shopify",
            settings_section="cancellation",
            default_interval_minutes=15,
            required_options=("cancel_in_shopify_when_cancelled_in_netsuite",),
            run=_lazy("flows.netsuite_cancellation.run"),
            priority=Priority.URGENT,
        ),
        Flow(
            api_name="shopify_cancellation_to_netsuite",
            label="Shopify Cancellation to NetSuite Cancellation Add",
            direction="shopify_to_netsuite",
            settings_section="cancellation",
            default_interval_minutes=15,
            run=_lazy("flows.shopify_cancellation.run"),
            priority=Priority.URGENT,
        ),
    ]
}

FLOW_CHOICES = [(flow.api_name, flow.label) for flow in FLOWS.values()]


def flows_in_section(section: str) -> list[Flow]:
    return [flow for flow in FLOWS.values() if flow.settings_section == section]
