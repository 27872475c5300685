"""Failure alerts: one email per run to the connector's alert address, listing what failed.

The alerts issue builds on this. An email carries our own messages (the reasons shown on the
rows), ids and order names, never credentials or remote bodies.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail

from transactions.models import Transaction

logger = logging.getLogger(__name__)
MAX_LISTED = 50


def send_failures(connector, flow_label: str, txn_ids: Iterable[int]) -> bool:
    """Email the connector's alert address about these failed rows; True when sent."""
    ids = [pk for pk in txn_ids if pk]
    address = (getattr(connector, "alert_email", "") or "").strip()
    if not ids or not address:
        return False
    rows = list(Transaction.objects.filter(pk__in=ids).order_by("pk")[:MAX_LISTED])
    lines = [
        f"{len(ids)} record(s) of “{flow_label}” failed on connector “{connector.name}”.",
        "",
    ]
    for txn in rows:
        order = txn.shopify_order_name or txn.shopify_order_id or "-"
        lines.append(f"- {txn.source_type or txn.kind} {txn.source_id} (Shopify order {order}):")
        lines.append(f"  {txn.last_error}")
    if len(ids) > len(rows):
        lines.append(f"... and {len(ids) - len(rows)} more.")
    lines += ["", "Each one stays in Error with its reason on the Other Transactions page."]
    try:
        send_mail(
            subject=f"[{connector.name}] {len(ids)} failed: {flow_label}",
            message="\n".join(lines),
            from_email=getattr(settings, "DEFAULT_FROM_EMAIL", None),
            recipient_list=[address],
        )
    except Exception:  # an alert that cannot go must not fail the run that raised it
        logger.exception("Could not send the failure alert of connector %s", connector.pk)
        return False
    return True
