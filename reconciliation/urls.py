from django.urls import path

from . import views

app_name = "reconciliation"

urlpatterns = [
    path("", views.variance_list, name="list"),
    path("payouts/", views.payout_list, name="payouts"),
    path("export.csv", views.variance_csv, name="csv"),
    path("connectors/<int:pk>/run/", views.run_now, name="run"),
]
