"""Connector pages: thin views that parse input, call a verb in actions.py, and render."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from connector.connection_check import check_connection
from connector.models import Connector, ConnectorOptions
from connector.permissions import (
    ADD_CONNECTORS,
    VIEW_CONNECTORS,
    VIEW_FLOW_RUNS,
    can_manage_connectors,
    can_run_flows,
)
from flows import engine
from flows.models import FlowRun, FlowSchedule, Trigger
from flows.registry import FLOWS, flows_in_section

from . import actions
from .forms import (
    ConnectorForm,
    CredentialsForm,
    FlowScheduleForm,
    NewConnectorForm,
    options_form_class,
)
from .sections import SECTIONS


@permission_required(VIEW_CONNECTORS, raise_exception=True)
@require_GET
def connector_list(request):
    connectors = Connector.objects.select_related("options").order_by("name")
    return render(request, "connector/list.html", {"connectors": connectors})


@permission_required(ADD_CONNECTORS, raise_exception=True)
@require_http_methods(["GET", "POST"])
def connector_create(request):
    form = NewConnectorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in actions.CONNECTOR_FIELDS}
        try:
            connector = actions.create_connector(
                request.user, fields, secrets=form.credentials.secrets()
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Connector “{connector.name}” created.")
            return redirect("connector:settings", pk=connector.pk, section="general")
    return render(request, "connector/new.html", {"form": form})


def _disable(form) -> None:
    for field in form.fields.values():
        field.disabled = True


@permission_required(VIEW_CONNECTORS, raise_exception=True)
@require_http_methods(["GET", "POST"])
def connector_settings(request, pk: int, section: str = "general"):
    connector = get_object_or_404(Connector.objects.select_related("options"), pk=pk)
    current = SECTIONS.get(section)
    if current is None:
        return redirect("connector:settings", pk=pk, section="general")
    can_manage = can_manage_connectors(request.user)
    if (current.admin_only or request.method == "POST") and not can_manage:
        raise PermissionDenied
    data = request.POST if request.method == "POST" else None

    form = credentials_form = None
    if section == "general":
        form = ConnectorForm(data, instance=connector, show_connection=can_manage)
    elif section == "credentials":
        credentials_form = CredentialsForm(data, connector=connector)
    elif current.option_fields:
        options, _ = ConnectorOptions.objects.get_or_create(connector=connector)
        form = options_form_class(current.option_fields)(data, instance=options)

    schedules = {s.flow: s for s in FlowSchedule.objects.filter(connector=connector)}
    flow_forms = [
        (
            flow,
            FlowScheduleForm(
                data,
                instance=schedules.get(flow.api_name)
                or FlowSchedule(
                    connector=connector,
                    flow=flow.api_name,
                    interval_minutes=flow.default_interval_minutes,
                ),
                prefix=flow.api_name,
            ),
        )
        for flow in flows_in_section(section)
    ]
    all_forms = [f for f in (form, credentials_form) if f] + [ff for _, ff in flow_forms]
    latest_runs = _latest_runs(connector, [flow.api_name for flow, _ in flow_forms])

    if request.method == "POST":
        if all([f.is_valid() for f in all_forms]):
            try:
                _save_section(request.user, connector, section, form, credentials_form, flow_forms)
            except ValidationError as exc:
                (form or credentials_form or flow_forms[0][1]).add_error(None, exc)
            else:
                messages.success(request, f"{current.title} settings saved.")
                return redirect("connector:settings", pk=pk, section=section)
        messages.error(request, "Nothing was saved: please correct the fields marked below.")

    if not can_manage:
        for f in all_forms:
            _disable(f)

    sections = [s for s in SECTIONS.values() if can_manage or not s.admin_only]
    return render(
        request,
        "connector/settings.html",
        {
            "connector": connector,
            "section": current,
            "sections": sections,
            "form": form,
            "credentials_form": credentials_form,
            "flow_forms": [(flow, ff, latest_runs.get(flow.api_name)) for flow, ff in flow_forms],
            "read_only": not can_manage,
            "can_run": can_run_flows(request.user),
        },
    )


@transaction.atomic
def _save_section(user, connector, section, form, credentials_form, flow_forms) -> None:
    if section == "general":
        fields = {name: form.cleaned_data[name] for name in actions.CONNECTOR_FIELDS}
        actions.update_connector(user, connector, fields)
    elif section == "credentials":
        actions.update_connector(user, connector, {}, secrets=credentials_form.secrets())
    elif form is not None:
        actions.update_options(user, connector, form.cleaned_data)
    for flow, flow_form in flow_forms:
        actions.update_flow_schedule(user, connector, flow.api_name, flow_form.cleaned_data)


@require_POST
def connection_test(request, pk: int):
    if not can_manage_connectors(request.user):
        raise PermissionDenied
    connector = get_object_or_404(Connector, pk=pk)
    result = check_connection(connector)
    if request.htmx:
        return render(request, "connector/_connection_test.html", {"result": result})
    for side, outcome in result.items():
        level = messages.success if outcome["ok"] else messages.error
        level(request, f"{side.title() if side == 'shopify' else 'NetSuite'}: {outcome['detail']}")
    return redirect("connector:settings", pk=pk, section="general")


def _latest_runs(connector, flows) -> dict[str, FlowRun]:
    latest: dict[str, FlowRun] = {}
    for flow in flows:
        run = FlowRun.objects.filter(connector=connector, flow=flow).first()
        if run is not None:
            latest[flow] = run
    return latest


@require_POST
def flow_run(request, pk: int, flow: str):
    """The Run button: start the flow (or coalesce into the active run) and show its status."""
    if not can_run_flows(request.user):
        raise PermissionDenied
    connector = get_object_or_404(Connector.objects.select_related("options"), pk=pk)
    registered = FLOWS.get(flow)
    if registered is None:
        messages.error(request, "Unknown flow.")
        return redirect("connector:settings", pk=pk, section="general")
    problem = run = None
    try:
        run, created = engine.request_run(connector, flow, Trigger.BUTTON, user=request.user)
    except engine.FlowNotRunnable as exc:
        problem = str(exc)
    if request.htmx:
        return render(
            request,
            "flows/_run_status.html",
            {"connector": connector, "flow": registered, "run": run, "problem": problem},
        )
    if problem:
        messages.error(request, problem)
    elif created:
        messages.success(request, f"“{registered.label}” started.")
    else:
        messages.info(request, f"“{registered.label}” is running; it will run again after this.")
    return redirect("connector:settings", pk=connector.pk, section=registered.settings_section)


@permission_required(VIEW_FLOW_RUNS, raise_exception=True)
@require_GET
def flow_run_status(request, pk: int, flow: str):
    """The live status of a flow's latest run (polled by htmx while it is active)."""
    connector = get_object_or_404(Connector, pk=pk)
    registered = FLOWS.get(flow)
    if registered is None:
        raise PermissionDenied
    run = FlowRun.objects.filter(connector=connector, flow=flow).first()
    return render(
        request,
        "flows/_run_status.html",
        {"connector": connector, "flow": registered, "run": run, "problem": None},
    )
