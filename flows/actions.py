"""Business verbs for flow settings: switch a flow on or off and set its schedule.

The django-q2 schedule follows the FlowSchedule row in the same database transaction, so both
change or neither does.
"""

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction

from connector.actions import assign, reject_unknown, save_validated
from connector.audit import acting
from connector.models import Connector

from .models import FlowSchedule
from .registry import FLOWS
from .schedules import sync_connector_schedules, sync_schedule

FLOW_SCHEDULE_FIELDS = ("enabled", "interval_minutes", "cron")


def ensure_schedules(connector: Connector) -> None:
    """A (switched off) schedule row per schedulable flow, at the flow's default interval."""
    for flow in FLOWS.values():
        if flow.schedulable:
            FlowSchedule.objects.get_or_create(
                connector=connector,
                flow=flow.name,
                defaults={"interval_minutes": flow.default_interval_minutes},
            )


def follow_connector(connector: Connector) -> None:
    """Keep the django-q2 schedules in step with the connector (inactive: none)."""
    sync_connector_schedules(connector)


@transaction.atomic
def update_flow_schedule(user, connector: Connector, flow: str, changes: Mapping) -> FlowSchedule:
    if flow not in FLOWS or not FLOWS[flow].schedulable:
        raise ValidationError({flow: "Unknown flow."})
    reject_unknown(changes, FLOW_SCHEDULE_FIELDS, "flow setting")
    schedule, _ = FlowSchedule.objects.select_for_update().get_or_create(
        connector=connector,
        flow=flow,
        defaults={"interval_minutes": FLOWS[flow].default_interval_minutes},
    )
    assign(schedule, changes)
    with acting(user):
        save_validated(schedule)
    # The django-q2 schedule follows the row (same transaction: both or neither).
    sync_schedule(schedule)
    return schedule
