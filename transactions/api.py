"""REST API for Other Transactions (/api/v1/transactions/): the page's verbs over HTTP."""

from django.db.models import Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from . import actions, listing
from .errors import RetrieveError
from .forms import FilterForm
from .models import Transaction, TransactionEvent
from .permissions import POST, RETRIEVE, VIEW
from .serializers import (
    ErrorSerializer,
    RetrieveRequestSerializer,
    RetrieveResponseSerializer,
    TransactionDetailSerializer,
    TransactionSerializer,
)


class TransactionPermission(permissions.BasePermission):
    """Reading: view_transaction; retrieve: retrieve_transaction; post, ignore: post_transaction."""

    NEEDS = {"retrieve_refunds": RETRIEVE, "post_transaction": POST, "ignore": POST}

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return user.has_perm(self.NEEDS.get(getattr(view, "action", None), VIEW))


class NewestFirst(CursorPagination):
    # A cursor, not page numbers: no COUNT(*) over a table of millions.
    ordering = ("-created_at", "-id")
    page_size = 50


FILTERS = [
    OpenApiParameter("connector", OpenApiTypes.INT),
    OpenApiParameter("source_channel", OpenApiTypes.STR, enum=["shopify", "netsuite"]),
    OpenApiParameter("kind", OpenApiTypes.STR),
    OpenApiParameter("status", OpenApiTypes.STR),
    OpenApiParameter("date_from", OpenApiTypes.DATE),
    OpenApiParameter("date_to", OpenApiTypes.DATE),
    OpenApiParameter("search", OpenApiTypes.STR, description="Order number (#1001) or an id."),
]


@extend_schema_view(list=extend_schema(parameters=FILTERS))
class TransactionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [TransactionPermission]
    pagination_class = NewestFirst
    serializer_class = TransactionSerializer

    def get_queryset(self):
        if self.action == "retrieve":
            events = TransactionEvent.objects.select_related("actor")
            return Transaction.objects.prefetch_related(Prefetch("events", queryset=events))
        # The page's filter form validates the API's filters too: a bad value is a 400 naming
        # the parameter, never a 500 from the database.
        form = FilterForm(self.request.query_params)
        if not form.is_valid():
            raise ValidationError(form.errors.get_json_data())
        return listing.filtered(form.params())

    def get_serializer_class(self):
        return TransactionDetailSerializer if self.action == "retrieve" else TransactionSerializer

    @extend_schema(
        request=RetrieveRequestSerializer,
        responses={
            201: RetrieveResponseSerializer,
            # {"detail": ...} from the retrieve, or {field: [messages]} for a bad request body.
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="The request was refused."),
            404: ErrorSerializer,
        },
        description="Import the refunds of an order the connector synced, from NetSuite (cash "
        "refunds/credit memos of its billed record) or from Shopify (its refunds).",
    )
    @action(detail=False, methods=["post"], url_path="retrieve")
    def retrieve_refunds(self, request):
        form = RetrieveRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            result = actions.retrieve(request.user, **form.validated_data)
        except RetrieveError as exc:
            return Response({"detail": exc.message}, status=exc.status_code)
        body = {
            "detail": result.message,
            "created": result.created,
            "transactions": TransactionSerializer(result.transactions, many=True).data,
        }
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={202: TransactionSerializer, 409: ErrorSerializer})
    # Not named `post`: a viewset method named after an HTTP verb answers that verb on every
    # route of the viewset (POST /transactions/{id}/ with only the view permission).
    @action(detail=True, methods=["post"], url_path="post", url_name="post")
    def post_transaction(self, request, pk=None):
        """Schedule the post (a retry when it is in error). 202: queued; 409: not postable."""
        txn = self.get_object()
        verb = actions.retry if txn.can_retry else actions.request_post
        if not verb(request.user, txn):
            txn.refresh_from_db()
            return Response(
                {"detail": f"Not posted: the transaction is {txn.get_status_display()}."},
                status=status.HTTP_409_CONFLICT,
            )
        txn.refresh_from_db()
        return Response(TransactionSerializer(txn).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(request=None, responses={200: TransactionSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def ignore(self, request, pk=None):
        txn = self.get_object()
        if not actions.ignore(request.user, txn):
            return Response(
                {"detail": f"Cannot ignore a transaction that is {txn.get_status_display()}."},
                status=status.HTTP_409_CONFLICT,
            )
        txn.refresh_from_db()
        return Response(TransactionSerializer(txn).data)
