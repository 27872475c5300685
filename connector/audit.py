"""Audit trail of connector changes (django-auditlog).

Credentials are masked to the word "changed": the log records that a secret was replaced,
never any part of it (nor of its ciphertext).
"""

SECRET_MASK = "changed"


def mask_secret(value: str) -> str:
    return SECRET_MASK
