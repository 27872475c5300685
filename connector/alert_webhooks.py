"""Where alert webhooks may go: only to hosts an operator allowed (`ALERT_WEBHOOK_HOSTS`,
default `hooks.slack.com`), over https (plain http only to loopback, for a local receiver).

A webhook URL is a secret (Slack's carry a token in the path), so messages here name the host,
never the URL.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from .endpoints import EndpointNotAllowed, check

SETTING = "ALERT_WEBHOOK_HOSTS"


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_webhook_url(url: str, *, resolve: bool = False) -> None:
    """Raise EndpointNotAllowed (with a message a person can act on) unless alerts may be
    posted to `url`. With `resolve`, a host allowed by a wildcard must not point inside a
    private network (checked again before each delivery)."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError as exc:
        raise EndpointNotAllowed("The webhook URL is not a valid URL.") from exc
    if parts.scheme != "https" and not (parts.scheme == "http" and _loopback(host)):
        raise EndpointNotAllowed("The webhook URL must start with https://.")
    check(url, resolve=resolve, setting=SETTING)
