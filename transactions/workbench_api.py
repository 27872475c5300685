"""REST API of the error workbench (/api/v1/errors/): the page's groups, rows and verbs."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from . import audit, workbench
from .permissions import BIND_SKU, POST, VIEW
from .serializers import (
    BindSkuSerializer,
    ErrorGroupFilterSerializer,
    ErrorGroupSerializer,
    ErrorIgnoreSerializer,
    ErrorOutcomeSerializer,
    ErrorRowsQuerySerializer,
    ErrorRowsSerializer,
    ErrorSerializer,
    ErrorTargetSerializer,
    ResolvedErrorListSerializer,
)


class ErrorPermission(permissions.BasePermission):
    """Reading: view_transaction; retry, ignore: post_transaction (as on Other Transactions);
    bind a SKU: post_transaction and change_itembinding (mapping data: connector admins)."""

    NEEDS = {"retry": [POST], "ignore": [POST], "bind_sku": [POST, BIND_SKU]}

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return user.has_perms(self.NEEDS.get(getattr(view, "action", None), [VIEW]))


REFUSED = OpenApiResponse(OpenApiTypes.OBJECT, description="The request was refused.")
GROUP_PARAMS = [
    OpenApiParameter("connector", OpenApiTypes.INT, required=True),
    OpenApiParameter("flow", OpenApiTypes.STR, description="The flow's API name; empty: none."),
    OpenApiParameter("kind", OpenApiTypes.STR, description="The kind of error (its pattern)."),
    OpenApiParameter("after", OpenApiTypes.STR, description="`next` of the previous page."),
]


def _outcome(request, outcome: workbench.Outcome, what: str) -> Response:
    for txn, before in outcome.acted:
        audit.record(request, txn, txn.connector, "action", before, what)
    body = {
        "detail": outcome.message,
        "done": outcome.done,
        "skipped": outcome.skipped,
        "remaining": outcome.remaining,
        "ids": [txn.pk for txn, _ in outcome.acted],
    }
    return Response(ErrorOutcomeSerializer(body).data)


def _refused(exc: workbench.WorkbenchError) -> Response:
    return Response({"detail": exc.message}, status=status.HTTP_400_BAD_REQUEST)


class ErrorViewSet(viewsets.GenericViewSet):
    permission_classes = [ErrorPermission]
    serializer_class = ErrorGroupSerializer
    pagination_class = None

    @extend_schema(
        parameters=[
            OpenApiParameter("connector", OpenApiTypes.INT),
            OpenApiParameter("flow", OpenApiTypes.STR),
        ],
        responses={200: ErrorGroupSerializer(many=True), 400: REFUSED},
        description="Open errors grouped by connector, flow and kind, with their count and the "
        "oldest (at most 500 groups, largest first within each flow).",
    )
    def list(self, request):
        query = ErrorGroupFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = workbench.groups(
            query.validated_data.get("connector"), query.validated_data.get("flow", "")
        )
        return Response(ErrorGroupSerializer(found, many=True).data)

    @extend_schema(
        parameters=GROUP_PARAMS,
        responses={200: ErrorRowsSerializer, 400: REFUSED},
        description="The open errors of one group, oldest first, 50 a page.",
    )
    @action(detail=False, methods=["get"])
    def rows(self, request):
        query = ErrorRowsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        try:
            page = workbench.page_of_group(q["connector"], q["flow"], q["kind"], q.get("after"))
        except workbench.WorkbenchError as exc:
            return _refused(exc)
        return Response(ErrorRowsSerializer({"results": page.rows, "next": page.next_cursor}).data)

    @extend_schema(
        parameters=[OpenApiParameter("connector", OpenApiTypes.INT)],
        responses={200: ResolvedErrorListSerializer, 400: REFUSED},
        description="Recently resolved errors (newest 50): who, when and how.",
    )
    @action(detail=False, methods=["get"])
    def resolved(self, request):
        query = ErrorGroupFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        events = workbench.resolved(query.validated_data.get("connector"))
        return Response(ResolvedErrorListSerializer({"results": events}).data)

    @extend_schema(
        request=ErrorTargetSerializer,
        responses={200: ErrorOutcomeSerializer, 400: REFUSED},
        description="Retry one error, a selection (`ids`) or a whole group (`group`: its rows "
        "as they are now, at most 500). Rows no longer in Error are left as they are.",
    )
    @action(detail=False, methods=["post"])
    def retry(self, request):
        body = ErrorTargetSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            outcome = workbench.retry(request.user, **body.validated_data)
        except workbench.WorkbenchError as exc:
            return _refused(exc)
        return _outcome(request, outcome, "workbench retry")

    @extend_schema(
        request=ErrorIgnoreSerializer,
        responses={200: ErrorOutcomeSerializer, 400: REFUSED},
        description="Ignore with a reason (required) one error, a selection or a group.",
    )
    @action(detail=False, methods=["post"])
    def ignore(self, request):
        body = ErrorIgnoreSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        reason = data.pop("reason")
        try:
            outcome = workbench.ignore(request.user, reason, **data)
        except workbench.WorkbenchError as exc:
            return _refused(exc)
        return _outcome(request, outcome, "workbench ignore")

    @extend_schema(
        request=BindSkuSerializer,
        responses={200: ErrorOutcomeSerializer, 400: REFUSED, 404: ErrorSerializer},
        description="Bind a SKU NetSuite does not know to a NetSuite item (an admin's "
        "binding), then retry every open error of the connector that names that SKU.",
    )
    @action(detail=False, methods=["post"], url_path="bind-sku", url_name="bind-sku")
    def bind_sku(self, request):
        body = BindSkuSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            outcome = workbench.bind_sku_and_retry(
                request.user, data["connector"], data["sku"], data["netsuite_item_id"]
            )
        except workbench.WorkbenchError as exc:
            return _refused(exc)
        return _outcome(request, outcome, f"bind SKU {data['sku']} and retry")
