"""Schedules, coalescing and the API (no outside calls needed)."""

import pytest
from django_q.models import Schedule

from flows import engine
from flows.models import FlowRun, RunStatus, Trigger
from panel import actions
from tests.factories import make_admin, make_connector, make_cs

pytestmark = pytest.mark.django_db


def test_schedule_follows_settings_without_duplicates():
    admin = make_admin()
    connector = make_connector(admin)
    name = f"flow:{connector.pk}:order_import"
    actions.update_flow_schedule(admin, connector, "order_import", {"enabled": True})
    actions.update_flow_schedule(admin, connector, "order_import", {"interval_minutes": 30})
    schedules = Schedule.objects.filter(name=name)
    assert schedules.count() == 1
    assert schedules.get().minutes == 30
    actions.update_flow_schedule(admin, connector, "order_import", {"cron": "*/15 * * * *"})
    assert Schedule.objects.get(name=name).schedule_type == Schedule.CRON
    actions.update_flow_schedule(admin, connector, "order_import", {"enabled": False})
    assert not Schedule.objects.filter(name=name).exists()


def test_sweeper_schedule_exists():
    assert Schedule.objects.filter(name="flows-sweeper", func="flows.sweeper.sweep").count() == 1


def test_second_trigger_coalesces_into_the_active_run():
    connector = make_connector()
    first, created = engine.request_run(connector, "order_import", Trigger.BUTTON)
    second, created_again = engine.request_run(connector, "order_import", Trigger.API)
    assert created and not created_again
    assert second.pk == first.pk
    first.refresh_from_db()
    assert first.run_again is True
    assert FlowRun.objects.filter(status=RunStatus.QUEUED).count() == 1


def test_api_starts_a_run_and_reads_it(api_client):
    admin = make_admin()
    connector = make_connector(admin)
    api_client.force_authenticate(admin)
    response = api_client.post(
        "/api/v1/flows/order_import/runs/", {"connector": connector.pk}, format="json"
    )
    assert response.status_code == 202, response.content
    run_id = response.json()["id"]
    body = api_client.get(f"/api/v1/flow-runs/{run_id}/").json()
    assert body["status"] == "queued" and body["flow"] == "order_import"


def test_customer_service_cannot_run_flows(api_client):
    connector = make_connector()
    api_client.force_authenticate(make_cs())
    response = api_client.post(
        "/api/v1/flows/order_import/runs/", {"connector": connector.pk}, format="json"
    )
    assert response.status_code == 403
