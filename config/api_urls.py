from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from flows.api import FlowRunCreate, FlowRunDetail
from panel.api import ConnectorViewSet, ObtainToken
from reconciliation.api import VarianceViewSet
from transactions.api import TransactionViewSet
from transactions.edit_review_api import EditReviewViewSet
from transactions.workbench_api import ErrorViewSet

router = SimpleRouter()
router.register("connectors", ConnectorViewSet, basename="connector")
router.register("transactions", TransactionViewSet, basename="transaction")
router.register("errors", ErrorViewSet, basename="error")
router.register("edit-reviews", EditReviewViewSet, basename="edit-review")
router.register("variances", VarianceViewSet, basename="variance")

urlpatterns = [
    path("auth/token/", ObtainToken.as_view(), name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("flows/<slug:flow>/runs/", FlowRunCreate.as_view(), name="flow-run-create"),
    path("flow-runs/<int:pk>/", FlowRunDetail.as_view(), name="flow-run-detail"),
    *router.urls,
]
