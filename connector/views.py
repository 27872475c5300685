"""Connector pages: thin views that parse input, call a verb in actions.py, and render."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from flows.models import FlowSchedule
from flows.registry import FLOWS, flows_in_section

from . import actions
from .connection_check import check_connection
from .forms import (
    ConnectorForm,
    CredentialsForm,
    FlowScheduleForm,
    NewConnectorForm,
    options_form_class,
)
from .models import Connector, ConnectorOptions
from .permissions import ADD_CONNECTORS, VIEW_CONNECTORS, can_manage_connectors
from .sections import SECTIONS


@permission_required(VIEW_CONNECTORS, raise_exception=True)
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
        form = ConnectorForm(data, instance=connector)
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
            "flow_forms": flow_forms,
            "read_only": not can_manage,
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


@require_POST
def flow_run(request, pk: int, flow: str):
    if not can_manage_connectors(request.user):
        raise PermissionDenied
    connector = get_object_or_404(Connector, pk=pk)
    registered = FLOWS.get(flow)
    if registered is None:
        messages.error(request, "Unknown flow.")
        return redirect("connector:settings", pk=pk, section="general")
    if not registered.available:
        messages.info(request, f"“{registered.label}”: flows are not available yet.")
    return redirect("connector:settings", pk=connector.pk, section=registered.settings_section)
