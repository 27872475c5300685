"""Connector pages: thin views that parse input, call a verb in actions.py, and render."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Max, Q
from django.db.models.expressions import RawSQL
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_q.models import Schedule

from connector.connection_check import check_connection
from connector.models import Connector, ConnectorOptions, ItemBinding
from connector.permissions import (
    ADD_CONNECTORS,
    VIEW_CONNECTORS,
    VIEW_FLOW_RUNS,
    can_manage_connectors,
    can_run_flows,
)
from flows import alerts, engine
from flows.gates import why_options_block
from flows.models import AlertMessage, FlowRun, FlowSchedule, Trigger
from flows.registry import FLOWS, SOURCE_OF, flows_in_section
from flows.schedules import schedule_name
from transactions import audit
from transactions.listing import COUNT_LIMIT
from transactions.models import Status, Transaction

from . import actions, dashboard
from .forms import (
    AlertSettingsForm,
    ConnectorForm,
    CredentialsForm,
    FlowScheduleForm,
    LocationMapForm,
    NewConnectorForm,
    options_form_class,
)
from .sections import SECTIONS


@permission_required(VIEW_CONNECTORS, raise_exception=True)
@require_GET
def connector_list(request):
    # Rows still failing, counted up to a bound (like the list's): an index-only probe per
    # connector, where grouping every open row took most of a second on a year of history.
    failing = RawSQL(  # noqa: S611 (our table names and a bound; the status is a parameter)
        f"SELECT COUNT(*) FROM (SELECT 1 FROM {Transaction._meta.db_table} t "  # noqa: S608
        f"WHERE t.connector_id = {Connector._meta.db_table}.id AND t.status = %s "
        f"LIMIT {COUNT_LIMIT + 1}) bounded",
        [Status.ERROR],
    )
    connectors = list(
        Connector.objects.select_related("options").annotate(failing=failing).order_by("name")
    )
    for c in connectors:
        c.open_errors = c.failing
        c.open_errors_more = c.failing > COUNT_LIMIT
        query = urlencode({"connector": c.pk, "status": Status.ERROR})
        c.open_errors_url = f"{reverse('transactions:list')}?{query}"
    return render(
        request, "connector/list.html", {"connectors": connectors, **_dashboard(connectors)}
    )


def _dashboard(connectors) -> dict:
    return {
        "boards": dashboard.build(connectors),
        "poll_seconds": settings.DASHBOARD_POLL_SECONDS,
        "updated_at": timezone.now(),
    }


@permission_required(VIEW_CONNECTORS, raise_exception=True)
@require_GET
def dashboard_live(request):
    """The dashboard part of the home page, polled by htmx (no full reload)."""
    connectors = list(Connector.objects.order_by("name"))
    return render(request, "connector/_dashboard.html", _dashboard(connectors))


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
    elif section == "inventory":
        form = LocationMapForm(data, connector=connector)
    elif section == "alerts":
        form = AlertSettingsForm(data, connector=connector)
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
    panels = flow_panels(connector, [flow for flow, _ in flow_forms])

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
            "flow_forms": [(flow, ff, panels[flow.api_name]) for flow, ff in flow_forms],
            "related_flows": _related_flows(connector, current, schedules),
            "item_bindings": _item_bindings(request.user, connector)
            if section in ("inventory", "fulfilment", "orders")
            else None,
            "read_only": not can_manage,
            "can_run": can_run_flows(request.user),
            "alert_messages": AlertMessage.objects.filter(connector=connector)[:RECENT_ALERTS]
            if section == "alerts"
            else None,
        },
    )


def _item_bindings(user, connector) -> dict:
    """Counts of the connector's SKU bindings, and the admin list filtered to it for whoever
    may see it there."""
    counts = connector.item_bindings.aggregate(
        total=Count("pk"),
        by_admin=Count("pk", filter=Q(source=ItemBinding.Source.ADMIN)),
        unfound=Count("pk", filter=Q(netsuite_item_id="")),
    )
    url = ""
    if user.is_staff and user.has_perm("connector.view_itembinding"):
        url = (
            reverse("admin:connector_itembinding_changelist")
            + f"?connector__id__exact={connector.pk}"
        )
    return {**counts, "url": url}


@transaction.atomic
def _save_section(user, connector, section, form, credentials_form, flow_forms) -> None:
    if section == "general":
        fields = {name: form.cleaned_data[name] for name in actions.CONNECTOR_FIELDS}
        actions.update_connector(user, connector, fields)
    elif section == "credentials":
        actions.update_connector(user, connector, {}, secrets=credentials_form.secrets())
    elif section == "inventory":
        actions.set_location_map(user, connector, form.cleaned_data["locations"])
    elif section == "alerts":
        actions.update_alert_settings(
            user,
            connector,
            form.alert_fields(),
            webhook_url=form.cleaned_data["webhook_url"],
            clear_webhook=form.cleaned_data["clear_webhook"],
        )
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


RECENT_RUNS = 5
RECENT_ALERTS = 10


@require_POST
def alert_test(request, pk: int):
    """Settings › Alerts › Send test alert: one message on each channel, sent at once."""
    if not can_manage_connectors(request.user):
        raise PermissionDenied
    connector = get_object_or_404(Connector, pk=pk)
    sent = alerts.send_test(connector, request.user, timezone.now())
    if not sent:
        messages.error(request, "Nobody would be told: set an alert email or a webhook first.")
    for message in sent:
        channel = message.get_channel_display()
        if message.status == AlertMessage.Status.SENT:
            messages.success(request, f"{channel}: test alert sent.")
        else:
            messages.error(
                request,
                f"{channel}: the test alert did not go: {message.last_error} "
                "It is tried again by the next sweep.",
            )
    return redirect("connector:settings", pk=pk, section="alerts")


OPEN = (Status.ERROR, Status.WAITING)


def open_transactions_url(connector_id: int, flow, status: str = Status.ERROR) -> str:
    """The transaction list filtered to what a flow still has open (errors or waiting)."""
    query = {
        "connector": connector_id,
        "kind": flow.kind,
        "source_channel": SOURCE_OF[flow.direction],
        "status": status,
    }
    return f"{reverse('transactions:list')}?{urlencode(query)}"


def open_counts(connector_ids) -> dict[tuple[int, str, str, str], int]:
    """(connector, kind, source channel, status) -> rows still in Error or Waiting: one grouped
    query over the status index, whatever the number of flows."""
    rows = (
        Transaction.objects.filter(connector_id__in=list(connector_ids), status__in=OPEN)
        .values_list("connector_id", "kind", "source_channel", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(c, k, ch, st): n for c, k, ch, st, n in rows}


def flow_panels(connector, flows) -> dict[str, dict]:
    """What a flow card shows: the recent runs (the newest first), the next scheduled run, and
    the records still failing or waiting, linked to the list filtered to them."""
    counts = open_counts([connector.pk])
    options = getattr(connector, "options", None)
    next_runs = dict(
        Schedule.objects.filter(
            name__in=[schedule_name(connector.pk, f.api_name) for f in flows]
        ).values_list("name", "next_run")
    )
    panels = {}
    for flow in flows:
        runs = list(
            FlowRun.objects.filter(connector=connector, flow=flow.api_name).select_related(
                "requested_by"
            )[: RECENT_RUNS + 1]
        )
        channel = SOURCE_OF[flow.direction]
        panels[flow.api_name] = {
            "latest": runs[0] if runs else None,
            "recent": runs[:RECENT_RUNS],
            "more_runs": len(runs) > RECENT_RUNS,
            "next_run": next_runs.get(schedule_name(connector.pk, flow.api_name)),
            "open_errors": counts.get((connector.pk, flow.kind, channel, Status.ERROR), 0),
            "open_waiting": counts.get((connector.pk, flow.kind, channel, Status.WAITING), 0),
            "errors_url": open_transactions_url(connector.pk, flow),
            "waiting_url": open_transactions_url(connector.pk, flow, Status.WAITING),
            # An option it needs is off: the card says so (the reason it does not run).
            "blocked": why_options_block(options, flow) if options is not None else None,
        }
    return panels


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
    # "Full resync" (flows that offer it): the run reads everything, not the delta.
    full = registered.full_resync and request.POST.get("scope") == "full"
    try:
        run, created = engine.request_run(
            connector, flow, Trigger.BUTTON, user=request.user, scope=["full"] if full else ()
        )
    except engine.FlowNotRunnable as exc:
        problem = str(exc)
    else:
        what = "started" if created else "asked to run again after the active run"
        if full:
            what = f"full resync {what}"
        audit.record(request, run, connector, "run", "", f"{registered.label} {what}")
    if request.htmx:
        return render(
            request,
            "flows/_run_status.html",
            {
                "connector": connector,
                "flow": registered,
                "run": run,
                "problem": problem,
                "panel": flow_panels(connector, [registered])[flow],
            },
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
    panel = flow_panels(connector, [registered])[flow]
    return render(
        request,
        "flows/_run_status.html",
        {
            "connector": connector,
            "flow": registered,
            "run": panel["latest"],
            "problem": None,
            "panel": panel,
        },
    )


def _section_of_option(field: str):
    return next((s for s in SECTIONS.values() if field in s.option_fields), None)


def _related_flows(connector, current, schedules) -> list[dict]:
    """Options and their flows on different tabs, cross-linked: on an option's tab, the flow
    it starts (with a warning when the option is on and the flow switched off); on a flow's tab,
    the options it needs that live elsewhere."""
    options = getattr(connector, "options", None)
    related = []
    for flow in FLOWS.values():
        for field in flow.required_options:
            option_section = _section_of_option(field)
            if option_section is None or option_section.slug == flow.settings_section:
                continue
            label = ConnectorOptions._meta.get_field(field).verbose_name
            option_on = bool(options and getattr(options, field))
            schedule = (
                schedules.get(flow.api_name)
                or FlowSchedule.objects.filter(connector=connector, flow=flow.api_name).first()
            )
            flow_on = bool(schedule and schedule.enabled)
            if current.slug == option_section.slug:
                related.append(
                    {
                        "text": f"“{label}” is carried out by the flow “{flow.label}”",
                        "section": SECTIONS[flow.settings_section],
                        "warning": option_on and not flow_on,
                        "warning_text": "The option is on but the flow is switched off: "
                        "nothing happens until you switch the flow on.",
                    }
                )
            elif current.slug == flow.settings_section:
                related.append(
                    {
                        "text": f"“{flow.label}” runs only with the option “{label}”",
                        "section": option_section,
                        "warning": flow_on and not option_on,
                        "warning_text": "The flow is switched on but the option is off: "
                        "it does not run until you switch the option on.",
                    }
                )
    return related


@permission_required(VIEW_FLOW_RUNS, raise_exception=True)
@require_GET
def flow_runs(request, pk: int, flow: str):
    """A flow's past runs, newest first, paged: trigger, who, counts, duration, result."""
    connector = get_object_or_404(Connector, pk=pk)
    registered = FLOWS.get(flow)
    if registered is None:
        raise PermissionDenied
    runs = FlowRun.objects.filter(connector=connector, flow=flow).select_related("requested_by")
    page = Paginator(runs, 25).get_page(request.GET.get("page"))
    panel = flow_panels(connector, [registered])[flow]
    return render(
        request,
        "flows/runs.html",
        {"connector": connector, "flow": registered, "page": page, "panel": panel},
    )


