"""Business verbs for connectors and their options (the ground floor: nothing about flows).
Views, the API, commands and tasks reach them through `panel.actions`, which adds the flow
schedules; nothing else writes connectors, so validation and audit attribution live here.

Every verb validates the whole row (`full_clean`, which includes the model's check
constraints) before saving and raises `ValidationError` keyed by field otherwise: bad input
changes nothing.
"""

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction

from .audit import acting
from .models import SECRET_FIELDS, AlertSettings, Connector, ConnectorOptions

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
ALERT_FIELDS = ("emails", "digest_minutes", "stale_after_intervals")
OPTION_FIELDS = tuple(
    f.name
    for f in ConnectorOptions._meta.get_fields()
    if f.concrete and f.name not in ("id", "connector", "updated_at")
)


def reject_unknown(values: Mapping, allowed, what: str) -> None:
    unknown = sorted(set(values) - set(allowed))
    if unknown:
        raise ValidationError({key: f"Unknown {what}." for key in unknown})


def assign(instance, values: Mapping) -> None:
    for key, value in values.items():
        setattr(instance, key, value)


def save_validated(instance) -> None:
    instance.full_clean()
    instance.save()


@transaction.atomic
def create_connector(
    user,
    fields: Mapping,
    secrets: Mapping | None = None,
    options: Mapping | None = None,
) -> Connector:
    """Create a connector with default options."""
    reject_unknown(fields, CONNECTOR_FIELDS, "connector field")
    with acting(user):
        connector = Connector()
        assign(connector, fields)
        for name, value in (secrets or {}).items():
            connector.set_secret(name, value)
        save_validated(connector)
        ConnectorOptions.objects.create(connector=connector)
    if options:
        update_options(user, connector, options)
    return connector


@transaction.atomic
def update_connector(
    user, connector: Connector, fields: Mapping, secrets: Mapping | None = None
) -> Connector:
    """Change connector fields; a secret given as an empty value is left as it is."""
    reject_unknown(fields, CONNECTOR_FIELDS, "connector field")
    reject_unknown(secrets or {}, SECRET_FIELDS, "credential")
    connector = Connector.objects.select_for_update().get(pk=connector.pk)
    assign(connector, fields)
    for name, value in (secrets or {}).items():
        if value:
            connector.set_secret(name, value)
    with acting(user):
        save_validated(connector)
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
            # The alert webhook URL is a secret too (under the connector's lock, like the rest).
            hook = AlertSettings.objects.filter(connector_id=pk).exclude(webhook_url_encrypted="")
            token = hook.values_list("webhook_url_encrypted", flat=True).first()
            if token:
                hook.update(webhook_url_encrypted=crypto.rotate(token))
                credentials += 1
    return connectors, credentials


def clear_secret(user, connector: Connector, name: str) -> Connector:
    if name not in SECRET_FIELDS:
        raise ValidationError({name: "Unknown credential."})
    with transaction.atomic(), acting(user):
        connector = Connector.objects.select_for_update().get(pk=connector.pk)
        connector.set_secret(name, "")
        connector.save()
    return connector


@transaction.atomic
def update_options(user, connector: Connector, changes: Mapping) -> ConnectorOptions:
    reject_unknown(changes, OPTION_FIELDS, "option")
    options = ConnectorOptions.objects.select_for_update().get(connector=connector)
    assign(options, changes)
    with acting(user):
        save_validated(options)
    return options


@transaction.atomic
def set_location_map(user, connector: Connector, pairs: Mapping[str, str]) -> list:
    """Make the connector's location map exactly `pairs` (NetSuite location internal id ->
    Shopify location id): rows not named are deleted, changed ones updated, new ones created,
    each validated and audited under the person's name. Several NetSuite locations may map to
    one Shopify location (the inventory flow sums them)."""
    from .models import LocationMapping

    Connector.objects.select_for_update().filter(pk=connector.pk).first()
    current = {m.netsuite_location_id: m for m in connector.location_mappings.all()}
    with acting(user):
        for netsuite_id, mapping in current.items():
            if netsuite_id not in pairs:
                mapping.delete()
        out = []
        for netsuite_id, shopify_id in pairs.items():
            mapping = current.get(netsuite_id) or LocationMapping(
                connector=connector, netsuite_location_id=netsuite_id
            )
            if mapping.pk and mapping.shopify_location_id == shopify_id:
                out.append(mapping)
                continue
            mapping.shopify_location_id = shopify_id
            try:
                save_validated(mapping)
            except ValidationError as exc:
                messages = "; ".join(exc.messages)
                raise ValidationError(
                    {"locations": f"NetSuite location {netsuite_id}: {messages}"}
                ) from None
            out.append(mapping)
    return out


@transaction.atomic
def update_alert_settings(
    user,
    connector: Connector,
    fields: Mapping,
    webhook_url: str = "",
    clear_webhook: bool = False,
) -> AlertSettings:
    """Who is told about the connector's failures, and how. `webhook_url` replaces the stored
    one when given (empty keeps it, like the credentials); `clear_webhook` removes it. A
    webhook host the operator did not allow is a ValidationError on `webhook_url`."""
    reject_unknown(fields, ALERT_FIELDS, "alert setting")
    Connector.objects.select_for_update().filter(pk=connector.pk).first()
    alerts = AlertSettings.objects.filter(connector=connector).first() or AlertSettings(
        connector=connector
    )
    assign(alerts, fields)
    if clear_webhook:
        alerts.set_webhook_url("")
    elif webhook_url:
        alerts.set_webhook_url(webhook_url)
    with acting(user):
        save_validated(alerts)
    return alerts
