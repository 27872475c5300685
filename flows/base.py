"""What a flow declares about itself. Each flow package (`flows/<flow>/__init__.py`) makes one
`Flow`; `flows.registry` lists them. Adding a flow is one package and one registry line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from connector.netsuite.budget import Priority

DIRECTION_LABELS = {
    "shopify_to_netsuite": "Shopify → NetSuite",
    "netsuite_to_shopify": "NetSuite → Shopify",
}


@dataclass(frozen=True)
class Flow:
    name: str  # the API name, e.g. "order_import"
    label: str  # as users know it from the NetSuite Connector
    direction: str  # a key of DIRECTION_LABELS
    kind: str  # the Transaction kind of the records it syncs
    settings_section: str = ""  # the settings tab that shows its switch, schedule and Run
    default_interval_minutes: int = 15
    # Connector options (ConnectorOptions field names) that must all be on for it to run.
    required_options: tuple[str, ...] = ()
    # Choice-valued options it needs at one value: (field, value) pairs, e.g. the refund
    # sync direction ("one direction per connector", seed 003).
    required_choices: tuple[tuple[str, str], ...] = ()
    # Shopify webhook topics that start it for the record they name.
    webhook_topics: tuple[str, ...] = ()
    # The field of the webhook body that names the order to scope a run to ("id" for order
    # topics; "order_id" for refunds/create, whose "id" is the refund's; a dotted path for a
    # wrapped body: "order_edit.order_id" for orders/edited).
    webhook_order_key: str = "id"
    # How many webhook-named records one records run takes. A flow that writes a batch in
    # one NetSuite list call (the order import) takes many; one that posts record by record
    # with several calls each (refunds) takes one, so a burst spreads over the workers
    # instead of queueing inside one run.
    records_per_run: int = 100
    # Place in the NetSuite budget queue: business-critical work ahead of bulk work.
    priority: Priority = Priority.NORMAL
    # run(ctx): a batch (schedule, Run button, webhook scope). None: not runnable as a batch.
    run: Callable | None = None
    # post_one(job, txn): post one claimed transaction (Post, Retry, the retry sweeper).
    post_one: Callable | None = None
    # Offers "Full resync": a Run with scope ["full"] reads everything instead of the delta.
    full_resync: bool = False

    @property
    def api_name(self) -> str:
        return self.name

    @property
    def direction_label(self) -> str:
        return DIRECTION_LABELS[self.direction]

    @property
    def available(self) -> bool:
        return self.run is not None

    @property
    def schedulable(self) -> bool:
        return self.run is not None and bool(self.settings_section)
