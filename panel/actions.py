"""The verbs the pages and the API call: connector verbs (ground floor) plus the flow
schedules that belong with them, so a connector is never created without its schedules and a
deactivated connector keeps no django-q2 schedule.
"""

from collections.abc import Mapping

from django.db import transaction

from connector import actions as connector_actions
from connector.actions import (
    CONNECTOR_FIELDS,
    OPTION_FIELDS,
    clear_secret,
    set_location_map,
    update_alert_settings,
    update_options,
)
from connector.models import Connector
from flows import actions as flow_actions
from flows.actions import FLOW_SCHEDULE_FIELDS, update_flow_schedule

__all__ = [
    "CONNECTOR_FIELDS",
    "FLOW_SCHEDULE_FIELDS",
    "OPTION_FIELDS",
    "clear_secret",
    "create_connector",
    "set_location_map",
    "update_alert_settings",
    "update_connector",
    "update_flow_schedule",
    "update_options",
]


@transaction.atomic
def create_connector(
    user,
    fields: Mapping,
    secrets: Mapping | None = None,
    options: Mapping | None = None,
    flows: Mapping | None = None,
) -> Connector:
    """Create a connector with default options and a (switched off) schedule per flow."""
    connector = connector_actions.create_connector(user, fields, secrets, options)
    flow_actions.ensure_schedules(connector)
    for flow_name, changes in (flows or {}).items():
        update_flow_schedule(user, connector, flow_name, changes)
    return connector


@transaction.atomic
def update_connector(
    user, connector: Connector, fields: Mapping, secrets: Mapping | None = None
) -> Connector:
    connector = connector_actions.update_connector(user, connector, fields, secrets)
    flow_actions.follow_connector(connector)  # an inactive connector runs nothing on a schedule
    return connector
