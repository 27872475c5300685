from django.urls import path

from . import views

app_name = "connector"

urlpatterns = [
    path("", views.connector_list, name="list"),
    path("dashboard/live/", views.dashboard_live, name="dashboard_live"),
    path("connectors/new/", views.connector_create, name="create"),
    path("flows/", views.data_flows, name="data_flows"),
    path("connectors/<int:pk>/flows/<slug:flow>/runs/", views.flow_runs, name="flow_runs"),
    path("connectors/<int:pk>/settings/", views.connector_settings, name="settings_home"),
    path(
        "connectors/<int:pk>/settings/<slug:section>/",
        views.connector_settings,
        name="settings",
    ),
    path("connectors/<int:pk>/test/", views.connection_test, name="test"),
    path("connectors/<int:pk>/alerts/test/", views.alert_test, name="alert_test"),
    path("connectors/<int:pk>/flows/<slug:flow>/run/", views.flow_run, name="flow_run"),
    path(
        "connectors/<int:pk>/flows/<slug:flow>/status/",
        views.flow_run_status,
        name="flow_run_status",
    ),
]
