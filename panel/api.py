"""REST API for connectors (/api/v1/connectors/)."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from config import login_guard
from connector.connection_check import check_connection
from connector.models import Connector
from connector.permissions import ADD_CONNECTORS, MANAGE_CONNECTORS, VIEW_CONNECTORS

from .serializers import ConnectorSerializer


class ConnectorPermission(permissions.BasePermission):
    """Reading needs view_connector; creating add_connector; changing change_connector."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS:
            return user.has_perm(VIEW_CONNECTORS)
        if request.method == "POST" and getattr(view, "action", None) == "create":
            return user.has_perm(ADD_CONNECTORS)
        return user.has_perm(MANAGE_CONNECTORS)


class ConnectorViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ConnectorSerializer
    permission_classes = [ConnectorPermission]
    http_method_names = ["get", "post", "patch", "head", "options"]
    queryset = (
        Connector.objects.select_related("options").prefetch_related("schedules").order_by("pk")
    )

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "ConnectionTest",
            {
                side: inline_serializer(
                    f"ConnectionTest{side.title()}",
                    {"ok": serializers.BooleanField(), "detail": serializers.CharField()},
                )
                for side in ("shopify", "netsuite")
            },
        ),
    )
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Call Shopify (`shop`) and NetSuite (`getServerTime`) with the stored credentials."""
        return Response(check_connection(self.get_object()))


class TokenThrottle(AnonRateThrottle):
    scope = "token"


class ObtainToken(ObtainAuthToken):
    """POST username + password, get a token for `Authorization: Token <key>`."""

    throttle_classes = [TokenThrottle]

    def post(self, request, *args, **kwargs):
        username = request.data.get("username") if hasattr(request.data, "get") else None
        if login_guard.is_locked(request, username if isinstance(username, str) else None):
            return Response({"detail": login_guard.LOCKED_MESSAGE}, status=429)
        return super().post(request, *args, **kwargs)
