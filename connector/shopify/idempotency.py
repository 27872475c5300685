"""Idempotency keys for Shopify's `@idempotent` directive.

Shopify keeps a key per shop and mutation and replays the first outcome for it. So a key must
be the same for every retry of one piece of work (a lost answer, a killed worker, a second
click), and different for anything else: another record, another install of the panel, the
same row id after a database restore, or a new attempt after Shopify refused the first one
(which Shopify would otherwise replay). It is derived from this install's secret, the
mutation, the remote identity of the work (e.g. the order and the NetSuite refund it copies)
and a generation that is bumped only after a permanent refusal.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from functools import cache

PREFIX = "snp"


@cache
def install_secret() -> str:
    from connector.models import Installation

    found = Installation.objects.order_by("pk").first()
    if found is None:
        found, _ = Installation.objects.get_or_create(
            pk=1, defaults={"secret": secrets.token_hex(32)}
        )
    return found.secret


def idempotency_key(mutation: str, *identity: object, generation: int = 0) -> str:
    """e.g. idempotency_key("refundCreate", "order:5512", "creditMemo:1042", generation=0)."""
    if not identity:
        raise ValueError("idempotency_key needs the remote identity of the work")
    # Length-prefixing each part keeps ("a", "bc") and ("ab", "c") apart.
    material = "".join(f"{len(str(p))}:{p};" for p in (mutation, *identity, generation))
    digest = hmac.new(install_secret().encode(), material.encode(), hashlib.sha256).hexdigest()
    return f"{PREFIX}-{digest[:48]}"
