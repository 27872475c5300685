from django.urls import path

from . import views

app_name = "transactions"

urlpatterns = [
    path("", views.transaction_list, name="list"),
    path("retrieve/", views.retrieve_dialog, name="retrieve"),
    path("bulk/", views.bulk_action, name="bulk"),
    path("<int:pk>/row/", views.transaction_row, name="row"),
    path("<int:pk>/timeline/", views.timeline, name="timeline"),
    path("<int:pk>/<slug:verb>/", views.transaction_action, name="action"),
]
