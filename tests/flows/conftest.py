"""Helpers that set options and run a flow (the `wired` connector is in tests/fixtures)."""

from flows import engine
from flows.models import FlowRun, Trigger
from panel import actions
from tests.factories import make_admin


def set_options(connector, **options):
    actions.update_options(make_admin(), connector, options)
    connector.refresh_from_db()


def run_flow(connector, flow: str, trigger=Trigger.BUTTON, **kw) -> FlowRun:
    connector.refresh_from_db()
    run, created = engine.request_run(connector, flow, trigger, **kw)
    assert created
    engine.execute(run.pk)
    run.refresh_from_db()
    return run
