"""Audit trail of connector changes (django-auditlog).

Credentials are masked to the word "changed": the log records that a secret was replaced,
never any part of it (nor of its ciphertext).
"""

SECRET_MASK = "changed"  # noqa: S105 - the word shown instead of a secret


def mask_secret(value: str) -> str:
    return SECRET_MASK
