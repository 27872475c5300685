"""Idempotency keys derived from our own rows.

A retry of the same piece of work (same row, same step) must send the same key so Shopify
replays the first result instead of refunding twice; so the key is a pure function of the row
identity, never random.
"""

from __future__ import annotations

import hashlib

_NAMESPACE = "shopify-netsuite-panel"


def idempotency_key(*parts: object) -> str:
    """A stable key for e.g. ("transaction", 42, "post"); same parts give the same key."""
    if not parts:
        raise ValueError("idempotency_key needs at least one part that identifies the work")
    # Length-prefixing each part keeps ("a", "bc") and ("ab", "c") apart.
    material = "".join(f"{len(str(p))}:{p};" for p in parts)
    digest = hashlib.sha256(f"{_NAMESPACE}|{material}".encode()).hexdigest()
    return f"{_NAMESPACE}-{digest[:40]}"
