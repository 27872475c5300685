"""Whether a flow may run for a connector now: checked when a run is requested, when a worker
claims it, and once a heartbeat while it runs."""

from __future__ import annotations

from connector.models import Connector

from .base import Flow
from .models import FlowSchedule, Trigger


def why_not_postable(connector: Connector, flow: Flow) -> str | None:
    """Why one record of this flow may not be posted now (Post, Retry, the retry sweeper)."""
    if not connector.is_active:
        return f"Connector “{connector}” is inactive: nothing was posted. Activate it, then Retry."
    options = connector.options
    for name in flow.required_options:
        if not getattr(options, name):
            label = options._meta.get_field(name).verbose_name
            return f"“{flow.label}” needs the option “{label}” switched on: nothing was posted."
    return None


def why_choice_not_met(options, flow: Flow) -> str | None:
    """A choice-valued option the flow needs at one value (e.g. the refund direction)."""
    for name, wanted in flow.required_choices:
        field = options._meta.get_field(name)
        current = getattr(options, name)
        if current != wanted:
            labels = dict(field.choices or ())
            return (
                f"“{flow.label}” runs only when “{field.verbose_name}” is "
                f"“{labels.get(wanted, wanted)}” (it is “{labels.get(current, current)}”)."
            )
    return None


def why_options_block(options, flow: Flow) -> str | None:
    """The connector option (a switch off, a choice at another value) that keeps the flow from
    running, in words the flow's card shows; None when its options allow it."""
    for name in flow.required_options:
        if not getattr(options, name):
            label = options._meta.get_field(name).verbose_name
            return f"“{flow.label}” needs the option “{label}” switched on."
    return why_choice_not_met(options, flow)


def why_not_runnable(connector: Connector, flow: Flow, trigger: str) -> str | None:
    if not flow.available:
        return f"“{flow.label}” is not available yet."
    if not connector.is_active:
        return f"Connector “{connector}” is inactive: it runs no flows."
    if (reason := why_options_block(connector.options, flow)) is not None:
        return reason
    if trigger in (Trigger.SCHEDULE, Trigger.WEBHOOK):
        # Manual runs (button, API) work on a flow that is not scheduled; automatic ones don't.
        enabled = FlowSchedule.objects.filter(
            connector=connector, flow=flow.name, enabled=True
        ).exists()
        if not enabled:
            return f"“{flow.label}” is switched off."
    return None