@permission_required(VIEW_CONNECTORS, raise_exception=True)
@require_GET
def data_flows(request):
    """Data Flows: every connector's flows with their open errors, last and next run."""
    connectors = list(Connector.objects.order_by("name"))
    counts = open_counts(c.pk for c in connectors)
    flows = [f for f in FLOWS.values() if f.schedulable]
    schedules = {
        (s.connector_id, s.flow): s for s in FlowSchedule.objects.filter(connector__in=connectors)
    }
    next_runs = dict(
        Schedule.objects.filter(name__startswith="flow:").values_list("name", "next_run")
    )
    newest_ids = (
        FlowRun.objects.filter(connector__in=connectors)
        .values("connector_id", "flow")
        .annotate(last=Max("id"))
        .values_list("last", flat=True)
    )
    latest = {(r.connector_id, r.flow): r for r in FlowRun.objects.filter(id__in=list(newest_ids))}
    rows = []
    for connector in connectors:
        for flow in flows:
            channel = SOURCE_OF[flow.direction]
            schedule = schedules.get((connector.pk, flow.api_name))
            run = latest.get((connector.pk, flow.api_name))
            rows.append(
                {
                    "connector": connector,
                    "flow": flow,
                    "on": bool(schedule and schedule.enabled),
                    "last_run": run,
                    "next_run": next_runs.get(schedule_name(connector.pk, flow.api_name)),
                    "open_errors": counts.get((connector.pk, flow.kind, channel, Status.ERROR), 0),
                    "open_waiting": counts.get(
                        (connector.pk, flow.kind, channel, Status.WAITING), 0
                    ),
                    "errors_url": open_transactions_url(connector.pk, flow),
                    "waiting_url": open_transactions_url(connector.pk, flow, Status.WAITING),
                }
            )
    return render(request, "flows/data_flows.html", {"rows": rows})
