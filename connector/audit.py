"""Audit trail of connector changes (django-auditlog).

Credentials are masked to the word "changed": the log records that a secret was replaced,
never any part of it (nor of its ciphertext).
"""

import contextlib

from auditlog.context import auditlog_value, set_actor

SECRET_MASK = "changed"  # noqa: S105 - the word shown instead of a secret


def mask_secret(value: str) -> str:
    return SECRET_MASK


@contextlib.contextmanager
def acting(user):
    """Attribute the audit entries of the body to `user` (a verb called from a page, the API,
    a task or a command), keeping the client address the request's middleware recorded, and
    giving back the request's own context afterwards (auditlog's `set_actor` replaces it)."""
    try:
        outer = auditlog_value.get()
    except LookupError:
        outer = None
    address = (outer or {}).get("remote_addr")
    port = (outer or {}).get("remote_port")
    try:
        with set_actor(user, remote_addr=address, remote_port=port):
            yield
    finally:
        if outer is not None:
            auditlog_value.set(outer)
