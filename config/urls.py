from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from connector.shopify.receiver import shopify_webhook

from . import login_guard
from .health import healthz

urlpatterns = [
    # FormView also answers PUT; the login form is GET and POST only.
    path(
        "login/",
        auth_views.LoginView.as_view(
            http_method_names=["get", "post", "head", "options"],
            authentication_form=login_guard.login_form_class(),
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("webhooks/shopify/<int:connector_id>/", shopify_webhook, name="shopify-webhook"),
    path("api/v1/", include("config.api_urls")),
    path("transactions/", include("transactions.urls")),
    path("reconciliation/", include("reconciliation.urls")),
    path("", include("panel.urls")),
]
