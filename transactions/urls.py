from django.urls import path

from . import edit_review_views, views, workbench_views

app_name = "transactions"

urlpatterns = [
    path("", views.transaction_list, name="list"),
    path("retrieve/", views.retrieve_dialog, name="retrieve"),
    path("bulk/", views.bulk_action, name="bulk"),
    path("errors/", workbench_views.errors_page, name="errors"),
    path("errors/rows/", workbench_views.error_rows, name="error_rows"),
    path("errors/act/", workbench_views.error_action, name="error_action"),
    path("errors/bind-sku/", workbench_views.bind_sku, name="bind_sku"),
    path("edits/", edit_review_views.edit_reviews_page, name="edits"),
    path("edits/<int:pk>/", edit_review_views.edit_review, name="edit_review"),
    path(
        "edits/<int:pk>/apply/",
        edit_review_views.edit_review_action,
        {"verb": "apply"},
        name="edit_apply",
    ),
    path(
        "edits/<int:pk>/dismiss/",
        edit_review_views.edit_review_action,
        {"verb": "dismiss"},
        name="edit_dismiss",
    ),
    path(
        "edits/<int:pk>/adjust/",
        edit_review_views.edit_review_action,
        {"verb": "adjust"},
        name="edit_adjust",
    ),
    path("<int:pk>/row/", views.transaction_row, name="row"),
    path("<int:pk>/timeline/", views.timeline, name="timeline"),
    path("<int:pk>/<slug:verb>/", views.transaction_action, name="action"),
]
