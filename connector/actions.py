"""Business verbs for connectors. Views, the API, commands and tasks call these, nothing else
writes connectors, so validation, audit attribution and defaults live in one place.

Every verb validates the whole row (`full_clean`, which includes the model's check
constraints) before saving and raises `ValidationError` keyed by field otherwise: bad input
changes nothing.
"""

from collections.abc import Mapping

from auditlog.context import set_actor
from django.core.exceptions import ValidationError
from django.db import transaction

from flows.models import FlowSchedule
from flows.registry import FLOWS
from flows.schedules import sync_connector_schedules, sync_schedule

from .models import SECRET_FIELDS, Connector, ConnectorOptions

CONNECTOR_FIELDS = (
    "name",
    "is_active",
    "shopify_shop_domain",
    "shopify_api_version",
    "shopify_endpoint",
    "netsuite_account_id",
    "netsuite_environment",
    "netsuite_concurrency_limit",
    "netsuite_endpoint",
)
OPTION_FIELDS = tuple(
    f.name
    for f in ConnectorOptions._meta.get_fields()
    if f.concrete and f.name not in ("id", "connector", "updated_at")
)
FLOW_SCHEDULE_FIELDS = ("enabled", "interval_minutes", "cron")


def _reject_unknown(values: Mapping, allowed, what: str) -> None:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ValidationError({key: f"Unknown {what}." for key in unknown})


def _assign(instance, values: Mapping) -> None:
    for key, value in values.items():
        setattr(instance, key, value)


def _save_validated(instance) -> None:
    instance.full_clean()
    instance.save()


@transaction.atomic
def create_connector(
    user,
    fields: Mapping,
    secrets: Mapping | None = None,
    options: Mapping | None = None,
    flows: Mapping | None = None,
) -> Connector:
    """Create a connector with default options and a (switched off) schedule per flow."""
    _reject_unknown(fields, CONNECTOR_FIELDS, "connector field")
    with set_actor(user):
        connector = Connector()
        _assign(connector, fields)
        for name, value in (secrets or {}).items():
            connector.set_secret(name, value)
        _save_validated(connector)
        ConnectorOptions.objects.create(connector=connector)
        for flow in FLOWS.values():
            FlowSchedule.objects.create(
                connector=connector,
                flow=flow.api_name,
                interval_minutes=flow.default_interval_minutes,
            )
    if options:
        update_options(user, connector, options)
    for flow_name, changes in (flows or {}).items():
        update_flow_schedule(user, connector, flow_name, changes)
    return connector


@transaction.atomic
def update_connector(
    user, connector: Connector, fields: Mapping, secrets: Mapping | None = None
) -> Connector:
    """Change connector fields; a secret given as an empty value is left as it is."""
    _reject_unknown(fields, CONNECTOR_FIELDS, "connector field")
    _reject_unknown(secrets or {}, SECRET_FIELDS, "credential")
    connector = Connector.objects.select_for_update().get(pk=connector.pk)
    _assign(connector, fields)
    for name, value in (secrets or {}).items():
        if value:
            connector.set_secret(name, value)
    with set_actor(user):
        _save_validated(connector)
    sync_connector_schedules(connector)  # an inactive connector runs nothing on a schedule
    return connector


def rotate_credentials() -> tuple[int, int]:
    """Re-encrypt every stored credential with the first key of CREDENTIALS_ENCRYPTION_KEYS.

    Step 2 of a key rotation (docs/architecture.md › Credentials). Each connector is rewritten
    under its row lock in its own transaction; a credential no key can read stops the run before
    anything of that connector changes. Returns (connectors, credentials) rewritten. Not
    audited as a change: the secrets are the same.
    """
    from . import crypto

    columns = [f"{name}_encrypted" for name in SECRET_FIELDS]
    connectors = credentials = 0
    for pk in Connector.objects.order_by("pk").values_list("pk", flat=True):
        with transaction.atomic():
            row = Connector.objects.select_for_update().filter(pk=pk).values(*columns).first()
            if row is None:
                continue
            changes = {column: crypto.rotate(token) for column, token in row.items() if token}
            if changes:
                Connector.objects.filter(pk=pk).update(**changes)
                connectors += 1
                credentials += len(changes)
    return connectors, credentials


def clear_secret(user, connector: Connector, name: str) -> Connector:
    if name not in SECRET_FIELDS:
        raise ValidationError({name: "Unknown credential."})
    with transaction.atomic(), set_actor(user):
        connector = Connector.objects.select_for_update().get(pk=connector.pk)
        connector.set_secret(name, "")
        connector.save()
    return connector


@transaction.atomic
def update_options(user, connector: Connector, changes: Mapping) -> ConnectorOptions:
    _reject_unknown(changes, OPTION_FIELDS, "option")
    options = ConnectorOptions.objects.select_for_update().get(connector=connector)
    _assign(options, changes)
    with set_actor(user):
        _save_validated(options)
    return options


@transaction.atomic
def update_flow_schedule(user, connector: Connector, flow: str, changes: Mapping) -> FlowSchedule:
    if flow not in FLOWS:
        raise ValidationError({flow: "Unknown flow."})
    _reject_unknown(changes, FLOW_SCHEDULE_FIELDS, "flow setting")
    schedule, _ = FlowSchedule.objects.select_for_update().get_or_create(
        connector=connector,
        flow=flow,
        defaults={"interval_minutes": FLOWS[flow].default_interval_minutes},
    )
    _assign(schedule, changes)
    with set_actor(user):
        _save_validated(schedule)
    # The django-q2 schedule follows the row (same transaction: both or neither).
    sync_schedule(schedule)
    return schedule
