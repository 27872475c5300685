"""Where the clients may send credentials: only to hosts the operator allowed.

`CONNECTOR_ENDPOINT_HOSTS` lists host patterns: `*.myshopify.com` (any subdomain, any port),
`127.0.0.1:8701` (that host and port), `localhost` (any port). An endpoint override must match
one, and so must the address the clients use when there is no override (the real Shopify and
NetSuite hosts), so a deployment that allows only its sandboxes can never reach the real
services. Link-local, metadata, private, loopback and reserved addresses are never allowed by a
wildcard: an IP address must be listed itself, and a host name matched by a wildcard must not
resolve to such an address.
"""

from __future__ import annotations

import ipaddress
import socket
from fnmatch import fnmatchcase
from urllib.parse import urlsplit

from django.conf import settings

DEFAULT_HOSTS = ("*.myshopify.com", "*.suitetalk.api.netsuite.com")


class EndpointNotAllowed(Exception):
    """The URL's host is not one the operator allowed (CONNECTOR_ENDPOINT_HOSTS)."""


def allowed_patterns(setting: str = "CONNECTOR_ENDPOINT_HOSTS") -> list[str]:
    return [p.strip().lower() for p in getattr(settings, setting) if p.strip()]


def _split_pattern(pattern: str) -> tuple[str, int | None]:
    if pattern.startswith("["):  # [::1] or [::1]:8701
        host, _, rest = pattern[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
    host, sep, port = pattern.rpartition(":")
    if sep and port.isdigit() and ":" not in host:
        return host, int(port)
    return pattern, None


def _ip(host: str):
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def _internal(address) -> bool:
    return (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or (address.version == 6 and address.ipv4_mapped is not None)
    )


def _resolve(host: str, port: int) -> list:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]


def check(url: str, *, resolve: bool = False, setting: str = "CONNECTOR_ENDPOINT_HOSTS") -> None:
    """Raise EndpointNotAllowed unless `url` may receive credentials. With `resolve`, a host
    allowed by a wildcard is also looked up and refused if it points inside a private network
    (done when the client is built, not when the setting is saved). `setting` names the list of
    allowed hosts (alert webhooks have their own, ALERT_WEBHOOK_HOSTS)."""
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower().rstrip(".")
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise EndpointNotAllowed(f"{url!r} is not a valid URL.") from exc
    if parts.scheme not in ("http", "https") or not host:
        raise EndpointNotAllowed("The endpoint must be an http(s) URL with a host.")
    if parts.username or parts.password:
        raise EndpointNotAllowed("The endpoint must not carry a user name or password.")
    exact = wildcard = False
    for pattern in allowed_patterns(setting):
        p_host, p_port = _split_pattern(pattern)
        if p_port is not None and p_port != port:
            continue
        if p_host == host:
            exact = True
            break
        if "*" in p_host and _ip(host) is None and fnmatchcase(host, p_host):
            wildcard = True
    if not (exact or wildcard):
        raise EndpointNotAllowed(
            f"{host}:{port} is not an allowed endpoint host; an operator allows hosts with "
            f"{setting}."
        )
    if exact or not resolve:
        return
    try:
        addresses = _resolve(host, port)
    except OSError as exc:
        raise EndpointNotAllowed(f"{host} cannot be resolved.") from exc
    if any(_internal(a) for a in addresses):
        raise EndpointNotAllowed(
            f"{host} resolves to an internal address; list it in {setting} to allow it."
        )
