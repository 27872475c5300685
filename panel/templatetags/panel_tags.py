"""Small display helpers for the panel pages: times people read, links to the remote records."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil

register = template.Library()


@register.filter
def ago(value) -> str:
    """ "just now" for the last minute, else "5 minutes ago"."""
    if not value:
        return ""
    if timezone.now() - value < timedelta(minutes=1):
        return "just now"
    return f"{timesince(value)} ago"


@register.filter
def from_now(value) -> str:
    """ "in 5 minutes", "now" when due."""
    if not value:
        return ""
    if value - timezone.now() < timedelta(minutes=1):
        return "within a minute"
    return f"in {timeuntil(value)}"


@register.filter
def duration(run) -> str:
    """How long a run took (or has taken so far)."""
    if not run.started_at:
        return ""
    seconds = int(((run.finished_at or timezone.now()) - run.started_at).total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def _shopify_admin(connector) -> str:
    return f"https://{connector.shopify_shop_domain}/admin"


def _netsuite_app(connector) -> str:
    host = connector.netsuite_account_id.lower().replace("_", "-")
    return f"https://{host}.app.netsuite.com/app"


@register.simple_tag
def shopify_order_url(connector, order_id) -> str:
    if not order_id:
        return ""
    return f"{_shopify_admin(connector)}/orders/{order_id}"


@register.simple_tag
def netsuite_record_url(connector, internal_id) -> str:
    if not internal_id:
        return ""
    return f"{_netsuite_app(connector)}/accounting/transactions/transaction.nl?id={internal_id}"


@register.simple_tag
def netsuite_item_search_url(connector, sku) -> str:
    return f"{_netsuite_app(connector)}/common/item/itemlist.nl?search={sku}"
